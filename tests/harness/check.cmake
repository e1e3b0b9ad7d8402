# The payment-consistency checker: pure, so every invariant is proved on hand-built books.
add_executable(fusebox_checker_tests harness/checker_test.cpp)
target_link_libraries(fusebox_checker_tests PRIVATE
  fusebox_harness_check GTest::gtest_main fusebox_warnings)
gtest_discover_tests(fusebox_checker_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
