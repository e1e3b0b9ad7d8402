// Running a scenario over many seeds on a pool of threads, and reading each run's verdict.
// Outcomes land in a slot per seed, so the order they are reported in never depends on which
// thread finished first.

#include <algorithm>
#include <atomic>
#include <cassert>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "sweep_internal.hpp"

namespace fusebox::harness {

namespace detail {

std::optional<Scenario> load_document(const nlohmann::json& document,
                                      const std::string& source_name, std::string& error) {
  try {
    return parse_scenario_text(source_name, document.dump());
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

SeedOutcome outcome_of(const nlohmann::json& result, std::uint64_t seed) {
  SeedOutcome outcome;
  outcome.seed = seed;
  if (!result.is_object() || !result.contains("passed") || !result["passed"].is_boolean()) {
    outcome.error = "the run's result has no \"passed\"";
    return outcome;
  }
  outcome.passed = result["passed"].get<bool>();
  if (const auto c = result.find("checker"); c != result.end() && c->is_object()) {
    if (c->contains("violation_count") && (*c)["violation_count"].is_number_integer()) {
      outcome.violation_count = (*c)["violation_count"].get<std::int64_t>();
    } else if (c->contains("violations") && (*c)["violations"].is_array()) {
      outcome.violation_count = static_cast<std::int64_t>((*c)["violations"].size());
    }
  }
  if (outcome.passed) return outcome;
  if (const auto a = result.find("assertions"); a != result.end() && a->is_array()) {
    for (const nlohmann::json& assertion : *a) {
      if (assertion.is_object() && !assertion.value("passed", true)) {
        outcome.failed_checks.push_back(assertion.value("name", std::string("(unnamed)")));
      }
    }
  }
  if (outcome.violation_count > 0) outcome.failed_checks.emplace_back("checker");
  if (outcome.failed_checks.empty()) outcome.failed_checks.emplace_back("run");
  return outcome;
}

SeedOutcome run_scenario(const Scenario& scenario, std::uint64_t seed, double time_scale,
                         const ResultRunner& runner) {
  try {
    if (time_scale != 1.0) return outcome_of(runner(scenario.scaled(time_scale), seed), seed);
    return outcome_of(runner(scenario, seed), seed);
  } catch (const std::exception& e) {
    SeedOutcome outcome;
    outcome.seed = seed;
    outcome.error = e.what();
    return outcome;
  } catch (...) {
    SeedOutcome outcome;
    outcome.seed = seed;
    outcome.error = "the runner threw something that is not an exception";
    return outcome;
  }
}

void parallel_for(std::uint64_t count, unsigned jobs,
                  const std::function<void(std::uint64_t)>& work) {
  std::atomic<std::uint64_t> next{0};
  std::mutex mutex;
  std::exception_ptr failure;  // the first exception a worker met; the rest stop early
  const auto worker = [&] {
    for (std::uint64_t i = next++; i < count; i = next++) {
      try {
        work(i);
      } catch (...) {
        const std::scoped_lock lock(mutex);
        if (!failure) failure = std::current_exception();
        next = count;
      }
    }
  };
  {
    const std::uint64_t threads =
        std::clamp<std::uint64_t>(jobs, 1, std::max<std::uint64_t>(count, 1));
    std::vector<std::jthread> pool;
    for (std::uint64_t t = 1; t < threads; ++t)
      pool.emplace_back(worker);
    worker();  // this thread is one of the workers; the others join on leaving the block
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace detail

namespace {

// "[#########           ] 450/1000 seeds, 3 failed", redrawn in place, at most once per
// percent (and at every failure) so a fast sweep does not spend its time drawing.
class ProgressBar {
 public:
  ProgressBar(std::ostream* out, std::uint64_t total) : out_(out), total_(total) {}

  void done(bool passed) {
    if (out_ == nullptr) return;
    const std::scoped_lock lock(mutex_);
    ++done_;
    if (!passed) ++failed_;
    const std::uint64_t percent = done_ * 100 / total_;
    if (percent == drawn_percent_ && passed && done_ != total_) return;
    drawn_percent_ = percent;
    constexpr std::uint64_t kWidth = 30;
    const std::uint64_t filled = done_ * kWidth / total_;
    *out_ << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] " << done_
          << "/" << total_ << " seeds, " << failed_ << " failed" << std::flush;
  }

  void finish() {
    if (out_ != nullptr) *out_ << "\n" << std::flush;
  }

 private:
  std::ostream* out_;
  std::uint64_t total_;
  std::mutex mutex_;
  std::uint64_t done_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t drawn_percent_ = 101;  // nothing drawn yet
};

SeedOutcome run_seed(const nlohmann::json& scenario_doc, std::uint64_t seed,
                     const SweepOptions& options, const ResultRunner& runner) {
  SeedOutcome outcome;
  outcome.seed = seed;
  try {
    const nlohmann::json varied = vary_document(scenario_doc, seed);
    const auto scenario = detail::load_document(varied, options.source_name, outcome.error);
    if (!scenario) return outcome;
    return detail::run_scenario(*scenario, seed, options.time_scale, runner);
  } catch (const std::exception& e) {  // a document the loader never accepted
    outcome.error = e.what();
    return outcome;
  }
}

}  // namespace

std::vector<SeedOutcome> sweep(const nlohmann::json& scenario_doc, const SweepOptions& options,
                               const ResultRunner& runner) {
  std::vector<SeedOutcome> outcomes(options.seeds);
  ProgressBar progress(options.progress, options.seeds);
  detail::parallel_for(options.seeds, options.jobs, [&](std::uint64_t i) {
    SeedOutcome outcome = run_seed(scenario_doc, options.from + i, options, runner);
    const bool passed = outcome.passed && outcome.error.empty();
    outcomes[i] = std::move(outcome);
    progress.done(passed);
  });
  progress.finish();
  for (std::uint64_t i = 0; i < outcomes.size(); ++i)
    assert(outcomes[i].seed == options.from + i);
  return outcomes;
}

}  // namespace fusebox::harness
