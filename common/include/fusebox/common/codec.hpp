// Text encodings of binary data (RFC 4648 base64 and lowercase hex). Pure code, no OpenSSL:
// decoders take untrusted input and report malformed text as std::nullopt, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fusebox {

// Standard alphabet (A-Z a-z 0-9 + /) with '=' padding, no line breaks.
[[nodiscard]] std::string base64_encode(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::string base64_encode(std::string_view bytes);

// Accepts only canonical padded base64: length a multiple of 4, no whitespace, padding only
// at the end, and zero unused bits in the last symbol (so every input has one decoding).
[[nodiscard]] std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

// Lowercase, two digits per byte.
[[nodiscard]] std::string hex_encode(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::string hex_encode(std::string_view bytes);

// Accepts upper- or lowercase digits; rejects odd length and non-hex characters.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text);

}  // namespace fusebox
