# Manager server and client: each case on both backends.
par_net_add_test(test_manager.c LABELS unit TSAN)
