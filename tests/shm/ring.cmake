# Ring tests (shm/ring*.c).
par_add_test(shm test_ring.c LABELS unit)
par_add_test(shm test_ring_wait.c LABELS unit)
# Threads only (no fork): what the ThreadSanitizer build runs.
par_add_test(shm test_ring_threads.c LABELS unit TSAN TIMEOUT 120)
