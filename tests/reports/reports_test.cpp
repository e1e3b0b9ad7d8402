// Proves report.html is one self-contained page that escapes every string of the result,
// shows each part of it (header, assertions, charts' data, checker, events, capacity),
// survives empty and null-filled results, and that the suite index and write_reports work.
#include "fusebox/reports/reports.hpp"

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sample_result.hpp"

namespace fusebox::reports {
namespace {

using nlohmann::json;
using testing::sample_capacity_result;
using testing::sample_result;

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

// The JSON the page's script draws from.
json embedded_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"fusebox-data\">";
  const std::size_t from = html.find(open);
  EXPECT_NE(from, std::string::npos);
  const std::size_t start = from + open.size();
  return json::parse(html.substr(start, html.find("</script>", start) - start));
}

TEST(ReportHtmlTest, LoadsNothingFromOutside) {
  const std::string html = render_html(sample_capacity_result());
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("<iframe"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  // The library itself and its license notice are in the page.
  EXPECT_NE(html.find("Chart.js v"), std::string::npos);
  EXPECT_NE(html.find("window.Chart"), std::string::npos);
  EXPECT_NE(html.find("<!-- The charts below are drawn by Chart.js"), std::string::npos);
  EXPECT_NE(html.find("Permission is hereby granted"), std::string::npos);
  // Three scripts: data, library, page script; nothing closes one early.
  EXPECT_EQ(count_of(html, "<script"), 3U);
  EXPECT_EQ(count_of(html, "</script>"), 3U);
}

TEST(ReportHtmlTest, EscapesEveryStringFromTheResult) {
  json result = sample_result();
  result["description"] = "<script>alert('description')</script> & more";
  result["scenario"] = "evil\"<b>name";
  result["assertions"][0]["name"] = "<img onerror=x>";
  result["assertions"][2]["detail"] = "</td></tr></table><script>alert(2)</script>";
  result["checker"]["violations"][0]["message"] = "<script>alert(3)</script>";
  result["checker"]["violations"][0]["history"]["note"] = "</pre><script>alert(4)</script>";
  result["faults"][0]["name"] = "</script><script>alert(5)</script>";
  result["replay"] = "fusebox run 'a&b'";
  const std::string html = render_html(result);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img onerror"), std::string::npos);
  EXPECT_EQ(html.find("<b>name"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;description&#39;)&lt;/script&gt; &amp; more"),
            std::string::npos);
  EXPECT_NE(html.find("evil&quot;&lt;b&gt;name"), std::string::npos);
  EXPECT_NE(html.find("fusebox run &#39;a&amp;b&#39;"), std::string::npos);
  // Strings that only the chart data carries are escaped for a <script> element, and still
  // decode to what the result said.
  EXPECT_EQ(embedded_data(html)["windows"][0]["label"],
            "</script><script>alert(5)</script> (bank-a)");
  EXPECT_EQ(count_of(html, "</script>"), 3U);
}

TEST(ReportHtmlTest, HeaderShowsTheRunAndHowToReplayIt) {
  const std::string html = render_html(sample_result());
  EXPECT_NE(html.find("<span class=\"scenario\">channel-outage-isolation</span>"),
            std::string::npos);
  EXPECT_NE(html.find("A bank channel goes down for 10 s"), std::string::npos);
  EXPECT_NE(html.find("<dt>mode</dt><dd>live</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>seed</dt><dd>42</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>duration</dt><dd>25 s (scenario time)</dd>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"badge fail\">FAILED</span>"), std::string::npos);
  EXPECT_NE(html.find("<code>fusebox run scenarios/channel-outage-isolation.json --seed 42</code>"),
            std::string::npos);
  EXPECT_NE(html.find("<dt>settle period</dt><dd>5 s</dd>"), std::string::npos);
  EXPECT_NE(html.find("<li>GET /admin/breakers failed at t=7 s: timeout</li>"), std::string::npos);
  EXPECT_NE(html.find("<body data-rendered=\"pending\">"), std::string::npos);
}

// A sim run has no wall-clock facts; it shows its virtual time, its digest and what signed.
TEST(ReportHtmlTest, ASimRunShowsVirtualTimeAndItsTraceDigest) {
  json result = sample_result();
  result["mode"] = "sim";
  result.erase("started_at");
  result.erase("wall_s");
  result["sim"] = {{"trace_digest", "0123456789abcdef"},
                   {"events", 1000},
                   {"virtual_s", 31.5},
                   {"crypto", "hmac"}};
  const std::string html = render_html(result);
  EXPECT_NE(html.find("<dt>mode</dt><dd>sim</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>trace digest</dt><dd>0123456789abcdef</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>virtual time</dt><dd>31.5 s</dd>"), std::string::npos);
  EXPECT_EQ(html.find("<dt>started</dt>"), std::string::npos);
  EXPECT_NE(html.find("\"x_title\":\"virtual time (s)\""), std::string::npos);
}

TEST(ReportHtmlTest, SeedsPastDoublePrecisionStayExact) {
  json result = sample_result();
  result["seed"] = 18446744073709551557ULL;
  EXPECT_NE(render_html(result).find("<dt>seed</dt><dd>18446744073709551557</dd>"),
            std::string::npos);
}

TEST(ReportHtmlTest, AssertionTableHasOneRowPerAssertion) {
  const json result = sample_result();  // the loop must not range over a temporary
  const std::string html = render_html(result);
  EXPECT_NE(html.find("2 of 3 held."), std::string::npos);
  for (const json& assertion : result["assertions"]) {
    EXPECT_NE(html.find(assertion["name"].get<std::string>()), std::string::npos);
    EXPECT_NE(html.find(assertion["observed"].get<std::string>()), std::string::npos);
  }
  EXPECT_NE(html.find("orders final at the channel still PROCESSING: pay-17, pay-23"),
            std::string::npos);
}

TEST(ReportHtmlTest, OneCanvasPerChartSharingTheTimeAxisData) {
  const std::string html = render_html(sample_result());
  for (const char* id : {"chart-throughput-overall", "chart-throughput-0", "chart-throughput-1",
                         "chart-success-rate", "chart-latency", "chart-breaker", "chart-pending"}) {
    EXPECT_NE(html.find("<canvas id=\"" + std::string(id) + "\""), std::string::npos) << id;
  }
  EXPECT_EQ(count_of(html, "<canvas"), 7U);
  EXPECT_EQ(html.find("chart-capacity"), std::string::npos);  // not a capacity run

  const json data = embedded_data(html);
  EXPECT_EQ(data["t_s"].size(), 30U);
  EXPECT_EQ(data["x_max_s"], 30.0);
  ASSERT_EQ(data["channels"].size(), 2U);
  EXPECT_EQ(data["channels"][0]["name"], "bank-a");
  EXPECT_EQ(data["channels"][0]["series"]["breaker"][15], "open");
  EXPECT_TRUE(data["channels"][1]["series"]["p99_ms"][0].is_null());
  ASSERT_EQ(data["windows"].size(), 2U);
  EXPECT_EQ(data["windows"][0], json({{"kind", "fault"},
                                      {"label", "bank-outage (bank-a)"},
                                      {"from_s", 10.0},
                                      {"to_s", 20.0}}));
  EXPECT_EQ(data["windows"][1]["kind"], "action");
}

TEST(ReportHtmlTest, RendersWithoutTimelineAndWithNullsEverywhere) {
  json empty = sample_result();
  empty.erase("timeline");
  empty["faults"][0].erase("to_s");  // a fault still on at the end of the run
  const std::string html = render_html(empty);
  EXPECT_NE(html.find("has no per-second timeline"), std::string::npos);
  const json data = embedded_data(html);
  EXPECT_TRUE(data["t_s"].empty());
  EXPECT_EQ(data["windows"][0]["to_s"], 30.0);

  json nulls = sample_result();
  for (auto& [name, series] : nulls["timeline"]["channels"].items()) {
    for (auto& [key, values] : series.items()) {
      for (json& value : values)
        value = nullptr;
    }
  }
  EXPECT_TRUE(embedded_data(render_html(nulls))["channels"][0]["series"]["ok"][3].is_null());
}

TEST(ReportHtmlTest, SurvivesDocumentsThatAreNotResults) {
  EXPECT_NO_THROW((void)render_html(json::object()));
  EXPECT_NO_THROW((void)render_html(json::array({1, 2})));
  json odd = sample_result();
  odd["assertions"] = "not a list";
  odd["channels"]["bank-a"] = 5;
  odd["checker"]["violations"][0]["history"] = "\xff\xfe invalid utf-8";
  EXPECT_NO_THROW((void)render_html(odd));
}

TEST(ReportHtmlTest, CheckerFindingsListInvariantsDifferencesAndHistories) {
  const std::string html = render_html(sample_result());
  EXPECT_NE(html.find("Payment invariants <span class=\"badge fail\">VIOLATED</span>"),
            std::string::npos);
  EXPECT_NE(html.find("3000 orders and 40 refunds checked; 2 violations in all"),
            std::string::npos);
  EXPECT_NE(html.find("<td>no_double_charge</td><td>0</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>no_lost_payment</td><td>1</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>missing_at_gateway</td><td>1</td>"), std::string::npos);
  EXPECT_EQ(count_of(html, "<details class=\"violation\">"), 2U);
  // The checker's own counts cover every violation, not only the listed ones.
  json many = sample_result();
  many["checker"]["by_invariant"]["no_double_charge"] = 700;
  EXPECT_NE(render_html(many).find("<td>no_double_charge</td><td>700</td>"), std::string::npos);
  many["checker"].erase("by_invariant");
  EXPECT_NE(render_html(many).find("<td>no_lost_payment</td><td>1</td>"), std::string::npos);
  EXPECT_NE(html.find("&quot;status&quot;: &quot;PROCESSING&quot;"), std::string::npos);
}

TEST(ReportHtmlTest, EventsAlertsFaultsAndActionsAreTabled) {
  const std::string html = render_html(sample_result());
  EXPECT_NE(html.find("<td>closed &rarr; open</td><td>failure rate 100% &gt;= 50%</td>"),
            std::string::npos);
  EXPECT_NE(html.find("success_rate_below_0.9_over_5s"), std::string::npos);
  EXPECT_NE(html.find("firing</span>"), std::string::npos);
  EXPECT_NE(html.find("<td>operator switch-off</td><td>switch_off</td>"), std::string::npos);
}

TEST(ReportHtmlTest, CapacityRunsShowTheCurveKneeAndHeadroom) {
  const std::string html = render_html(sample_capacity_result());
  EXPECT_NE(html.find("<canvas id=\"chart-capacity\""), std::string::npos);
  EXPECT_NE(html.find("<dt>knee</dt><dd>400 TPS</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>headroom</dt><dd>1.25&times; the forecast (25%)</dd>"),
            std::string::npos);
  EXPECT_NE(html.find("p99 under 200 ms on bank-a at 500 TPS"), std::string::npos);
  EXPECT_EQ(count_of(html, "<span class=\"badge fail\">broke</span>"), 2U);
  const json data = embedded_data(html);
  EXPECT_EQ(data["capacity"]["steps"].size(), 6U);
  EXPECT_EQ(data["capacity"]["knee_tps"], 400);
}

TEST(ReportIndexTest, OneRowPerScenarioLinkingToItsReport) {
  json other = sample_result();
  other["scenario"] = "smoke <1>";
  other["passed"] = true;
  const std::string html = render_index_html({sample_result(), other});
  EXPECT_NE(html.find("<a href=\"channel-outage-isolation/report.html\">"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"smoke%20%3C1%3E/report.html\">smoke &lt;1&gt;</a>"),
            std::string::npos);
  EXPECT_NE(html.find("2 scenarios, 1 failed."), std::string::npos);
}

TEST(ReportWriteTest, WritesBothFilesIntoANewFolder) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("fusebox-reports-write-" + std::to_string(getpid())) /
                                    "nested";
  std::filesystem::remove_all(dir.parent_path());
  write_reports(sample_result(), dir);
  std::ifstream html(dir / "report.html");
  std::ifstream xml(dir / "junit.xml");
  std::stringstream html_text;
  std::stringstream xml_text;
  html_text << html.rdbuf();
  xml_text << xml.rdbuf();
  EXPECT_EQ(html_text.str(), render_html(sample_result()));
  EXPECT_EQ(xml_text.str(), render_junit({sample_result()}));
  std::filesystem::remove_all(dir.parent_path());
}

TEST(ReportSampleTest, SampleFileIsTheHelpersResultAndValid) {
  const std::filesystem::path path =
      std::filesystem::path(FUSEBOX_SOURCE_DIR) / "tests/reports/sample_result.json";
  if (std::getenv("FUSEBOX_UPDATE_SAMPLE") != nullptr) {
    std::ofstream(path) << sample_result().dump(2) << "\n";
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << path << " missing; run with FUSEBOX_UPDATE_SAMPLE=1 to write it";
  const json saved = json::parse(in);
  EXPECT_EQ(saved, sample_result()) << "run with FUSEBOX_UPDATE_SAMPLE=1 to rewrite it";
  EXPECT_EQ(check_result(saved), "");
  EXPECT_EQ(check_result(sample_capacity_result()), "");
}

}  // namespace
}  // namespace fusebox::reports
