// The pipeline both wallet families share: assemble and sign a request; read an answer or a
// notification (parse, verify the channel's signature, then map codes and states). Order
// matters on the way in: what does not parse is malformed, what parses but does not verify is
// unverified whatever it says, and only a verified message is checked for shape and mapped.
#include <cassert>
#include <stdexcept>
#include <utility>

#include "codecs.hpp"

namespace fusebox::gateway::detail {

namespace {

// A signed request is a few hundred bytes; an RSA-2048 signature adds 344.
constexpr std::size_t kRequestReserveBytes = 768;
constexpr std::size_t kMaxNotifyIdChars = 64;

[[nodiscard]] Fields request_fields(const WalletDialect& d, const ChannelCall& call,
                                    const EncodeContext& context, const std::string& merchant_id) {
  Fields fields;
  fields.reserve(8);
  fields.emplace_back(d.merchant_id_field, merchant_id);
  fields.emplace_back(d.nonce_field, std::to_string(context.nonce));
  fields.emplace_back(d.timestamp_field, std::to_string(seconds_of(context.now_ns)));
  if (call.op != ChannelOp::refund_query) {
    require_text("order_id", call.order_id, kMaxWalletIdChars);
    fields.emplace_back(d.order_id_field, call.order_id);
  }
  if (call.op == ChannelOp::refund || call.op == ChannelOp::refund_query) {
    require_text("refund_id", call.refund_id, kMaxWalletIdChars);
    fields.emplace_back(d.refund_id_field, call.refund_id);
  }
  if (call.op == ChannelOp::pay) {
    require_amount("amount_minor", call.amount_minor);
    require_currency("currency", call.currency);
    fields.emplace_back(d.pay_amount_field, std::to_string(call.amount_minor));
    fields.emplace_back(d.currency_field, call.currency);
  }
  if (call.op == ChannelOp::refund) {
    require_amount("amount_minor", call.amount_minor);
    fields.emplace_back(d.refund_amount_field, std::to_string(call.amount_minor));
  }
  // Empty values are not sent: the channel then uses its configured URL.
  if ((call.op == ChannelOp::pay || call.op == ChannelOp::refund) && !call.notify_url.empty()) {
    fields.emplace_back(d.notify_url_field, call.notify_url);
  }
  return fields;
}

// Takes the fields by value: the caller is done with them, and canonical_string sorts its own.
[[nodiscard]] bool signature_holds(Fields fields, const MessageVerifier& verifier) {
  if (verifier.scheme() == SignScheme::none) return true;
  std::string sign;
  bool scheme_matches = false;
  for (auto& [name, value] : fields) {
    if (name == "sign") {
      sign = std::move(value);
    } else if (name == "sign_type") {
      scheme_matches = value == to_string(verifier.scheme());
    }
  }
  if (!scheme_matches || sign.empty()) return false;
  const std::optional<std::string> canonical = canonical_string(std::move(fields));
  return canonical && verifier.verify(*canonical, sign);
}

[[nodiscard]] const std::string* first_duplicate(const Fields& fields) {
  for (std::size_t i = 1; i < fields.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (fields[i].first == fields[j].first) return &fields[i].first;
    }
  }
  return nullptr;
}

[[nodiscard]] SlotValues take_slots(const WalletDialect& d, const FlatMessage& message) {
  SlotValues slots;
  for (std::size_t i = 0; i < message.fields.size(); ++i) {
    // Fields the gateway does not use are skipped here but still count for the signature.
    const std::optional<Slot> slot = lookup(d.slots, message.fields[i].first);
    if (!slot) continue;
    const auto index = static_cast<std::size_t>(*slot);
    slots.values[index] = message.fields[i].second;
    if (((message.integer_fields >> i) & 1U) != 0) slots.integers |= 1U << index;
  }
  return slots;
}

enum class ReadStatus : std::uint8_t { ok, malformed, unverified };

struct ReadResult {
  ReadStatus status = ReadStatus::malformed;
  SlotValues slots;  // filled for ok and unverified
  std::string why;
};

[[nodiscard]] ReadResult read_message(const WalletDialect& d, const MessageVerifier& verifier,
                                      std::string_view body) {
  ReadResult result;
  if (body.size() > kMaxWalletBodyBytes) {
    result.why = "body over 64 KiB";
    return result;
  }
  std::optional<FlatMessage> message = d.parse(body, result.why);
  if (!message) return result;
  if (const std::string* name = first_duplicate(message->fields)) {
    result.why = *name + ": appears twice";
    return result;
  }
  // Copied out before the fields go to the verifier; nothing is trusted until it says so.
  result.slots = take_slots(d, *message);
  if (!signature_holds(std::move(message->fields), verifier)) {
    result.status = ReadStatus::unverified;
    result.why = "the channel's signature does not verify";
    return result;
  }
  result.status = ReadStatus::ok;
  return result;
}

// Typed reads of a verified message's slots; remembers the first problem, named by its field.
class SlotReader {
 public:
  SlotReader(const WalletDialect& dialect, const SlotValues& slots)
      : dialect_(dialect), slots_(slots) {}

