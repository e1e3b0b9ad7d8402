// bank-binary (docs/CHANNELS.md): 134-byte fixed-width ASCII frames behind a 2-byte length,
// MAC'd with a truncated HMAC-SHA256. A response is trusted only once its MAC verifies, and is
// this call's only if it carries the request's type plus 10 and echoes the ids it was sent.
#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

#include "fusebox/common/crypto.hpp"
#include "fusebox/gateway/bank_frame.hpp"

#include "codecs.hpp"

namespace fusebox::gateway {

namespace {

struct Field {
  std::string_view name;
  std::size_t offset;
  std::size_t width;
};
constexpr Field kMti{"mti", 0, 4};
constexpr Field kTrace{"trace", 4, 6};
constexpr Field kTimestamp{"timestamp", 10, 10};
constexpr Field kAmount{"amount", 20, 12};
constexpr Field kCurrency{"currency", 32, 3};
constexpr Field kOrderId{"order_id", 35, 32};
constexpr Field kRefundId{"refund_id", 67, 32};
constexpr Field kResponseCode{"response_code", 99, 2};
constexpr Field kState{"state", 101, 1};
constexpr Field kRefundState{"refund_state", 102, 1};
constexpr Field kRrn{"channel_txn_id", 103, 12};
constexpr Field kNetworkCode{"network_code", 115, 3};
constexpr Field kMac{"mac", 118, 16};
static_assert(kMac.offset + kMac.width == bank::kBodyBytes);
constexpr std::array<Field, 4> kNumericFields{kMti, kTrace, kTimestamp, kAmount};

constexpr std::int64_t kMaxTimestampS = 9'999'999'999;
constexpr std::int64_t kMaxAmountMinor = 999'999'999'999;
constexpr std::size_t kMacBytes = 8;

[[nodiscard]] std::string_view raw(std::string_view body, const Field& field) {
  return body.substr(field.offset, field.width);
}

[[nodiscard]] std::string_view trimmed(std::string_view body, const Field& field) {
  std::string_view value = raw(body, field);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  return value;
}

[[nodiscard]] bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

[[nodiscard]] bool printable(char c) { return c >= 0x20 && c <= 0x7e; }

// The MAC over the body's first 118 bytes, as the 16 uppercase hex digits the frame carries.
[[nodiscard]] std::array<char, 16> mac_of(std::string_view body, std::string_view key) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  const Sha256Digest digest = hmac_sha256(key, body.substr(0, kMac.offset));
  std::array<char, 16> hex{};
  for (std::size_t i = 0; i < kMacBytes; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xfU];
  }
  return hex;
}

// What goes into a request frame; every other field stays blank.
struct RequestFields {
  std::string_view mti;
  std::uint32_t trace = 0;
  std::int64_t timestamp_s = 0;
  std::int64_t amount_minor = 0;
  std::string_view currency, order_id, refund_id, network_code;
};

void put_text(std::string& frame, const Field& field, std::string_view value) {
  frame.replace(bank::kLengthPrefixBytes + field.offset, value.size(), value);
}

void put_digits(std::string& frame, const Field& field, std::uint64_t value) {
  std::array<char, 20> digits{};
  const auto [end, error] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  const auto length = static_cast<std::size_t>(end - digits.data());
  // Callers checked the range: a number that does not fit is a bug here, not bad input.
  if (error != std::errc{} || length > field.width) throw std::logic_error("bank frame: overflow");
  char* out = frame.data() + bank::kLengthPrefixBytes + field.offset;
  std::fill_n(out, field.width - length, '0');
  std::copy_n(digits.data(), length, out + field.width - length);
}

[[nodiscard]] std::string build_frame(const RequestFields& fields, std::string_view mac_key) {
  std::string frame(bank::kFrameBytes, ' ');
  frame[0] = static_cast<char>(bank::kBodyBytes >> 8);
  frame[1] = static_cast<char>(bank::kBodyBytes & 0xffU);
  put_text(frame, kMti, fields.mti);
  put_digits(frame, kTrace, fields.trace);
  put_digits(frame, kTimestamp, static_cast<std::uint64_t>(fields.timestamp_s));
  put_digits(frame, kAmount, static_cast<std::uint64_t>(fields.amount_minor));
  put_text(frame, kCurrency, fields.currency);
  put_text(frame, kOrderId, fields.order_id);
  put_text(frame, kRefundId, fields.refund_id);
  put_text(frame, kNetworkCode, fields.network_code);
  const std::string_view body = std::string_view(frame).substr(bank::kLengthPrefixBytes);
  const std::array<char, 16> mac = mac_of(body, mac_key);
  put_text(frame, kMac, std::string_view(mac.data(), mac.size()));
  return frame;
}

