// Proves that a sweep draws each seed's fault schedule deterministically within the scenario's
// ranges, reports seeds in order whatever the threads do, exits 0/1/2 as documented, writes
// replay files that load and reproduce the run, and that the shrinker never grows a schedule,
// always still fails, and finds the one fault a planted failure needs.

#include "fusebox/harness/sweep.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fusebox::harness {
namespace {

using nlohmann::json;

// Three faults: "outage" (named by an assertion's window, so it can never be dropped), "noise"
// and an unnamed one without vary; on the simulator's built-in channels, 60 s of load.
json scenario_doc() {
  return json::parse(R"({
    "description": "d",
    "load": {"phases": [{"kind": "constant", "for_s": 60, "tps": 10}]},
    "faults": [
      {"name": "noise", "channel": "wallet-b", "kind": "latency", "delay_ms": 50,
       "at_s": 5, "for_s": 20, "vary": {"at_s": [0, 30], "for_s": [5, 25], "p": [0.1, 0.9]}},
      {"name": "outage", "channel": "wallet-a", "kind": "outage", "at_s": 10, "for_s": 30,
       "vary": {"at_s": [5, 20], "for_s": [10, 40], "p": [0.3, 1]}},
      {"channel": "wallet-b", "kind": "notify_lost", "p": 0.5}
    ],
    "assertions": [
      {"name": "ok", "kind": "success_rate", "min": 0.9},
      {"name": "during", "kind": "success_rate", "window": {"during": "outage"}, "min": 0.5}
    ]
  })");
}

json result(bool passed, std::int64_t violations = 0) {
  json violation_list = json::array();
  for (std::int64_t i = 0; i < violations; ++i)
    violation_list.push_back({{"invariant", "no_double_charge"}});
  return {{"passed", passed && violations == 0},
          {"assertions", json::array({{{"name", "ok"}, {"passed", passed}}})},
          {"checker", {{"violations", violation_list}, {"violation_count", violations}}}};
}

const TimelineFault* find_fault(const Scenario& s, const std::string& name) {
  for (const TimelineFault& f : s.faults) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

double p_of(const TimelineFault& f) { return f.fault.value("p", 1.0); }

// The planted bug: the gateway falls over when "outage" lasts >= 10 s at p >= 0.5.
json planted(const Scenario& s, std::uint64_t /*seed*/) {
  const TimelineFault* f = find_fault(s, "outage");
  return result(!(f != nullptr && f->for_s && *f->for_s >= 10 && p_of(*f) >= 0.5));
}

Scenario load(const json& doc) { return parse_scenario_text("sweep.json", doc.dump()); }

// --- vary_document ---

TEST(Vary, SameSeedSameScheduleAndEveryValueInItsRange) {
  const json doc = scenario_doc();
  std::set<double> starts;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const json varied = vary_document(doc, seed);
    EXPECT_EQ(varied, vary_document(doc, seed));
    const json& outage = varied["faults"][1];
    EXPECT_FALSE(outage.contains("vary"));
    EXPECT_GE(outage["at_s"].get<double>(), 5);
    EXPECT_LE(outage["at_s"].get<double>(), 20);
    EXPECT_GE(outage["for_s"].get<double>(), 10);
    EXPECT_LE(outage["for_s"].get<double>(), 40);
    EXPECT_GE(outage["p"].get<double>(), 0.3);
    EXPECT_LE(outage["p"].get<double>(), 1);
    EXPECT_EQ(varied["faults"][2], doc["faults"][2]) << "a fault without vary is left alone";
    EXPECT_EQ(varied["assertions"], doc["assertions"]);
    EXPECT_NO_THROW((void)load(varied));
    starts.insert(outage["at_s"].get<double>());
  }
  EXPECT_GT(starts.size(), 150u) << "seeds draw different schedules";
}

TEST(Vary, ADocumentWithoutVaryIsUnchanged) {
  json doc = scenario_doc();
  for (json& f : doc["faults"])
    f.erase("vary");
  EXPECT_EQ(vary_document(doc, 7), doc);
}

TEST(Vary, OneFaultsDrawsDoNotDependOnWhatAnotherVaries) {
  json fewer = scenario_doc();
  fewer["faults"][0]["vary"].erase("p");
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_EQ(vary_document(fewer, seed)["faults"][1],
              vary_document(scenario_doc(), seed)["faults"][1]);
  }
}

// --- sweep ---

