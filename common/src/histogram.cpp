#include "fusebox/common/histogram.hpp"

#include <array>
#include <cmath>
#include <initializer_list>
#include <stdexcept>

namespace fusebox {
namespace {

constexpr int kMinDigits = 1;
constexpr int kMaxDigits = 5;
// unit_magnitude + sub_bucket_count_magnitude may not exceed this, so that the sub-bucket mask
// and every slot boundary stay below 2^63 (HdrHistogram's "unit + half count <= 61").
constexpr int kMaxLayoutShift = 62;
constexpr std::uint64_t kMaxInt64 =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

constexpr std::array<char, 3> kMagic = {'F', 'B', 'H'};
constexpr unsigned char kFormatVersion = 1;
constexpr std::size_t kHeaderFields = 9;  // lowest, highest, digits, total, overflow, min, max,
                                          // sum low, sum high

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

std::string config_error(const HistogramConfig& config) {
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

// ---- Base64url without padding (RFC 4648 section 5): printable, file- and URL-safe. ----

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_base64_digits() {
  std::array<std::int8_t, 256> digits{};
  digits.fill(-1);
  for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
    digits[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return digits;
}
constexpr std::array<std::int8_t, 256> kBase64Digits = make_base64_digits();

std::string base64url_encode(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (const char c : bytes) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    bit_count += 8;
    while (bit_count >= 6) {
      bit_count -= 6;
      text.push_back(kBase64Alphabet[(bits >> bit_count) & 0x3F]);
    }
    bits &= (1U << bit_count) - 1;
  }
  if (bit_count > 0) text.push_back(kBase64Alphabet[(bits << (6 - bit_count)) & 0x3F]);
  return text;
}

// `offset` is where `text` starts in the caller's string, for error messages.
std::optional<std::string> base64url_decode(std::string_view text, std::size_t offset,
                                            std::string& why) {
  if (text.size() % 4 == 1) {
    why = "base64url part has an impossible length " + std::to_string(text.size());
    return std::nullopt;
  }
  std::string bytes;
  bytes.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::int8_t digit = kBase64Digits[static_cast<unsigned char>(text[i])];
    if (digit < 0) {
      why = "invalid base64url character (byte " +
            std::to_string(static_cast<unsigned char>(text[i])) + ") at offset " +
            std::to_string(offset + i);
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(digit);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      bytes.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
      bits &= (1U << bit_count) - 1;
    }
  }
  // Leftover bits must be zero so that every payload has exactly one spelling.
  if (bits != 0) {
    why = "base64url part ends with non-zero padding bits";
    return std::nullopt;
  }
  return bytes;
}

// ---- Varints ----

void put_uvarint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

std::uint64_t zigzag_encode(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

std::int64_t zigzag_decode(std::uint64_t zigzag) {
  return static_cast<std::int64_t>((zigzag >> 1) ^ (0 - (zigzag & 1)));
}

// Non-zero counters as themselves, each run of k empty slots as -k.
void put_counts(std::string& out, std::span<const std::uint64_t> counts) {
  std::size_t index = 0;
  while (index < counts.size()) {
    if (counts[index] != 0) {
      assert(counts[index] <= Histogram::kMaxCount);
      put_uvarint(out, zigzag_encode(static_cast<std::int64_t>(counts[index])));
      ++index;
      continue;
    }
    std::size_t run = 1;
    while (index + run < counts.size() && counts[index + run] == 0)
      ++run;
    put_uvarint(out, zigzag_encode(-static_cast<std::int64_t>(run)));
    index += run;
  }
}

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  [[nodiscard]] bool done() const { return position_ == bytes_.size(); }

  [[nodiscard]] bool read_byte(unsigned char& out) {
    if (done()) return false;
    out = static_cast<unsigned char>(bytes_[position_++]);
    return true;
  }

  // Unsigned LEB128, at most 10 bytes, value below 2^64.
  [[nodiscard]] bool read_uvarint(std::uint64_t& out, std::string& why) {
    const std::size_t start = position_;
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      unsigned char byte = 0;
      if (!read_byte(byte)) {
        why = "truncated varint at payload byte " + std::to_string(start);
        return false;
      }
      if (shift == 63 && byte > 1) {
        why = "varint at payload byte " + std::to_string(start) + " overflows 64 bits";
        return false;
      }
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        out = value;
        return true;
      }
    }
    why = "varint at payload byte " + std::to_string(start) + " is longer than 10 bytes";
    return false;
  }

