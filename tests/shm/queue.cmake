# Queue and Pipe tests, and the exec'd peer that opens a queue by name.
add_executable(par_test_queue_peer helpers/queue_peer.c)
target_link_libraries(par_test_queue_peer PRIVATE par)
target_include_directories(par_test_queue_peer PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/helpers)

par_add_test(shm test_queue.c LABELS unit)
