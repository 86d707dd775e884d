# Queue and Pipe tests, and the exec'd peer that opens a queue (or a pipe) by
# name.
add_executable(par_test_queue_peer helpers/queue_peer.c)
target_link_libraries(par_test_queue_peer PRIVATE par)
target_include_directories(par_test_queue_peer PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/helpers)

par_add_test(shm test_queue.c LABELS unit)
par_add_test(shm test_queue_threads.c LABELS unit TSAN TIMEOUT 120)
par_add_test(shm test_queue_procs.c LABELS unit TIMEOUT 120)
par_add_test(shm test_pipe.c LABELS unit)

foreach(t shm_test_queue_threads shm_test_queue_procs shm_test_pipe)
	target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/helpers)
	target_compile_definitions(${t} PRIVATE
		PAR_TEST_QUEUE_PEER="$<TARGET_FILE:par_test_queue_peer>")
	add_dependencies(${t} par_test_queue_peer)
endforeach()
par_add_test(shm test_queue_fault.c LABELS fault TIMEOUT 180)
par_add_test(shm test_queue_stress.c LABELS stress TIMEOUT 300)
foreach(t shm_test_queue_fault shm_test_queue_stress)
	target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/helpers)
endforeach()

# Forged states reach the internals (par__q*, hidden in libpar.so): static.
par_add_test(shm test_queue_forged.c LABELS fault)
set_property(TARGET shm_test_queue_forged PROPERTY LINK_LIBRARIES
	par_static PkgConfig::CMOCKA Threads::Threads ${NUMA_LIBRARIES})
target_include_directories(shm_test_queue_forged PRIVATE ${PROJECT_SOURCE_DIR}/shm
	${PROJECT_SOURCE_DIR}/core)
