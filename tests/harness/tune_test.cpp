// Proves `fusebox tune`: --param parsing and its errors, deterministic grid and random
// candidates, breaker.X reaching defaults and channels, the metrics on hand-made results (a
// false trip, a slow recovery, failures in a fault window), the Pareto front, and a search on
// several threads giving the same output as on one.

#include "fusebox/harness/tune.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

namespace fusebox::harness {
namespace {

using nlohmann::json;

// The scenario the candidates are written into: wallet-a has its own failure_rate.
constexpr const char* kScenarioText = R"(// tune test scenario
{
  "description": "tune test",
  "seed": 7,
  "channels": [
    {"name": "wallet-a", "family": "wallet-json", "sign": "hmac-sha256"},
    {"name": "wallet-b", "family": "wallet-json", "sign": "hmac-sha256"}
  ],
  "gateway": {
    "breaker": {"failure_rate": 0.5, "open_ms": 2000},
    "channels": [
      {"name": "wallet-a", "family": "wallet-json", "method": "wallet",
       "breaker": {"failure_rate": 0.3}},
      {"name": "wallet-b", "family": "wallet-json", "method": "wallet"}
    ]
  },
  "load": {"phases": [{"kind": "constant", "for_s": 30, "tps": 10}]},
  "faults": [{"name": "outage-a", "channel": "wallet-a", "kind": "outage", "at_s": 10,
              "for_s": 10}]
})";

json scenario_document() { return ConfigDocument::parse("tune-test.json", kScenarioText).json(); }

std::vector<TuneParam> params_of(std::initializer_list<const char*> texts) {
  std::vector<TuneParam> params;
  for (const char* text : texts)
    params.push_back(parse_tune_param(text));
  return params;
}

std::string tune_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const TuneError& error) {
    return error.what();
  }
  return "no error";
}

TEST(TuneParam, ParsesRangesListsAndPaths) {
  const TuneParam rate = parse_tune_param("breaker.failure_rate=0.2:0.8");
  EXPECT_EQ(rate.kind, TuneParam::Kind::range);
  EXPECT_EQ(rate.path, (std::vector<std::string>{"breaker", "failure_rate"}));
  EXPECT_DOUBLE_EQ(rate.lo, 0.2);
  EXPECT_DOUBLE_EQ(rate.hi, 0.8);
  EXPECT_FALSE(rate.integer);
  EXPECT_TRUE(parse_tune_param("breaker.open_ms=1000:8000").integer);

  const TuneParam slow = parse_tune_param("breaker.slow_call_rate=null, 0.5,1");
  EXPECT_EQ(slow.kind, TuneParam::Kind::list);
  EXPECT_EQ(json(slow.values), json::parse("[null, 0.5, 1]"));
  EXPECT_EQ(json(parse_tune_param("alerts[0].name=low,high").values),
            json::parse(R"(["low","high"])"));

  EXPECT_EQ(parse_tune_param("channels[1].breaker.open_ms=5").path,
            (std::vector<std::string>{"channels", "[1]", "breaker", "open_ms"}));
  EXPECT_EQ(parse_tune_param("channels[wallet-a].timeout_ms=100:200").path,
            (std::vector<std::string>{"channels", "[wallet-a]", "timeout_ms"}));
}

TEST(TuneParam, RejectsMalformedInputWithTheReason) {
  const auto error = [](const char* text) {
    return tune_error([&] { (void)parse_tune_param(text); });
  };
  EXPECT_NE(error("breaker.failure_rate").find("expected NAME=LO:HI"), std::string::npos);
  EXPECT_NE(error("=0.1:0.2").find("expected NAME=LO:HI"), std::string::npos);
  EXPECT_NE(error("breakr.failure_rate=0.1:0.2").find("unknown gateway section \"breakr\""),
            std::string::npos);
  EXPECT_NE(error("breaker.failure_rate=0.8:0.2").find("LO 0.8 is above HI 0.2"),
            std::string::npos);
  EXPECT_NE(error("breaker.failure_rate=low:high").find("two numbers"), std::string::npos);
  EXPECT_NE(error("breaker.failure_rate=0.1:0.2,0.3").find("not both"), std::string::npos);
  EXPECT_NE(error("breaker.failure_rate=0.1,,0.3").find("empty value"), std::string::npos);
  EXPECT_NE(error("breaker..open_ms=1").find("empty field name"), std::string::npos);
  EXPECT_NE(error("breaker.failure_rate=").find("expected NAME=LO:HI"), std::string::npos);
}

