# core/ sync objects: Lock, Event, Barrier, Value.
par_add_test(core test_lock.c LABELS unit)
par_add_test(core test_lock_robust.c LABELS fault)
par_add_test(core test_event.c LABELS unit)
par_add_test(core test_barrier.c LABELS unit)
par_add_test(core test_value.c LABELS unit)
# Threads only (no fork): what the ThreadSanitizer build runs.
par_add_test(core test_sync_threads.c LABELS unit stress TSAN TIMEOUT 300)
