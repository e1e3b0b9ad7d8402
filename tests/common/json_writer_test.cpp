// The document-free JSON writer: its strings and objects must be byte for byte what nlohmann
// dumps for the same values (signatures and pinned digests are taken over these bytes).

#include "fusebox/common/json_writer.hpp"

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/common/rng.hpp"

namespace fusebox {
namespace {

std::string written(std::string_view value) {
  std::string out;
  append_json_quoted(out, value);
  return out;
}

TEST(JsonWriter, QuotesAsNlohmannDumps) {
  std::vector<std::string> texts{"",
                                 "P000000000001",
                                 "say \"hi\"",
                                 "back\\slash",
                                 "\b\f\n\r\t",
                                 std::string("nul\0inside", 10),
                                 "\x01\x1f\x7f",
                                 "\"",
                                 "\\",
                                 "ends with a newline\n",
                                 "\xe6\x94\xaf\xe4\xbb\x98 (UTF-8) \xf0\x9f\x92\xb3"};
  for (int c = 0; c < 0x20; ++c)
    texts.emplace_back(1, static_cast<char>(c));
  for (const std::string& text : texts)
    EXPECT_EQ(written(text), nlohmann::json(text).dump()) << "text of " << text.size() << " bytes";
}

TEST(JsonWriter, QuotesRandomTextsAsNlohmannDumps) {
  // Seeded: a failure names its seed and case. ASCII (controls, quotes and backslashes
  // included) mixed with two- and three-byte UTF-8 sequences.
  constexpr std::uint64_t kSeed = 20261207;
  Rng rng(kSeed);
  for (int round = 0; round < 5'000; ++round) {
    std::string text;
    const auto length = rng.next_u64() % 40;
    for (std::uint64_t i = 0; i < length; ++i) {
      const auto pick = rng.next_u64() % 10;
      if (pick == 0) {
        text += "\xc3\xa9";
      } else if (pick == 1) {
        text += "\xe2\x82\xac";
      } else {
        text += static_cast<char>(rng.next_u64() % 0x80);
      }
    }
    ASSERT_EQ(written(text), nlohmann::json(text).dump())
        << "seed " << kSeed << ", round " << round;
  }
}

TEST(JsonWriter, WritesObjectsAsNlohmannDumpsSortedKeys) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::string out;
  JsonObjectWriter writer(out);
  writer.number("a_min", kMin)
      .number("b_max", kMax)
      .number("c_zero", 0)
      .text("d_text", "x\"y")
      .text_if("e_skipped", "")
      .text_if("f_kept", "kept");
  writer.close();
  const nlohmann::json expected = std::map<std::string, nlohmann::json>{
      {"a_min", kMin}, {"b_max", kMax}, {"c_zero", 0}, {"d_text", "x\"y"}, {"f_kept", "kept"}};
  EXPECT_EQ(out, expected.dump());

  std::string empty;
  JsonObjectWriter(empty).close();
  EXPECT_EQ(empty, "{}");
}

}  // namespace
}  // namespace fusebox
