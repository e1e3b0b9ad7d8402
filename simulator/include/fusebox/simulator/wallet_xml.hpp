#pragma once
// The simulator's side of the wallet-xml protocol (docs/CHANNELS.md): flat <xml> documents,
// an HMAC-SHA256 signature (or another scheme) over the sorted name=value pairs, an XML ACK.
// Pure, like wallet_json.hpp, whose reply and envelope types it shares.

#include <string>
#include <string_view>
#include <variant>

#include "fusebox/common/signing.hpp"
#include "fusebox/simulator/model_types.hpp"
#include "fusebox/simulator/wallet_json.hpp"

namespace fusebox::sim::wallet_xml {

using wallet_json::Envelope;
using wallet_json::HttpReply;
using wallet_json::ParsedRequest;

inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
inline constexpr std::string_view kAckBody =
    "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></"
    "xml>";

[[nodiscard]] std::variant<ParsedRequest, HttpReply> parse_request(
    std::string_view method, std::string_view target, std::string_view body,
    const MessageVerifier& merchant, const MessageSigner& channel, const Envelope& envelope);

[[nodiscard]] HttpReply render_decision(const Decision& decision, const MessageSigner& channel,
                                        const Envelope& envelope);

[[nodiscard]] std::string render_notification(const Notification& notification,
                                              const MessageSigner& channel,
                                              const Envelope& envelope);

[[nodiscard]] bool is_ack(int status, std::string_view body);

}  // namespace fusebox::sim::wallet_xml
