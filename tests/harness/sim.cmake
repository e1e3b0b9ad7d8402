# Sim mode, in process: determinism of every shipped scenario, pinned across builds.
add_executable(fusebox_sim_tests harness/sim_test.cpp)
target_link_libraries(fusebox_sim_tests PRIVATE
  fusebox_harness_sim fusebox_harness_scenario GTest::gtest_main fusebox_warnings)
target_compile_definitions(fusebox_sim_tests PRIVATE FUSEBOX_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(fusebox_sim_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 600)

# The sim parts freeing the gateway and the models once the final books are read.
add_executable(fusebox_sim_parts_tests harness/sim_parts_test.cpp)
target_link_libraries(fusebox_sim_parts_tests PRIVATE
  fusebox_harness_sim fusebox_harness_run fusebox_gateway fusebox_simulator fusebox_net
  fusebox_harness_scenario GTest::gtest_main fusebox_warnings)
target_compile_definitions(fusebox_sim_parts_tests PRIVATE FUSEBOX_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(fusebox_sim_parts_tests DISCOVERY_TIMEOUT 60)
