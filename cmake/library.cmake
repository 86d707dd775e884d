# libpar, shared and static, from the module object libraries, plus its install
# rules: headers, libraries, par.pc and the CMake package (find_package(par)).

set(PAR_MODULES par_core par_shm par_sched par_scale par_net)
set(PAR_OBJECTS)
foreach(m IN LISTS PAR_MODULES)
	list(APPEND PAR_OBJECTS $<TARGET_OBJECTS:${m}>)
endforeach()

add_library(par SHARED ${PAR_OBJECTS})
add_library(par_static STATIC ${PAR_OBJECTS})
foreach(t par par_static)
	set_target_properties(${t} PROPERTIES OUTPUT_NAME par EXPORT_NAME ${t})
	target_include_directories(${t} PUBLIC
		$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
		$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
	target_link_libraries(${t} PUBLIC Threads::Threads PRIVATE ${NUMA_LIBRARIES} ${HWLOC_LIBRARIES}
		${URING_LIBRARIES} ${OPENSSL_LIBRARIES})
endforeach()
set_target_properties(par PROPERTIES VERSION ${PROJECT_VERSION}
		      SOVERSION ${PROJECT_VERSION_MAJOR})
add_library(par::par ALIAS par)
add_library(par::par_static ALIAS par_static)

install(TARGETS par par_static EXPORT parTargets
	LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
	ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
	RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/par DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
	FILES_MATCHING PATTERN "*.h")
install(EXPORT parTargets NAMESPACE par::
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/par)

configure_package_config_file(cmake/parConfig.cmake.in
	${PROJECT_BINARY_DIR}/parConfig.cmake
	INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/par)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/parConfigVersion.cmake
	COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/parConfig.cmake
	${PROJECT_BINARY_DIR}/parConfigVersion.cmake
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/par)

# par.pc: private requirements grow as modules add hwloc, libnuma, liburing...
# The prefix is found relative to the .pc file, so `cmake --install --prefix`
# into any folder yields a working par.pc.
set(PAR_PC_LIBS_PRIVATE "-pthread -lnuma -lhwloc -luring -lcrypto")
file(RELATIVE_PATH PAR_PC_PREFIX_REL "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig"
     "${CMAKE_INSTALL_PREFIX}")
configure_file(cmake/par.pc.in ${PROJECT_BINARY_DIR}/par.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/par.pc
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
