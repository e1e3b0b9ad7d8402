// The answer scanner reads the same fields as nlohmann's DOM and accepts exactly the same
// documents, on hand-picked edge cases and on seeded random and mutated bodies.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/common/rng.hpp"

#include "load_internal.hpp"

namespace fusebox::harness {
namespace {

bool operator==(const AnswerFields& a, const AnswerFields& b) {
  return a.object == b.object && a.status == b.status && a.failure_code == b.failure_code &&
         a.channel == b.channel && a.payment_id == b.payment_id &&
         a.merchant_order_id == b.merchant_order_id && a.error_code == b.error_code &&
         a.amount == b.amount;
}

std::string describe(const AnswerFields& f) {
  return "object=" + std::to_string(f.object) + " status=" + f.status +
         " failure_code=" + f.failure_code + " channel=" + f.channel +
         " payment_id=" + f.payment_id + " merchant_order_id=" + f.merchant_order_id +
         " error_code=" + f.error_code + " amount=" + std::to_string(f.amount);
}

// Printable form of a body for failure messages (bytes past ASCII as \xNN).
std::string printable(const std::string& body) {
  std::string out;
  for (const char c : body) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F) {
      out += c;
    } else {
      constexpr std::string_view hex = "0123456789abcdef";
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    }
  }
  return out;
}

// The scanner against the reference on one body: same verdict, same fields.
void expect_same(const std::string& body) {
  AnswerFields scanned;
  const ScanResult result = scan_answer(body, scanned);
  const bool accepted = nlohmann::json::accept(body);
  ASSERT_NE(result, ScanResult::too_deep) << printable(body);
  ASSERT_EQ(result == ScanResult::json, accepted) << printable(body);
  const AnswerFields reference = json_answer_fields(body);
  ASSERT_TRUE(scanned == reference) << printable(body) << "\n  scanned:   " << describe(scanned)
                                    << "\n  reference: " << describe(reference);
}

TEST(LoadScan, GatewayAnswers) {
  AnswerFields f;
  ASSERT_EQ(scan_answer(R"({"payment_id":"pay-1","merchant_order_id":"m-1","amount":100,)"
                        R"("currency":"CNY","status":"FAILED","failure_code":"DECLINED",)"
                        R"("channel":"wallet-a","created_at":"2026-12-01T00:00:00Z"})",
                        f),
            ScanResult::json);
  EXPECT_TRUE(f.object);
  EXPECT_EQ(f.payment_id, "pay-1");
  EXPECT_EQ(f.merchant_order_id, "m-1");
  EXPECT_EQ(f.status, "FAILED");
  EXPECT_EQ(f.failure_code, "DECLINED");
  EXPECT_EQ(f.channel, "wallet-a");
  EXPECT_EQ(f.amount, 100);
  ASSERT_EQ(scan_answer(R"({"error":{"code":"PAYMENT_NOT_REFUNDABLE","message":"no"}})", f),
            ScanResult::json);
  EXPECT_EQ(f.error_code, "PAYMENT_NOT_REFUNDABLE");
  EXPECT_EQ(f.status, "");
}