TEST(Sweep, OutcomesComeInSeedOrderWithManyJobs) {
  std::mutex mutex;
  std::multiset<std::uint64_t> seen;
  const ResultRunner runner = [&](const Scenario& s, std::uint64_t seed) {
    for (std::uint64_t i = 0; i < seed % 7 * 50; ++i)
      std::this_thread::yield();  // uneven run lengths, so threads finish out of order
    {
      const std::scoped_lock lock(mutex);
      seen.insert(seed);
    }
    return planted(s, seed);
  };
  const json doc = scenario_doc();
  const auto many = sweep(doc, {"sweep.json", 100, 60, 4, 1.0, nullptr}, runner);
  const auto one = sweep(doc, {"sweep.json", 100, 60, 1, 1.0, nullptr}, planted);
  ASSERT_EQ(many.size(), 60u);
  ASSERT_EQ(one.size(), 60u);
  std::size_t failed = 0;
  for (std::size_t i = 0; i < many.size(); ++i) {
    EXPECT_EQ(many[i].seed, 100 + i);
    EXPECT_EQ(many[i].passed, one[i].passed) << "seed " << many[i].seed;
    EXPECT_EQ(many[i].failed_checks, one[i].failed_checks) << "seed " << many[i].seed;
    if (!many[i].passed) ++failed;
  }
  EXPECT_GT(failed, 0u);
  EXPECT_LT(failed, 60u);
  EXPECT_EQ(seen.size(), 60u);
  for (std::uint64_t seed = 100; seed < 160; ++seed)
    EXPECT_EQ(seen.count(seed), 1u) << "seed " << seed;
}

TEST(Sweep, RecordsWhatFailedAndWhatCouldNotRun) {
  const ResultRunner runner = [](const Scenario&, std::uint64_t seed) -> json {
    if (seed == 1) return result(true);
    if (seed == 2) return result(false);
    if (seed == 3) return result(true, 2);
    if (seed == 4) return json{{"passed", false}};
    if (seed == 5) return json::object();
    throw std::runtime_error("runner broke");
  };
  std::ostringstream progress;
  const auto o = sweep(scenario_doc(), {"sweep.json", 1, 6, 2, 1.0, &progress}, runner);
  EXPECT_TRUE(o[0].passed);
  EXPECT_EQ(o[1].failed_checks, std::vector<std::string>{"ok"});
  EXPECT_EQ(o[2].failed_checks, std::vector<std::string>{"checker"});
  EXPECT_EQ(o[2].violation_count, 2);
  EXPECT_EQ(o[3].failed_checks, std::vector<std::string>{"run"});
  EXPECT_FALSE(o[4].passed);
  EXPECT_NE(o[4].error.find("\"passed\""), std::string::npos);
  EXPECT_EQ(o[5].error, "runner broke");
  EXPECT_NE(progress.str().find("6/6 seeds, 5 failed"), std::string::npos) << progress.str();
}

TEST(Sweep, TimeScaleShortensWhatTheRunnerSees) {
  std::atomic<int> scaled_runs{0};
  const ResultRunner runner = [&](const Scenario& s, std::uint64_t) {
    if (s.duration_s == 30) ++scaled_runs;
    return result(true);
  };
  (void)sweep(scenario_doc(), {"sweep.json", 1, 3, 1, 0.5, nullptr}, runner);
  EXPECT_EQ(scaled_runs, 3);
}

// --- shrink ---

// Runs the shrunk document again, as a user replaying it would.
SeedOutcome rerun(const json& doc, std::uint64_t seed, const ResultRunner& runner) {
  return sweep(doc, {"sweep.json", seed, 1, 1, 1.0, nullptr}, runner).at(0);
}

TEST(Shrink, FindsThePlantedFaultAtItsSmallestFailingSchedule) {
  const json doc = scenario_doc();
  const auto outcomes = sweep(doc, {"sweep.json", 1, 40, 2, 1.0, nullptr}, planted);
  int shrunk = 0;
  for (const SeedOutcome& failure : outcomes) {
    if (failure.passed) continue;
    SCOPED_TRACE("seed " + std::to_string(failure.seed));
    const ShrinkResult r = shrink(doc, failure, {"sweep.json", 1.0, 48}, planted);
    const Scenario s = load(r.document);
    ASSERT_EQ(s.faults.size(), 1u) << r.document.dump();
    const TimelineFault& outage = s.faults[0];
    EXPECT_EQ(outage.name, "outage");
    EXPECT_GE(*outage.for_s, 10);
    EXPECT_LT(*outage.for_s, 13) << "bisected close to the 10 s the bug needs";
    EXPECT_GE(p_of(outage), 0.5);
    EXPECT_LT(p_of(outage), 0.6);
    EXPECT_EQ(r.shrunk_size.faults, 1u);
    EXPECT_LE(r.runs, 48);
    EXPECT_FALSE(rerun(r.document, failure.seed, planted).passed);
    ++shrunk;
  }
  EXPECT_GT(shrunk, 0);
}

