# Queue and Pipe tests, and the exec'd peer that opens a queue (or a pipe) by
# name.
add_executable(par_test_queue_peer helpers/queue_peer.c)
target_link_libraries(par_test_queue_peer PRIVATE par)
target_include_directories(par_test_queue_peer PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/helpers)

par_add_test(shm test_queue.c LABELS unit)
par_add_test(shm test_queue_threads.c LABELS unit TSAN TIMEOUT 120)
par_add_test(shm test_queue_procs.c LABELS unit TIMEOUT 120)

foreach(t shm_test_queue_threads shm_test_queue_procs)
	target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/helpers)
	target_compile_definitions(${t} PRIVATE
		PAR_TEST_QUEUE_PEER="$<TARGET_FILE:par_test_queue_peer>")
	add_dependencies(${t} par_test_queue_peer)
endforeach()
