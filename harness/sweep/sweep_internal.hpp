#pragma once
// What the pieces of the sweep share: turning a document into a run and a run's result into
// an outcome, and the worker pool. Internal to fusebox_harness_sweep.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "fusebox/harness/scenario.hpp"
#include "fusebox/harness/sweep.hpp"

namespace fusebox::harness::detail {

// The document with every varied fault at the low (or high) end of all its ranges: the
// schedules most likely to break a window (a trim longer than the fault, a window past the
// run), checked before a sweep starts.
[[nodiscard]] nlohmann::json vary_corner(const nlohmann::json& scenario_doc, bool high);

// The scenario a document describes, or nullopt with `error` set when it does not load.
[[nodiscard]] std::optional<Scenario> load_document(const nlohmann::json& document,
                                                    const std::string& source_name,
                                                    std::string& error);

// Runs a loaded scenario (scaled first when time_scale != 1) and reads its result. Never
// throws: whatever the runner throws becomes the outcome's error.
[[nodiscard]] SeedOutcome run_scenario(const Scenario& scenario, std::uint64_t seed,
                                       double time_scale, const ResultRunner& runner);

// Reads a result document (docs/RESULT.md) into an outcome.
[[nodiscard]] SeedOutcome outcome_of(const nlohmann::json& result, std::uint64_t seed);

// Calls work(i) for every i in [0, count) on `jobs` threads; each index exactly once. When
// `work` throws, the remaining indexes are skipped and the first exception is rethrown here.
void parallel_for(std::uint64_t count, unsigned jobs,
                  const std::function<void(std::uint64_t)>& work);

}  // namespace fusebox::harness::detail
