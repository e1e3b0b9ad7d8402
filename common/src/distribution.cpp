#include "fusebox/common/distribution.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "fusebox/common/config.hpp"
#include "fusebox/common/portable_math.hpp"

namespace fusebox {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void require(bool ok, const char* message) {
  if (!ok) throw std::invalid_argument(message);
}

bool finite(double x) { return std::isfinite(x); }

// Polynomials are evaluated in a fixed order with -ffp-contract=off, so every build rounds alike.
double acklam_central(double q) {
  const double r = q * q;
  const double num =
      (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r +
         1.383577518672690e+02) *
            r -
        3.066479806614716e+01) *
           r +
       2.506628277459239e+00) *
      q;
  const double den =
      ((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r +
        6.680131188771972e+01) *
           r -
       1.328068155288572e+01) *
          r +
      1.0;
  return num / den;
}

// The lower tail; the upper tail is its mirror image.
double acklam_tail(double p) {
  const double q = std::sqrt(-2.0 * portable::log(p));
  const double num =
      ((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q -
        2.549732539343734e+00) *
           q +
       4.374664141464968e+00) *
          q +
      2.938163982698783e+00;
  const double den =
      (((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q +
       3.754408661907416e+00) *
          q +
      1.0;
  return num / den;
}

double empirical_quantile(const std::vector<Quantile>& table, double u) {
  auto upper = std::upper_bound(table.begin(), table.end(), u,
                                [](double x, const Quantile& point) { return x < point.q; });
  if (upper == table.end()) return table.back().value;
  if (upper == table.begin()) return table.front().value;
  const Quantile& a = *(upper - 1);
  const Quantile& b = *upper;
  return a.value + (b.value - a.value) * (u - a.q) / (b.q - a.q);
}

std::string number(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

// Marsaglia and Tsang's ziggurat for the standard normal, 128 layers of equal area kV under
// f(x) = exp(-x^2/2): layer 0 is [0, x[0]] x [0, f(kR)] plus the tail past kR, and layer
// i >= 1 is [0, x[i]] x [f(x[i]), f(x[i+1])]. Built with portable exp/log, so the table,
// like every draw, is the same bits everywhere.
constexpr std::size_t kLayers = 128;
constexpr double kR = 3.442619855899;
constexpr double kV = 9.91256303526217e-3;

struct Ziggurat {
  std::array<double, kLayers + 1> x{};
  std::array<double, kLayers + 1> f{};

  Ziggurat() {
    const auto density = [](double v) { return portable::exp(-0.5 * v * v); };
    x[0] = kV / density(kR);
    x[1] = kR;
    for (std::size_t i = 1; i + 1 < kLayers; ++i) {
      x[i + 1] = std::sqrt(-2.0 * portable::log(density(x[i]) + kV / x[i]));
    }
    x[kLayers] = 0.0;
    for (std::size_t i = 0; i <= kLayers; ++i)
      f[i] = density(x[i]);
  }
};

const Ziggurat& ziggurat() {
  static const Ziggurat table;
  return table;
}

// The tail past kR (Marsaglia's method): exponential proposals, accepted with the ratio.
double normal_tail(Rng& rng, bool negative) {
  for (;;) {
    const double a = -portable::log(rng.next_open_double()) / kR;
    const double b = -portable::log(rng.next_open_double());
    if (b + b >= a * a) return negative ? -(kR + a) : kR + a;
  }
}

}  // namespace

double standard_normal(Rng& rng) {
  const Ziggurat& z = ziggurat();
  for (;;) {
    const std::uint64_t bits = rng.next_u64();
    const std::size_t layer = bits & (kLayers - 1);
    // Bits 11..63 as a signed fraction in [-1, 1); bits 0..6 chose the layer.
    const double u = static_cast<double>(static_cast<std::int64_t>(bits) >> 11) * 0x1p-52;
    const double x = u * z.x[layer];
    if (std::abs(x) < z.x[layer + 1]) return x;  // inside the layer's core: 98.8% of draws
    if (layer == 0) return normal_tail(rng, u < 0);
    const double y = z.f[layer] + rng.next_double() * (z.f[layer + 1] - z.f[layer]);
    if (y < portable::exp(-0.5 * x * x)) return x;
  }
}

double inverse_normal_cdf(double p) {
  assert(p > 0.0 && p < 1.0);
  constexpr double kLow = 0.02425;
  if (p < kLow) return acklam_tail(p);
  if (p > 1.0 - kLow) return -acklam_tail(1.0 - p);
  return acklam_central(p - 0.5);
}

Distribution Distribution::fixed(double value) {
  require(finite(value), "fixed: value must be a finite number");
  return Distribution(Fixed{value});
}

Distribution Distribution::uniform(double lo, double hi) {
  require(finite(lo) && finite(hi) && lo <= hi, "uniform: need finite min <= max");
  return Distribution(Uniform{lo, hi});
}

Distribution Distribution::normal(double mean, double stddev) {
  require(finite(mean), "normal: mean must be a finite number");
  require(finite(stddev) && stddev >= 0, "normal: stddev must be >= 0");
  return Distribution(Normal{mean, stddev});
}

Distribution Distribution::lognormal(double p50, double p99) {
  require(finite(p50) && p50 > 0, "lognormal: p50 must be > 0");
  require(finite(p99) && p99 > p50, "lognormal: p99 must be > p50");
  return Distribution(
      LogNormal{portable::log(p50), (portable::log(p99) - portable::log(p50)) / kZ99});
}

Distribution Distribution::pareto(double scale, double shape) {
  require(finite(scale) && scale > 0, "pareto: scale must be > 0");
  require(finite(shape) && shape > 0, "pareto: shape must be > 0");
  return Distribution(Pareto{scale, shape, -1.0 / shape});
}

// Pareto quantile: scale * (1 - q)^(-1/shape), so p99 / p50 = 50^(1/shape).
Distribution Distribution::pareto_from_percentiles(double p50, double p99) {
  require(finite(p50) && p50 > 0, "pareto: p50 must be > 0");
  require(finite(p99) && p99 > p50, "pareto: p99 must be > p50");
  const double shape = portable::log(50.0) / portable::log(p99 / p50);
  return pareto(p50 / portable::pow(2.0, 1.0 / shape), shape);
}

Distribution Distribution::mixture(const std::vector<double>& weights,
                                   std::vector<Distribution> parts) {
  require(!parts.empty() && weights.size() == parts.size(),
          "mixture: need one weight per part, at least one part");
  double total = 0;
  for (const double w : weights) {
    require(finite(w) && w >= 0, "mixture: weights must be >= 0");
    total += w;
  }
  require(total > 0, "mixture: weights must not all be 0");
  Mixture m;
  double running = 0;
  for (const double w : weights) {
    running += w;
    m.cumulative_weights.push_back(running / total);
  }
  m.cumulative_weights.back() = 1.0;  // no rounding gap at the top
  m.parts = std::move(parts);
  return Distribution(std::move(m));
}

Distribution Distribution::empirical(std::vector<Quantile> table) {
  require(table.size() >= 2, "empirical: need at least two points");
  require(table.front().q == 0.0 && table.back().q == 1.0,
          "empirical: the table must start at the 0th and end at the 100th percentile");
  for (std::size_t i = 0; i < table.size(); ++i) {
    require(finite(table[i].value), "empirical: values must be finite numbers");
    if (i == 0) continue;
    require(table[i].q > table[i - 1].q, "empirical: percentiles must be strictly increasing");
    require(table[i].value >= table[i - 1].value, "empirical: values must not decrease");
  }
  return Distribution(Empirical{std::move(table)});
}

Distribution Distribution::clamped(double lo, double hi) const {
  require(!(lo > hi), "clamp: need lo <= hi");
  Distribution copy = *this;
  copy.min_ = std::max(min_, lo);
  copy.max_ = std::min(max_, hi);
  return copy;
}

double Distribution::sample(Rng& rng) const { return std::clamp(draw(rng), min_, max_); }

double Distribution::draw(Rng& rng) const {
  return std::visit(
      Overloaded{
          [](const Fixed& d) { return d.value; },
          [&](const Uniform& d) { return d.lo + (d.hi - d.lo) * rng.next_double(); },
          [&](const Normal& d) { return d.mean + d.stddev * standard_normal(rng); },
          [&](const LogNormal& d) { return portable::exp(d.mu + d.sigma * standard_normal(rng)); },
          [&](const Pareto& d) {
            return d.scale * portable::pow(rng.next_open_double(), d.exponent);
          },
          [&](const Mixture& d) {
            const double u = rng.next_double();
            const auto it =
                std::upper_bound(d.cumulative_weights.begin(), d.cumulative_weights.end(), u);
            const auto index = static_cast<std::size_t>(it - d.cumulative_weights.begin());
            return d.parts[std::min(index, d.parts.size() - 1)].sample(rng);
          },
          [&](const Empirical& d) { return empirical_quantile(d.table, rng.next_double()); },
      },
      shape_);
}

double Distribution::quantile(double q) const {
  assert(q > 0.0 && q < 1.0);
  const double x = std::visit(
      Overloaded{
          [](const Fixed& d) { return d.value; },
          [&](const Uniform& d) { return d.lo + (d.hi - d.lo) * q; },
          [&](const Normal& d) { return d.mean + d.stddev * inverse_normal_cdf(q); },
          [&](const LogNormal& d) { return portable::exp(d.mu + d.sigma * inverse_normal_cdf(q)); },
          [&](const Pareto& d) { return d.scale * portable::pow(1.0 - q, d.exponent); },
          [](const Mixture&) { return std::numeric_limits<double>::quiet_NaN(); },
          [&](const Empirical& d) { return empirical_quantile(d.table, q); },
      },
      shape_);
  return std::clamp(x, min_, max_);
}

std::string Distribution::describe() const {
  std::string text = std::visit(
      Overloaded{
          [](const Fixed& d) { return "fixed(" + number(d.value) + ")"; },
          [](const Uniform& d) { return "uniform(" + number(d.lo) + ", " + number(d.hi) + ")"; },
          [](const Normal& d) {
            return "normal(mean=" + number(d.mean) + ", stddev=" + number(d.stddev) + ")";
          },
          [](const LogNormal& d) {
            return "lognormal(p50=" + number(portable::exp(d.mu)) +
                   ", p99=" + number(portable::exp(d.mu + d.sigma * kZ99)) + ")";
          },
          [](const Pareto& d) {
            return "pareto(scale=" + number(d.scale) + ", shape=" + number(d.shape) + ")";
          },
          [](const Mixture& d) {
            std::string out = "mixture(";
            double previous = 0;
            for (std::size_t i = 0; i < d.parts.size(); ++i) {
              if (i > 0) out += ", ";
              out += number(d.cumulative_weights[i] - previous) + "*" + d.parts[i].describe();
              previous = d.cumulative_weights[i];
            }
            return out + ")";
          },
          [](const Empirical& d) {
            std::string out = "empirical(";
            for (std::size_t i = 0; i < d.table.size(); ++i) {
              if (i > 0) out += ", ";
              out += "p" + number(d.table[i].q * 100) + "=" + number(d.table[i].value);
            }
            return out + ")";
          },
      },
      shape_);
  if (std::isfinite(min_) || std::isfinite(max_)) {
    text += " clamped to [" + number(min_) + ", " + number(max_) + "]";
  }
  return text;
}

Bernoulli::Bernoulli(double p) : p_(p) {
  require(p >= 0.0 && p <= 1.0, "bernoulli: p must be in [0, 1]");
}

}  // namespace fusebox

namespace fusebox {

namespace {

double parameter(const ConfigNode& node, std::string_view key, bool non_negative) {
  const ConfigNode value = node.at(key);
  return non_negative ? value.as_non_negative_number() : value.as_number();
}

Distribution parse_shape(const ConfigNode& node, const std::string& kind, bool non_negative);

Distribution parse_mixture(const ConfigNode& node, bool non_negative, bool bimodal) {
  const ConfigNode parts_node = node.at("parts");
  if (bimodal) {
    parts_node.expect_array(2, 2);
  } else {
    parts_node.expect_array(1, 16);
  }
  std::vector<double> weights;
  std::vector<Distribution> parts;
  for (const ConfigNode& part : parts_node.elements()) {
    part.expect_fields({"weight", "dist"});
    weights.push_back(part.at("weight").as_positive_number());
    parts.push_back(parse_distribution(part.at("dist"), non_negative));
  }
  return Distribution::mixture(weights, std::move(parts));
}

Distribution parse_empirical(const ConfigNode& node, bool non_negative) {
  const ConfigNode table_node = node.at("percentiles");
  table_node.expect_array(2, 1'000);
  std::vector<Quantile> table;
  for (const ConfigNode& row : table_node.elements()) {
    row.expect_array(2, 2);
    const double percent = row.at(std::size_t{0}).as_number_in(0, 100);
    const double value = non_negative ? row.at(std::size_t{1}).as_non_negative_number()
                                      : row.at(std::size_t{1}).as_number();
    if (!table.empty() && percent * 0.01 <= table.back().q) {
      row.at(std::size_t{0}).fail_expected("a percentile above the previous row's");
    }
    if (!table.empty() && value < table.back().value) {
      row.at(std::size_t{1}).fail_expected("a value >= the previous row's");
    }
    table.push_back({percent * 0.01, value});
  }
  if (table.front().q != 0.0 || table.back().q != 1.0) {
    table_node.fail("expected the table to start at percentile 0 and end at 100");
  }
  return Distribution::empirical(std::move(table));
}

Distribution parse_shape(const ConfigNode& node, const std::string& kind, bool non_negative) {
  if (kind == "fixed") {
    node.expect_fields({"kind", "value", "clamp"});
    return Distribution::fixed(parameter(node, "value", non_negative));
  }
  if (kind == "uniform") {
    node.expect_fields({"kind", "min", "max", "clamp"});
    const double lo = parameter(node, "min", non_negative);
    const double hi = node.at("max").as_number_in(lo, std::numeric_limits<double>::infinity());
    return Distribution::uniform(lo, hi);
  }
  if (kind == "normal") {
    node.expect_fields({"kind", "mean", "stddev", "clamp"});
    return Distribution::normal(parameter(node, "mean", non_negative),
                                node.at("stddev").as_non_negative_number());
  }
  if (kind == "lognormal" || (kind == "pareto" && node.has("p50"))) {
    node.expect_fields({"kind", "p50", "p99", "clamp"});
    const double p50 = node.at("p50").as_positive_number();
    const ConfigNode p99_node = node.at("p99");
    const double p99 = p99_node.as_positive_number();
    if (!(p99 > p50)) p99_node.fail_expected("a number above p50 (" + number(p50) + ")");
    return kind == "lognormal" ? Distribution::lognormal(p50, p99)
                               : Distribution::pareto_from_percentiles(p50, p99);
  }
  if (kind == "pareto") {
    node.expect_fields({"kind", "scale", "shape", "clamp"});
    return Distribution::pareto(node.at("scale").as_positive_number(),
                                node.at("shape").as_positive_number());
  }
  if (kind == "bimodal" || kind == "mixture") {
    node.expect_fields({"kind", "parts", "clamp"});
    return parse_mixture(node, non_negative, kind == "bimodal");
  }
  node.expect_fields({"kind", "percentiles", "clamp"});
  return parse_empirical(node, non_negative);
}

}  // namespace

Distribution parse_distribution(const ConfigNode& node, bool non_negative) {
  const double floor = non_negative ? 0.0 : -std::numeric_limits<double>::infinity();
  if (node.is_number()) {
    const double value = non_negative ? node.as_non_negative_number() : node.as_number();
    return Distribution::fixed(value);
  }
  if (!node.is_object()) node.fail_expected("a number or an object with a \"kind\"");
  const std::string kind = node.at("kind").as_enum(
      {"fixed", "uniform", "normal", "lognormal", "pareto", "bimodal", "mixture", "empirical"});
  Distribution dist = parse_shape(node, kind, non_negative);
  double lo = floor;
  double hi = std::numeric_limits<double>::infinity();
  if (const auto clamp = node.find("clamp")) {
    clamp->expect_array(2, 2);
    lo = std::max(
        lo, clamp->at(std::size_t{0}).as_number_in(floor, std::numeric_limits<double>::infinity()));
    hi = clamp->at(std::size_t{1}).as_number_in(lo, std::numeric_limits<double>::infinity());
  }
  if (std::isfinite(lo) || std::isfinite(hi)) dist = dist.clamped(lo, hi);
  return dist;
}

}  // namespace fusebox