void require_trace(std::uint32_t trace) {
  if (trace < bank::kMinTrace || trace > bank::kMaxTrace) {
    throw std::invalid_argument("trace: expected 1 to 999999, got " + std::to_string(trace));
  }
}

[[nodiscard]] std::int64_t checked_timestamp_s(TimeNs now_ns) {
  const std::int64_t seconds = detail::seconds_of(now_ns);
  if (seconds < 0 || seconds > kMaxTimestampS) {
    throw std::invalid_argument("timestamp: " + std::to_string(seconds) +
                                " s does not fit ten digits");
  }
  return seconds;
}

// Ids are fixed-width, space-padded printable ASCII: trailing blanks would not come back.
void require_id(std::string_view field, std::string_view value, bool required) {
  if (required) detail::require_text(field, value, kOrderId.width);
  const bool fits = value.size() <= kOrderId.width &&
                    std::all_of(value.begin(), value.end(), printable) &&
                    (value.empty() || value.back() != ' ');
  if (!fits) {
    throw std::invalid_argument(std::string(field) +
                                ": expected up to 32 printable ASCII characters, not ending in "
                                "a blank");
  }
}

[[nodiscard]] std::string_view request_mti(ChannelOp op) {
  switch (op) {
    case ChannelOp::pay:
      return "0200";
    case ChannelOp::refund:
      return "0220";
    case ChannelOp::close:
      return "0400";
    case ChannelOp::query:
      return "0600";
    case ChannelOp::refund_query:
      return "0620";
  }
  throw std::invalid_argument("op: unknown channel operation");
}

[[nodiscard]] bool asks_about_refund(ChannelOp op) {
  return op == ChannelOp::refund || op == ChannelOp::refund_query;
}

[[nodiscard]] RequestFields request_fields(const ChannelCall& call, const EncodeContext& context) {
  require_trace(context.trace);
  RequestFields fields;
  fields.mti = request_mti(call.op);
  fields.trace = context.trace;
  fields.timestamp_s = checked_timestamp_s(context.now_ns);
  require_id("order_id", call.order_id, call.op != ChannelOp::refund_query);
  fields.order_id = call.order_id;
  if (asks_about_refund(call.op)) {
    require_id("refund_id", call.refund_id, true);
    fields.refund_id = call.refund_id;
  }
  if (call.op == ChannelOp::pay || call.op == ChannelOp::refund) {
    detail::require_amount("amount_minor", call.amount_minor);
    if (call.amount_minor > kMaxAmountMinor) {
      throw std::invalid_argument("amount_minor: does not fit twelve digits");
    }
    fields.amount_minor = call.amount_minor;
    // Pay must say the currency; a refund may leave it to the order's.
    if (call.op == ChannelOp::pay || !call.currency.empty()) {
      detail::require_currency("currency", call.currency);
    }
    fields.currency = call.currency;
  }
  return fields;
}

struct BankCode {
  std::string_view code;
  ReplyKind kind;
  std::string_view meaning;
};

constexpr std::array<BankCode, 10> kCodes{{
    {"00", ReplyKind::answered, "approved"},
    {"09", ReplyKind::answered, "in progress"},
    {"51", ReplyKind::declined, "declined: insufficient funds"},
    {"25", ReplyKind::not_found, "no such order or refund"},
    {"94", ReplyKind::rejected, "duplicate: the order id was used with another amount"},
    {"12", ReplyKind::rejected, "invalid transaction: wrong state"},
    {"30", ReplyKind::rejected, "format error"},
    {"A0", ReplyKind::rejected, "the request's MAC does not verify"},
    {"96", ReplyKind::retryable, "system malfunction"},
    {"91", ReplyKind::retryable, "busy"},
}};

[[nodiscard]] const BankCode* find_code(std::string_view code) {
  const auto it = std::find_if(kCodes.begin(), kCodes.end(),
                               [&](const BankCode& entry) { return entry.code == code; });
  return it == kCodes.end() ? nullptr : &*it;
}

// Length, character set and numeric fields: what must hold before a MAC is worth checking.
[[nodiscard]] std::optional<std::string> syntax_error(std::string_view body) {
  if (body.size() != bank::kBodyBytes) {
    return "expected 134 bytes, got " + std::to_string(body.size());
  }
  if (!std::all_of(body.begin(), body.end(), printable)) return "non-printable bytes";
  for (const Field& field : kNumericFields) {
    if (!all_digits(raw(body, field))) return std::string(field.name) + ": expected digits";
  }
  return std::nullopt;
}

}  // namespace

