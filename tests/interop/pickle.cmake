# Pickles across the language line: CPython 3.8+ pickles a broad set of
# values with protocols 2 to 5, par reads each and writes it again (as a
# graph, and through par_py values), and Python checks it gets the same
# values back (sharing and cycles included for graphs); values par_py_dumps
# wrote load in Python as expected.
add_executable(interop_pickle_peer ${CMAKE_CURRENT_SOURCE_DIR}/pickle_peer.c)
target_link_libraries(interop_pickle_peer PRIVATE par_static)
target_include_directories(interop_pickle_peer PRIVATE ${PROJECT_SOURCE_DIR}/net)
target_compile_definitions(interop_pickle_peer PRIVATE _GNU_SOURCE)
par_interop_add(pickle COMMAND @PY@ ${CMAKE_CURRENT_SOURCE_DIR}/pickle_check.py
	$<TARGET_FILE:interop_pickle_peer> TIMEOUT 120)