TEST(LoadScan, EdgeCasesMatchTheDom) {
  const std::vector<std::string> bodies = {
      // Escapes in values and keys, a key spelled with \u, quotes and braces inside strings.
      R"({"status":"SUC\"CEEDED\\","ch\u0061nnel":"w\u00e9\ud83d\ude00\/x"})",
      R"({"note":"\"status\":\"FAILED\"}","status":"OK"})", R"({"payment_id":"a\nb\tc\u0000d"})",
      // Same names deeper down, and an "error" that is not an object, or is replaced.
      R"({"x":{"status":"FAILED","error":{"code":"C"}},"status":"PROCESSING"})",
      R"({"list":[{"status":"no"},"status",["channel"]],"channel":"a"})", R"({"error":"E"})",
      R"({"error":{"code":"A"},"error":{"message":"b"}})", R"({"error":{"code":"A","code":7}})",
      R"({"error":{"inner":{"code":"A"}}})", R"({"code":"top"})",
      // Duplicate keys: the last one wins, whatever its type.
      R"({"status":"A","status":"B"})", R"({"status":"A","status":null})",
      R"({"amount":5,"amount":"5"})", R"({"amount":5,"amount":7})",
      // Numbers: integers that fit int64 or uint64, doubles, overflow.
      R"({"amount":-0})", R"({"amount":5.0})", R"({"amount":1e2})",
      R"({"amount":9223372036854775807})", R"({"amount":9223372036854775808})",
      R"({"amount":18446744073709551615})", R"({"amount":18446744073709551616})",
      R"({"amount":-9223372036854775808})", R"({"amount":-9223372036854775809})",
      R"({"amount":1e400})", R"({"amount":-1e400})", R"({"amount":1e-400})", R"({"amount":01})",
      R"({"amount":1.})", R"({"amount":.5})", R"({"amount":-})", R"({"amount":1e})",
      R"({"amount":+1})", R"({"amount":NaN})",
      // Not objects, not JSON.
      "[]", "\"status\"", "5", "true", "null", "", " ", "{", "}", "{}", " {} ", "{} x", "{},",
      R"({"a":1,})", R"({"a" 1})", R"({'a':1})", R"({"a":tru})", R"({"a":nul})",
      R"({"a":1 /* c */})", "{\"a\":\"\x01\"}", "{\"a\":\"\x7f\"}", R"({"a":"\x"})",
      R"({"a":"\u12"})", R"({"a":"\ud800"})", R"({"a":"\udc00"})", R"({"a":"\ud800\u0041"})",
      R"({"a":"\uD83D\uDE00"})", "\xEF\xBB\xBF{\"status\":\"B\"}", "\xEF\xBB{}", "\xEF{}",
      "{\"a\":\"\xC3\xA9\"}", "{\"a\":\"\xC3\"}", "{\"a\":\"\xC0\x80\"}",
      "{\"a\":\"\xED\xA0\x80\"}", "{\"a\":\"\xF4\x90\x80\x80\"}", "{\"a\":\"\xF0\x9F\x98\x80\"}",
      "{\"a\":\"\xE0\x80\x80\"}", "\t{\r\n\"status\" :\"S\" }\n",
      // nlohmann reads a NUL between tokens as the end of the input, anywhere else as an error.
      std::string("{\"a\":1}\0", 8), std::string("{} \0 junk", 9), std::string("{\0}", 3),
      std::string("{\"a\":\"\0\"}", 9), std::string("\0", 1)};
  for (const std::string& body : bodies)
    expect_same(body);
}

TEST(LoadScan, DeepDocumentsAreLeftToTheDom) {
  std::string deep = R"({"status":"FAILED","failure_code":"DECLINED","x":)";
  for (int i = 0; i < 100; ++i)
    deep += "[";
  for (int i = 0; i < 100; ++i)
    deep += "]";
  deep += "}";
  AnswerFields f;
  EXPECT_EQ(scan_answer(deep, f), ScanResult::too_deep);
  EXPECT_EQ(classify_answer(Op::pay, 200, deep, false).outcome, Outcome::declined);
}

// A random document over the keys the scanner looks for (duplicates, escaped spellings,
// nesting), written as text so that the DOM cannot normalize it first.
class BodyWriter {
 public:
  explicit BodyWriter(Rng& rng) : rng_(rng) {}

  std::string document() {
    out_.clear();
    if (rng_.chance(0.05)) {
      value(3);
    } else {
      object(0);
    }
    return out_;
  }

