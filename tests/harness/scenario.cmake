# Scenario files: loading, schema and semantic checks, windows, time scaling, the shipped
# scenarios and their JSON Schema.
add_executable(fusebox_scenario_tests harness/scenario_test.cpp)
target_link_libraries(fusebox_scenario_tests PRIVATE
  fusebox_harness_scenario GTest::gtest_main fusebox_warnings)
target_compile_definitions(fusebox_scenario_tests PRIVATE
  FUSEBOX_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(fusebox_scenario_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
