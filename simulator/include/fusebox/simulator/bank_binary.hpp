#pragma once
// The simulator's side of the bank-binary protocol (docs/CHANNELS.md): fixed-width frames in
// the ISO 8583 style, a truncated HMAC-SHA256 MAC over each, responses matched to requests by
// trace number. Pure: the TCP server frames bytes (framing.hpp) and passes bodies here.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "fusebox/simulator/model_types.hpp"

namespace fusebox::sim::bank_binary {

inline constexpr std::size_t kBodyBytes = 134;

// Every message has every field; those a message type does not use are blank.
struct Message {
  std::string mti;                // 4 digits: 0200 pay, 0220 refund, 0400 close, 0600 query,
                                  // 0620 refund query, 0800 network; responses add 10
  std::uint32_t trace = 0;        // 6 digits, echoed in the response
  std::int64_t timestamp_s = 0;   // 10 digits
  std::int64_t amount_minor = 0;  // 12 digits
  std::string currency;           // ISO 4217 alphabetic, or blank
  std::string order_id;           // up to 32
  std::string refund_id;          // up to 32
  std::string response_code;      // 2 characters, blank in requests
  char state = ' ';               // P paying, S paid, F failed, C closed
  char refund_state = ' ';        // P processing, S succeeded, F failed
  std::string channel_txn;        // up to 12 (the retrieval reference number)
  std::string network_code;       // 3 digits in 0800/0810: 001 sign-on, 002 sign-off, 301 echo
};

struct DecodeError {
  std::string field;  // "mac" for a MAC that does not verify
  std::string reason;
  std::optional<std::uint32_t> trace;  // when the trace number could be read
};

[[nodiscard]] std::variant<Message, DecodeError> decode(std::string_view body,
                                                        std::string_view mac_key);
// The body of a frame. `wrong_mac` writes a MAC that does not verify (the bad_signature fault).
[[nodiscard]] std::string encode(const Message& message, std::string_view mac_key,
                                 bool wrong_mac = false);

// What a request message asks of the channel, or nullopt for a network message.
[[nodiscard]] std::optional<Request> to_request(const Message& message, int node);

// The response to a financial request, acting out the faults that live in the message
// (http_5xx as 96, too_many_requests as 91, bad_signature, malformed_body).
[[nodiscard]] std::string respond(const Message& request, const Decision& decision,
                                  std::string_view mac_key, std::int64_t timestamp_s);
// 0810 with code 00 to a sign-on, sign-off or echo.
[[nodiscard]] std::string respond_network(const Message& request, std::string_view mac_key,
                                          std::int64_t timestamp_s);
// The answer to a message that did not decode: 30 (format error) or, for a bad MAC, A0.
[[nodiscard]] std::string respond_error(const DecodeError& error, std::string_view mac_key,
                                        std::int64_t timestamp_s);

}  // namespace fusebox::sim::bank_binary
