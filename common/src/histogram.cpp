#include "fusebox/common/histogram.hpp"

#include <cmath>
#include <stdexcept>

namespace fusebox {
namespace {

constexpr int kMinDigits = 1;
constexpr int kMaxDigits = 5;
// unit_magnitude + sub_bucket_count_magnitude may not exceed this, so that the sub-bucket mask
// and every slot boundary stay below 2^63 (HdrHistogram's "unit + half count <= 61").
constexpr int kMaxLayoutShift = 62;

// libstdc++ 12 returns the argument type (the original C++20 wording); later ones return int.
constexpr int bit_width_of(std::uint64_t value) { return static_cast<int>(std::bit_width(value)); }

struct Layout {
  int unit_magnitude = 0;
  int sub_bucket_count_magnitude = 0;
  int bucket_count = 0;
  std::size_t counts_length = 0;
};

// ceil(log2(2 * 10^digits)): enough slots per bucket that adjacent slots differ by less than
// one part in 10^digits.
constexpr int sub_bucket_count_magnitude_for(int digits) {
  std::uint64_t largest_single_unit_value = 2;
  for (int i = 0; i < digits; ++i)
    largest_single_unit_value *= 10;
  return bit_width_of(largest_single_unit_value - 1);
}

constexpr int unit_magnitude_for(std::int64_t lowest) {
  return bit_width_of(static_cast<std::uint64_t>(lowest)) - 1;
}

// Only for a config that config_error() accepted.
constexpr Layout layout_for(const HistogramConfig& config) {
  Layout layout;
  layout.unit_magnitude = unit_magnitude_for(config.lowest_discernible);
  layout.sub_bucket_count_magnitude = sub_bucket_count_magnitude_for(config.significant_digits);
  // Bucket b's slots end at 2^(sub_mag + unit + b); the last bucket must pass highest.
  const int covered_bits = bit_width_of(static_cast<std::uint64_t>(config.highest_trackable));
  layout.bucket_count =
      std::max(1, covered_bits - layout.sub_bucket_count_magnitude - layout.unit_magnitude + 1);
  const std::size_t half_count = std::size_t{1} << (layout.sub_bucket_count_magnitude - 1);
  layout.counts_length = static_cast<std::size_t>(layout.bucket_count + 1) * half_count;
  return layout;
}

static_assert(layout_for({1, std::numeric_limits<std::int64_t>::max(), kMaxDigits}).counts_length ==
                  Histogram::kMaxCountsLength,
              "kMaxCountsLength must be the largest legal layout");
static_assert(layout_for({1, 60'000'000'000, 3}).counts_length == 27'648);

// Sorted ascending and no NaN; anything else is a caller bug we report rather than absorb.
void check_percentiles(std::span<const double> percentiles) {
  for (std::size_t i = 0; i < percentiles.size(); ++i) {
    if (std::isnan(percentiles[i])) {
      throw std::invalid_argument("Histogram percentile " + std::to_string(i) + " is NaN");
    }
    if (i > 0 && percentiles[i] < percentiles[i - 1]) {
      throw std::invalid_argument("Histogram percentiles must be sorted ascending; entry " +
                                  std::to_string(i) + " (" + std::to_string(percentiles[i]) +
                                  ") is below the previous one");
    }
  }
}

// The rank (1-based) of the value at `percentile`: ceil(p% of total), at least 1. Decimal
// percentiles such as 99.9 are not exact in binary, so a product within rounding noise of an
// integer is taken as that integer: 99.9% of 1000 is rank 999, not 1000.
std::uint64_t rank_at(double percentile, std::uint64_t total) {
  constexpr double kRoundingNoise = 1e-12;
  const double exact = std::min(percentile, 100.0) / 100.0 * static_cast<double>(total);
  const double nearest = std::round(exact);
  const double rank =
      std::fabs(exact - nearest) <= exact * kRoundingNoise ? nearest : std::ceil(exact);
  return std::clamp(static_cast<std::uint64_t>(rank), std::uint64_t{1}, total);
}

}  // namespace

HistogramConfig latency_histogram_config() { return HistogramConfig{1, 60'000'000'000, 3}; }

std::string Histogram::config_error(const HistogramConfig& config) {
  if (config.lowest_discernible < 1) {
    return "HistogramConfig.lowest_discernible must be >= 1, got " +
           std::to_string(config.lowest_discernible);
  }
  if (config.significant_digits < kMinDigits || config.significant_digits > kMaxDigits) {
    return "HistogramConfig.significant_digits must be in 1..5, got " +
           std::to_string(config.significant_digits);
  }
  if (config.highest_trackable / 2 < config.lowest_discernible) {
    return "HistogramConfig.highest_trackable must be >= 2 * lowest_discernible (2 * " +
           std::to_string(config.lowest_discernible) + "), got " +
           std::to_string(config.highest_trackable);
  }
  const int shift = unit_magnitude_for(config.lowest_discernible) +
                    sub_bucket_count_magnitude_for(config.significant_digits);
  if (shift > kMaxLayoutShift) {
    return "HistogramConfig.lowest_discernible " + std::to_string(config.lowest_discernible) +
           " is too large for significant_digits " + std::to_string(config.significant_digits) +
           ": 2^floor(log2 lowest) * sub-bucket count must not exceed 2^62";
  }
  return {};
}

Histogram::Histogram(const HistogramConfig& config) : config_(config) {
  if (std::string bad = config_error(config); !bad.empty()) throw std::invalid_argument(bad);
  const Layout layout = layout_for(config);
  highest_ = config.highest_trackable;
  unit_magnitude_ = layout.unit_magnitude;
  sub_bucket_count_magnitude_ = layout.sub_bucket_count_magnitude;
  sub_bucket_half_count_magnitude_ = layout.sub_bucket_count_magnitude - 1;
  leading_zero_count_base_ = 64 - unit_magnitude_ - sub_bucket_count_magnitude_;
  bucket_count_ = layout.bucket_count;
  sub_bucket_half_count_ = std::uint64_t{1} << sub_bucket_half_count_magnitude_;
  sub_bucket_mask_ = ((std::uint64_t{1} << sub_bucket_count_magnitude_) - 1) << unit_magnitude_;
  counts_.assign(layout.counts_length, 0);
  assert(counts_.size() <= kMaxCountsLength);
  assert(index_of(static_cast<std::uint64_t>(highest_)) < counts_.size());
}

std::int64_t Histogram::min() const { return total_ == 0 ? 0 : static_cast<std::int64_t>(min_); }

double Histogram::mean() const {
  if (total_ == 0) return 0.0;
  return static_cast<double>(sum_) / static_cast<double>(total_);
}

bool Histogram::merge(const Histogram& other) {
  if (!(other.config_ == config_)) return false;
  if (other.total_ > kMaxCount - total_) return false;  // would pass the cap
  assert(other.counts_.size() == counts_.size());
  // Copied first so that merging a histogram into itself doubles it.
  const std::uint64_t other_total = other.total_;
  const std::uint64_t other_overflow = other.overflow_;
  const Sum other_sum = other.sum_;
  // No counter can wrap: each is at most its total, and the totals add up to <= kMaxCount.
  for (std::size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  total_ += other_total;
  overflow_ += other_overflow;
  sum_ += other_sum;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  assert(overflow_ <= total_);
  return true;
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  overflow_ = 0;
  min_ = kNoMin;
  max_ = 0;
  sum_ = 0;
}

int Histogram::slot_shift(std::size_t index) const {
  const int bucket = std::max(0, static_cast<int>(index >> sub_bucket_half_count_magnitude_) - 1);
  return bucket + unit_magnitude_;
}

std::uint64_t Histogram::lowest_of_index(std::size_t index) const {
  assert(index < counts_.size());
  // Bucket 0 uses all its slots; later buckets only their upper half.
  const std::uint64_t sub_bucket =
      index < 2 * sub_bucket_half_count_
          ? index
          : (index & (sub_bucket_half_count_ - 1)) + sub_bucket_half_count_;
  return sub_bucket << slot_shift(index);
}

std::uint64_t Histogram::highest_of_index(std::size_t index) const {
  return lowest_of_index(index) + (std::uint64_t{1} << slot_shift(index)) - 1;
}

std::int64_t Histogram::reported_value(std::size_t index) const {
  return static_cast<std::int64_t>(std::min(highest_of_index(index), max_));
}

std::int64_t Histogram::lowest_equivalent(std::int64_t value) const {
  return static_cast<std::int64_t>(lowest_of_index(index_of(clamp_value(value))));
}

std::int64_t Histogram::highest_equivalent(std::int64_t value) const {
  return static_cast<std::int64_t>(highest_of_index(index_of(clamp_value(value))));
}

std::uint64_t Histogram::count_at(std::int64_t value) const {
  return counts_[index_of(clamp_value(value))];
}

std::int64_t Histogram::value_at_percentile(double percentile) const {
  return values_at_percentiles(std::span<const double>(&percentile, 1)).front();
}

std::vector<std::int64_t> Histogram::values_at_percentiles(
    std::span<const double> percentiles) const {
  check_percentiles(percentiles);
  std::vector<std::int64_t> values(percentiles.size(), 0);
  if (total_ == 0) return values;
  std::size_t next = 0;
  for (; next < percentiles.size() && percentiles[next] <= 0.0; ++next)
    values[next] = min();
  // One forward walk serves every percentile because their ranks only grow. The counters add
  // up to total_ <= kMaxCount, so `cumulative` cannot wrap.
  std::size_t index = index_of(min_);
  std::uint64_t cumulative = 0;
  for (; next < percentiles.size(); ++next) {
    const std::uint64_t rank = rank_at(percentiles[next], total_);
    while (cumulative < rank && index < counts_.size())
      cumulative += counts_[index++];
    assert(cumulative >= rank && index > 0);
    values[next] = reported_value(index - 1);
  }
  return values;
}

}  // namespace fusebox
