// make_codec and the small helpers every family shares.
#include <algorithm>
#include <stdexcept>

#include "fusebox/gateway/channel_codec.hpp"

#include "codecs.hpp"

namespace fusebox::gateway {

std::string_view to_string(ReplyKind kind) {
  switch (kind) {
    case ReplyKind::answered:
      return "answered";
    case ReplyKind::not_found:
      return "not_found";
    case ReplyKind::declined:
      return "declined";
    case ReplyKind::retryable:
      return "retryable";
    case ReplyKind::rejected:
      return "rejected";
    case ReplyKind::unverified:
      return "unverified";
    case ReplyKind::malformed:
      return "malformed";
  }
  return "unknown";
}

std::unique_ptr<ChannelCodec> make_codec(Family family, CodecKeys keys) {
  switch (family) {
    case Family::wallet_json:
      return detail::make_wallet_codec(detail::wallet_json_dialect(), std::move(keys));
    case Family::wallet_xml:
      return detail::make_wallet_codec(detail::wallet_xml_dialect(), std::move(keys));
    case Family::bank_binary:
      return detail::make_bank_binary_codec(std::move(keys));
  }
  throw std::invalid_argument("make_codec: unknown family");
}

namespace detail {

void require_text(std::string_view field, std::string_view value, std::size_t max_chars) {
  if (value.empty() || value.size() > max_chars) {
    throw std::invalid_argument(std::string(field) + ": expected 1 to " +
                                std::to_string(max_chars) + " characters, got " +
                                std::to_string(value.size()));
  }
}

void require_amount(std::string_view field, std::int64_t amount_minor) {
  if (amount_minor <= 0) {
    throw std::invalid_argument(std::string(field) + ": expected a positive amount, got " +
                                std::to_string(amount_minor));
  }
}

void require_currency(std::string_view field, std::string_view currency) {
  if (!is_currency(currency)) {
    throw std::invalid_argument(std::string(field) + ": expected three capital letters, got \"" +
                                std::string(currency) + "\"");
  }
}

bool is_currency(std::string_view text) {
  return text.size() == 3 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::optional<std::int64_t> parse_decimal(std::string_view text) {
  constexpr std::size_t kMaxDigits = 18;  // below 2^63, so no overflow check is needed
  if (text.empty() || text.size() > kMaxDigits) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::int64_t seconds_of(TimeNs now_ns) { return now_ns / kNsPerS; }

std::int64_t retry_after_ms(std::string_view header) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!header.empty() && blank(header.front()))
    header.remove_prefix(1);
  while (!header.empty() && blank(header.back()))
    header.remove_suffix(1);
  // Nine digits is over thirty years: anything longer is not a delay anyone means.
  constexpr std::size_t kMaxDigits = 9;
  if (header.size() > kMaxDigits) return -1;
  const auto seconds = parse_decimal(header);
  return seconds ? *seconds * 1000 : -1;
}

}  // namespace detail

}  // namespace fusebox::gateway
