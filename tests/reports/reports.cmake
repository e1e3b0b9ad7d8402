# The reports library: JUnit XML, the self-contained HTML report, the suite index, result
# comparisons and result checks; plus report.html rendered in headless Chromium.
find_program(FUSEBOX_CHROMIUM NAMES chromium chromium-browser google-chrome
             DOC "Chromium, for the headless render test of report.html")
add_executable(fusebox_reports_tests
  reports/sample_result.cpp
  reports/reports_test.cpp
  reports/junit_test.cpp
  reports/compare_test.cpp
  reports/result_check_test.cpp
  reports/headless_test.cpp)
target_link_libraries(fusebox_reports_tests PRIVATE
  fusebox_reports pugixml::pugixml GTest::gtest_main fusebox_warnings)
target_compile_definitions(fusebox_reports_tests PRIVATE
  FUSEBOX_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  FUSEBOX_CHROMIUM="$<IF:$<BOOL:${FUSEBOX_CHROMIUM}>,${FUSEBOX_CHROMIUM},>")
gtest_discover_tests(fusebox_reports_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
