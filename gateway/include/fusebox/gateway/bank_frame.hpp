#pragma once
// What the live bank-binary pool needs of the frame format besides the codec (docs/CHANNELS.md,
// bank-binary): the sizes to frame a TCP stream with, the trace number and message type to match
// a pipelined response to its request before decoding it, and the network messages (sign-on,
// echo) a pooled connection sends on its own. Pure, like the codec.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fusebox/common/clock.hpp"

namespace fusebox::gateway::bank {

inline constexpr std::size_t kLengthPrefixBytes = 2;  // big-endian, always 134
inline constexpr std::size_t kBodyBytes = 134;
inline constexpr std::size_t kFrameBytes = kLengthPrefixBytes + kBodyBytes;
inline constexpr std::uint32_t kMinTrace = 1;
inline constexpr std::uint32_t kMaxTrace = 999'999;  // six digits

// Network management (0800 / 0810).
enum class NetworkCode : std::uint8_t { sign_on, sign_off, echo };
// "001", "002", "301".
[[nodiscard]] std::string_view to_wire(NetworkCode code);

// A whole 0800 frame, length prefix included, MAC'd with `mac_key`. Throws
// std::invalid_argument naming the field for a trace outside 1..999999 or a time that does
// not fit ten digits of seconds.
[[nodiscard]] std::string network_frame(NetworkCode code, std::uint32_t trace, TimeNs now_ns,
                                        std::string_view mac_key);

// Read from a frame's body (length prefix removed) without checking its MAC, so a transport
// can route a response before anyone decodes it. nullopt when the body is not 134 bytes or
// the field is not digits.
[[nodiscard]] std::optional<std::uint32_t> read_trace(std::string_view body);
[[nodiscard]] std::optional<std::string_view> read_mti(std::string_view body);
// True for "0810": a network response, which no ChannelCall is waiting for.
[[nodiscard]] bool is_network_response(std::string_view body);

// True when the body is 134 bytes and its MAC is the one `mac_key` makes.
[[nodiscard]] bool mac_verifies(std::string_view body, std::string_view mac_key);

// An 0810 read with its MAC checked. `approved` only for response code 00.
struct NetworkReply {
  bool approved = false;
  std::uint32_t trace = 0;
  std::optional<NetworkCode> code;
  std::string response_code;
  std::string error;  // why not approved: "" when approved
};
[[nodiscard]] NetworkReply parse_network_reply(std::string_view body, std::string_view mac_key);

}  // namespace fusebox::gateway::bank
