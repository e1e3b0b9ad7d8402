#include "fusebox/common/codec.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace fusebox {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::uint8_t kInvalid = 0xff;

// Reverse lookup built at compile time so decoding is a table read per character.
constexpr std::array<std::uint8_t, 256> make_base64_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(kInvalid);
  for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
    table[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}
constexpr std::array<std::uint8_t, 256> kBase64Values = make_base64_table();

std::uint8_t base64_value(char c) { return kBase64Values[static_cast<unsigned char>(c)]; }

std::uint8_t hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
  return kInvalid;
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Decodes one 4-character group holding `pad` trailing '=' (0..2) into 3 - pad bytes.
bool decode_group(std::string_view group, std::size_t pad, std::vector<std::uint8_t>& out) {
  std::uint32_t bits = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::uint8_t value = i < 4 - pad ? base64_value(group[i]) : 0;
    if (value == kInvalid) return false;
    bits = (bits << 6) | value;
  }
  // Non-zero unused bits would let two texts decode to the same bytes; reject them.
  const std::uint32_t unused_mask = pad == 2 ? 0xffffU : (pad == 1 ? 0xffU : 0U);
  if ((bits & unused_mask) != 0) return false;
  const std::size_t count = 3 - pad;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(static_cast<std::uint8_t>(bits >> (16 - 8 * i)));
  }
  return true;
}

std::size_t count_padding(std::string_view text) {
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=')
    ++pad;
  return pad;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out((bytes.size() + 2) / 3 * 4, '=');
  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {  // whole groups: no branches per character
    const std::uint32_t bits =
        (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out[o++] = kBase64Alphabet[(bits >> 18) & 0x3fU];
    out[o++] = kBase64Alphabet[(bits >> 12) & 0x3fU];
    out[o++] = kBase64Alphabet[(bits >> 6) & 0x3fU];
    out[o++] = kBase64Alphabet[bits & 0x3fU];
  }
  const std::size_t rest = bytes.size() - i;  // 0, 1 or 2 bytes, padded with '='
  if (rest > 0) {
    const std::uint32_t bits =
        (std::uint32_t{bytes[i]} << 16) | (rest == 2 ? std::uint32_t{bytes[i + 1]} << 8 : 0U);
    out[o++] = kBase64Alphabet[(bits >> 18) & 0x3fU];
    out[o++] = kBase64Alphabet[(bits >> 12) & 0x3fU];
    if (rest == 2) out[o] = kBase64Alphabet[(bits >> 6) & 0x3fU];
  }
  return out;
}

std::string base64_encode(std::string_view bytes) { return base64_encode(as_bytes(bytes)); }

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  const std::size_t pad = count_padding(text);
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    if (!decode_group(text.substr(i, 4), last ? pad : 0, out)) return std::nullopt;
  }
  return out;
}

std::string hex_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t byte : bytes) {
    out.push_back(kHexDigits[static_cast<std::size_t>(byte >> 4U)]);
    out.push_back(kHexDigits[static_cast<std::size_t>(byte & 0x0fU)]);
  }
  return out;
}

std::string hex_encode(std::string_view bytes) { return hex_encode(as_bytes(bytes)); }

std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const std::uint8_t high = hex_value(text[i]);
    const std::uint8_t low = hex_value(text[i + 1]);
    if (high == kInvalid || low == kInvalid) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>((high << 4) | low));
  }
  return out;
}

}  // namespace fusebox