TEST(TuneGrid, IsTheCartesianProductFirstParameterSlowest) {
  const auto params = params_of({"breaker.failure_rate=0.2:0.8", "breaker.open_ms=1000,4000"});
  const auto settings = grid_settings(params, 3);
  ASSERT_EQ(settings.size(), 6u);
  EXPECT_EQ(json(settings), json::parse("[[0.2,1000],[0.2,4000],[0.5,1000],[0.5,4000],"
                                        "[0.8,1000],[0.8,4000]]"));
  // Integer ranges give integers, without repeats; values print as written.
  EXPECT_EQ(json(grid_settings(params_of({"breaker.minimum_calls=1:2"}), 5)),
            json::parse("[[1],[2]]"));
  EXPECT_EQ(describe_setting(params_of({"breaker.failure_rate=0.2:0.5"}),
                             grid_settings(params_of({"breaker.failure_rate=0.2:0.5"}), 3)[1]),
            "breaker.failure_rate=0.35");
}

TEST(TuneGrid, RefusesMoreSettingsThanTheCap) {
  const auto params = params_of(
      {"breaker.failure_rate=0.1:0.9", "breaker.open_ms=100:9000", "breaker.minimum_calls=5:100"});
  const std::string error = tune_error([&] { (void)grid_settings(params, 7); });
  EXPECT_NE(error.find("more than 256 settings (7 x 7 x 7)"), std::string::npos) << error;
  EXPECT_EQ(grid_settings(params, 6).size(), 216u);
  EXPECT_NE(tune_error([&] { (void)grid_settings(params, 1); }).find("--points"),
            std::string::npos);
}

TEST(TuneRandom, IsDeterministicPerSeedAndStaysInRange) {
  const auto params = params_of({"breaker.failure_rate=0.2:0.8", "breaker.open_ms=1000:8000",
                                 "breaker.slow_call_rate=null,0.5"});
  for (const std::uint64_t seed : {1ULL, 42ULL, 0xfeedULL}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const auto a = random_settings(params, 40, seed);
    EXPECT_EQ(json(a), json(random_settings(params, 40, seed)));
    EXPECT_NE(json(a), json(random_settings(params, 40, seed + 1)));
    for (const auto& setting : a) {
      EXPECT_GE(setting[0].get<double>(), 0.2);
      EXPECT_LE(setting[0].get<double>(), 0.8);
      ASSERT_TRUE(setting[1].is_number_integer());
      EXPECT_GE(setting[1].get<std::int64_t>(), 1000);
      EXPECT_LE(setting[1].get<std::int64_t>(), 8000);
      EXPECT_TRUE(setting[2].is_null() || setting[2] == json(0.5));
    }
  }
  EXPECT_NE(tune_error([&] { (void)random_settings(params, 257, 1); }).find("--samples"),
            std::string::npos);
}

TEST(TuneApply, BreakerFieldReachesDefaultsAndEveryChannelThatSetsIt) {
  const auto params = params_of({"breaker.failure_rate=0.7", "breaker.open_ms=3000"});
  const json doc = apply_setting(scenario_document(), params, {0.7, 3000});
  EXPECT_EQ(doc["gateway"]["breaker"], json::parse(R"({"failure_rate": 0.7, "open_ms": 3000})"));
  // wallet-a's own failure_rate follows; it keeps taking open_ms from the defaults.
  EXPECT_EQ(doc["gateway"]["channels"][0]["breaker"], json::parse(R"({"failure_rate": 0.7})"));
  EXPECT_FALSE(doc["gateway"]["channels"][1].contains("breaker"));
  EXPECT_EQ(doc["load"], scenario_document()["load"]);

  const Scenario scenario =
      candidate_scenario(scenario_document(), "dir/tune-test.json", params, {0.7, 3000});
  EXPECT_EQ(scenario.name, "tune-test");
  EXPECT_EQ(scenario.gateway["channels"][0]["breaker"]["failure_rate"], json(0.7));
}

