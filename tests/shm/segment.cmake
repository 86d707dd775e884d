# Segment tests and their exec'd peer. The tests reach the internal API
# (par__shm_*, hidden in libpar.so), so they link the static library.
add_executable(par_test_segment_peer helpers/segment_peer.c)
target_link_libraries(par_test_segment_peer PRIVATE par)

par_add_test(shm test_segment.c LABELS unit)
par_add_test(shm test_segment_corrupt.c LABELS fault)

foreach(t shm_test_segment shm_test_segment_corrupt)
	set_property(TARGET ${t} PROPERTY LINK_LIBRARIES
		par_static PkgConfig::CMOCKA Threads::Threads ${NUMA_LIBRARIES})
	target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/helpers
		${PROJECT_SOURCE_DIR}/shm ${PROJECT_SOURCE_DIR}/core ${NUMA_INCLUDE_DIRS})
	target_compile_definitions(${t} PRIVATE
		PAR_TEST_SEGMENT_PEER="$<TARGET_FILE:par_test_segment_peer>")
	add_dependencies(${t} par_test_segment_peer)
endforeach()
