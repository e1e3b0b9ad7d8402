# The load generator: the arrival plan and the recorder (pure), and the live engine over
# loopback against a fake merchant API.
add_executable(fusebox_load_tests
  harness/load_test.cpp
  harness/load_recorder_test.cpp
  harness/load_scan_test.cpp
  harness/load_live_test.cpp)
target_include_directories(fusebox_load_tests PRIVATE ${PROJECT_SOURCE_DIR}/harness/load)
target_link_libraries(fusebox_load_tests PRIVATE
  fusebox_harness_load fusebox_net nlohmann_json::nlohmann_json GTest::gtest_main
  fusebox_warnings fusebox_determinism)
gtest_discover_tests(fusebox_load_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