TEST(TuneApply, ChannelPathsAndChannelWideFields) {
  const auto by_name =
      params_of({"channels[wallet-b].timeout_ms=700", "bulkheads.pay.max_in_flight=8"});
  const json doc = apply_setting(scenario_document(), by_name, {700, 8});
  EXPECT_EQ(doc["gateway"]["channels"][1]["timeout_ms"], json(700));
  EXPECT_FALSE(doc["gateway"]["channels"][0].contains("timeout_ms"));
  for (const auto& channel : doc["gateway"]["channels"]) {
    EXPECT_EQ(channel["bulkheads"]["pay"]["max_in_flight"], json(8));
  }
  const auto past_end = params_of({"channels[5].timeout_ms=700"});
  EXPECT_NE(tune_error([&] {
              (void)apply_setting(scenario_document(), past_end, {700});
            }).find("channels[5] is past the end (the list has 2)"),
            std::string::npos);
  const auto unknown = params_of({"channels[wallet-z].timeout_ms=700"});
  EXPECT_NE(tune_error([&] {
              (void)apply_setting(scenario_document(), unknown, {700});
            }).find("names no entry"),
            std::string::npos);
  json bare = scenario_document();
  bare["gateway"].erase("channels");
  const auto wide = params_of({"timeout_ms=700"});
  EXPECT_NE(tune_error([&] { (void)apply_setting(bare, wide, {700}); }).find("lists none"),
            std::string::npos);
}

