// Proves check_result accepts a complete result and names the JSON path of the first bad
// field for each way a document can fail: a missing or mistyped required field, a wrong
// schema or mode, a bad element, a timeline series of the wrong length or content.
#include <string>

#include <gtest/gtest.h>

#include "fusebox/reports/reports.hpp"

#include "sample_result.hpp"

namespace fusebox::reports {
namespace {

using nlohmann::json;
using testing::sample_result;

TEST(ResultCheckTest, AcceptsACompleteResult) { EXPECT_EQ(check_result(sample_result()), ""); }

TEST(ResultCheckTest, NamesEachMissingRequiredField) {
  const std::pair<const char*, const char*> fields[] = {
      {"schema", "/schema: missing, expected a string"},
      {"scenario", "/scenario: missing, expected a non-empty string"},
      {"mode", "/mode: missing, expected a string"},
      {"seed", "/seed: missing, expected a non-negative integer"},
      {"passed", "/passed: missing, expected a boolean"},
      {"duration_s", "/duration_s: missing, expected a number >= 0"},
      {"assertions", "/assertions: missing, expected an array"},
      {"checker", "/checker: missing, expected an object"}};
  for (const auto& [name, message] : fields) {
    json result = sample_result();
    result.erase(name);
    EXPECT_EQ(check_result(result), message) << name;
  }
  json result = sample_result();
  result["checker"].erase("violations");
  EXPECT_EQ(check_result(result), "/checker/violations: missing, expected an array");
}

TEST(ResultCheckTest, NamesTheFirstMistypedField) {
  json result = sample_result();
  result["assertions"][2]["passed"] = "yes";
  EXPECT_EQ(check_result(result), "/assertions/2/passed: expected a boolean, got a string");
  result["assertions"][1]["name"] = "";
  EXPECT_EQ(check_result(result), "/assertions/1/name: expected a non-empty string, got a string");
  result = sample_result();
  result["seed"] = -1;
  EXPECT_EQ(check_result(result), "/seed: expected a non-negative integer, got a number");
  result["seed"] = 1.5;
  EXPECT_EQ(check_result(result), "/seed: expected a non-negative integer, got a number");
  result = sample_result();
  result["duration_s"] = nullptr;
  EXPECT_EQ(check_result(result), "/duration_s: expected a number >= 0, got null");
  result = sample_result();
  result["assertions"][0] = 3;
  EXPECT_EQ(check_result(result), "/assertions/0: expected an object, got a number");
  result = sample_result();
  result["checker"]["violations"][1]["invariant"] = 8;
  EXPECT_EQ(check_result(result),
            "/checker/violations/1/invariant: expected a non-empty string, got a number");
  result = sample_result();
  result["faults"] = json::object();
  EXPECT_EQ(check_result(result), "/faults: expected an array, got an object");
}

TEST(ResultCheckTest, RejectsOtherSchemasModesAndDocuments) {
  json result = sample_result();
  result["schema"] = "fusebox.result/2";
  EXPECT_EQ(check_result(result),
            "/schema: expected \"fusebox.result/1\", got \"fusebox.result/2\"");
  result = sample_result();
  result["mode"] = "fast";
  EXPECT_EQ(check_result(result), "/mode: expected \"live\" or \"sim\", got \"fast\"");
  EXPECT_EQ(check_result(json::array()), "(document): expected an object, got an array");
}

TEST(ResultCheckTest, TimelineSeriesMatchTheTimeAxis) {
  json result = sample_result();
  result["timeline"]["channels"]["bank-a"]["ok"].erase(0);
  EXPECT_EQ(check_result(result),
            "/timeline/channels/bank-a/ok: expected 30 values (one per t_s), got 29");
  result = sample_result();
  result["timeline"]["overall"]["p99_ms"][4] = "slow";
  EXPECT_EQ(check_result(result),
            "/timeline/overall/p99_ms/4: expected a number or null, got \"slow\"");
  result = sample_result();
  result["timeline"]["channels"]["wallet-json"]["breaker"][3] = "ajar";
  EXPECT_EQ(check_result(result),
            "/timeline/channels/wallet-json/breaker/3: expected \"closed\", \"open\", "
            "\"half_open\", \"switched_off\" or null, got \"ajar\"");
  result = sample_result();
  result["timeline"]["channels"]["a/b~c"] = result["timeline"]["channels"]["bank-a"];
  result["timeline"]["channels"]["a/b~c"]["sent"] = json::array();
  EXPECT_EQ(check_result(result),
            "/timeline/channels/a~1b~0c/sent: expected 30 values (one per t_s), got 0");
  result = sample_result();
  result["timeline"] = {{"t_s", json::array()}};
  EXPECT_EQ(check_result(result), "");
}

}  // namespace
}  // namespace fusebox::reports