 private:
  std::string_view bytes_;
  std::size_t position_ = 0;
};

struct Header {
  HistogramConfig config;
  std::uint64_t total = 0;
  std::uint64_t overflow = 0;
  std::uint64_t min = 0;
  std::uint64_t max = 0;
  std::uint64_t sum_low = 0;
  std::uint64_t sum_high = 0;
};

[[nodiscard]] bool read_preamble(ByteReader& reader, std::string& why) {
  for (const char expected : kMagic) {
    unsigned char byte = 0;
    if (!reader.read_byte(byte) || byte != static_cast<unsigned char>(expected)) {
      why = "bad magic: the payload is not a fusebox histogram";
      return false;
    }
  }
  unsigned char version = 0;
  if (!reader.read_byte(version)) {
    why = "payload ends before the format version";
    return false;
  }
  if (version != kFormatVersion) {
    why = "unsupported format version " + std::to_string(version) + " (this build reads 1)";
    return false;
  }
  return true;
}

[[nodiscard]] bool to_config(const std::array<std::uint64_t, kHeaderFields>& fields,
                             HistogramConfig& config, std::string& why) {
  if (fields[0] > kMaxInt64 || fields[1] > kMaxInt64 ||
      fields[2] > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
    why = "config out of range: lowest " + std::to_string(fields[0]) + ", highest " +
          std::to_string(fields[1]) + ", digits " + std::to_string(fields[2]);
    return false;
  }
  config.lowest_discernible = static_cast<std::int64_t>(fields[0]);
  config.highest_trackable = static_cast<std::int64_t>(fields[1]);
  config.significant_digits = static_cast<int>(fields[2]);
  if (std::string bad = config_error(config); !bad.empty()) {
    why = "config out of range: " + bad;
    return false;
  }
  return true;
}

[[nodiscard]] std::optional<Header> read_header(ByteReader& reader, std::string& why) {
  if (!read_preamble(reader, why)) return std::nullopt;
  std::array<std::uint64_t, kHeaderFields> fields{};
  for (std::uint64_t& field : fields) {
    if (!reader.read_uvarint(field, why)) return std::nullopt;
  }
  Header header;
  if (!to_config(fields, header.config, why)) return std::nullopt;
  header.total = fields[3];
  header.overflow = fields[4];
  header.min = fields[5];
  header.max = fields[6];
  header.sum_low = fields[7];
  header.sum_high = fields[8];
  return header;
}

[[nodiscard]] bool read_counts(ByteReader& reader, std::span<std::uint64_t> counts,
                               std::string& why) {
  std::size_t index = 0;
  while (!reader.done()) {
    std::uint64_t zigzag = 0;
    if (!reader.read_uvarint(zigzag, why)) return false;
    const std::int64_t entry = zigzag_decode(zigzag);
    if (entry < 0) {
      const std::uint64_t run = static_cast<std::uint64_t>(-(entry + 1)) + 1;  // no -INT64_MIN
      if (run > counts.size() - index) {
        why = "a run of " + std::to_string(run) + " empty slots at slot " + std::to_string(index) +
              " runs past the end of the " + std::to_string(counts.size()) + " counters";
        return false;
      }
      index += run;
      continue;
    }
    if (index >= counts.size()) {
      why = "a count at slot " + std::to_string(index) + " lies past the end of the " +
            std::to_string(counts.size()) + " counters";
      return false;
    }
    counts[index++] = static_cast<std::uint64_t>(entry);
  }
  return true;
}

}  // namespace

