// Proves report.html renders in a real browser: headless Chromium loads the page from disk
// with no network, runs the inlined Chart.js and the page's script, and the dumped DOM says
// data-rendered="ok" with every chart canvas drawn, for a full capacity result and for one
// with no timeline and one whose series are all null.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "fusebox/reports/reports.hpp"

#include "sample_result.hpp"

namespace fusebox::reports {
namespace {

using nlohmann::json;

class HeadlessChromiumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("fusebox-headless-" + std::to_string(getpid()) + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The DOM after the page's scripts ran. Chromium is bounded by `timeout`; the profile
  // lives in this test's folder; --no-sandbox because CI runs as root.
  std::string dump_dom(const json& result) {
    write_reports(result, dir_);
    return dump_page(dir_ / "report.html");
  }

  std::string dump_page(const std::filesystem::path& page) {
    const std::string chromium = FUSEBOX_CHROMIUM;
    if (chromium.empty()) {
      ADD_FAILURE() << "chromium not found at configure time: run scripts/install-deps.sh";
      return "";
    }
    const std::string command =
        "timeout 90 '" + chromium +
        "' --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
        "--no-default-browser-check --disable-extensions --user-data-dir='" +
        (dir_ / "profile").string() + "' --virtual-time-budget=10000 --dump-dom 'file://" +
        page.string() + "' 2>'" + (dir_ / "chromium.log").string() + "'";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
      ADD_FAILURE() << "cannot start: " << command;
      return "";
    }
    std::string dom;
    std::array<char, 65536> buffer{};
    for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) {
      dom.append(buffer.data(), n);
    }
    const int status = pclose(pipe);
    if (status != 0 || dom.empty()) {
      std::ifstream log(dir_ / "chromium.log");
      std::stringstream text;
      text << log.rdbuf();
      ADD_FAILURE() << "chromium exited with status " << status << "\n" << text.str();
    }
    return dom;
  }

  std::filesystem::path dir_;
};

std::vector<std::string> canvas_ids(const std::string& html) {
  std::vector<std::string> ids;
  const std::regex canvas("<canvas id=\"([a-z0-9-]+)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), canvas);
       it != std::sregex_iterator(); ++it) {
    ids.push_back((*it)[1]);
  }
  return ids;
}

void expect_rendered(const std::string& dom, const std::vector<std::string>& ids) {
  std::smatch rendered;
  ASSERT_TRUE(std::regex_search(dom, rendered, std::regex("<body data-rendered=\"([^\"]*)\"")))
      << dom.substr(0, 2000);
  EXPECT_EQ(rendered[1], "ok");
  ASSERT_FALSE(ids.empty());
  for (const std::string& id : ids) {
    const std::regex drawn("<canvas id=\"" + id + "\"[^>]*data-drawn=\"yes\"");
    EXPECT_TRUE(std::regex_search(dom, drawn)) << id << " was not drawn";
  }
}

TEST_F(HeadlessChromiumTest, FullCapacityReportRendersEveryChart) {
  const json result = testing::sample_capacity_result();
  const std::vector<std::string> ids = canvas_ids(render_html(result));
  EXPECT_EQ(ids.size(), 8U);
  expect_rendered(dump_dom(result), ids);
}

TEST_F(HeadlessChromiumTest, EmptyTimelineAndNullSeriesRender) {
  json empty = testing::sample_result();
  empty.erase("timeline");
  expect_rendered(dump_dom(empty), canvas_ids(render_html(empty)));

  json nulls = testing::sample_capacity_result();
  for (auto& [name, series] : nulls["timeline"]["channels"].items()) {
    for (auto& [key, values] : series.items()) {
      for (json& value : values)
        value = nullptr;
    }
  }
  for (json& step : nulls["capacity"]["steps"])
    step["p99_ms"] = nullptr;
  nulls["capacity"]["knee_tps"] = nullptr;
  expect_rendered(dump_dom(nulls), canvas_ids(render_html(nulls)));
}

TEST_F(HeadlessChromiumTest, AScriptErrorIsReportedNotHidden) {
  // A chart the page's script does not know must turn into data-rendered="error: ...", so
  // the two tests above could fail.
  std::string html = render_html(testing::sample_result());
  const std::string canvas = "<canvas id=\"chart-pending\" data-chart=\"pending\"";
  const std::size_t at = html.find(canvas);
  ASSERT_NE(at, std::string::npos);
  html.replace(at, canvas.size(), "<canvas id=\"chart-pending\" data-chart=\"bogus\"");
  std::ofstream(dir_ / "bogus.html") << html;
  const std::string dom = dump_page(dir_ / "bogus.html");
  EXPECT_NE(dom.find("data-rendered=\"error: chart-pending: unknown chart kind bogus\""),
            std::string::npos)
      << dom.substr(0, 2000);
}

}  // namespace
}  // namespace fusebox::reports