namespace bank {

std::string_view to_wire(NetworkCode code) {
  switch (code) {
    case NetworkCode::sign_on:
      return "001";
    case NetworkCode::sign_off:
      return "002";
    case NetworkCode::echo:
      return "301";
  }
  return "???";
}

std::string network_frame(NetworkCode code, std::uint32_t trace, TimeNs now_ns,
                          std::string_view mac_key) {
  require_trace(trace);
  RequestFields fields;
  fields.mti = "0800";
  fields.trace = trace;
  fields.timestamp_s = checked_timestamp_s(now_ns);
  fields.network_code = to_wire(code);
  return build_frame(fields, mac_key);
}

std::optional<std::uint32_t> read_trace(std::string_view body) {
  if (body.size() != kBodyBytes) return std::nullopt;
  const std::optional<std::int64_t> trace = detail::parse_decimal(raw(body, kTrace));
  if (!trace) return std::nullopt;
  return static_cast<std::uint32_t>(*trace);
}

std::optional<std::string_view> read_mti(std::string_view body) {
  if (body.size() != kBodyBytes || !all_digits(raw(body, kMti))) return std::nullopt;
  return raw(body, kMti);
}

bool is_network_response(std::string_view body) { return read_mti(body) == "0810"; }

bool mac_verifies(std::string_view body, std::string_view mac_key) {
  if (body.size() != kBodyBytes) return false;
  const std::array<char, 16> expected = mac_of(body, mac_key);
  const std::string_view received = raw(body, kMac);
  // Compared in constant time: how much of a MAC matched is not for a peer to learn.
  const auto as_bytes = [](const char* data) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data), 16);
  };
  return constant_time_equal(as_bytes(expected.data()), as_bytes(received.data()));
}

NetworkReply parse_network_reply(std::string_view body, std::string_view mac_key) {
  NetworkReply reply;
  if (auto why = syntax_error(body)) {
    reply.error = *why;
    return reply;
  }
  reply.trace = read_trace(body).value_or(0);
  if (!mac_verifies(body, mac_key)) {
    reply.error = "MAC does not verify";
    return reply;
  }
  reply.response_code = std::string(trimmed(body, kResponseCode));
  const std::string_view network_code = raw(body, kNetworkCode);
  for (const NetworkCode code : {NetworkCode::sign_on, NetworkCode::sign_off, NetworkCode::echo}) {
    if (to_wire(code) == network_code) reply.code = code;
  }
  if (raw(body, kMti) != "0810") {
    reply.error = "expected an 0810, got " + std::string(raw(body, kMti));
  } else if (!reply.code) {
    reply.error = "unknown network code \"" + std::string(network_code) + "\"";
  } else if (reply.response_code != "00") {
    reply.error = "response code " + reply.response_code;
  } else {
    reply.approved = true;
  }
  return reply;
}

}  // namespace bank

