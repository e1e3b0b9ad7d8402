// Proves junit.xml is well-formed JUnit that CI servers read: one suite per result, one case
// per assertion and one for the checker, the seed in every name, failures with expected and
// observed, the replay command, and every string escaped.
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "fusebox/reports/reports.hpp"

#include "sample_result.hpp"

namespace fusebox::reports {
namespace {

using nlohmann::json;
using testing::sample_result;

pugi::xml_document parse(const std::string& xml) {
  pugi::xml_document document;
  const pugi::xml_parse_result parsed = document.load_string(xml.c_str());
  EXPECT_TRUE(parsed) << parsed.description() << " at offset " << parsed.offset << "\n" << xml;
  return document;
}

pugi::xml_node testcase(const pugi::xml_document& document, const std::string& name) {
  return document.select_node(("//testcase[@name=\"" + name + "\"]").c_str()).node();
}

TEST(JunitTest, OneSuitePerResultWithCounts) {
  const pugi::xml_document document = parse(render_junit({sample_result()}));
  const pugi::xml_node suites = document.child("testsuites");
  ASSERT_TRUE(suites);
  EXPECT_STREQ(suites.attribute("tests").value(), "4");
  EXPECT_STREQ(suites.attribute("failures").value(), "2");
  const pugi::xml_node suite = suites.child("testsuite");
  EXPECT_STREQ(suite.attribute("name").value(), "channel-outage-isolation");
  EXPECT_STREQ(suite.attribute("tests").value(), "4");
  EXPECT_STREQ(suite.attribute("failures").value(), "2");
  EXPECT_STREQ(suite.attribute("errors").value(), "0");
  EXPECT_STREQ(suite.attribute("time").value(), "25.000");
  EXPECT_STREQ(suite.attribute("timestamp").value(), "2026-12-01T00:00:00Z");
  EXPECT_STREQ(
      suite.select_node("properties/property[@name='seed']").node().attribute("value").value(),
      "42");
  EXPECT_EQ(std::distance(suite.children("testcase").begin(), suite.children("testcase").end()), 4);
}

TEST(JunitTest, CasesCarryTheSeedAndTheScenarioAsClass) {
  const pugi::xml_document document = parse(render_junit({sample_result()}));
  const pugi::xml_node passed = testcase(document, "wallet unaffected [seed 42]");
  ASSERT_TRUE(passed);
  EXPECT_STREQ(passed.attribute("classname").value(), "fusebox.channel-outage-isolation");
  EXPECT_FALSE(passed.child("failure"));
  EXPECT_STREQ(passed.child_value("system-out"),
               "replay: fusebox run scenarios/channel-outage-isolation.json --seed 42");
}

TEST(JunitTest, FailedAssertionSaysExpectedAndObserved) {
  const pugi::xml_document document = parse(render_junit({sample_result()}));
  const pugi::xml_node failed = testcase(document, "every order settled [seed 42]");
  ASSERT_TRUE(failed);
  const pugi::xml_node failure = failed.child("failure");
  ASSERT_TRUE(failure);
  EXPECT_STREQ(failure.attribute("message").value(), "expected 0 unsettled, observed 2 unsettled");
  EXPECT_STREQ(failure.attribute("type").value(), "settled");
  EXPECT_EQ(
      std::string(failure.child_value()),
      "orders final at the channel still PROCESSING: pay-17, pay-23\nwindow: fault end + 5 s");
  EXPECT_NE(std::string(failed.child_value("system-out")).find("--seed 42"), std::string::npos);
}

TEST(JunitTest, CheckerCaseFailsOnlyOnViolations) {
  const pugi::xml_document failing = parse(render_junit({sample_result()}));
  const pugi::xml_node checker = testcase(failing, "checker invariants [seed 42]");
  ASSERT_TRUE(checker);
  EXPECT_STREQ(checker.child("failure").attribute("message").value(), "2 invariant violations");
  EXPECT_NE(std::string(checker.child("failure").child_value()).find("no_lost_payment pay-17"),
            std::string::npos);

  json clean = sample_result();
  clean["checker"]["violations"] = json::array();
  clean["checker"]["violation_count"] = 0;
  const pugi::xml_document passing = parse(render_junit({clean}));
  ASSERT_TRUE(testcase(passing, "checker invariants [seed 42]"));
  EXPECT_FALSE(testcase(passing, "checker invariants [seed 42]").child("failure"));
  EXPECT_STREQ(passing.child("testsuites").attribute("failures").value(), "1");
}

TEST(JunitTest, EscapesEveryStringAndDropsWhatXmlCannotCarry) {
  json result = sample_result();
  result["scenario"] = "a<b>&\"c'";
  result["assertions"][0]["name"] = "x < y && \"z\"";
  result["assertions"][2]["expected"] = "<= 1 & > 0";
  result["assertions"][2]["detail"] = "]]> </failure> \x01 bell\x07";
  result["replay"] = "fusebox run 'a b' --out \"x<y\"";
  const pugi::xml_document document = parse(render_junit({result}));
  EXPECT_STREQ(document.child("testsuites").child("testsuite").attribute("name").value(),
               "a<b>&\"c'");
  // The name has a double quote, which an XPath literal cannot hold: look it up by hand.
  bool found = false;
  for (const pugi::xml_node node :
       document.child("testsuites").child("testsuite").children("testcase")) {
    if (std::string(node.attribute("name").value()) == "x < y && \"z\" [seed 42]") found = true;
    EXPECT_STREQ(node.attribute("classname").value(), "fusebox.a<b>&\"c'");
  }
  EXPECT_TRUE(found);
  const pugi::xml_node failure =
      testcase(document, "every order settled [seed 42]").child("failure");
  EXPECT_STREQ(failure.attribute("message").value(), "expected <= 1 & > 0, observed 2 unsettled");
  EXPECT_NE(std::string(failure.child_value()).find("]]> </failure> \xEF\xBF\xBD bell\xEF\xBF\xBD"),
            std::string::npos);
}

TEST(JunitTest, AnInterruptedRunFailsItsOwnCase) {
  json result = sample_result();
  EXPECT_FALSE(testcase(parse(render_junit({result})), "run completed [seed 42]"));
  result["interrupted"] = true;
  const pugi::xml_document document = parse(render_junit({result}));
  const pugi::xml_node completed = testcase(document, "run completed [seed 42]");
  ASSERT_TRUE(completed);
  EXPECT_STREQ(completed.child("failure").attribute("message").value(), "the run was interrupted");
  EXPECT_STREQ(completed.child("failure").child_value(),
               "GET /admin/breakers failed at t=7 s: timeout\n");
  EXPECT_STREQ(document.child("testsuites").attribute("tests").value(), "5");
  EXPECT_STREQ(document.child("testsuites").attribute("failures").value(), "3");
}

TEST(JunitTest, SeveralResultsMakeSeveralSuites) {
  json second = sample_result();
  second["scenario"] = "smoke";
  second["seed"] = 7;
  second["assertions"] = json::array();
  second["checker"]["violations"] = json::array();
  second["checker"]["violation_count"] = 0;
  const pugi::xml_document document = parse(render_junit({sample_result(), second}));
  const pugi::xml_node suites = document.child("testsuites");
  EXPECT_STREQ(suites.attribute("tests").value(), "5");
  EXPECT_STREQ(suites.attribute("failures").value(), "2");
  EXPECT_STREQ(suites.attribute("time").value(), "50.000");
  EXPECT_TRUE(testcase(document, "checker invariants [seed 7]"));
  EXPECT_TRUE(parse(render_junit({})).child("testsuites"));
}

}  // namespace
}  // namespace fusebox::reports