 private:
  void space() {
    constexpr std::string_view blanks[] = {"", "", "", " ", "\n", "\t ", "\r\n  "};
    out_ += blanks[rng_.below(std::size(blanks))];
  }
  void key() {
    constexpr std::string_view keys[] = {
        "status", "failure_code", "channel", "payment_id", "merchant_order_id",
        "amount", "error",        "code",    "x",          "",
        "statu",  "status "};
    std::string_view name = keys[rng_.below(std::size(keys))];
    out_ += '"';
    for (const char c : name) {
      if (rng_.chance(0.05)) {
        constexpr std::string_view hex = "0123456789abcdef";
        out_ += "\\u00";
        out_ += hex[static_cast<unsigned char>(c) >> 4];
        out_ += hex[static_cast<unsigned char>(c) & 0xF];
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }
  void string() {
    constexpr std::string_view pieces[] = {"SUCCEEDED",
                                           "FAILED",
                                           "DECLINED",
                                           "pay-1",
                                           "\\\"",
                                           "\\\\",
                                           "\\/",
                                           "\\n",
                                           "\\u0041",
                                           "\\u00e9",
                                           "\\u4e2d",
                                           "\\ud83d\\ude00",
                                           "\xc3\xa9",
                                           "\xe4\xb8\xad",
                                           "\xf0\x9f\x98\x80",
                                           "}",
                                           "{",
                                           ",",
                                           ":",
                                           "\\u0000",
                                           " ",
                                           "\x7f",
                                           "\\\"status\\\":"};
    out_ += '"';
    const std::uint64_t count = rng_.below(4);
    for (std::uint64_t i = 0; i < count; ++i)
      out_ += pieces[rng_.below(std::size(pieces))];
    out_ += '"';
  }
  void number() {
    constexpr std::string_view numbers[] = {"0",
                                            "-0",
                                            "5",
                                            "100",
                                            "-7",
                                            "1.5",
                                            "1e2",
                                            "2E-3",
                                            "9223372036854775807",
                                            "9223372036854775808",
                                            "18446744073709551615",
                                            "18446744073709551616",
                                            "-9223372036854775808",
                                            "-9223372036854775809",
                                            "1e400",
                                            "1e-400",
                                            "12345678901234567890123"};
    out_ += numbers[rng_.below(std::size(numbers))];
  }
  void object(int depth) {
    out_ += '{';
    const std::uint64_t members = rng_.below(7);
    for (std::uint64_t i = 0; i < members; ++i) {
      if (i > 0) out_ += ',';
      space();
      key();
      space();
      out_ += ':';
      space();
      value(depth + 1);
      space();
    }
    out_ += '}';
  }
  void value(int depth) {
    const std::uint64_t kind = rng_.below(depth >= 4 ? 5 : 7);
    switch (kind) {
      case 0:
      case 1:
        return string();
      case 2:
        return number();
      case 3:
        out_ += rng_.chance(0.5) ? "true" : "null";
        return;
      case 4:
        out_ += "false";
        return;
      case 5:
        return object(depth);
      default:
        out_ += '[';
        for (std::uint64_t i = 0, n = rng_.below(3); i < n; ++i) {
          if (i > 0) out_ += ',';
          value(depth + 1);
        }
        out_ += ']';
    }
  }

  Rng& rng_;
  std::string out_;
};

// Byte-level damage: deletions, insertions of JSON-significant or invalid bytes, truncation.
void mutate(std::string& body, Rng& rng) {
  constexpr std::string_view bytes = std::string_view("\"\\{}[],:0e-u \x80\xc3\xed\xf4\x01\0", 19);
  const std::uint64_t count = 1 + rng.below(3);
  for (std::uint64_t i = 0; i < count && !body.empty(); ++i) {
    const std::size_t at = rng.below(body.size());
    switch (rng.below(4)) {
      case 0:
        body.erase(at, 1);
        break;
      case 1:
        body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), bytes[rng.below(bytes.size())]);
        break;
      case 2:
        body[at] = bytes[rng.below(bytes.size())];
        break;
      default:
        body.resize(at);
    }
  }
}

TEST(LoadScan, RandomAndMutatedBodiesMatchTheDom) {
  constexpr std::uint64_t kSeed = 20261201;
  SCOPED_TRACE("seed " + std::to_string(kSeed));
  Rng rng(kSeed);
  BodyWriter writer(rng);
  int valid = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::string body = writer.document();
    if (rng.chance(0.4)) mutate(body, rng);
    valid += nlohmann::json::accept(body) ? 1 : 0;
    expect_same(body);
    if (HasFatalFailure()) return;
  }
  // Both kinds were exercised in quantity.
  EXPECT_GT(valid, 5'000);
  EXPECT_LT(valid, 19'000);
}

TEST(LoadScan, BodiesAreEscapedLikeTheDom) {
  const std::string odd = "a\"b\\c\n\t\x01\x1f/\xc3\xa9";
  std::string out;
  append_json_string(out, odd);
  EXPECT_EQ(out, nlohmann::json(odd).dump());
  out.clear();
  append_json_string(out, "plain\b\f\r");
  EXPECT_EQ(out, nlohmann::json("plain\b\f\r").dump());
}

}  // namespace
}  // namespace fusebox::harness