  [[nodiscard]] bool has(Slot slot) const { return !slots_[slot].empty(); }
  [[nodiscard]] const std::string& text(Slot slot) const { return slots_[slot]; }
  [[nodiscard]] bool ok() const { return error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }

  std::string required_text(Slot slot, std::size_t max_chars) {
    const std::string& value = slots_[slot];
    if (value.empty() || value.size() > max_chars) {
      fail(slot, "1 to " + std::to_string(max_chars) + " characters");
      return {};
    }
    return value;
  }

  std::int64_t amount(Slot slot) {
    const bool typed_ok =
        !dialect_.integers_typed || (slots_.integers & (1U << static_cast<unsigned>(slot))) != 0;
    const std::optional<std::int64_t> value = parse_decimal(slots_[slot]);
    if (!typed_ok || !value) fail(slot, "a non-negative integer (minor units)");
    return value.value_or(0);
  }

  std::string currency(Slot slot) {
    if (!is_currency(slots_[slot])) fail(slot, "an ISO 4217 code");
    return slots_[slot];
  }

  template <class T>
  std::optional<T> named(Slot slot, std::span<const Named<T>> table) {
    const std::optional<T> value = lookup(table, slots_[slot]);
    if (!value) fail(slot, "a known value, got \"" + slots_[slot] + "\"");
    return value;
  }

  void fail(Slot slot, std::string_view expected) {
    if (!error_.empty()) return;
    error_ = std::string(wire_name(slot)) + ": expected " + std::string(expected);
  }

 private:
  [[nodiscard]] std::string_view wire_name(Slot slot) const {
    for (const Named<Slot>& entry : dialect_.slots) {
      if (entry.value == slot) return entry.name;
    }
    return "?";
  }

