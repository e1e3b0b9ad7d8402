// A fixed-size, mergeable log-linear latency histogram in the HdrHistogram style.
//
// Layout (HdrHistogram's): values are integers. The unit is 2^unit_magnitude with
// unit_magnitude = floor(log2(lowest_discernible)). Each bucket holds sub_bucket_count
// slots, sub_bucket_count = 2^ceil(log2(2 * 10^significant_digits)). Bucket 0 covers
// [0, sub_bucket_count * unit) in steps of one unit; bucket b >= 1 covers
// [sub_bucket_count * unit * 2^(b-1), sub_bucket_count * unit * 2^b) in steps of unit * 2^b,
// i.e. only its upper half is new. Buckets double until highest_trackable is covered. All
// counters live in one vector allocated at construction; recording never allocates.
//
// Precision: every value v in [0, highest_trackable] falls in a slot of width
// max(unit, 2^floor(log2 v) / (sub_bucket_count / 2)), so a slot never spans more than
// max(unit, v / (sub_bucket_count / 2)): less than 10^-significant_digits relative.
//
// Not thread-safe: give each thread (or shard) its own histogram and merge() them for reports.
//
// Limits, all designed rather than accidental:
//  - values below 0 are recorded as 0; values above highest_trackable are recorded as
//    highest_trackable and counted in overflow_count();
//  - the total count is capped at kMaxCount = 2^63 - 1 (so every counter fits a ZigZag varint):
//    samples past it are shed, not counted, and merge() refuses a sum past it. The total thus
//    always equals the sum of the counters, and the 128-bit sum behind mean() never wraps;
//  - the largest legal layout (lowest 1, highest 2^63 - 1, 5 digits) has 6,160,384 counters
//    (49 MB); deserialize() looks at no more than kMaxSerializedChars (about 82 MB) of text, so
//    what it allocates is bounded by those two figures.
#pragma once

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fusebox {

struct HistogramConfig {
  std::int64_t lowest_discernible = 1;  // >= 1; rounded down to a power of two (the unit)
  std::int64_t highest_trackable = 2;   // >= 2 * lowest_discernible
  int significant_digits = 3;           // 1..5

  friend bool operator==(const HistogramConfig&, const HistogramConfig&) = default;
};

// The standard fusebox latency layout: values in nanoseconds, 3 significant digits from 1 us
// to 60 s. The lowest discernible value is 1 ns rather than HdrHistogram's customary 1'000:
// with 1'000 the unit rounds to 512 ns, and a 1 us sample could be off by half.
//
// What it guarantees, exactly:
//  - unit = 1 ns; sub_bucket_count = 2048; 26 buckets; 27,648 counters (221,184 bytes of
//    counts). Slots are 1 ns wide up to 2,047 ns; from 2^(10+b) ns to 2^(11+b) - 1 ns
//    (b = 1..25) they are 2^b ns wide.
//  - for any recorded v in [0, 60 s]: highest_equivalent(v) - lowest_equivalent(v) + 1 <=
//    max(1 ns, v / 1024). A percentile is reported as the highest equivalent value of its
//    slot (capped at max()), so it exceeds the exact sample value by less than
//    max(1 ns, v / 1024) and is never below it: exact below 2,048 ns, relative error under
//    1/1024 (0.098%) from there to 60 s.
//  - values above 60 s are recorded as exactly 60 s and counted in overflow_count().
[[nodiscard]] HistogramConfig latency_histogram_config();

class Histogram {
 public:
  static constexpr std::uint64_t kMaxCount =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  static constexpr std::string_view kSerialPrefix = "hdr1:";
  // Longest text deserialize() will look at: the largest legal layout with every counter as a
  // 10-byte varint, plus the header, in base64. Longer text is rejected unread.
  static constexpr std::size_t kMaxCountsLength = 6'160'384;
  static constexpr std::size_t kMaxSerializedChars =
      kSerialPrefix.size() + (128 + 10 * kMaxCountsLength) * 4 / 3 + 4;

  // Throws std::invalid_argument naming the bad field when the config is out of range.
  explicit Histogram(const HistogramConfig& config);

  // A moved-from histogram may only be assigned to or destroyed.
  Histogram(const Histogram&) = default;
  Histogram(Histogram&&) noexcept = default;
  Histogram& operator=(const Histogram&) = default;
  Histogram& operator=(Histogram&&) noexcept = default;
  ~Histogram() = default;

  // Records value n times (clamped as described above). Once count() reaches kMaxCount, the
  // rest of n is shed.
  void record(std::int64_t value) { record_n(value, 1); }
  void record_n(std::int64_t value, std::uint64_t n);

  // Adds other's counts. Returns false, changing nothing, when the configs differ or when the
  // combined count would pass kMaxCount.
  [[nodiscard]] bool merge(const Histogram& other);
  void reset();

  [[nodiscard]] const HistogramConfig& config() const { return config_; }
  [[nodiscard]] std::uint64_t count() const { return total_; }
  [[nodiscard]] std::uint64_t overflow_count() const { return overflow_; }
  // Smallest and largest recorded (clamped) values; 0 when empty.
  [[nodiscard]] std::int64_t min() const;
  [[nodiscard]] std::int64_t max() const { return static_cast<std::int64_t>(max_); }
  // Exact up to double rounding: a 128-bit sum of the recorded (clamped) values over count().
  [[nodiscard]] double mean() const;

  // HdrHistogram semantics: the slot holding the rank-th smallest value, rank =
  // ceil(p% of count) (at least 1), reported as that slot's highest equivalent value but never
  // above max(). p = 0 gives min(); an empty histogram gives 0. p outside [0, 100] is clamped;
  // NaN throws std::invalid_argument. Decimal percentiles are taken at face value: 99.9% of
  // 1000 values is rank 999 even though 99.9 is not exact in binary.
  [[nodiscard]] std::int64_t value_at_percentile(double percentile) const;
  // The same for many percentiles in one pass over the counters. The percentiles must be
  // sorted ascending (throws std::invalid_argument otherwise, or on NaN).
  [[nodiscard]] std::vector<std::int64_t> values_at_percentiles(
      std::span<const double> percentiles) const;

  // Slot bounds and slot count of the slot record(value) would use (value clamped the same way).
  [[nodiscard]] std::int64_t lowest_equivalent(std::int64_t value) const;
  [[nodiscard]] std::int64_t highest_equivalent(std::int64_t value) const;
  [[nodiscard]] std::uint64_t count_at(std::int64_t value) const;

  [[nodiscard]] int unit_magnitude() const { return unit_magnitude_; }
  [[nodiscard]] std::int64_t sub_bucket_count() const {
    return std::int64_t{1} << sub_bucket_count_magnitude_;
  }
  [[nodiscard]] int bucket_count() const { return bucket_count_; }
  [[nodiscard]] std::size_t counts_length() const { return counts_.size(); }
  // The whole footprint: this object plus its counters. Fixed from construction on.
  [[nodiscard]] std::size_t memory_bytes() const {
    return sizeof(Histogram) + counts_.size() * sizeof(std::uint64_t);
  }

  // "hdr1:" + standard padded base64 (RFC 4648 section 4: A-Z a-z 0-9 + /, '=' padding; the
  // codec.hpp encoding) of: "FBH" 0x01, then unsigned LEB128 varints lowest, highest, digits,
  // count, overflow_count, min, max, sum (low 64 bits), sum (high 64 bits), then the counters
  // from index 0 up to the slot of max() as ZigZag LEB128 varints, where a run of k empty
  // slots is written as the single number -k (HdrHistogram's V2 idea). The text may hold '+',
  // '/' and '=', so escape it before putting it in a URL or a file name.
  [[nodiscard]] std::string serialize() const;
  // Validates everything; on failure returns nullopt and, when error is not null, says why.
  [[nodiscard]] static std::optional<Histogram> deserialize(std::string_view text,
                                                            std::string* error);

 private:
  __extension__ using Sum = unsigned __int128;  // GCC/Clang; holds kMaxCount * INT64_MAX
  static constexpr std::uint64_t kNoMin = std::numeric_limits<std::uint64_t>::max();

  [[nodiscard]] std::uint64_t clamp_value(std::int64_t value) const {
    return static_cast<std::uint64_t>(std::clamp(value, std::int64_t{0}, highest_));
  }
  // Branch-free: the bucket is found from the position of the highest set bit.
  [[nodiscard]] std::size_t index_of(std::uint64_t value) const {
    const int bucket = leading_zero_count_base_ - std::countl_zero(value | sub_bucket_mask_);
    const std::uint64_t sub_bucket = value >> (bucket + unit_magnitude_);
    return (static_cast<std::size_t>(bucket + 1) << sub_bucket_half_count_magnitude_) + sub_bucket -
           sub_bucket_half_count_;
  }
  [[nodiscard]] int slot_shift(std::size_t index) const;
  [[nodiscard]] std::uint64_t lowest_of_index(std::size_t index) const;
  [[nodiscard]] std::uint64_t highest_of_index(std::size_t index) const;
  [[nodiscard]] std::int64_t reported_value(std::size_t index) const;
  // Empty when the config is legal, else which field is out of range and why.
  [[nodiscard]] static std::string config_error(const HistogramConfig& config);
  [[nodiscard]] static std::optional<Histogram> decode(std::string_view text, std::string& why);
  [[nodiscard]] bool adopt_totals(std::uint64_t total, std::uint64_t overflow, std::uint64_t min,
                                  std::uint64_t max, Sum sum, std::string& why);

  HistogramConfig config_;
  std::int64_t highest_ = 0;
  int unit_magnitude_ = 0;
  int sub_bucket_count_magnitude_ = 0;
  int sub_bucket_half_count_magnitude_ = 0;
  int leading_zero_count_base_ = 0;
  int bucket_count_ = 0;
  std::uint64_t sub_bucket_half_count_ = 0;
  std::uint64_t sub_bucket_mask_ = 0;

  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t overflow_ = 0;
  std::uint64_t min_ = kNoMin;
  std::uint64_t max_ = 0;
  Sum sum_ = 0;
};

inline void Histogram::record_n(std::int64_t value, std::uint64_t n) {
  n = std::min(n, kMaxCount - total_);  // shed past the cap; keeps every sum below its type
  if (n == 0) return;                   // recording nothing must not move min or max
  const std::uint64_t clamped = clamp_value(value);
  const std::size_t index = index_of(clamped);
  assert(index < counts_.size());
  counts_[index] += n;
  total_ += n;
  overflow_ += static_cast<std::uint64_t>(value > highest_) * n;  // branch-free: may be random
  sum_ += static_cast<Sum>(clamped) * n;
  min_ = std::min(min_, clamped);
  max_ = std::max(max_, clamped);
}

}  // namespace fusebox
