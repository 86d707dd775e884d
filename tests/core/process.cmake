# Process, Thread and Subprocess tests, and their helper program.
add_executable(par_test_bigio helpers/bigio.c)

par_add_test(core test_process.c LABELS unit)
par_add_test(core test_thread.c LABELS unit TSAN)
par_add_test(core test_subprocess.c LABELS unit)
par_add_test(core test_subprocess_big.c LABELS stress TIMEOUT 300)

foreach(t core_test_subprocess core_test_subprocess_big)
	target_compile_definitions(${t} PRIVATE PAR_TEST_BIGIO="$<TARGET_FILE:par_test_bigio>")
	target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/helpers)
	add_dependencies(${t} par_test_bigio)
endforeach()
