#pragma once
// fusebox's own PRNG: xoshiro256** seeded through splitmix64. Standard library engines are
// portable but its distributions are not, so every draw in fusebox goes through this class
// and distribution.hpp: the same seed gives the same numbers on any compiler and library.

#include <array>
#include <bit>
#include <cassert>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace fusebox {

// One step of splitmix64: a good 64-bit mixer, used to expand seeds.
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The seed of the stream called `name` under `master_seed`: one master seed gives every
// component ("sim.wallet-json.latency", "load.arrivals", ...) its own independent stream, and
// adding a stream never shifts the numbers another stream draws.
[[nodiscard]] std::uint64_t derive_seed(std::uint64_t master_seed, std::string_view name);

class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  [[nodiscard]] static Rng stream(std::uint64_t master_seed, std::string_view name) {
    return Rng(derive_seed(master_seed, name));
  }

  [[nodiscard]] std::uint64_t next_u64() {
    const std::uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = std::rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) on the 2^-53 grid.
  [[nodiscard]] double next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1): safe to feed to log() and inverse CDFs.
  [[nodiscard]] double next_open_double() {
    return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53;
  }
  // Uniform in [0, bound), unbiased (Lemire's multiply-and-reject). bound must be > 0.
  [[nodiscard]] std::uint64_t below(std::uint64_t bound);
  // Uniform in [lo, hi], both inclusive. lo must be <= hi.
  [[nodiscard]] std::int64_t between(std::int64_t lo, std::int64_t hi);
  // true with probability p (p <= 0 never, p >= 1 always).
  [[nodiscard]] bool chance(double p) { return next_double() < p; }

  // Fisher-Yates with our own draws (std::shuffle's algorithm differs between libraries).
  template <typename T>
  void shuffle(std::span<T> items) {
    for (std::size_t i = items.size(); i > 1; --i) {
      using std::swap;
      swap(items[i - 1], items[below(i)]);
    }
  }

  [[nodiscard]] const std::array<std::uint64_t, 4>& state() const { return state_; }

 private:
  std::array<std::uint64_t, 4> state_{};
};

}  // namespace fusebox
