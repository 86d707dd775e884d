# The frame parser's fuzz target. With clang: a libFuzzer build run for a few
# seconds over the seed corpus (label fuzz; new inputs go to the build tree).
# Always: the same harness built with the project's compiler replays the
# corpus as a regression test.
set(fuzz_src ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_frame.c)
set(fuzz_lib ${PROJECT_SOURCE_DIR}/net/frame.c ${PROJECT_SOURCE_DIR}/net/frame_status.c)
set(fuzz_corpus ${CMAKE_CURRENT_SOURCE_DIR}/corpus)

add_executable(net_fuzz_frame_replay ${fuzz_src} ${fuzz_lib})
target_include_directories(net_fuzz_frame_replay PRIVATE ${PROJECT_SOURCE_DIR}/include
	${PROJECT_SOURCE_DIR}/net)
target_compile_definitions(net_fuzz_frame_replay PRIVATE _GNU_SOURCE)
add_test(NAME net.fuzz.frame_replay COMMAND net_fuzz_frame_replay ${fuzz_corpus})
set_tests_properties(net.fuzz.frame_replay PROPERTIES LABELS "unit;fuzz" TIMEOUT 60)

find_program(PAR_CLANG NAMES clang clang-16 clang-15 clang-14)
if(PAR_CLANG)
	set(probe ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe.c)
	file(WRITE ${probe} "int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n"
		"{ (void)d; (void)n; return 0; }\n")
	execute_process(COMMAND ${PAR_CLANG} -fsanitize=fuzzer,address ${probe}
			-o ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe
		RESULT_VARIABLE no_fuzzer OUTPUT_QUIET ERROR_QUIET)
endif()
if(PAR_CLANG AND NOT no_fuzzer)
	set(fuzz_bin ${CMAKE_CURRENT_BINARY_DIR}/fuzz_frame_libfuzzer)
	add_custom_command(OUTPUT ${fuzz_bin}
		COMMAND ${PAR_CLANG} -g -O1 -std=gnu11 -D_GNU_SOURCE -DPAR_FUZZ_LIBFUZZER
			-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
			-I${PROJECT_SOURCE_DIR}/include -I${PROJECT_SOURCE_DIR}/net
			${fuzz_src} ${fuzz_lib} -o ${fuzz_bin}
		DEPENDS ${fuzz_src} ${fuzz_lib} ${PROJECT_SOURCE_DIR}/net/frame.h
		COMMENT "libFuzzer target net_fuzz_frame (clang)")
	add_custom_target(net_fuzz_frame ALL DEPENDS ${fuzz_bin})
	file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus)
	add_test(NAME net.fuzz.frame
		COMMAND ${fuzz_bin} -max_total_time=5 -rss_limit_mb=1024 -max_len=4096
			${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus ${fuzz_corpus})
	set_tests_properties(net.fuzz.frame PROPERTIES LABELS fuzz TIMEOUT 60)
else()
	message(STATUS "net: no clang with libFuzzer: net.fuzz.frame left out (the replay stays)")
endif()
