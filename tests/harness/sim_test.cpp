// Sim mode is deterministic: every shipped scenario that runs in sim mode gives a
// byte-identical result.json and the same trace digest twice in a row, and the digest pinned
// in tests/harness/sim_digests.json, so the debug, sanitizer and optimised builds CI makes all
// take the same path event for event. Every shipped sim scenario also passes, with the codecs
// in the loop and under --fast.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/harness/runner.hpp"
#include "fusebox/harness/scenario.hpp"

namespace fusebox::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSource = FUSEBOX_SOURCE_DIR;
const fs::path kDigests = kSource / "tests" / "harness" / "sim_digests.json";
// Under the sanitizers a run is some 30 times slower: there each scenario runs once against
// its pinned digest (which also proves run-to-run equality, the pin being made by another
// build) and the week-long one is left to the optimised build.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
const std::vector<std::string> kLongRuns{"refund-settlement-7day"};

std::vector<fs::path> sim_scenarios() {
  std::vector<fs::path> files;
  for (const fs::path& file : scenario_files({(kSource / "scenarios").string()})) {
    const std::string name = file.stem().string();
    const Scenario s = load_scenario(file);
    if (!s.suite) continue;  // a benchmark (docs/PERFORMANCE.md has its figures)
    if (kSanitized && std::find(kLongRuns.begin(), kLongRuns.end(), name) != kLongRuns.end()) {
      continue;
    }
    if (std::find(s.modes.begin(), s.modes.end(), "sim") != s.modes.end()) files.push_back(file);
  }
  return files;
}

json pinned() {
  std::ifstream in(kDigests);
  if (!in) return json::object();
  return json::parse(in, nullptr, false);
}

TEST(SimDeterminism, EveryShippedScenarioReplaysByteForByteAndMatchesItsPinnedDigest) {
  const json expected = pinned();
  json actual = json::object();
  const std::vector<fs::path> files = sim_scenarios();
  ASSERT_GE(files.size(), 13U);
  for (const fs::path& file : files) {
    const Scenario s = load_scenario(file);
    SCOPED_TRACE(s.name + " (seed " + std::to_string(s.seed) + "; replay: fusebox run " +
                 file.generic_string() + " --mode sim)");
    const SimRun first = run_sim(s, SimOptions{});
    if (!kSanitized) {
      const SimRun second = run_sim(s, SimOptions{});
      EXPECT_EQ(first.result.dump(2), second.result.dump(2));
      EXPECT_EQ(first.trace_digest, second.trace_digest);
    }
    EXPECT_TRUE(first.result.value("passed", false)) << first.result["assertions"].dump(2);
    EXPECT_EQ(expected.value(s.name, ""), first.trace_digest)
        << "the pinned digest differs: if the change of behaviour is intended, rerun with "
           "FUSEBOX_WRITE_SIM_DIGESTS=1 to pin the new digests";
    actual[s.name] = first.trace_digest;
  }
  if (std::getenv("FUSEBOX_WRITE_SIM_DIGESTS") != nullptr && !kSanitized) {
    std::ofstream(kDigests) << actual.dump(2) << "\n";
  }
}

// --fast hands calls, answers and notifications over as structs. On every shipped scenario it
// takes the very path the codecs take (no shipped scenario has a channel reject a call, the
// one place the two differ: the reply code's text), so its digest is the pinned one too: the
// struct mappings and the codecs agree, and a codec change that alters behaviour shows as a
// wire-mode digest that no longer matches.
TEST(SimDeterminism, FastModeTakesTheSamePathAsTheCodecs) {
  const json expected = pinned();
  SimOptions fast;
  fast.fast = true;
  // Under the sanitizers, three of them: each family, forged notifications and a black hole.
  const std::vector<std::string> sanitized{"smoke", "forged-notifications", "black-hole-channel"};
  for (const fs::path& file : sim_scenarios()) {
    const Scenario s = load_scenario(file);
    if (kSanitized && std::find(sanitized.begin(), sanitized.end(), s.name) == sanitized.end()) {
      continue;
    }
    SCOPED_TRACE(s.name + " (seed " + std::to_string(s.seed) + "; replay: fusebox run " +
                 file.generic_string() + " --mode sim --fast)");
    const SimRun run = run_sim(s, fast);
    EXPECT_TRUE(run.result.value("passed", false)) << run.result["assertions"].dump(2);
    EXPECT_EQ(run.result["sim"]["messages"], "structs");
    EXPECT_EQ(expected.value(s.name, ""), run.trace_digest);
  }
}

// The gateway core lets final orders go and reads them back from the store when asked
// (gateway/core/residency.cpp). That must change no decision: sim mode's default lets every
// final order go at the first tick after the store holds it (the most read-backs there can
// be), and keeping every order in memory for the whole run (retain_final_s at its maximum,
// no read-back at all) takes every shipped scenario down the same pinned path.
TEST(SimDeterminism, KeepingEveryFinalOrderInMemoryChangesNoDecision) {
  constexpr std::int64_t kMaxRetainS = 30LL * 86'400;  // longer than any shipped run
  const json expected = pinned();
  SimOptions fast;
  fast.fast = true;
  const std::vector<std::string> sanitized{"smoke", "forged-notifications",
                                           "timeout-ambiguity-no-double-charge"};
  for (const fs::path& file : sim_scenarios()) {
    Scenario s = load_scenario(file);
    if (kSanitized && std::find(sanitized.begin(), sanitized.end(), s.name) == sanitized.end()) {
      continue;
    }
    if (s.gateway.is_null()) s.gateway = json::object();
    s.gateway["retain_final_s"] = kMaxRetainS;
    SCOPED_TRACE(s.name + " (seed " + std::to_string(s.seed) + "; replay: fusebox run " +
                 file.generic_string() + " --mode sim --fast, with \"retain_final_s\": " +
                 std::to_string(kMaxRetainS) + " in its gateway section)");
    const SimRun run = run_sim(s, fast);
    EXPECT_TRUE(run.result.value("passed", false)) << run.result["assertions"].dump(2);
    EXPECT_EQ(expected.value(s.name, ""), run.trace_digest);
  }
}

TEST(SimDeterminism, AnotherSeedTakesAnotherPath) {
  const Scenario s = load_scenario(kSource / "scenarios" / "smoke.json");
  SimOptions other;
  other.seed = s.seed + 1;
  EXPECT_NE(run_sim(s, SimOptions{}).trace_digest, run_sim(s, other).trace_digest);
}

TEST(SimDeterminism, TheSameRunOnSeveralThreadsAtOnceGivesTheSameResult) {
  const Scenario s = load_scenario(kSource / "scenarios" / "channel-outage-isolation.json");
  std::string a, b;
  {
    std::jthread one([&] { a = run_sim(s, SimOptions{}).result.dump(); });
    std::jthread two([&] { b = run_sim(s, SimOptions{}).result.dump(); });
  }
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace fusebox::harness