// A failure no schedule explains: whether a run fails depends on a hash of the whole schedule
// and the seed, so the shrinker meets failures that come and go as it edits.
json chaotic(const Scenario& s, std::uint64_t seed) {
  std::uint64_t h = seed * 0x9e3779b97f4a7c15ULL;
  for (const TimelineFault& f : s.faults) {
    h ^= std::hash<std::string>{}(f.name + f.fault.dump()) + (h << 6) + (h >> 2);
    h ^= static_cast<std::uint64_t>(f.for_s.value_or(0) * 1000) * 31;
  }
  return result(h % 3 != 0);
}

TEST(Shrink, NeverLargerAndAlwaysStillFailing) {
  const json doc = scenario_doc();
  for (const ResultRunner& runner : {ResultRunner(planted), ResultRunner(chaotic)}) {
    const auto outcomes = sweep(doc, {"sweep.json", 1, 30, 2, 1.0, nullptr}, runner);
    for (const SeedOutcome& failure : outcomes) {
      if (failure.passed) continue;
      SCOPED_TRACE("seed " + std::to_string(failure.seed));
      const ShrinkResult r = shrink(doc, failure, {"sweep.json", 1.0, 20}, runner);
      EXPECT_EQ(r.original_size, schedule_size(load(vary_document(doc, failure.seed))));
      EXPECT_LE(r.shrunk_size, r.original_size);
      EXPECT_EQ(r.shrunk_size, schedule_size(load(r.document)));
      EXPECT_LE(r.runs, 20);
      EXPECT_EQ(r.steps.empty(), r.shrunk_size == r.original_size);
      const SeedOutcome again = rerun(r.document, failure.seed, runner);
      EXPECT_FALSE(again.passed);
      EXPECT_EQ(again.failed_checks, failure.failed_checks);
    }
  }
}

TEST(Shrink, KeepsFaultsTheScenarioNamesAndLeavesPassingSeedsAlone) {
  // Fails while "noise" is present: "outage" is not needed, but a window names it.
  const ResultRunner runner = [](const Scenario& s, std::uint64_t) {
    return result(find_fault(s, "noise") == nullptr);
  };
  const json doc = scenario_doc();
  const SeedOutcome failure = rerun(doc, 3, runner);
  ASSERT_FALSE(failure.passed);
  const ShrinkResult r = shrink(doc, failure, {"sweep.json", 1.0, 48}, runner);
  const Scenario s = load(r.document);
  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_NE(find_fault(s, "outage"), nullptr);
  EXPECT_NE(find_fault(s, "noise"), nullptr);
  EXPECT_DOUBLE_EQ(*find_fault(s, "noise")->for_s, 1) << "shortened down to 1 s";
  EXPECT_DOUBLE_EQ(p_of(*find_fault(s, "noise")), 0.1) << "lowered to its vary.p low end";
  EXPECT_DOUBLE_EQ(p_of(*find_fault(s, "outage")), 0.3);

  SeedOutcome passing = failure;
  passing.passed = true;
  passing.failed_checks.clear();
  const ShrinkResult none = shrink(doc, passing, {"sweep.json", 1.0, 48}, runner);
  EXPECT_EQ(none.runs, 0);
  EXPECT_EQ(none.document, vary_document(doc, 3));
}

// --- sweep_main ---

class SweepMain : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fusebox-sweep-test-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  SweepArgs args(std::uint64_t seeds) {
    SweepArgs a;
    a.scenario = write("outage.json", "// a comment the sweep strips\n" + scenario_doc().dump(2));
    a.seeds = seeds;
    a.jobs = 2;
    a.out_dir = dir_ / "out";
    return a;
  }
  int run_main(const SweepArgs& a, const ResultRunner& runner) {
    out_.str("");
    err_.str("");
    return sweep_main(a, runner, out_, err_);
  }

  std::filesystem::path dir_;
  std::ostringstream out_, err_;
};

