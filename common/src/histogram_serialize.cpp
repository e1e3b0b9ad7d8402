// Histogram's text form: "hdr1:" + padded base64 (codec.hpp) of a varint payload, and the
// validation that lets a decoded histogram keep every invariant a recorded one has.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fusebox/common/codec.hpp"
#include "fusebox/common/histogram.hpp"

namespace fusebox {
namespace {

constexpr std::uint64_t kMaxInt64 =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

constexpr std::array<char, 3> kMagic = {'F', 'B', 'H'};
constexpr std::uint8_t kFormatVersion = 1;
constexpr std::size_t kHeaderFields = 9;  // lowest, highest, digits, total, overflow, min, max,
                                          // sum low, sum high

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
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  [[nodiscard]] bool done() const { return position_ == bytes_.size(); }

  [[nodiscard]] bool read_byte(std::uint8_t& out) {
    if (done()) return false;
    out = bytes_[position_++];
    return true;
  }

  // Unsigned LEB128, at most 10 bytes, value below 2^64.
  [[nodiscard]] bool read_uvarint(std::uint64_t& out, std::string& why) {
    const std::size_t start = position_;
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t byte = 0;
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
  std::span<const std::uint8_t> bytes_;
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
    std::uint8_t byte = 0;
    if (!reader.read_byte(byte) || byte != static_cast<std::uint8_t>(expected)) {
      why = "bad magic: the payload is not a fusebox histogram";
      return false;
    }
  }
  std::uint8_t version = 0;
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

// Only the range of each field; Histogram::decode then checks the config as a whole.
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
  text += base64_encode(payload);
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
  const std::optional<std::vector<std::uint8_t>> payload =
      base64_decode(text.substr(kSerialPrefix.size()));
  if (!payload) {
    why = "payload after '" + std::string(kSerialPrefix) +
          "' is not valid base64 (standard alphabet, '=' padding, length a multiple of 4, "
          "zero unused bits)";
    return std::nullopt;
  }
  ByteReader reader(*payload);
  const std::optional<Header> header = read_header(reader, why);
  if (!header) return std::nullopt;
  if (std::string bad = config_error(header->config); !bad.empty()) {
    why = "config out of range: " + bad;
    return std::nullopt;
  }
  Histogram histogram(header->config);  // config_error() accepted it: cannot throw
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
