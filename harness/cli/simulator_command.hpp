#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace fusebox::harness {

// Threads that write the plain-HTTP wallet channels' late answers, besides the models' one.
inline constexpr std::size_t kDefaultSimulatorSendThreads = 2;

struct SimulatorOptions {
  std::string config;                                       // empty: the built-in default channels
  std::optional<std::uint64_t> seed;                        // overrides the config's
  std::size_t send_threads = kDefaultSimulatorSendThreads;  // 0: all on one thread
};

[[nodiscard]] int run_simulator(const SimulatorOptions& options, std::ostream& out,
                                std::ostream& err);

}  // namespace fusebox::harness