namespace {

[[nodiscard]] ChannelReply malformed(ChannelReply reply, std::string_view why) {
  reply.kind = ReplyKind::malformed;
  reply.message = "bank-binary answer: " + std::string(why);
  return reply;
}

// A 30 or A0 answers a request the bank could not read, so it cannot echo its type or ids.
[[nodiscard]] bool answers_unreadable_request(std::string_view code) {
  return code == "30" || code == "A0";
}

[[nodiscard]] bool is_response_mti(std::string_view mti) {
  for (const ChannelOp op : {ChannelOp::pay, ChannelOp::query, ChannelOp::refund,
                             ChannelOp::refund_query, ChannelOp::close}) {
    const std::string_view request = request_mti(op);
    if (mti.substr(0, 2) == request.substr(0, 2) && mti[2] == request[2] + 1 &&
        mti[3] == request[3]) {
      return true;
    }
  }
  return false;
}

[[nodiscard]] std::optional<std::string> echo_error(const ChannelCall& call, std::string_view body,
                                                    std::string_view code) {
  const std::string_view mti = raw(body, kMti);
  if (answers_unreadable_request(code)) {
    if (is_response_mti(mti)) return std::nullopt;
    return "mti: " + std::string(mti) + " is not a response";
  }
  std::string expected(request_mti(call.op));
  expected[2] = static_cast<char>(expected[2] + 1);
  if (mti != expected) return "mti: expected " + expected + ", got " + std::string(mti);
  if (trimmed(body, kOrderId) != call.order_id) {
    return "order_id: the answer is about \"" + std::string(trimmed(body, kOrderId)) +
           "\", not \"" + call.order_id + "\"";
  }
  const std::string_view refund_id =
      asks_about_refund(call.op) ? std::string_view(call.refund_id) : std::string_view();
  if (trimmed(body, kRefundId) != refund_id) return "refund_id: not the one sent";
  return std::nullopt;
}

[[nodiscard]] std::optional<PaymentStatus> payment_state(char code) {
  switch (code) {
    case 'P':
      return PaymentStatus::processing;
    case 'S':
      return PaymentStatus::succeeded;
    case 'F':
      return PaymentStatus::failed;
    case 'C':
      return PaymentStatus::closed;
    default:
      return std::nullopt;
  }
}

[[nodiscard]] std::optional<RefundStatus> refund_state(char code) {
  switch (code) {
    case 'P':
      return RefundStatus::processing;
    case 'S':
      return RefundStatus::succeeded;
    case 'F':
      return RefundStatus::failed;
    default:
      return std::nullopt;
  }
}

// The states into `reply`; why not, when a state is unknown or a success lacks one.
[[nodiscard]] std::optional<std::string> read_states(const ChannelCall& call, std::string_view body,
                                                     ChannelReply& reply) {
  const char state = body[kState.offset];
  const char refund = body[kRefundState.offset];
  if (state != ' ') {
    reply.payment = payment_state(state);
    if (!reply.payment) return "state: unknown '" + std::string(1, state) + "'";
  }
  if (refund != ' ') {
    reply.refund = refund_state(refund);
    if (!reply.refund) return "refund_state: unknown '" + std::string(1, refund) + "'";
  }
  // 09: still paying. A refund asked about in progress is, by the same token, processing.
  if (reply.code == "09") {
    if (reply.payment.value_or(PaymentStatus::processing) != PaymentStatus::processing) {
      return "state: 09 (in progress) with a final state";
    }
    reply.payment = PaymentStatus::processing;
    if (asks_about_refund(call.op) && !reply.refund) reply.refund = RefundStatus::processing;
  }
  if (reply.kind == ReplyKind::answered &&
      !(asks_about_refund(call.op) ? reply.refund.has_value() : reply.payment.has_value())) {
    return asks_about_refund(call.op) ? "refund_state: blank in an approval"
                                      : "state: blank in an approval";
  }
  if (reply.payment == PaymentStatus::succeeded && reply.channel_txn_id.empty()) {
    return "channel_txn_id: blank for a paid payment";
  }
  return std::nullopt;
}

class BankBinaryCodec final : public ChannelCodec {
 public:
  explicit BankBinaryCodec(CodecKeys keys) : keys_(std::move(keys)) {}

  [[nodiscard]] Family family() const override { return Family::bank_binary; }
  [[nodiscard]] WireRequest encode(const ChannelCall& call,
                                   const EncodeContext& context) const override {
    return WireRequest{{}, build_frame(request_fields(call, context), keys_.mac_key), {}};
  }
  [[nodiscard]] ChannelReply decode(const ChannelCall& call, const WireReply& reply) const override;
  [[nodiscard]] NotificationParse parse_notification(std::string_view /*body*/) const override {
    NotificationParse out;
    out.error = "bank-binary channels send no notifications";
    return out;
  }
  [[nodiscard]] std::string_view ack_body() const override { return {}; }
  [[nodiscard]] std::string_view ack_content_type() const override { return {}; }

 private:
  CodecKeys keys_;
};

ChannelReply BankBinaryCodec::decode(const ChannelCall& call, const WireReply& reply) const {
  const std::string_view body = reply.body;
  ChannelReply out;
  if (auto why = syntax_error(body)) return malformed(std::move(out), *why);
  if (!bank::mac_verifies(body, keys_.mac_key)) {
    out.kind = ReplyKind::unverified;
    out.message = "bank-binary answer: the MAC does not verify";
    return out;
  }
  out.code = std::string(raw(body, kResponseCode));
  const BankCode* code = find_code(out.code);
  if (code == nullptr) {
    const std::string why = "unknown response code \"" + out.code + "\"";
    return malformed(std::move(out), why);
  }
  out.message = std::string(code->meaning);
  if (auto why = echo_error(call, body, out.code)) return malformed(std::move(out), *why);
  out.kind = code->kind;
  out.channel_txn_id = std::string(trimmed(body, kRrn));
  out.currency = std::string(trimmed(body, kCurrency));
  if (auto why = read_states(call, body, out)) return malformed(std::move(out), *why);
  // One amount field: the refund's in refund answers, the payment's otherwise.
  const std::int64_t amount = detail::parse_decimal(raw(body, kAmount)).value_or(0);
  if (asks_about_refund(call.op)) {
    if (out.refund) out.refund_amount_minor = amount;
  } else {
    out.amount_minor = amount;
  }
  return out;
}

}  // namespace

namespace detail {

std::unique_ptr<ChannelCodec> make_bank_binary_codec(CodecKeys keys) {
  return std::make_unique<BankBinaryCodec>(std::move(keys));
}

}  // namespace detail

}  // namespace fusebox::gateway