TEST_F(SweepMain, AllPassedIsZeroAndWritesNothing) {
  EXPECT_EQ(run_main(args(5), [](const Scenario&, std::uint64_t) { return result(true); }), 0);
  EXPECT_NE(out_.str().find("seeds run"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("seeds per second"), std::string::npos) << out_.str();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out"));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(SweepMain, BadInputIsTwoWithTheLoadersMessage) {
  SweepArgs a = args(5);
  json doc = scenario_doc();
  doc["faults"][1]["vary"]["p"] = json::array({0.9, 0.1});
  a.scenario = write("bad.json", doc.dump(2));
  EXPECT_EQ(run_main(a, planted), 2);
  EXPECT_NE(err_.str().find("bad.json:"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("/faults/1/vary/p: expected [lo, hi] with lo <= hi"), std::string::npos)
      << err_.str();
  doc = scenario_doc();
  doc["modes"] = json::array({"live"});
  a.scenario = write("live.json", doc.dump(2));
  EXPECT_EQ(run_main(a, planted), 2);
  EXPECT_NE(err_.str().find("sim mode"), std::string::npos) << err_.str();
  // Valid as written, but the shortest outage the ranges allow is shorter than the trim.
  doc = scenario_doc();
  doc["assertions"][1]["window"]["trim_s"] = 12;
  a.scenario = write("trim.json", doc.dump(2));
  EXPECT_EQ(run_main(a, planted), 2);
  EXPECT_NE(err_.str().find("at the low end of its \"vary\" ranges the scenario does not load: "),
            std::string::npos)
      << err_.str();
  EXPECT_NE(err_.str().find("/assertions/1/window/trim_s"), std::string::npos) << err_.str();
  a = args(0);
  EXPECT_EQ(run_main(a, planted), 2);
  a = args(5);
  a.time_scale = 2;
  EXPECT_EQ(run_main(a, planted), 2);
  a.time_scale = 1;
  a.scenario = (dir_ / "missing.json").string();
  EXPECT_EQ(run_main(a, planted), 2);
  EXPECT_NE(err_.str().find("missing.json"), std::string::npos) << err_.str();
}

TEST_F(SweepMain, FailingSeedsAreOneWithReplayFilesThatReproduceTheRun) {
  SweepArgs a = args(20);
  a.from = 11;
  a.time_scale = 0.5;
  a.max_shrunk = 2;
  a.run_flags = " --fast";  // how the seeds ran: every replay command must say so
  // Scaled by 0.5, the planted bug needs 5 s of outage.
  const ResultRunner runner = [](const Scenario& s, std::uint64_t seed) {
    const Scenario unscaled = s.scaled(2);
    return planted(unscaled, seed);
  };
  ASSERT_EQ(run_main(a, runner), 1) << err_.str();
  const std::string out = out_.str();
  const auto outcomes = sweep(scenario_doc(), {"sweep.json", 11, 20, 1, 0.5, nullptr}, runner);
  int shrunk_files = 0;
  for (const SeedOutcome& o : outcomes) {
    const std::string seed = std::to_string(o.seed);
    const auto varied = a.out_dir / ("seed-" + seed + ".json");
    const auto shrunk = a.out_dir / ("seed-" + seed + "-shrunk.json");
    EXPECT_EQ(std::filesystem::exists(varied), !o.passed) << seed;
    if (o.passed) continue;
    SCOPED_TRACE("seed " + seed);
    const Scenario replay = load_scenario(varied);
    const Scenario drawn = load(vary_document(scenario_doc(), o.seed));
    EXPECT_DOUBLE_EQ(*find_fault(replay, "outage")->for_s, *find_fault(drawn, "outage")->for_s);
    EXPECT_DOUBLE_EQ(find_fault(replay, "outage")->at_s, find_fault(drawn, "outage")->at_s);
    EXPECT_DOUBLE_EQ(p_of(*find_fault(replay, "outage")), p_of(*find_fault(drawn, "outage")));
    EXPECT_FALSE(runner(replay.scaled(0.5), o.seed).at("passed").get<bool>());
    EXPECT_NE(out.find("fusebox run " + varied.string() + " --mode sim --seed " + seed +
                       " --time-scale 0.5 --fast\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("fusebox sweep " + a.scenario + " --seeds 1 --from " + seed +
                       " --time-scale 0.5 --fast\n"),
              std::string::npos)
        << out;
    if (!std::filesystem::exists(shrunk)) continue;
    ++shrunk_files;
    EXPECT_FALSE(runner(load_scenario(shrunk).scaled(0.5), o.seed).at("passed").get<bool>());
    EXPECT_NE(out.find("fusebox run " + shrunk.string() + " --mode sim --seed " + seed),
              std::string::npos);
  }
  EXPECT_EQ(shrunk_files, 2) << "only the first max_shrunk failing seeds are shrunk";
  EXPECT_NE(out.find("failures by check"), std::string::npos) << out;
}

}  // namespace
}  // namespace fusebox::harness
