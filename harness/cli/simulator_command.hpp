#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace fusebox::harness {

struct SimulatorOptions {
  std::string config;                 // empty: the built-in default channels
  std::optional<std::uint64_t> seed;  // overrides the config's
};

[[nodiscard]] int run_simulator(const SimulatorOptions& options, std::ostream& out,
                                std::ostream& err);

}  // namespace fusebox::harness
