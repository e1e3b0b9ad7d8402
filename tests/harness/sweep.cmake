# Seed sweeps: drawing varied fault schedules, running seeds on a pool of threads, the
# shrinker and `fusebox sweep`'s output and exit codes, all against fake runners.
add_executable(fusebox_sweep_tests harness/sweep_test.cpp)
target_link_libraries(fusebox_sweep_tests PRIVATE
  fusebox_harness_sweep GTest::gtest_main fusebox_warnings)
gtest_discover_tests(fusebox_sweep_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
