# The par-manager tool and the task master/worker examples, end to end, on
# each backend (PAR_NET_BACKEND).
foreach(b IN LISTS PAR_NET_BACKENDS)
	add_test(NAME net.tool.${b}.par_manager
		COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_par_manager.sh $<TARGET_FILE:par-manager>)
	set_tests_properties(net.tool.${b}.par_manager PROPERTIES LABELS unit TIMEOUT 90
		ENVIRONMENT PAR_NET_BACKEND=${b} SKIP_RETURN_CODE 77)
	if(PAR_BUILD_EXAMPLES)
		add_test(NAME net.example.${b}.task_master_workers
			COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_task_example.sh
				$<TARGET_FILE:task_master> $<TARGET_FILE:task_worker>)
		set_tests_properties(net.example.${b}.task_master_workers PROPERTIES
			LABELS example TIMEOUT 90 ENVIRONMENT PAR_NET_BACKEND=${b}
			SKIP_RETURN_CODE 77)
	endif()
endforeach()
