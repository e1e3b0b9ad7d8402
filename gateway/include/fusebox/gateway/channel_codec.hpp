#pragma once
// The channel framework's pure half: one interface for assemble -> sign -> (execute) ->
// parse -> verify -> map status, with one implementation per channel family. Execution
// (sockets, pools, timeouts) belongs to the live runtime or the virtual-time driver; a codec
// only turns calls into bytes and bytes into replies. Codecs are stateless after
// construction and safe to use from several threads at once.
//
// The gateway implements its own side of each protocol from docs/CHANNELS.md; nothing here
// includes the simulator's code, so a misreading of a protocol cannot hide on both sides.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fusebox/common/signing.hpp"
#include "fusebox/gateway/types.hpp"

namespace fusebox::gateway {

// What the core asks a channel to do.
struct ChannelCall {
  ChannelOp op = ChannelOp::pay;
  std::string order_id;           // the gateway's payment_id
  std::string refund_id;          // refund, refund_query: the gateway's refund_id
  std::int64_t amount_minor = 0;  // pay: the order's amount; refund: the refund's amount
  std::string currency;           // pay, refund
  std::string notify_url;  // pay and refund on wallets; "" leaves the channel's configured one
};

// Per-message inputs the codec must not invent itself (the core has no clock or randomness).
struct EncodeContext {
  TimeNs now_ns = 0;        // the envelope's timestamp (seconds are written)
  std::uint64_t nonce = 0;  // wallets: written as the nonce
  std::uint32_t trace = 0;  // bank: the trace number, 1..999999, unique on its connection
};

// HTTP families: POST `target` with `body`. Bank: `body` is one whole frame, length prefix
// included, and `target` is empty.
struct WireRequest {
  std::string target;
  std::string body;
  std::string_view content_type;
};

// What came back. HTTP families: the status, body and Retry-After header (empty if none).
// Bank: status 0 and the frame's 134-byte body (length prefix already removed).
struct WireReply {
  int http_status = 0;
  std::string_view body;
  std::string_view retry_after;
};

enum class ReplyKind : std::uint8_t {
  answered,    // verified and well formed; `payment` / `refund` say what the channel knows
  not_found,   // the channel does not know the order or refund
  declined,    // pay declined for good (insufficient funds ...): final
  retryable,   // system error, busy, 429, 503: the channel did nothing; may retry later
  rejected,    // invalid, conflict, wrong state, bad merchant signature: did nothing, final
  unverified,  // the answer's signature does not verify: ambiguous, trust nothing in it
  malformed,   // unparseable or the wrong shape: ambiguous
};
[[nodiscard]] std::string_view to_string(ReplyKind kind);

struct ChannelReply {
  ReplyKind kind = ReplyKind::malformed;
  std::optional<PaymentStatus> payment;  // mapped from the channel's payment state
  std::optional<RefundStatus> refund;    // mapped from the channel's refund state
  std::string channel_txn_id;
  std::int64_t amount_minor = 0;  // the payment amount as the channel reports it
  std::string currency;
  // The refund's amount, when `refund` is set. bank-binary frames have one amount field,
  // which in refund answers is the refund's: there `amount_minor` stays 0.
  std::int64_t refund_amount_minor = 0;
  std::string code;                  // the channel's own code, e.g. "SYSTEM_ERROR", "96"
  std::string message;               // for logs and errors; why, when malformed
  std::int64_t retry_after_ms = -1;  // from Retry-After, when given
};

struct ChannelNotification {
  bool is_refund = false;
  std::string notify_id;
  std::string order_id;
  PaymentStatus payment = PaymentStatus::processing;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string channel_txn_id;
  std::string refund_id;  // is_refund only
  RefundStatus refund = RefundStatus::processing;
  std::int64_t refund_amount_minor = 0;
};

// A parsed notification, or why not. `verified` is false when the body parsed but its
// signature does not verify: the caller counts it as forged and changes nothing.
struct NotificationParse {
  std::optional<ChannelNotification> notification;
  bool verified = false;
  std::string error;  // non-empty when the body could not be parsed
};

class ChannelCodec {
 public:
  virtual ~ChannelCodec() = default;
  [[nodiscard]] virtual Family family() const = 0;
  // Throws std::invalid_argument, naming the field, for a call the protocol cannot carry
  // (an id too long, a bad currency ...): the core validates merchant input before this.
  [[nodiscard]] virtual WireRequest encode(const ChannelCall& call,
                                           const EncodeContext& context) const = 0;
  // Nothing in an answer is trusted before its signature (or MAC) verifies: what does not
  // parse is malformed, what parses but does not verify is unverified whatever it says, and
  // only then are codes, states and the echoed order and refund ids checked and mapped.
  [[nodiscard]] virtual ChannelReply decode(const ChannelCall& call,
                                            const WireReply& reply) const = 0;
  // Wallets only; the bank family sends no notifications (the error says so).
  [[nodiscard]] virtual NotificationParse parse_notification(std::string_view body) const = 0;
  // The exact body that acknowledges a notification, and its content type.
  [[nodiscard]] virtual std::string_view ack_body() const = 0;
  [[nodiscard]] virtual std::string_view ack_content_type() const = 0;
};

struct CodecKeys {
  std::string merchant_id = "fusebox-gateway";
  MessageSigner signer = MessageSigner::none();        // the merchant's key (requests)
  MessageVerifier verifier = MessageVerifier::none();  // the channel's key (answers, notifications)
  std::string mac_key;                                 // bank-binary: the MAC key
};

// Wallets: throws std::invalid_argument for a merchant_id outside 1..64 characters.
[[nodiscard]] std::unique_ptr<ChannelCodec> make_codec(Family family, CodecKeys keys);

}  // namespace fusebox::gateway
