// JUnit XML: the shape CI servers (Jenkins, GitLab, GitHub test reporters) read. One
// <testsuite> per result, one <testcase> per assertion plus one for the checker, the seed in
// every test name so a failure names the run that replays it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fusebox/reports/reports.hpp"

#include "text.hpp"

namespace fusebox::reports {
namespace {

using detail::display;
using detail::field;
using detail::string_field;
using detail::xml_escape;

struct SuiteCounts {
  std::size_t tests = 0;
  std::size_t failures = 0;
};

std::size_t violation_count(const nlohmann::json& result) {
  const nlohmann::json& checker = field(result, "checker");
  const nlohmann::json& count = field(checker, "violation_count");
  if (count.is_number_unsigned()) return count.get<std::size_t>();
  if (count.is_number_integer())
    return count.get<std::int64_t>() > 0 ? count.get<std::size_t>() : 0;
  const nlohmann::json& violations = field(checker, "violations");
  return violations.is_array() ? violations.size() : 0;
}

SuiteCounts count_cases(const nlohmann::json& result) {
  SuiteCounts counts;
  const nlohmann::json& assertions = field(result, "assertions");
  if (assertions.is_array()) {
    for (const nlohmann::json& assertion : assertions) {
      ++counts.tests;
      if (!detail::bool_field(assertion, "passed")) ++counts.failures;
    }
  }
  ++counts.tests;  // the checker's testcase
  if (violation_count(result) > 0) ++counts.failures;
  if (detail::bool_field(result, "interrupted")) {  // the "run completed" testcase
    ++counts.tests;
    ++counts.failures;
  }
  return counts;
}

std::string system_out(const nlohmann::json& result) {
  const std::string replay = string_field(result, "replay");
  if (replay.empty()) return "";
  return "      <system-out>replay: " + xml_escape(replay) + "</system-out>\n";
}

std::string testcase_open(const std::string& name, const nlohmann::json& result) {
  return "    <testcase name=\"" + xml_escape(name + " [seed " + detail::seed_text(result) + "]") +
         "\" classname=\"" + xml_escape("fusebox." + string_field(result, "scenario")) +
         "\" time=\"0\">\n";
}

std::string assertion_case(const nlohmann::json& assertion, const nlohmann::json& result) {
  std::string xml = testcase_open(string_field(assertion, "name"), result);
  if (!detail::bool_field(assertion, "passed")) {
    const std::string message = "expected " + string_field(assertion, "expected") + ", observed " +
                                string_field(assertion, "observed");
    std::string body = string_field(assertion, "detail");
    const std::string window = string_field(assertion, "window");
    if (!window.empty()) body += (body.empty() ? "" : "\n") + ("window: " + window);
    xml += "      <failure message=\"" + xml_escape(message) + "\" type=\"" +
           xml_escape(string_field(assertion, "kind").empty() ? "assertion"
                                                              : string_field(assertion, "kind")) +
           "\">" + xml_escape(body) + "</failure>\n";
  }
  return xml + system_out(result) + "    </testcase>\n";
}

// The checker's testcase lists the first violations in its body: enough to see what kind of
// bug it is without opening report.html.
std::string checker_case(const nlohmann::json& result) {
  constexpr std::size_t kListed = 20;
  std::string xml = testcase_open("checker invariants", result);
  const std::size_t count = violation_count(result);
  if (count > 0) {
    std::string body;
    const nlohmann::json& violations = field(field(result, "checker"), "violations");
    const std::size_t listed = violations.is_array() ? std::min(violations.size(), kListed) : 0;
    for (std::size_t i = 0; i < listed; ++i) {
      const nlohmann::json& violation = violations[i];
      body += string_field(violation, "invariant") + " " + string_field(violation, "order_id") +
              " (" + string_field(violation, "channel") +
              "): " + string_field(violation, "message") + "\n";
    }
    xml += "      <failure message=\"" +
           xml_escape(std::to_string(count) + " invariant violation" + (count == 1 ? "" : "s")) +
           "\" type=\"invariant\">" + xml_escape(body) + "</failure>\n";
  }
  return xml + system_out(result) + "    </testcase>\n";
}

// An interrupted run fails even when every assertion it judged held: its figures are partial.
std::string interrupted_case(const nlohmann::json& result) {
  if (!detail::bool_field(result, "interrupted")) return "";
  std::string problems;
  for (const nlohmann::json& problem : detail::array_field(result, "problems")) {
    problems += display(problem) + "\n";
  }
  return testcase_open("run completed", result) +
         "      <failure message=\"the run was interrupted\" type=\"interrupted\">" +
         xml_escape(problems) + "</failure>\n" + system_out(result) + "    </testcase>\n";
}

std::string properties(const nlohmann::json& result) {
  std::string xml = "    <properties>\n";
  for (const char* name : {"seed", "mode", "file", "replay", "started_at"}) {
    const nlohmann::json& value = field(result, name);
    if (value.is_null()) continue;
    xml += "      <property name=\"" + std::string(name) + "\" value=\"" +
           xml_escape(display(value)) + "\"/>\n";
  }
  return xml + "    </properties>\n";
}

std::string testsuite(const nlohmann::json& result, const SuiteCounts& counts) {
  std::string xml = "  <testsuite name=\"" + xml_escape(string_field(result, "scenario")) +
                    "\" tests=\"" + std::to_string(counts.tests) + "\" failures=\"" +
                    std::to_string(counts.failures) + "\" errors=\"0\" skipped=\"0\" time=\"" +
                    detail::format_fixed(detail::number_field(result, "duration_s"), 3) + "\"";
  const std::string started_at = string_field(result, "started_at");
  if (!started_at.empty()) xml += " timestamp=\"" + xml_escape(started_at) + "\"";
  xml += ">\n" + properties(result);
  const nlohmann::json& assertions = field(result, "assertions");
  if (assertions.is_array()) {
    for (const nlohmann::json& assertion : assertions)
      xml += assertion_case(assertion, result);
  }
  return xml + checker_case(result) + interrupted_case(result) + "  </testsuite>\n";
}

}  // namespace

std::string render_junit(const std::vector<nlohmann::json>& results) {
  SuiteCounts total;
  double time_s = 0;
  std::string suites;
  for (const nlohmann::json& result : results) {
    const SuiteCounts counts = count_cases(result);
    total.tests += counts.tests;
    total.failures += counts.failures;
    time_s += detail::number_field(result, "duration_s");
    suites += testsuite(result, counts);
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"fusebox\" tests=\"" +
         std::to_string(total.tests) + "\" failures=\"" + std::to_string(total.failures) +
         "\" errors=\"0\" time=\"" + detail::format_fixed(time_s, 3) + "\">\n" + suites +
         "</testsuites>\n";
}

}  // namespace fusebox::reports