HistogramConfig latency_histogram_config() { return HistogramConfig{1, 60'000'000'000, 3}; }

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

std::string Histogram::serialize() const {
  std::string payload(kMagic.begin(), kMagic.end());
  payload.push_back(static_cast<char>(kFormatVersion));
  for (const std::uint64_t field :
       {static_cast<std::uint64_t>(config_.lowest_discernible),
        static_cast<std::uint64_t>(config_.highest_trackable),
        static_cast<std::uint64_t>(config_.significant_digits), total_, overflow_,
        static_cast<std::uint64_t>(min()), max_, static_cast<std::uint64_t>(sum_),
        static_cast<std::uint64_t>(sum_ >> 64)}) {
    put_uvarint(payload, field);
  }
  const std::size_t used = total_ == 0 ? 0 : index_of(max_) + 1;
  put_counts(payload, std::span<const std::uint64_t>(counts_).first(used));
  std::string text(kSerialPrefix);
  text += base64url_encode(payload);
  return text;
}

std::optional<Histogram> Histogram::deserialize(std::string_view text, std::string* error) {
  std::string why;
  std::optional<Histogram> histogram = decode(text, why);
  if (!histogram && error != nullptr) *error = "histogram: " + why;
  return histogram;
}

std::optional<Histogram> Histogram::decode(std::string_view text, std::string& why) {
  if (text.size() > kMaxSerializedChars) {
    why = "text of " + std::to_string(text.size()) + " chars exceeds the limit of " +
          std::to_string(kMaxSerializedChars);
    return std::nullopt;
  }
  if (!text.starts_with(kSerialPrefix)) {
    why = "text does not start with '" + std::string(kSerialPrefix) + "'";
    return std::nullopt;
  }
  const std::optional<std::string> payload =
      base64url_decode(text.substr(kSerialPrefix.size()), kSerialPrefix.size(), why);
  if (!payload) return std::nullopt;
  ByteReader reader(*payload);
  const std::optional<Header> header = read_header(reader, why);
  if (!header) return std::nullopt;
  Histogram histogram(header->config);  // read_header validated the config: cannot throw
  if (!read_counts(reader, histogram.counts_, why)) return std::nullopt;
  const Sum sum = (static_cast<Sum>(header->sum_high) << 64) | header->sum_low;
  if (!histogram.adopt_totals(header->total, header->overflow, header->min, header->max, sum,
                              why)) {
    return std::nullopt;
  }
  return histogram;
}

// Accepts decoded totals only if they are exactly what recording the decoded counters could
// have produced, so a decoded histogram keeps every invariant a recorded one has.
bool Histogram::adopt_totals(std::uint64_t total, std::uint64_t overflow, std::uint64_t min,
                             std::uint64_t max, Sum sum, std::string& why) {
  std::uint64_t counted = 0;
  std::size_t first = counts_.size();
  std::size_t last = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    if (counts_[i] > kMaxCount - counted) {
      why = "the counters add up to more than " + std::to_string(kMaxCount);
      return false;
    }
    first = std::min(first, i);
    last = i;
    counted += counts_[i];
  }
  if (counted != total) {
    why = "count " + std::to_string(total) + " differs from the sum of the counters " +
          std::to_string(counted);
    return false;
  }
  if (total == 0) {
    if ((overflow | min | max) != 0 || sum != 0) {
      why = "an empty histogram must have zero overflow count, min, max and sum";
      return false;
    }
    return true;
  }
  if (overflow > total) {
    why = "overflow count " + std::to_string(overflow) + " exceeds count " + std::to_string(total);
    return false;
  }
  if (min > max || max > static_cast<std::uint64_t>(highest_)) {
    why = "min " + std::to_string(min) + " and max " + std::to_string(max) +
          " are out of order or above highest_trackable";
    return false;
  }
  if (index_of(min) != first || index_of(max) != last) {
    why = "min " + std::to_string(min) + " or max " + std::to_string(max) +
          " does not lie in the first or last non-empty slot";
    return false;
  }
  if (overflow > 0 && max != static_cast<std::uint64_t>(highest_)) {
    why = "overflow count is non-zero but max is not highest_trackable";
    return false;
  }
  if (sum < static_cast<Sum>(min) * total || sum > static_cast<Sum>(max) * total) {
    why = "sum does not lie between min * count and max * count";
    return false;
  }
  total_ = total;
  overflow_ = overflow;
  min_ = min;
  max_ = max;
  sum_ = sum;
  return true;
}

}  // namespace fusebox
