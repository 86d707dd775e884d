# Ring tests (shm/ring*.c) and the exec'd peer program.
add_executable(par_test_ring_peer helpers/ring_peer.c)
target_link_libraries(par_test_ring_peer PRIVATE par)

par_add_test(shm test_ring.c LABELS unit)
par_add_test(shm test_ring_wait.c LABELS unit)
# The matrix runs may take a while on a loaded machine: bounded at 90 s each.
par_add_test(shm test_ring_seg.c LABELS unit TIMEOUT 180)
par_add_test(shm test_ring_procs.c LABELS unit TIMEOUT 180)
par_add_test(shm test_ring_death.c LABELS fault)
# Threads only (no fork): what the ThreadSanitizer build runs.
par_add_test(shm test_ring_threads.c LABELS unit TSAN TIMEOUT 180)
par_add_test(shm test_ring_stress.c LABELS stress TSAN TIMEOUT 300)

target_compile_definitions(shm_test_ring_seg PRIVATE
	PAR_TEST_RING_PEER="$<TARGET_FILE:par_test_ring_peer>")
add_dependencies(shm_test_ring_seg par_test_ring_peer)