  const WalletDialect& dialect_;
  const SlotValues& slots_;
  std::string error_;
};

struct PaymentPart {
  PaymentStatus status = PaymentStatus::processing;
  std::string order_id;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string channel_txn_id;
};

struct RefundPart {
  RefundStatus status = RefundStatus::processing;
  std::string refund_id;
  std::int64_t amount_minor = 0;
};

// The payment's fields travel together, keyed by the state: none without it.
[[nodiscard]] std::optional<PaymentPart> read_payment(const WalletDialect& d, SlotReader& reader) {
  if (!reader.has(Slot::state)) return std::nullopt;
  PaymentPart part;
  part.status = reader.named(Slot::state, d.payment_states).value_or(PaymentStatus::processing);
  part.order_id = reader.required_text(Slot::order_id, kMaxWalletIdChars);
  part.amount_minor = reader.amount(Slot::amount);
  part.currency = reader.currency(Slot::currency);
  // A paid payment without its transaction id could not be reconciled later.
  part.channel_txn_id = part.status == PaymentStatus::succeeded
                            ? reader.required_text(Slot::channel_txn_id, kMaxWalletIdChars)
                            : reader.text(Slot::channel_txn_id);
  return part;
}

[[nodiscard]] std::optional<RefundPart> read_refund(const WalletDialect& d, SlotReader& reader) {
  if (!reader.has(Slot::refund_state)) return std::nullopt;
  RefundPart part;
  part.status =
      reader.named(Slot::refund_state, d.refund_states).value_or(RefundStatus::processing);
  part.refund_id = reader.required_text(Slot::refund_id, kMaxWalletIdChars);
  part.amount_minor = reader.amount(Slot::refund_amount);
  return part;
}

[[nodiscard]] ChannelReply malformed(ChannelReply reply, std::string_view family,
                                     std::string_view why) {
  reply.kind = ReplyKind::malformed;
  reply.message = std::string(family) + " answer: " + std::string(why);
  return reply;
}

// An answer about another order or refund than the one asked about is not this call's answer.
[[nodiscard]] std::optional<std::string> echo_mismatch(const ChannelCall& call,
                                                       const SlotValues& slots) {
  const std::string& order_id = slots[Slot::order_id];
  if (!order_id.empty() && !call.order_id.empty() && order_id != call.order_id) {
    return "order_id: the answer is about \"" + order_id + "\", not \"" + call.order_id + "\"";
  }
  const std::string& refund_id = slots[Slot::refund_id];
  if (!refund_id.empty() && !call.refund_id.empty() && refund_id != call.refund_id) {
    return "refund_id: the answer is about \"" + refund_id + "\", not \"" + call.refund_id + "\"";
  }
  return std::nullopt;
}

[[nodiscard]] bool asks_about_refund(ChannelOp op) {
  return op == ChannelOp::refund || op == ChannelOp::refund_query;
}

[[nodiscard]] ChannelReply interpret_answer(const WalletDialect& d, const ChannelCall& call,
                                            const SlotValues& slots) {
  ChannelReply reply;
  reply.code = std::string(d.answer_code(slots));
  reply.message = slots[Slot::message];
  const std::optional<ReplyKind> kind = lookup(d.codes, reply.code);
  if (!kind) {
    const std::string why =
        reply.code.empty() ? "no code it understands" : "unknown code \"" + reply.code + "\"";
    return malformed(std::move(reply), d.name, why);
  }
  if (auto why = echo_mismatch(call, slots)) return malformed(std::move(reply), d.name, *why);
  SlotReader reader(d, slots);
  std::optional<PaymentPart> payment = read_payment(d, reader);
  std::optional<RefundPart> refund = read_refund(d, reader);
  if (!reader.ok()) return malformed(std::move(reply), d.name, reader.error());
  const bool about_refund = asks_about_refund(call.op);
  if (*kind == ReplyKind::answered && !(about_refund ? refund.has_value() : payment.has_value())) {
    return malformed(std::move(reply), d.name,
                     about_refund ? "a success without the refund's state"
                                  : "a success without the payment's state");
  }
  if (payment) {
    reply.payment = payment->status;
    reply.amount_minor = payment->amount_minor;
    reply.currency = std::move(payment->currency);
    reply.channel_txn_id = std::move(payment->channel_txn_id);
  }
  if (refund) {
    reply.refund = refund->status;
    reply.refund_amount_minor = refund->amount_minor;
  }
  reply.kind = *kind;
  return reply;
}

[[nodiscard]] bool rejecting_status(int status) {
  return status == 400 || status == 401 || status == 404 || status == 405 || status == 413;
}

class WalletCodec final : public ChannelCodec {
 public:
  WalletCodec(const WalletDialect& dialect, CodecKeys keys)
      : dialect_(dialect), keys_(std::move(keys)) {
    require_text("merchant_id", keys_.merchant_id, kMaxWalletIdChars);
  }

  [[nodiscard]] Family family() const override { return dialect_.family; }
  [[nodiscard]] WireRequest encode(const ChannelCall& call,
                                   const EncodeContext& context) const override;
  [[nodiscard]] ChannelReply decode(const ChannelCall& call, const WireReply& reply) const override;
  [[nodiscard]] NotificationParse parse_notification(std::string_view body) const override;
  [[nodiscard]] std::string_view ack_body() const override { return dialect_.ack_body; }
  [[nodiscard]] std::string_view ack_content_type() const override { return dialect_.content_type; }

 private:
  [[nodiscard]] ChannelReply status_reply(const WireReply& reply) const;
  void describe_error(std::string_view body, ChannelReply& reply) const;
  void interpret_notification(const SlotValues& slots, NotificationParse& out) const;

