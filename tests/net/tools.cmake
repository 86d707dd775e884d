# The par-manager tool and the task master/worker examples, end to end.
add_test(NAME net.tool.par_manager
	COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_par_manager.sh $<TARGET_FILE:par-manager>)
set_tests_properties(net.tool.par_manager PROPERTIES LABELS unit TIMEOUT 90)
if(PAR_BUILD_EXAMPLES)
	add_test(NAME net.example.task_master_workers
		COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_task_example.sh
			$<TARGET_FILE:task_master> $<TARGET_FILE:task_worker>)
	set_tests_properties(net.example.task_master_workers PROPERTIES LABELS "example"
		TIMEOUT 90)
endif()
