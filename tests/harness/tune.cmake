# `fusebox tune`: parameters, candidates, metrics from hand-made results, the Pareto front and
# the search over fake runners on several threads.
add_executable(fusebox_tune_tests harness/tune_test.cpp)
target_link_libraries(fusebox_tune_tests PRIVATE
  fusebox_harness_tune Threads::Threads GTest::gtest_main fusebox_warnings)
gtest_discover_tests(fusebox_tune_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
