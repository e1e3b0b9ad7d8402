#pragma once
// Our own distribution code over Rng, so draws are identical on every compiler (the
// standard library's distributions are implementation-defined) and every libm (exp, log and
// pow come from portable_math.hpp). How many numbers a draw takes from its stream depends
// only on the stream, so a replay consumes it identically.

#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "fusebox/common/rng.hpp"

namespace fusebox {

class ConfigNode;

// A standard normal draw (a 128-layer ziggurat: one 64-bit number for 98.8% of draws).
[[nodiscard]] double standard_normal(Rng& rng);

// The standard normal quantile (Acklam's rational approximation: relative error below
// 1.2e-9 over (0, 1), far below what a 1e6-draw test can see). p must be in (0, 1).
[[nodiscard]] double inverse_normal_cdf(double p);

// z such that P(Z <= z) = 0.99 for a standard normal Z.
inline constexpr double kZ99 = 2.3263478740408408;

struct Quantile {
  double q;      // in [0, 1]
  double value;  // the value at that quantile
};

class Distribution {
 public:
  struct Fixed {
    double value;
  };
  struct Uniform {
    double lo, hi;
  };
  struct Normal {
    double mean, stddev;
  };
  struct LogNormal {  // exp(mu + sigma * Z)
    double mu, sigma;
  };
  struct Pareto {  // scale * U^exponent, exponent = -1 / shape (U and 1 - U alike)
    double scale, shape, exponent;
  };
  struct Mixture {
    std::vector<double> cumulative_weights;  // ascending, last == 1
    std::vector<Distribution> parts;
  };
  struct Empirical {
    std::vector<Quantile> table;  // q ascending from 0 to 1, values non-decreasing
  };

  // Each factory validates its parameters and throws std::invalid_argument naming the bad one.
  [[nodiscard]] static Distribution fixed(double value);
  [[nodiscard]] static Distribution uniform(double lo, double hi);
  [[nodiscard]] static Distribution normal(double mean, double stddev);
  [[nodiscard]] static Distribution lognormal(double p50, double p99);
  [[nodiscard]] static Distribution pareto(double scale, double shape);
  [[nodiscard]] static Distribution pareto_from_percentiles(double p50, double p99);
  // `weights` need not sum to 1; they are normalised. A two-part mixture is a bimodal one.
  [[nodiscard]] static Distribution mixture(const std::vector<double>& weights,
                                            std::vector<Distribution> parts);
  [[nodiscard]] static Distribution empirical(std::vector<Quantile> table);

  // Returns a copy whose draws are clamped into [lo, hi].
  [[nodiscard]] Distribution clamped(double lo, double hi) const;

  [[nodiscard]] double sample(Rng& rng) const;
  // The exact quantile where it has a closed form (every kind but a mixture; NaN there).
  [[nodiscard]] double quantile(double q) const;
  // A short human-readable form for reports, e.g. "lognormal(p50=20, p99=250)".
  [[nodiscard]] std::string describe() const;

 private:
  using Shape = std::variant<Fixed, Uniform, Normal, LogNormal, Pareto, Mixture, Empirical>;
  explicit Distribution(Shape shape) : shape_(std::move(shape)) {}

  [[nodiscard]] double draw(Rng& rng) const;

  Shape shape_;
  double min_ = -std::numeric_limits<double>::infinity();
  double max_ = std::numeric_limits<double>::infinity();
};

class Bernoulli {
 public:
  explicit Bernoulli(double p);  // throws std::invalid_argument unless 0 <= p <= 1
  [[nodiscard]] bool sample(Rng& rng) const { return rng.next_double() < p_; }
  [[nodiscard]] double p() const { return p_; }

 private:
  double p_;
};

// Reads a distribution from config. The forms (documented in docs/SCENARIOS.md):
//   20                                            fixed
//   {"kind": "fixed", "value": 20}
//   {"kind": "uniform", "min": 5, "max": 50}
//   {"kind": "normal", "mean": 20, "stddev": 4}
//   {"kind": "lognormal", "p50": 20, "p99": 250}
//   {"kind": "pareto", "p50": 20, "p99": 900}  or  {"kind": "pareto", "scale": 10, "shape": 1.5}
//   {"kind": "bimodal" | "mixture", "parts": [{"weight": 0.9, "dist": ...}, ...]}
//   {"kind": "empirical", "percentiles": [[0, 3], [50, 20], [99, 300], [100, 2000]]}
// Any object form may add "clamp": [lo, hi]. With `non_negative` (latencies, delays) every
// parameter must be >= 0 and draws are clamped at 0, so a normal's far left tail cannot give
// a negative latency. Errors name the file, the JSON path and what was expected.
[[nodiscard]] Distribution parse_distribution(const ConfigNode& node, bool non_negative);

}  // namespace fusebox