TEST(TuneApply, AValueTheGatewayRejectsIsReportedWithTheSetting) {
  const auto params = params_of({"breaker.failure_rate=5", "breaker.open_ms=1000"});
  const std::string error = tune_error([&] {
    (void)candidate_scenario(scenario_document(), "tune-test.json", params, {5, 1000});
  });
  EXPECT_NE(error.find("breaker.failure_rate=5 breaker.open_ms=1000 is rejected"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("tune-test.json: /gateway/breaker/failure_rate"), std::string::npos)
      << error;
  const auto misspelt = params_of({"breaker.failur_rate=0.5"});
  EXPECT_NE(tune_error([&] {
              (void)candidate_scenario(scenario_document(), "tune-test.json", misspelt, {0.5});
            }).find("failur_rate"),
            std::string::npos);
}

// A result.json with the given seconds, faults, series and breaker events.
json result_doc(int seconds, const json& faults, const json& channels, const json& events) {
  json t = json::array();
  for (int i = 0; i < seconds; ++i)
    t.push_back(i);
  json doc = {{"schema", "fusebox.result/1"},
              {"passed", true},
              {"duration_s", seconds - 5},
              {"settle_s", 5},
              {"faults", faults},
              {"timeline", {{"t_s", t}}}};
  doc["timeline"]["channels"] = channels;
  if (!events.is_null()) doc["breaker_events"] = events;
  return doc;
}

json fault(const char* channel, double from_s, json to_s) {
  return {{"name", std::string("f-") + channel},
          {"channel", channel},
          {"kind", "outage"},
          {"from_s", from_s},
          {"to_s", std::move(to_s)}};
}

json event(const char* channel, const char* to, double t_s, const char* path = "payments") {
  return {{"channel", channel}, {"path", path}, {"from", "closed"}, {"to", to}, {"t_s", t_s}};
}

TEST(TuneMetrics, CountsFailuresOnEveryChannelOnlyInsideFaultWindows) {
  json a = {{"rejected", json::array()}, {"failed", json::array()}, {"errors", json::array()}};
  json b = a;
  for (int i = 0; i < 40; ++i) {
    a["rejected"].push_back(2);
    a["failed"].push_back(i == 12 ? json(nullptr) : json(1));
    b["errors"].push_back(i % 2);
  }
  // The fault covers seconds 10.5 .. 20: seconds 10 to 19, ten of them.
  const json doc = result_doc(40, json::array({fault("wallet-a", 10.5, 20)}),
                              {{"wallet-a", a}, {"wallet-b", b}}, json::array());
  const RunMetrics m = measure_run(doc);
  EXPECT_DOUBLE_EQ(m.failed_during_faults, 10 * 2 + 9 * 1 + 5);
  EXPECT_TRUE(m.passed);
  EXPECT_EQ(measure_run(json::array()).failed_during_faults, 0);  // not a result: nothing
}

TEST(TuneMetrics, AnOpenOutsideTheChannelsFaultsIsAFalseTrip) {
  const json events = json::array({
      event("wallet-b", "open", 5),   // false: the fault is on wallet-a
      event("wallet-a", "open", 11),  // the fault's own trip
      event("wallet-a", "open", 23),  // within the 5 s grace after 20
      event("wallet-a", "half_open", 24), event("wallet-a", "closed", 24.5),
      event("wallet-a", "open", 26),  // false: past the grace
      event("wallet-a", "closed", 27),
      event("wallet-b", "open", 30, "refunds"),  // the refunds breaker does not count
      event("wallet-c", "open", 33),             // false: under a force_open that ended
  });
  json doc = result_doc(40, json::array({fault("wallet-a", 10, 20)}), json::object(), events);
  doc["actions"] = json::array(
      {{{"action", "force_open"}, {"channel", "wallet-c"}, {"from_s", 2}, {"to_s", 6}},
       {{"action", "force_open"}, {"channel", "wallet-b"}, {"from_s", 4}, {"to_s", 5}}});
  EXPECT_DOUBLE_EQ(measure_run(doc).false_trips, 2);     // wallet-b at 5 is excused by its action
  EXPECT_DOUBLE_EQ(measure_run(doc, 0).false_trips, 4);  // 5, 23, 26 and 33
}

TEST(TuneMetrics, RecoveryIsUntilTheBreakerClosesForGood) {
  const json faults = json::array({fault("wallet-a", 10, 20)});
  const json flapping =
      json::array({event("wallet-a", "open", 11), event("wallet-a", "closed", 22),
                   event("wallet-a", "half_open", 23.5), event("wallet-a", "closed", 27.25)});
  RunMetrics m = measure_run(result_doc(40, faults, json::object(), flapping));
  EXPECT_DOUBLE_EQ(m.recovery_s, 7.25);
  EXPECT_TRUE(m.recovered);

  const json stuck = json::array({event("wallet-a", "open", 11)});
  m = measure_run(result_doc(40, faults, json::object(), stuck));
  EXPECT_DOUBLE_EQ(m.recovery_s, 20);  // to the end of the timeline (40), flagged
  EXPECT_FALSE(m.recovered);

  // A second fault on the channel bounds the first one's recovery.
  const json two = json::array({fault("wallet-a", 10, 20), fault("wallet-a", 30, nullptr)});
  m = measure_run(result_doc(40, two, json::object(), stuck));
  EXPECT_DOUBLE_EQ(m.recovery_s, 10);
  EXPECT_FALSE(m.recovered);

  // Never tripped: nothing to recover from.
  m = measure_run(result_doc(40, faults, json::object(), json::array()));
  EXPECT_DOUBLE_EQ(m.recovery_s, 0);
  EXPECT_TRUE(m.recovered);
}

TEST(TuneMetrics, WithoutEventsTheTimelineBreakerSeriesIsUsed) {
  json states = json::array();
  for (int i = 0; i < 40; ++i) {
    const bool open = (i >= 11 && i < 24) || i == 3;
    states.push_back(i == 5 ? json(nullptr) : json(open ? "open" : "closed"));
  }
  states[24] = "half_open";
  states[36] = "switched_off";  // the operator's switch, not a trip
  const json doc = result_doc(40, json::array({fault("wallet-a", 10, 20)}),
                              {{"wallet-a", {{"breaker", states}}}}, json(nullptr));
  const RunMetrics m = measure_run(doc);
  EXPECT_DOUBLE_EQ(m.recovery_s, 5);  // closed from second 25
  EXPECT_TRUE(m.recovered);
  EXPECT_DOUBLE_EQ(m.false_trips, 1);  // second 3
}

TEST(TuneMetrics, SummaryIsTheMeanOverSeeds) {
  const SettingMetrics s = summarise({{10, 1, 4, true, true}, {20, 0, 8, false, false}});
  EXPECT_DOUBLE_EQ(s.failed_during_faults, 15);
  EXPECT_DOUBLE_EQ(s.false_trips, 0.5);
  EXPECT_DOUBLE_EQ(s.recovery_s, 6);
  EXPECT_FALSE(s.recovered);
  EXPECT_EQ(s.passed_seeds, 1);
  EXPECT_EQ(s.seeds, 2);
}

TEST(TunePareto, KeepsExactlyTheUndominatedSettings) {
  const auto m = [](double failed, double trips, double recovery) {
    SettingMetrics s;
    s.failed_during_faults = failed;
    s.false_trips = trips;
    s.recovery_s = recovery;
    return s;
  };
  const std::vector<SettingMetrics> metrics{
      m(10, 0, 5),  // best on trips and good recovery
      m(5, 2, 5),   // best on failures
      m(10, 0, 6),  // dominated by the first
      m(5, 2, 5),   // equal to the second: both stay
      m(4, 3, 9),   // fewest failures
      m(11, 3, 9),  // dominated by everything
  };
  EXPECT_EQ(pareto_front(metrics), (std::vector<bool>{true, true, false, true, true, false}));
  EXPECT_TRUE(pareto_front({}).empty());
}

// A result shaped by the setting: a lower failure_rate trips sooner (fewer failed payments)
// but falsely; open_ms is the time to recover.
json fake_result(const Scenario& scenario, std::uint64_t seed) {
  const double rate = scenario.gateway["breaker"]["failure_rate"].get<double>();
  const double open_s = scenario.gateway["breaker"].value("open_ms", 2000) / 1000.0;
  json failed = json::array();
  for (int i = 0; i < 40; ++i)
    failed.push_back(i >= 10 && i < 20 ? rate * 10 + double(seed % 2) : 0);
  json events =
      json::array({event("wallet-a", "open", 12), event("wallet-a", "closed", 20 + open_s)});
  if (rate < 0.4) events.push_back(event("wallet-b", "open", 3));
  json doc = result_doc(40, json::array({fault("wallet-a", 10, 20)}),
                        {{"wallet-a", {{"failed", failed}}}}, events);
  doc["passed"] = rate >= 0.4;
  return doc;
}

TEST(TuneRun, ResultsKeepTheSearchOrderWhateverFinishesFirst) {
  const auto params = params_of({"breaker.failure_rate=0.2:0.8", "breaker.open_ms=1000:3000"});
  const auto settings = grid_settings(params, 3);
  std::vector<Scenario> candidates;
  for (const auto& s : settings) {
    candidates.push_back(candidate_scenario(scenario_document(), "tune-test.json", params, s));
  }
  const std::vector<std::uint64_t> seeds{7, 8};
  const auto serial = run_settings(candidates, seeds, 1, fake_result);

  // The first run waits until every other run has finished, so it finishes last.
  std::mutex mutex;
  std::condition_variable done_cv;
  std::size_t done = 0;
  const std::size_t others = candidates.size() * seeds.size() - 1;
  const Scenario* first = &candidates.front();
  const ResultRunner gated = [&](const Scenario& scenario, std::uint64_t seed) {
    if (&scenario == first && seed == seeds.front()) {
      std::unique_lock lock(mutex);
      EXPECT_TRUE(done_cv.wait_for(lock, std::chrono::seconds(30), [&] { return done == others; }));
    }
    json result = fake_result(scenario, seed);
    const std::lock_guard lock(mutex);
    ++done;
    done_cv.notify_all();
    return result;
  };
  const auto parallel = run_settings(candidates, seeds, 3, gated);
  ASSERT_EQ(parallel.size(), serial.size());
  for (std::size_t i = 0; i < serial.size(); ++i) {
    for (std::size_t s = 0; s < seeds.size(); ++s) {
      EXPECT_EQ(parallel[i][s].failed_during_faults, serial[i][s].failed_during_faults);
      EXPECT_EQ(parallel[i][s].recovery_s, serial[i][s].recovery_s);
    }
  }
  EXPECT_DOUBLE_EQ(serial[0][0].failed_during_faults, 10 * 2 + 10 * 1);  // rate 0.2, seed 7
  EXPECT_DOUBLE_EQ(serial[8][1].recovery_s, 3);
}

TEST(TuneRun, AFailingRunStopsTheSearchNamingSettingAndSeed) {
  const auto params = params_of({"breaker.failure_rate=0.2,0.5"});
  std::vector<Scenario> candidates;
  for (const auto& s : grid_settings(params, 2)) {
    candidates.push_back(candidate_scenario(scenario_document(), "tune-test.json", params, s));
  }
  const ResultRunner failing = [](const Scenario& scenario, std::uint64_t seed) {
    if (scenario.gateway["breaker"]["failure_rate"] == json(0.5) && seed == 3) {
      throw std::runtime_error("sim mode cannot honour an external gateway");
    }
    return fake_result(scenario, seed);
  };
  const std::string error = tune_error([&] { (void)run_settings(candidates, {2, 3}, 2, failing); });
  EXPECT_EQ(error, "setting 2, seed 3: sim mode cannot honour an external gateway");
}

// A scratch folder for tune_main's files, gone after the test.
class TuneMain : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("fusebox-tune-" + std::to_string(::getpid()) + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    write("tune-test.json", kScenarioText);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  TuneArgs args(std::vector<std::string> params, const std::string& out = "out") {
    TuneArgs a;
    a.scenario = dir_ / "tune-test.json";
    a.params = std::move(params);
    a.out_dir = dir_ / out;
    return a;
  }
  std::string read(const std::string& name) {
    std::ifstream in(dir_ / name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::filesystem::path dir_;
};

TEST_F(TuneMain, PrintsTheTableAndWritesTuneJsonTheSameOnAnyNumberOfThreads) {
  TuneArgs a = args({"breaker.failure_rate=0.2:0.8", "breaker.open_ms=1000,3000"}, "one");
  a.seeds = 2;
  std::ostringstream out, err;
  ASSERT_EQ(tune_main(a, fake_result, out, err), 0) << err.str();
  a.jobs = 4;
  a.out_dir = dir_ / "four";
  std::ostringstream out4, err4;
  ASSERT_EQ(tune_main(a, fake_result, out4, err4), 0) << err4.str();
  EXPECT_EQ(read("one/tune.json"), read("four/tune.json"));

  const json tune = json::parse(read("one/tune.json"));
  EXPECT_EQ(tune["schema"], "fusebox.tune/1");
  EXPECT_EQ(tune["seeds"], json::parse("[7, 8]"));
  ASSERT_EQ(tune["settings"].size(), 6u);
  EXPECT_EQ(tune["settings"][0]["values"], json::parse(R"({"breaker.failure_rate": 0.2,
                                                           "breaker.open_ms": 1000})"));
  // 0.2 fails least but trips falsely; 0.5 and 0.8 only add failures; open_ms 1000 recovers
  // faster than 3000: the front is {0.2, 1000} and {0.5, 1000}.
  EXPECT_EQ(tune["pareto"], json::parse("[1, 3]"));
  EXPECT_EQ(tune["settings"][0]["metrics"]["failed_during_faults"], json(25.0));
  EXPECT_EQ(tune["settings"][0]["metrics"]["false_trips"], json(1.0));
  EXPECT_EQ(tune["settings"][2]["metrics"]["passed_seeds"], json(2));
  const std::string table = out.str();
  EXPECT_NE(table.find("6 settings (grid, 3 points) x 2 seeds from 7"), std::string::npos);
  EXPECT_NE(table.find("Pareto-best (*): #1, #3"), std::string::npos) << table;
  // Row 3, cell by cell: the setting, the means, the seeds that passed, the Pareto mark.
  std::istringstream lines(table);
  std::vector<std::string> row;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("3 ", 0) != 0) continue;
    std::istringstream cells(line);
    for (std::string cell; cells >> cell;)
      row.push_back(cell);
  }
  EXPECT_EQ(row, (std::vector<std::string>{"3", "0.5", "1000", "55", "0", "1.0", "2/2", "*"}))
      << table;
}

TEST_F(TuneMain, RandomSearchIsSeededByTheBaseSeed) {
  TuneArgs a = args({"breaker.failure_rate=0.2:0.8"}, "r1");
  a.samples = 5;
  a.seed = 99;
  std::ostringstream out, err;
  ASSERT_EQ(tune_main(a, fake_result, out, err), 0) << err.str();
  a.out_dir = dir_ / "r2";
  ASSERT_EQ(tune_main(a, fake_result, out, err), 0) << err.str();
  EXPECT_EQ(read("r1/tune.json"), read("r2/tune.json"));
  const json tune = json::parse(read("r1/tune.json"));
  EXPECT_EQ(tune["search"], "random, 5 samples");
  EXPECT_EQ(tune["seeds"], json::parse("[99]"));
  EXPECT_EQ(json(random_settings(params_of({"breaker.failure_rate=0.2:0.8"}), 5, 99))[2][0],
            tune["settings"][2]["values"]["breaker.failure_rate"]);
}

TEST_F(TuneMain, BadInputExitsTwoWithAMessageAndRunsNothing) {
  std::atomic<int> runs{0};
  const ResultRunner counting = [&](const Scenario& s, std::uint64_t seed) {
    ++runs;
    return fake_result(s, seed);
  };
  const auto exit_with = [&](TuneArgs a, const std::string& message) {
    std::ostringstream out, err;
    EXPECT_EQ(tune_main(a, counting, out, err), 2);
    EXPECT_NE(err.str().find(message), std::string::npos) << err.str();
  };
  exit_with(args({"breakr.failure_rate=0.1:0.2"}), "unknown gateway section \"breakr\"");
  exit_with(args({"breaker.failure_rate=0.8:0.2"}), "LO 0.8 is above HI 0.2");
  exit_with(args({"breaker.failure_rate=0.0001,0.5"}), "breaker.failure_rate=0.0001 is rejected");
  exit_with(args({}), "at least one --param");
  TuneArgs big = args({"breaker.failure_rate=0.01:1", "breaker.open_ms=1:100000"});
  big.points = 20;
  exit_with(big, "more than 256 settings");
  TuneArgs missing = args({"breaker.failure_rate=0.5"});
  missing.scenario = dir_ / "nope.json";
  exit_with(missing, "nope.json: cannot read");
  std::string live_only = kScenarioText;
  live_only.replace(live_only.find("\"seed\": 7"), 9, "\"seed\": 7, \"modes\": [\"live\"]");
  write("live.json", live_only);
  TuneArgs live = args({"breaker.failure_rate=0.5"});
  live.scenario = dir_ / "live.json";
  exit_with(live, "does not run in sim mode");
  EXPECT_EQ(runs.load(), 0);

  std::ostringstream out, err;
  const ResultRunner throwing = [](const Scenario&, std::uint64_t) -> json {
    throw std::runtime_error("boom");
  };
  EXPECT_EQ(tune_main(args({"breaker.failure_rate=0.5"}), throwing, out, err), 2);
  EXPECT_NE(err.str().find("setting 1, seed 7: boom"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace fusebox::harness
