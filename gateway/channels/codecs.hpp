#pragma once
// Private to the channel codecs: what the three families share. The two wallet families differ
// only in syntax (JSON or flat XML), field names, status names and paths, so one pipeline
// (wallet_codec.cpp) runs both from a WalletDialect each family file describes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "fusebox/common/signing.hpp"
#include "fusebox/gateway/channel_codec.hpp"

namespace fusebox::gateway::detail {

// Bounds from docs/CHANNELS.md; anything past them is refused, never buffered or parsed.
inline constexpr std::size_t kMaxWalletBodyBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kMaxWalletIdChars = 64;     // merchant, order and refund ids
inline constexpr std::size_t kMaxWalletNonceChars = 32;  // a uint64's 20 digits always fit
// A legitimate message has under twenty fields; past this a body is refused as malformed.
inline constexpr std::size_t kMaxWalletFields = 64;

template <class T>
struct Named {
  std::string_view name;
  T value;
};

template <class T>
[[nodiscard]] std::optional<T> lookup(std::span<const Named<T>> table, std::string_view name) {
  for (const Named<T>& entry : table) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

// Encode-side guards: the core validated the merchant's input already, so a failure here is
// a programming error. Each throws std::invalid_argument naming `field`.
void require_text(std::string_view field, std::string_view value, std::size_t max_chars);
void require_amount(std::string_view field, std::int64_t amount_minor);
void require_currency(std::string_view field, std::string_view currency);

[[nodiscard]] bool is_currency(std::string_view text);
// 1 to 18 decimal digits, nothing else (so no sign, no overflow).
[[nodiscard]] std::optional<std::int64_t> parse_decimal(std::string_view text);
[[nodiscard]] std::int64_t seconds_of(TimeNs now_ns);
// Retry-After in delta-seconds (surrounding blanks allowed) as ms; -1 when absent or not that.
[[nodiscard]] std::int64_t retry_after_ms(std::string_view header);

// A flat message as read off the wire, fields in wire order.
struct FlatMessage {
  Fields fields;
  std::uint64_t integer_fields = 0;  // bit i: fields[i] was written as a JSON integer
};
static_assert(kMaxWalletFields <= 64, "one bit per field");

// What the wallet families carry, whatever each names it.
enum class Slot : std::uint8_t {
  code,         // wallet-json `code`, wallet-xml `err_code`
  return_code,  // wallet-xml
  result_code,  // wallet-xml
  message,
  event,
  notify_id,
  order_id,
  state,
  amount,
  currency,
  channel_txn_id,
  refund_id,
  refund_state,
  refund_amount,
};
inline constexpr std::size_t kSlotCount = 14;

struct SlotValues {
  std::array<std::string, kSlotCount> values;  // "" when absent (empty counts as absent)
  std::uint32_t integers = 0;                  // bit per slot: written as a JSON integer
  [[nodiscard]] const std::string& operator[](Slot slot) const {
    return values[static_cast<std::size_t>(slot)];
  }
};

// Everything the shared wallet pipeline needs to know about one family.
struct WalletDialect {
  Family family;
  std::string_view name;  // "wallet-json", for messages
  std::string_view content_type;
  std::string_view ack_body;
  std::array<std::string_view, kChannelOpCount> paths;  // indexed by ChannelOp

  // Request field names.
  std::string_view merchant_id_field, nonce_field, timestamp_field, order_id_field, refund_id_field,
      pay_amount_field, refund_amount_field, currency_field, notify_url_field;

  // Reading: the names of the fields the gateway looks at, and the values it understands.
  std::span<const Named<Slot>> slots;
  std::span<const Named<ReplyKind>> codes;
  std::span<const Named<PaymentStatus>> payment_states;
  std::span<const Named<RefundStatus>> refund_states;
  bool integers_typed = false;  // amounts must arrive as integers, not text

  // Appends the body's opening, one field, or its closing.
  std::string_view open, close;
  void (*append_field)(std::string& out, std::string_view name, std::string_view value);
  // A body's fields, or nullopt with `why`.
  std::optional<FlatMessage> (*parse)(std::string_view body, std::string& why);
  // The code that decides an answer's kind, e.g. "SUCCESS" or "ORDERNOTEXIST"; "" if none.
  std::string_view (*answer_code)(const SlotValues& slots);
};

[[nodiscard]] const WalletDialect& wallet_json_dialect();
[[nodiscard]] const WalletDialect& wallet_xml_dialect();

[[nodiscard]] std::unique_ptr<ChannelCodec> make_wallet_codec(const WalletDialect& dialect,
                                                              CodecKeys keys);
[[nodiscard]] std::unique_ptr<ChannelCodec> make_bank_binary_codec(CodecKeys keys);

}  // namespace fusebox::gateway::detail
