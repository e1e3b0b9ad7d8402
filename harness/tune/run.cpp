// Running every candidate with every seed on a few threads, results kept in the settings'
// order whatever order the runs finish in.
#include <algorithm>
#include <atomic>
#include <cassert>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fusebox/harness/tune.hpp"

namespace fusebox::harness {
namespace {

struct Failure {
  std::size_t job = 0;
  std::string message;
};

class Search {
 public:
  Search(const std::vector<Scenario>& candidates, const std::vector<std::uint64_t>& seeds,
         const ResultRunner& runner)
      : candidates_(candidates),
        seeds_(seeds),
        runner_(runner),
        results_(candidates.size(), std::vector<RunMetrics>(seeds.size())) {}

  // One worker: takes the next run until none is left or one has failed.
  void work() {
    const std::size_t total = candidates_.size() * seeds_.size();
    while (!stop_.load()) {
      const std::size_t job = next_.fetch_add(1);
      if (job >= total) return;
      const std::size_t setting = job / seeds_.size();
      const std::size_t seed = job % seeds_.size();
      try {
        // Each slot is written by exactly one worker; the join publishes it.
        results_[setting][seed] = measure_run(runner_(candidates_[setting], seeds_[seed]));
      } catch (const std::exception& error) {
        fail(job, "setting " + std::to_string(setting + 1) + ", seed " +
                      std::to_string(seeds_[seed]) + ": " + error.what());
      }
    }
  }

  [[nodiscard]] std::vector<std::vector<RunMetrics>> take() {
    if (failure_) throw TuneError(failure_->message);
    return std::move(results_);
  }

 private:
  void fail(std::size_t job, std::string message) {
    const std::lock_guard lock(mutex_);
    stop_.store(true);
    // Of the runs that failed, the earliest in the search's order is reported.
    if (!failure_ || job < failure_->job) failure_ = Failure{job, std::move(message)};
  }

  const std::vector<Scenario>& candidates_;
  const std::vector<std::uint64_t>& seeds_;
  const ResultRunner& runner_;
  std::vector<std::vector<RunMetrics>> results_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::optional<Failure> failure_;
};

}  // namespace

std::vector<std::vector<RunMetrics>> run_settings(const std::vector<Scenario>& candidates,
                                                  const std::vector<std::uint64_t>& seeds, int jobs,
                                                  const ResultRunner& runner) {
  if (jobs < 1 || jobs > kMaxTuneJobs) {
    throw TuneError("--jobs: expected 1.." + std::to_string(kMaxTuneJobs) + ", got " +
                    std::to_string(jobs));
  }
  if (!runner) throw TuneError("no runner to play the settings with");
  Search search(candidates, seeds, runner);
  const std::size_t runs = candidates.size() * seeds.size();
  const auto threads = std::min(static_cast<std::size_t>(jobs), std::max<std::size_t>(runs, 1));
  if (threads == 1) {
    search.work();
  } else {
    std::vector<std::jthread> workers;
    workers.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i)
      workers.emplace_back([&search] { search.work(); });
  }  // the jthreads join here
  auto results = search.take();
  assert(results.size() == candidates.size());
  return results;
}

}  // namespace fusebox::harness
