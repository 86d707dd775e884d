# The Python codec of the manager over raw sockets (both dialects, every
# call, binding, fallbacks, values crossing; malformed input, parking):
# each case on both backends. They need no Python: tests/interop has the
# tests against CPython itself.
par_net_add_test(test_pyserver.c LABELS unit TSAN)
par_net_add_test(test_pyserver_abuse.c LABELS fault)
foreach(t net_test_pyserver net_test_pyserver_abuse)
	target_link_libraries(${t} PRIVATE ${OPENSSL_LIBRARIES})
	target_include_directories(${t} PRIVATE ${OPENSSL_INCLUDE_DIRS})
endforeach()
