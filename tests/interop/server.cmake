# par-manager serving unmodified Python clients (--python-listen), each test
# under every CPython found (interop.server.<name>.py<X.Y>): the classic
# worker, several workers on one queue, Queue's behaviour as a worker sees
# it, wrong keys, exactly-once delivery of 100,000 items both ways across
# the language boundary (the C side: server_native_peer, par's native
# client), and a pickle that tries to run a command stored as data.
add_executable(interop_server_peer ${CMAKE_CURRENT_SOURCE_DIR}/server_native_peer.c)
target_link_libraries(interop_server_peer PRIVATE par)
set(run ${CMAKE_CURRENT_SOURCE_DIR}/server_run.sh $<TARGET_FILE:par-manager>
	$<TARGET_FILE:interop_server_peer>)
set(d ${CMAKE_CURRENT_SOURCE_DIR})
par_interop_add(server.classic COMMAND ${run} @PY@ ${d}/server_classic.py)
par_interop_add(server.workers COMMAND ${run} @PY@ ${d}/server_workers.py)
par_interop_add(server.probes COMMAND ${run} @PY@ ${d}/server_probes.py)
par_interop_add(server.auth COMMAND ${run} @PY@ ${d}/server_auth.py)
par_interop_add(server.evil COMMAND ${run} @PY@ ${d}/server_evil.py)
par_interop_add(server.once_c2py COMMAND ${run} @PY@ ${d}/server_exactly_once.py c2py
	TIMEOUT 600)
par_interop_add(server.once_py2c COMMAND ${run} @PY@ ${d}/server_exactly_once.py py2c
	TIMEOUT 600)
# The oldest and the newest CPython found, workers of both at once on one
# server: the legacy and the modern challenge dialects side by side.
set(old_py "")
set(new_py "")
foreach(py ver IN ZIP_LISTS PAR_PYTHONS PAR_PYTHON_VERSIONS)
	if(NOT old_py OR ver VERSION_LESS old_ver)
		set(old_py ${py})
		set(old_ver ${ver})
	endif()
	if(NOT new_py OR ver VERSION_GREATER new_ver)
		set(new_py ${py})
		set(new_ver ${ver})
	endif()
endforeach()
if(old_py AND NOT old_ver VERSION_EQUAL new_ver)
	set(name interop.server.mixed.py${old_ver}+py${new_ver})
	add_test(NAME ${name} COMMAND ${run} ${new_py} ${d}/server_workers.py
		${old_py} ${new_py} ${old_py} ${new_py})
	set_tests_properties(${name} PROPERTIES LABELS interop TIMEOUT 120 SKIP_RETURN_CODE 77
		ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endif()