  const WalletDialect& dialect_;
  CodecKeys keys_;
};

WireRequest WalletCodec::encode(const ChannelCall& call, const EncodeContext& context) const {
  Fields fields = request_fields(dialect_, call, context, keys_.merchant_id);
  WireRequest request{
      std::string(dialect_.paths[static_cast<std::size_t>(call.op)]), {}, dialect_.content_type};
  std::string& body = request.body;
  body.reserve(kRequestReserveBytes);
  body += dialect_.open;
  for (const auto& [name, value] : fields)
    dialect_.append_field(body, name, value);
  if (keys_.signer.scheme() != SignScheme::none) {
    const std::optional<std::string> canonical = canonical_string(std::move(fields));
    assert(canonical.has_value());  // the names above are distinct
    dialect_.append_field(body, "sign_type", to_string(keys_.signer.scheme()));
    dialect_.append_field(body, "sign", keys_.signer.sign(canonical.value_or("")));
  }
  body += dialect_.close;
  if (body.size() > kMaxWalletBodyBytes) {
    throw std::invalid_argument("notify_url: the request would be over 64 KiB");
  }
  return request;
}

ChannelReply WalletCodec::decode(const ChannelCall& call, const WireReply& reply) const {
  if (reply.http_status != 200) return status_reply(reply);
  ReadResult read = read_message(dialect_, keys_.verifier, reply.body);
  if (read.status == ReadStatus::ok) return interpret_answer(dialect_, call, read.slots);
  ChannelReply out;
  out.kind = read.status == ReadStatus::unverified ? ReplyKind::unverified : ReplyKind::malformed;
  out.message = std::string(dialect_.name) + " answer: " + read.why;
  return out;
}

// The status alone decides: a 503 page is not even the family's format, and what an error
// body says is only for the logs.
ChannelReply WalletCodec::status_reply(const WireReply& reply) const {
  const int status = reply.http_status;
  ChannelReply out;
  out.code = "HTTP_" + std::to_string(status);
  out.message = "HTTP " + std::to_string(status);
  // 504 is the exception among 5xx: a proxy timed out waiting, so the channel may have acted.
  if (status >= 500 && status <= 599 && status != 504) {
    out.kind = ReplyKind::retryable;
    return out;
  }
  if (status == 429) {
    out.kind = ReplyKind::retryable;
    out.retry_after_ms = retry_after_ms(reply.retry_after);
  } else if (rejecting_status(status)) {
    out.kind = ReplyKind::rejected;
  } else {
    out.kind = ReplyKind::malformed;
    out.message =
        std::string(dialect_.name) + " answer: unexpected HTTP status " + std::to_string(status);
    return out;
  }
  describe_error(reply.body, out);
  return out;
}

void WalletCodec::describe_error(std::string_view body, ChannelReply& reply) const {
  const ReadResult read = read_message(dialect_, keys_.verifier, body);
  if (read.status != ReadStatus::ok) {
    reply.message += " (body: " + read.why + ")";
    return;
  }
  const std::string_view code = dialect_.answer_code(read.slots);
  if (!code.empty()) reply.code = std::string(code);
  reply.message += ": " + read.slots[Slot::message];
}

NotificationParse WalletCodec::parse_notification(std::string_view body) const {
  NotificationParse out;
  ReadResult read = read_message(dialect_, keys_.verifier, body);
  if (read.status == ReadStatus::malformed) {
    out.error = std::string(dialect_.name) + " notification: " + read.why;
    return out;
  }
  // An unverified notification is still read, so the caller can log what it claimed.
  out.verified = read.status == ReadStatus::ok;
  interpret_notification(read.slots, out);
  return out;
}

void WalletCodec::interpret_notification(const SlotValues& slots, NotificationParse& out) const {
  SlotReader reader(dialect_, slots);
  ChannelNotification n;
  const std::string& event = reader.text(Slot::event);
  if (event == "REFUND") {
    n.is_refund = true;
  } else if (event != "PAYMENT") {
    reader.fail(Slot::event, "PAYMENT or REFUND");
  }
  n.notify_id = reader.required_text(Slot::notify_id, kMaxNotifyIdChars);
  std::optional<PaymentPart> payment = read_payment(dialect_, reader);
  if (!payment) reader.fail(Slot::state, "the payment's state");
  std::optional<RefundPart> refund = read_refund(dialect_, reader);
  if (n.is_refund && !refund) reader.fail(Slot::refund_state, "the refund's state");
  if (!reader.ok()) {
    out.error = std::string(dialect_.name) + " notification: " + reader.error();
    return;
  }
  n.order_id = std::move(payment->order_id);
  n.payment = payment->status;
  n.amount_minor = payment->amount_minor;
  n.currency = std::move(payment->currency);
  n.channel_txn_id = std::move(payment->channel_txn_id);
  if (n.is_refund) {
    n.refund_id = std::move(refund->refund_id);
    n.refund = refund->status;
    n.refund_amount_minor = refund->amount_minor;
  }
  out.notification = std::move(n);
}

}  // namespace

std::unique_ptr<ChannelCodec> make_wallet_codec(const WalletDialect& dialect, CodecKeys keys) {
  return std::make_unique<WalletCodec>(dialect, std::move(keys));
}

}  // namespace fusebox::gateway::detail
