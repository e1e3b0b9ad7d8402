#pragma once
// The generator's pure pieces, apart from the socket code so tests reach them directly: the
// planned rate of a phase, request bodies, how an answer is classified, and the bounded book
// of earlier orders that refunds, queries and closes pick from.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fusebox/common/flat_index.hpp"
#include "fusebox/common/rng.hpp"
#include "fusebox/harness/load.hpp"

namespace fusebox::harness {

// The phase's planned arrival rate at t_s (0 outside it).
[[nodiscard]] double planned_rate(const LoadPhase& phase, double t_s);

[[nodiscard]] std::string pay_body(const std::string& merchant_order_id, std::int64_t amount,
                                   const std::string& currency, const LoadTarget& target);
[[nodiscard]] std::string refund_body(const std::string& payment_id,
                                      const std::string& merchant_refund_id, std::int64_t amount);

// Appends `text` as a JSON string (quotes and escapes as nlohmann's dump writes them).
void append_json_string(std::string& out, std::string_view text);
// The bodies written into a reused buffer (no allocation once it has grown).
void append_pay_body(std::string& out, std::string_view merchant_order_id, std::int64_t amount,
                     std::string_view currency, const LoadTarget& target);
void append_refund_body(std::string& out, std::string_view payment_id,
                        std::string_view merchant_refund_id, std::int64_t amount);

// The few fields of an answer's JSON the classification reads. A string field is "" when
// absent or not a string, `amount` 0 when absent or not an integer; `error_code` is the
// "code" string of a top-level "error" object. `object`: the document is a JSON object.
struct AnswerFields {
  bool object = false;
  std::string status, failure_code, channel, payment_id, merchant_order_id, error_code;
  std::int64_t amount = 0;
};
enum class ScanResult : std::uint8_t { json, not_json, too_deep };
// Reads those fields in one pass without building a DOM, accepting exactly the documents
// nlohmann::json::parse accepts. `too_deep`: nested past 64 levels, left to json_answer_fields.
[[nodiscard]] ScanResult scan_answer(std::string_view body, AnswerFields& out);
// The same fields through nlohmann's DOM (the reference, and the fallback for deep documents).
[[nodiscard]] AnswerFields json_answer_fields(std::string_view body);

// What an answer said, as far as the load cares.
struct ParsedAnswer {
  Outcome outcome = Outcome::ok;
  std::string payment_id, merchant_order_id, status, channel, error_code;
  std::int64_t amount = 0;
  [[nodiscard]] bool has_payment() const { return !payment_id.empty() && !status.empty(); }
};

// Classifies an HTTP answer (docs in load.hpp, Outcome). `conflict_probe`: a 409 is the
// expected answer.
[[nodiscard]] ParsedAnswer classify_answer(Op op, int http_status, std::string_view body,
                                           bool conflict_probe);

// The last `capacity` orders answered with a payment id and their last status, with the
// subsets refunds (SUCCEEDED, something left to refund) and closes (PROCESSING) pick from,
// each kept as an array with positions so picking and moving are O(1).
class OrderBook {
 public:
  struct Entry {
    std::string payment_id, merchant_order_id, channel, status;
    std::int64_t amount = 0, refund_reserved = 0;
  };
  explicit OrderBook(std::size_t capacity = 100'000);

  void update(const std::string& payment_id, const std::string& merchant_order_id,
              const std::string& channel, std::int64_t amount, const std::string& status);
  [[nodiscard]] const Entry* find(const std::string& payment_id) const;
  [[nodiscard]] const Entry* pick_any(Rng& rng) const;
  [[nodiscard]] const Entry* pick_refundable(Rng& rng) const;
  [[nodiscard]] const Entry* pick_processing(Rng& rng) const;
  // Holds `amount` of the payment for a refund in flight; give it back if the refund fails.
  void reserve_refund(const std::string& payment_id, std::int64_t amount);
  void release_refund(const std::string& payment_id, std::int64_t amount);
  [[nodiscard]] std::size_t size() const { return filled_; }

 private:
  struct Subset {
    std::vector<std::uint32_t> members;
    std::vector<std::int64_t> position;  // per slot, -1 when absent
    void set(std::uint32_t slot, bool in);
  };
  void refresh(std::uint32_t slot);
  [[nodiscard]] std::uint32_t slot_of(std::string_view payment_id) const;
  [[nodiscard]] auto payment_key() const {
    return [this](std::uint32_t slot) -> const std::string& { return slots_[slot].payment_id; };
  }

  std::vector<Entry> slots_;
  std::size_t filled_ = 0, next_ = 0;
  FlatIndex by_payment_;  // slots by payment id, read from slots_
  Subset refundable_, processing_;
};

}  // namespace fusebox::harness
