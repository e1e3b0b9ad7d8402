// Proves base64 and hex match RFC 4648, round-trip any bytes, and reject malformed text.
#include "fusebox/common/codec.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace fusebox {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

struct Vector {
  std::string_view plain;
  std::string_view base64;
  std::string_view hex;
};

// RFC 4648 section 10.
constexpr Vector kRfc4648Vectors[] = {
    {"", "", ""},
    {"f", "Zg==", "66"},
    {"fo", "Zm8=", "666f"},
    {"foo", "Zm9v", "666f6f"},
    {"foob", "Zm9vYg==", "666f6f62"},
    {"fooba", "Zm9vYmE=", "666f6f6261"},
    {"foobar", "Zm9vYmFy", "666f6f626172"},
};

TEST(CodecBase64Test, EncodesRfc4648Vectors) {
  for (const Vector& vector : kRfc4648Vectors) {
    EXPECT_EQ(base64_encode(vector.plain), vector.base64) << "input: " << vector.plain;
    EXPECT_EQ(base64_encode(bytes_of(vector.plain)), vector.base64) << "input: " << vector.plain;
  }
}

TEST(CodecBase64Test, DecodesRfc4648Vectors) {
  for (const Vector& vector : kRfc4648Vectors) {
    EXPECT_EQ(base64_decode(vector.base64), bytes_of(vector.plain)) << "input: " << vector.base64;
  }
}

TEST(CodecBase64Test, EncodesEveryByteValue) {
  EXPECT_EQ(base64_encode(std::vector<std::uint8_t>{0x00, 0x10, 0x83, 0x10, 0x51, 0x87}),
            "ABCDEFGH");
  EXPECT_EQ(base64_encode(std::vector<std::uint8_t>{0xfb, 0xff, 0xbf}), "+/+/");
  EXPECT_EQ(base64_encode(std::vector<std::uint8_t>{0xff, 0xff, 0xff}), "////");
}

TEST(CodecBase64Test, RoundTripsRandomBytesOfEveryLength) {
  constexpr std::uint32_t kSeed = 20240611;
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  std::mt19937 rng(kSeed);
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::size_t length = 0; length <= 64; ++length) {
    std::vector<std::uint8_t> original(length);
    for (std::uint8_t& b : original)
      b = static_cast<std::uint8_t>(byte(rng));
    const std::string encoded = base64_encode(original);
    EXPECT_EQ(encoded.size(), (length + 2) / 3 * 4);
    EXPECT_EQ(base64_decode(encoded), original) << "length " << length << ": " << encoded;
  }
}

TEST(CodecBase64Test, RejectsMalformedText) {
  const std::string_view malformed[] = {
      "Z",           // length not a multiple of 4
      "Zg=",         // ditto
      "Zg===",       // ditto
      "Z===",        // three padding characters
      "====",        // padding only
      "Zm9v!A==",    // character outside the alphabet
      "Zm 9v",       // whitespace
      "Zm9v\n",      // line break
      "Zm9-",        // base64url alphabet
      "Zm9_",        // base64url alphabet
      "Zg==Zg==",    // padding before the end
      "Z=g=",        // padding inside a group
      "Zh==",        // non-zero unused bits
      "Zm9=",        // non-zero unused bits
      "Zg\xc3\xa9",  // non-ASCII
  };
  for (const std::string_view text : malformed) {
    EXPECT_EQ(base64_decode(text), std::nullopt) << "input: " << text;
  }
  EXPECT_EQ(base64_decode(std::string_view("Zg=\0", 4)), std::nullopt);
}

TEST(CodecHexTest, EncodesLowercase) {
  for (const Vector& vector : kRfc4648Vectors) {
    EXPECT_EQ(hex_encode(vector.plain), vector.hex);
    EXPECT_EQ(hex_encode(bytes_of(vector.plain)), vector.hex);
  }
  EXPECT_EQ(hex_encode(std::vector<std::uint8_t>{0x00, 0x0f, 0xa5, 0xff}), "000fa5ff");
}

TEST(CodecHexTest, DecodesEitherCase) {
  const std::vector<std::uint8_t> expected{0xde, 0xad, 0xbe, 0xef};
  EXPECT_EQ(hex_decode("deadbeef"), expected);
  EXPECT_EQ(hex_decode("DEADBEEF"), expected);
  EXPECT_EQ(hex_decode("DeAdBeEf"), expected);
  EXPECT_EQ(hex_decode(""), std::vector<std::uint8_t>{});
}

TEST(CodecHexTest, RoundTripsEveryByteValue) {
  std::vector<std::uint8_t> all(256);
  for (std::size_t i = 0; i < all.size(); ++i)
    all[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(hex_decode(hex_encode(all)), all);
}

TEST(CodecHexTest, RejectsMalformedText) {
  for (const std::string_view text : {"0", "abc", "zz", "0g", "g0", "+1", "0x00", " 00", "00 "}) {
    EXPECT_EQ(hex_decode(text), std::nullopt) << "input: " << text;
  }
}

}  // namespace
}  // namespace fusebox
