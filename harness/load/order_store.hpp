#pragma once
// The recorder's book of every merchant order seen: a fixed 40-byte record per order, so a
// ten-minute run at thousands of orders a second stays small. Not a public header.
//
// The generator numbers its orders "<id_prefix>-<n>", so records sit in fixed-size chunks
// indexed by n (no per-order key, no reallocation copies as the run grows). Anything else
// (another prefix, a non-canonical number) and everything that does not fit a record (a
// payment id longer than the inline array, a second distinct payment id) goes to side maps,
// which only a broken gateway or an unusual id fills: nothing is ever truncated.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fusebox/harness/checker.hpp"

namespace fusebox::harness::load {

class OrderStore final : public SeenSource {
 public:
  void add(std::string_view merchant_order_id, std::string_view payment_id, std::int64_t amount,
           std::string_view status);

  // Numbered orders sit at their number, then the named ones in the order they came.
  [[nodiscard]] std::size_t positions() const override;
  void for_each_in(std::size_t from, std::size_t to,
                   const std::function<void(const SeenOrder&)>& visit) const override;
  [[nodiscard]] std::optional<SeenOrder> find(std::string_view merchant_order_id) const override;
  [[nodiscard]] std::size_t size() const override { return count_; }

  static constexpr std::size_t kInlineId = 15;  // "P000000000001" and the like fit

  // Statuses as indexes into a table of names; one more than fits is kept as kOtherStatus.
  struct Record {
    std::array<char, kInlineId> payment_id{};  // NUL-padded; full when exactly 15 chars
    std::uint8_t flags = 0;
    std::int64_t amount = 0;
    std::uint32_t count = 0, first_final_at = 0, changed_at = 0;
    std::uint8_t first = 0, first_final = 0, changed = 0, last = 0;
  };

 private:
  static constexpr std::size_t kChunkBits = 16;
  static constexpr std::size_t kChunk = std::size_t{1} << kChunkBits;
  // What does not fit a Record, keyed by the record's place (see key_of).
  struct Extra {
    std::string long_payment_id;        // when the first id did not fit inline
    std::vector<std::string> more_ids;  // further distinct payment ids, in arrival order
  };

  [[nodiscard]] std::optional<std::uint64_t> number_of(std::string_view merchant_order_id) const;
  [[nodiscard]] Record* slot_for(std::string_view merchant_order_id, std::uint64_t& key);
  [[nodiscard]] const Record* lookup(std::string_view merchant_order_id, std::uint64_t& key) const;
  [[nodiscard]] std::uint8_t status_index(std::string_view status);
  void add_payment_id(Record& record, std::uint64_t key, std::string_view payment_id);
  void fold_status(Record& record, std::string_view status);
  void expand(const Record& record, std::uint64_t key, SeenOrder& out) const;

  std::string prefix_;  // of the first numbered id; "" until one was seen
  std::vector<std::unique_ptr<std::array<Record, kChunk>>> chunks_;
  std::uint64_t numbered_end_ = 0;                           // one past the highest number seen
  std::map<std::string, std::uint64_t, std::less<>> named_;  // other ids -> index in named_records_
  std::vector<Record> named_records_;
  std::vector<const std::string*> named_ids_;  // by index in named_records_ (map keys stay put)
  std::unordered_map<std::uint64_t, Extra> extras_;
  std::vector<std::string> status_names_;
  std::vector<bool> status_final_;
  std::size_t count_ = 0;
};

}  // namespace fusebox::harness::load
