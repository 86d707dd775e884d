# The wire protocol and authentication: pure functions, no backend.
par_net_add_test(test_frame.c LABELS unit NO_BACKENDS)
par_net_add_test(test_auth.c LABELS unit NO_BACKENDS)
par_net_add_test(test_pywire.c LABELS unit NO_BACKENDS)
