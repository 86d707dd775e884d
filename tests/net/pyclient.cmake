# The client of Python managers against a fake manager speaking canned
# bytes (no Python needed; tests/interop/client.cmake runs real ones).
par_net_add_test(test_pyclient.c NO_BACKENDS LABELS unit)
