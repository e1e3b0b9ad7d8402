# The assertion judge: a run's observation against a scenario's assertions (pure).
add_executable(fusebox_assertions_tests harness/assertions_test.cpp)
target_link_libraries(fusebox_assertions_tests PRIVATE
  fusebox_harness_assert GTest::gtest_main fusebox_warnings)
gtest_discover_tests(fusebox_assertions_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
