#pragma once
// The simulator's side of the wallet-json protocol (docs/CHANNELS.md): decoding merchant
// requests, and encoding answers and notifications, signed with the channel's key. Pure: the
// HTTP server hands in method, target and body, and sends what comes back.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "fusebox/common/signing.hpp"
#include "fusebox/simulator/model_types.hpp"

namespace fusebox::sim::wallet_json {

inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
inline constexpr std::string_view kAckBody = R"({"code":"SUCCESS"})";

struct HttpReply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type
};

struct ParsedRequest {
  Request request;
  std::string merchant_id;
  std::string notify_url;  // pay, refund: where its notifications go; empty: the configured URL
};

// What every signed message the channel sends carries besides its own fields. The caller
// supplies them so that replies are reproducible (sim mode) and fresh (live mode).
struct Envelope {
  std::string merchant_id;
  std::string nonce;
  std::int64_t timestamp_s = 0;
};

// A request, or the error reply to send instead (400 malformed, 401 bad signature, 404
// unknown path, 405 wrong method, 413 body too large), already signed.
[[nodiscard]] std::variant<ParsedRequest, HttpReply> parse_request(
    std::string_view method, std::string_view target, std::string_view body,
    const MessageVerifier& merchant, const MessageSigner& channel, const Envelope& envelope);

// The reply to a processed (or rejected) request, acting out the transport faults that live
// in the message itself: http_5xx, too_many_requests, malformed_body, bad_signature. The
// connection-level ones (black hole, reset, truncation, dribble) are the server's to act out.
[[nodiscard]] HttpReply render_decision(const Decision& decision, const MessageSigner& channel,
                                        const Envelope& envelope);

// The body of a notification POST to the merchant's notify URL.
[[nodiscard]] std::string render_notification(const Notification& notification,
                                              const MessageSigner& channel,
                                              const Envelope& envelope);

// Shared by both wallet families. An outage behind the channel's load balancer answers 503
// with an HTML page, not even the family's own format.
[[nodiscard]] HttpReply unavailable_reply();
// The Retry-After header of a 429: whole seconds, rounded up, at least 1.
[[nodiscard]] std::pair<std::string, std::string> retry_after_header(TimeNs retry_after_ns);

// A statement request's range from the text of its optional from_ms and to_ms fields (both
// wallet families): [from_ms, to_ms) on the channel's clock, the whole ledger by default.
// False with `why` naming the field when one is not a non-negative integer of milliseconds,
// or when the range is empty.
[[nodiscard]] bool read_statement_range(const std::string* from_ms, const std::string* to_ms,
                                        Request& request, std::string& why);

// Only this counts as an acknowledgement: HTTP 200 and a body of exactly kAckBody.
[[nodiscard]] bool is_ack(int status, std::string_view body);

namespace detail {
// How a request body reads, for tests: its fields in key order ("key = string text" or
// "key = integer text (value)"), or "error: why". `plain` is the fast reader of plain
// bodies alone ("not plain" when it passes the body on), `general` the nlohmann reader
// alone, `either` what parse_request uses: the two must agree on every body.
enum class BodyReader : std::uint8_t { either, plain, general };
[[nodiscard]] std::string describe_body(std::string_view body, BodyReader reader);
}  // namespace detail

}  // namespace fusebox::sim::wallet_json
