# The client of Python managers against real CPython servers (issue 7):
#   client_classic      the classic Python master served by par's C worker
#   client_mixed        the same master, three C workers and a Python worker
#                       at once on its queues
#   client_c2py / py2c  100,000 items of several types across the boundary,
#                       exactly once, in order, with checksums
#   client_errors       wrong key (the server's dialect: HMAC-MD5 up to 3.11,
#                       {sha256} from 3.12), unknown typeid, Empty/Full and
#                       timeouts, remote exceptions, a server dying mid-get
add_executable(interop_client_check ${CMAKE_CURRENT_SOURCE_DIR}/client_check.c)
target_link_libraries(interop_client_check PRIVATE par)

set(worker $<TARGET_FILE:task_worker_py>)
set(check $<TARGET_FILE:interop_client_check>)
if(TARGET task_worker_py)
	par_interop_add(client_classic
		COMMAND ${PAR_INTEROP_DIR}/client_classic.sh @PY@ ${worker} 1 0)
	par_interop_add(client_mixed
		COMMAND ${PAR_INTEROP_DIR}/client_classic.sh @PY@ ${worker} 3 1)
endif()
par_interop_add(client_c2py TIMEOUT 300
	COMMAND @PY@ ${PAR_INTEROP_DIR}/client_interop.py ${check} c2py 100000)
par_interop_add(client_py2c TIMEOUT 300
	COMMAND @PY@ ${PAR_INTEROP_DIR}/client_interop.py ${check} py2c 100000)
par_interop_add(client_errors
	COMMAND @PY@ ${PAR_INTEROP_DIR}/client_interop.py ${check} errors)
