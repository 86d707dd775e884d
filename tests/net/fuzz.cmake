# Fuzz targets. par_net_add_fuzz(<name> SOURCE <harness.c> CORPUS <dir>
# LIB <library sources...> [DEPENDS <headers...>] [RSS_MB <n>]) gives:
#  - net.fuzz.<name>_replay (labels unit, fuzz): the harness built with the
#    project's compiler against the static library replays the seed corpus,
#    so every build checks the inputs kept there;
#  - net.fuzz.<name> (label fuzz), where clang has libFuzzer: the harness and
#    LIB built with -fsanitize=fuzzer,address,undefined, run for 5 seconds
#    from the corpus (new inputs go to the build tree).
find_program(PAR_CLANG NAMES clang clang-16 clang-15 clang-14)
if(PAR_CLANG)
	set(probe ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe.c)
	file(WRITE ${probe} "int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n"
		"{ (void)d; (void)n; return 0; }\n")
	execute_process(COMMAND ${PAR_CLANG} -fsanitize=fuzzer,address ${probe}
			-o ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe
		RESULT_VARIABLE PAR_NO_LIBFUZZER OUTPUT_QUIET ERROR_QUIET)
endif()
if(NOT PAR_CLANG OR PAR_NO_LIBFUZZER)
	message(STATUS "net: no clang with libFuzzer: the libFuzzer runs are left out (replays stay)")
endif()

function(par_net_add_fuzz name)
	cmake_parse_arguments(F "" "SOURCE;CORPUS;RSS_MB" "LIB;DEPENDS" ${ARGN})
	if(NOT F_RSS_MB)
		set(F_RSS_MB 1024)
	endif()
	add_executable(net_fuzz_${name}_replay ${F_SOURCE})
	target_link_libraries(net_fuzz_${name}_replay PRIVATE par_static)
	target_include_directories(net_fuzz_${name}_replay PRIVATE ${PROJECT_SOURCE_DIR}/net
		${CMAKE_CURRENT_SOURCE_DIR})
	target_compile_definitions(net_fuzz_${name}_replay PRIVATE _GNU_SOURCE)
	add_test(NAME net.fuzz.${name}_replay COMMAND net_fuzz_${name}_replay ${F_CORPUS})
	set_tests_properties(net.fuzz.${name}_replay PROPERTIES LABELS "unit;fuzz" TIMEOUT 60)
	if(NOT PAR_CLANG OR PAR_NO_LIBFUZZER)
		return()
	endif()
	set(bin ${CMAKE_CURRENT_BINARY_DIR}/fuzz_${name}_libfuzzer)
	add_custom_command(OUTPUT ${bin}
		COMMAND ${PAR_CLANG} -g -O1 -std=gnu11 -D_GNU_SOURCE -DPAR_FUZZ_LIBFUZZER
			-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
			-I${PROJECT_SOURCE_DIR}/include -I${PROJECT_SOURCE_DIR}/net
			-I${CMAKE_CURRENT_SOURCE_DIR} ${F_SOURCE} ${F_LIB} -o ${bin}
		DEPENDS ${F_SOURCE} ${F_LIB} ${F_DEPENDS}
		COMMENT "libFuzzer target net_fuzz_${name} (clang)")
	add_custom_target(net_fuzz_${name} ALL DEPENDS ${bin})
	file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz_${name}_corpus)
	add_test(NAME net.fuzz.${name}
		COMMAND ${bin} -max_total_time=5 -rss_limit_mb=${F_RSS_MB} -max_len=4096
			${CMAKE_CURRENT_BINARY_DIR}/fuzz_${name}_corpus ${F_CORPUS})
	set_tests_properties(net.fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 60)
endfunction()

# The native codec's frame parser and decoders.
set(net_dir ${PROJECT_SOURCE_DIR}/net)
par_net_add_fuzz(frame SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_frame.c
	CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus
	LIB ${net_dir}/frame.c ${net_dir}/frame_status.c
	DEPENDS ${net_dir}/frame.h ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_replay.h)
