// Proves compare_results flags each regression rule (assertion now failing, success rate
// down > 0.5 points, p99 up > 20%, TPS down > 5%, new violations, capacity lost) just past
// its threshold and not just before it, and never on identical results.
#include <string>

#include <gtest/gtest.h>

#include "fusebox/reports/reports.hpp"

#include "sample_result.hpp"

namespace fusebox::reports {
namespace {

using nlohmann::json;
using testing::sample_capacity_result;
using testing::sample_result;

json regressed_rows(const json& comparison) {
  json rows = json::array();
  for (const json& row : comparison["rows"]) {
    if (row["regressed"].get<bool>()) rows.push_back(row);
  }
  return rows;
}

TEST(CompareTest, IdenticalResultsNeverRegress) {
  for (const json& result : {sample_result(), sample_capacity_result()}) {
    const json comparison = compare_results(result, result);
    EXPECT_FALSE(comparison["regressed"].get<bool>()) << comparison.dump(2);
    EXPECT_TRUE(comparison["regressions"].empty());
    EXPECT_FALSE(comparison["rows"].empty());
    EXPECT_FALSE(comparison.contains("warning"));
  }
}

TEST(CompareTest, AssertionThatNowFailsRegresses) {
  const json a = sample_result();
  json b = a;
  b["assertions"][0]["passed"] = false;
  b["assertions"][0]["observed"] = "0.900";
  const json comparison = compare_results(a, b);
  EXPECT_TRUE(comparison["regressed"].get<bool>());
  const json rows = regressed_rows(comparison);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0]["section"], "assertion");
  EXPECT_EQ(rows[0]["name"], "wallet unaffected");
  EXPECT_EQ(rows[0]["a"], "pass: 0.980 (490 of 500)");
  EXPECT_EQ(rows[0]["b"], "FAIL: 0.900");
  // Failing in both runs, or fixed in B, is no regression.
  EXPECT_FALSE(compare_results(b, a)["regressed"].get<bool>());
}

TEST(CompareTest, SuccessRateDropPastHalfAPointRegresses) {
  const json a = sample_result();
  json b = a;
  b["channels"]["wallet-json"]["success_rate"] = 0.98 - 0.004;
  EXPECT_FALSE(compare_results(a, b)["regressed"].get<bool>());
  b["channels"]["wallet-json"]["success_rate"] = 0.98 - 0.006;
  const json rows = regressed_rows(compare_results(a, b));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0]["name"], "wallet-json");
  EXPECT_EQ(rows[0]["metric"], "success_rate");
}

TEST(CompareTest, P99GrowthPastTwentyPercentRegresses) {
  const json a = sample_result();
  json b = a;
  b["channels"]["wallet-json"]["latency_ms"]["p99"] = 60.0 * 1.19;
  EXPECT_FALSE(compare_results(a, b)["regressed"].get<bool>());
  b["channels"]["wallet-json"]["latency_ms"]["p99"] = 60.0 * 1.21;
  b["load"]["latency_ms"]["p99"] = 250.0 * 1.5;
  const json rows = regressed_rows(compare_results(a, b));
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0]["section"], "load");
  EXPECT_EQ(rows[0]["metric"], "p99_ms");
  EXPECT_EQ(rows[1]["name"], "wallet-json");
}

TEST(CompareTest, ThroughputDropPastFivePercentRegresses) {
  const json a = sample_result();
  json b = a;
  b["load"]["achieved_tps"] = 99.7 * 0.96;
  EXPECT_FALSE(compare_results(a, b)["regressed"].get<bool>());
  b["load"]["achieved_tps"] = 99.7 * 0.94;
  const json rows = regressed_rows(compare_results(a, b));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0]["metric"], "achieved_tps");
}

TEST(CompareTest, NewCheckerViolationsRegress) {
  json a = sample_result();
  json b = a;
  b["checker"]["violation_count"] = 3;
  const json rows = regressed_rows(compare_results(a, b));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0]["section"], "checker");
  EXPECT_EQ(rows[0]["rule"], "new checker violations");
  EXPECT_FALSE(compare_results(b, a)["regressed"].get<bool>());  // fewer is better
}

TEST(CompareTest, LowerCapacityRegresses) {
  const json a = sample_capacity_result();
  json b = a;
  b["capacity"]["max_tps_held"] = 300;
  const json rows = regressed_rows(compare_results(a, b));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0]["section"], "capacity");
}

TEST(CompareTest, DifferentScenariosAreFlagged) {
  json b = sample_result();
  b["scenario"] = "smoke";
  EXPECT_EQ(compare_results(sample_result(), b)["warning"],
            "the two results are of different scenarios");
}

TEST(CompareTest, TextTableNamesEachRegressionAndTheVerdict) {
  const json a = sample_result();
  json b = a;
  b["channels"]["bank-a"]["success_rate"] = 0.5;
  const std::string text = render_comparison_text(compare_results(a, b));
  EXPECT_NE(text.find("A: channel-outage-isolation seed 42 (live, failed)"), std::string::npos);
  EXPECT_NE(text.find("channel bank-a success_rate"), std::string::npos);
  EXPECT_NE(text.find("REGRESSED"), std::string::npos);
  EXPECT_NE(text.find("1 regression in B:\n  - channel bank-a success_rate: success rate down "
                      "by more than 0.5 points (A 0.667, B 0.5)"),
            std::string::npos)
      << text;
  EXPECT_NE(render_comparison_text(compare_results(a, a)).find("No regression"), std::string::npos);
}

}  // namespace
}  // namespace fusebox::reports
