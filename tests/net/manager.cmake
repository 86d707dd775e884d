# Manager server and client: each case on both backends.
par_net_add_test(test_manager.c LABELS unit TSAN)
par_net_add_test(test_manager_abuse.c LABELS fault TSAN)
par_net_add_test(test_manager_stress.c LABELS stress TIMEOUT 300)
par_net_add_test(test_manager_fault.c LABELS fault TIMEOUT 120)
par_net_add_test(test_manager_shm.c LABELS unit)
