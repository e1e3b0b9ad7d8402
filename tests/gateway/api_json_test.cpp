// The merchant API's JSON on the request path: answers are written without a document
// (api::to_json_text) and must be the very bytes the document writer gives, for every status
// and every string a merchant can send; requests are read in one pass and must read as a
// document reads them, with the same errors for what is malformed.
#include "fusebox/gateway/api_json.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "fusebox/common/rng.hpp"

namespace {

using namespace fusebox;
using namespace fusebox::gateway;

constexpr std::uint64_t kSeed = 20261201;

// Up to 12 characters: ASCII (controls, quotes and backslashes included) or 2- to 4-byte
// UTF-8; empty one time in eight, so optional fields are left out too.
std::string text(Rng& rng) {
  static const char* const kWide[] = {"\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x92\xb3"};
  std::string out;
  if (rng.next_u64() % 8 == 0) return out;
  const std::uint64_t n = 1 + rng.next_u64() % 12;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t pick = rng.next_u64() % 10;
    if (pick == 0) {
      out += kWide[rng.next_u64() % 3];
    } else {
      out += static_cast<char>(1 + rng.next_u64() % 127);
    }
  }
  return out;
}

std::int64_t number(Rng& rng) {
  const auto raw = static_cast<std::int64_t>(rng.next_u64());
  return rng.next_u64() % 2 == 0 ? raw : raw % 100000;
}

TEST(ApiJson, PaymentTextIsTheDocumentsDump) {
  Rng rng(kSeed);
  for (int i = 0; i < 5000; ++i) {
    Payment p;
    p.payment_id = text(rng);
    p.merchant_order_id = text(rng);
    p.amount_minor = number(rng);
    p.currency = text(rng);
    p.method = rng.next_u64() % 2 == 0 ? Method::wallet : Method::bank;
    p.channel = text(rng);
    p.status = static_cast<PaymentStatus>(rng.next_u64() % 4);
    p.channel_txn_id = text(rng);
    p.failure_code = text(rng);
    p.created_ns = number(rng);
    p.updated_ns = number(rng);
    p.refunded_minor = number(rng);
    p.refunding_minor = number(rng);
    ASSERT_EQ(api::to_json_text(p), api::to_json(p).dump()) << "seed " << kSeed << ", case " << i;
  }
}

TEST(ApiJson, RefundTextIsTheDocumentsDump) {
  Rng rng(kSeed + 1);
  for (int i = 0; i < 5000; ++i) {
    Refund r;
    r.refund_id = text(rng);
    r.merchant_refund_id = text(rng);
    r.payment_id = text(rng);
    r.amount_minor = number(rng);
    r.status = static_cast<RefundStatus>(rng.next_u64() % 3);
    r.failure_code = text(rng);
    r.created_ns = number(rng);
    r.updated_ns = number(rng);
    ASSERT_EQ(api::to_json_text(r), api::to_json(r).dump())
        << "seed " << kSeed + 1 << ", case " << i;
  }
}

// Merchant requests are read in one pass when they are well formed; anything else is worded
// by the document path. Both must read a body alike.
TEST(ApiJson, PayBodiesAreReadAsTheirFieldsSay) {
  const auto pay = [](std::string_view body) {
    auto parsed = api::parse_pay(body);
    EXPECT_TRUE(std::holds_alternative<PayRequest>(parsed)) << body;
    return std::holds_alternative<PayRequest>(parsed) ? std::get<PayRequest>(parsed) : PayRequest{};
  };
  const PayRequest plain =
      pay(R"({"merchant_order_id":"m-1","amount":100,"currency":"CNY","method":"wallet"})");
  EXPECT_EQ(plain.merchant_order_id, "m-1");
  EXPECT_EQ(plain.amount_minor, 100);
  EXPECT_EQ(plain.currency, "CNY");
  EXPECT_EQ(plain.method, "wallet");
  EXPECT_EQ(plain.channel, "");
  const PayRequest spaced =
      pay(" {\n\"channel\" : \"bank-a\", \"method\":\"bank\", \"currency\":\"USD\",\n"
          "  \"amount\": 9223372036854775807, \"merchant_order_id\": \"\\u00e9\\\"x\"} ");
  EXPECT_EQ(spaced.channel, "bank-a");
  EXPECT_EQ(spaced.amount_minor, INT64_MAX);
  EXPECT_EQ(spaced.merchant_order_id, "\xc3\xa9\"x");
  // A repeated key keeps its last value, as a JSON document does; the first may even be wrong.
  const PayRequest repeated =
      pay(R"({"merchant_order_id":"a","amount":"x","amount":5,"currency":"CNY","method":"wallet",)"
          R"("merchant_order_id":"b"})");
  EXPECT_EQ(repeated.merchant_order_id, "b");
  EXPECT_EQ(repeated.amount_minor, 5);
  const auto refund =
      api::parse_refund(R"({"payment_id":"P1","merchant_refund_id":"r","amount":-3})");
  ASSERT_TRUE(std::holds_alternative<RefundRequest>(refund));
  EXPECT_EQ(std::get<RefundRequest>(refund).amount_minor, -3) << "the core checks the range";
}

TEST(ApiJson, BadBodiesNameTheFieldAndWhatWasExpected) {
  struct Case {
    std::string body, code, field;
  };
  const std::string rest = R"("currency":"CNY","method":"wallet")";
  const std::vector<Case> cases{
      {"", "MALFORMED_JSON", ""},
      {"{", "MALFORMED_JSON", ""},
      {"[1]", "MALFORMED_JSON", ""},
      {R"("text")", "MALFORMED_JSON", ""},
      {R"({"merchant_order_id":"m","amount":1,)" + rest + "} x", "MALFORMED_JSON", ""},
      {R"({"merchant_order_id":"m","amount":1,"extra":1,)" + rest + "}", "UNKNOWN_FIELD", "extra"},
      {R"({"amount":1,)" + rest + "}", "MISSING_FIELD", "merchant_order_id"},
      {R"({"merchant_order_id":"m",)" + rest + "}", "MISSING_FIELD", "amount"},
      {R"({"merchant_order_id":"m","amount":"1",)" + rest + "}", "INVALID_FIELD", "amount"},
      {R"({"merchant_order_id":"m","amount":1.5,)" + rest + "}", "INVALID_FIELD", "amount"},
      {R"({"merchant_order_id":"m","amount":9223372036854775808,)" + rest + "}", "INVALID_FIELD",
       "amount"},
      {R"({"merchant_order_id":null,"amount":1,)" + rest + "}", "INVALID_FIELD",
       "merchant_order_id"},
      {R"({"merchant_order_id":{"a":1},"amount":1,)" + rest + "}", "INVALID_FIELD",
       "merchant_order_id"},
      {R"({"merchant_order_id":"m","amount":1,"channel":true,)" + rest + "}", "INVALID_FIELD",
       "channel"},
  };
  for (const Case& c : cases) {
    const auto parsed = api::parse_pay(c.body);
    ASSERT_TRUE(std::holds_alternative<MerchantError>(parsed)) << c.body;
    const MerchantError& e = std::get<MerchantError>(parsed);
    EXPECT_EQ(e.http_status, 400) << c.body;
    EXPECT_EQ(e.code, c.code) << c.body;
    EXPECT_EQ(e.field, c.field) << c.body;
    if (!c.field.empty()) {
      EXPECT_NE(e.message.find(c.field), std::string::npos) << e.message;
    }
  }
}

// Seeded mutations of good bodies: whatever parse_pay accepts, a JSON document reads the same.
TEST(ApiJson, WhatTheOnePassReaderAcceptsTheDocumentReadsAlike) {
  const std::string good =
      R"({"merchant_order_id":"m-1","amount":100,"currency":"CNY","method":"wallet","channel":"w"})";
  const std::string alphabet = "{}[]\":,0123456789-.eE \\ntruefalsnul";
  Rng rng(kSeed + 2);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string body = good;
    const std::uint64_t edits = 1 + rng.next_u64() % 3;
    for (std::uint64_t e = 0; e < edits && !body.empty(); ++e) {
      const std::size_t at = rng.next_u64() % body.size();
      const char c = alphabet[rng.next_u64() % alphabet.size()];
      switch (rng.next_u64() % 3) {
        case 0:
          body[at] = c;
          break;
        case 1:
          body.insert(at, 1, c);
          break;
        default:
          body.erase(at, 1);
      }
    }
    const auto parsed = api::parse_pay(body);
    if (!std::holds_alternative<PayRequest>(parsed)) continue;
    ++accepted;
    const PayRequest& r = std::get<PayRequest>(parsed);
    const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << "seed " << kSeed + 2 << ", case " << i << ": " << body;
    EXPECT_EQ(doc.at("merchant_order_id"), r.merchant_order_id) << body;
    EXPECT_EQ(doc.at("amount"), r.amount_minor) << body;
    EXPECT_EQ(doc.at("currency"), r.currency) << body;
    EXPECT_EQ(doc.at("method"), r.method) << body;
    EXPECT_EQ(doc.value("channel", ""), r.channel) << body;
  }
  EXPECT_GT(accepted, 100) << "the mutations should leave some bodies valid";
}

TEST(ApiJson, ResponsesCarryTheReplysStatusAndBody) {
  MerchantReply reply;
  reply.http_status = 201;
  Payment p;
  p.payment_id = "pay-1";
  p.status = PaymentStatus::succeeded;
  reply.payment = p;
  const net::HttpResponseOut out = api::to_response(reply);
  EXPECT_EQ(out.status, 201);
  EXPECT_EQ(out.body, api::to_json(p).dump());
  MerchantReply failed;
  failed.error = api::error(409, "IDEMPOTENCY_CONFLICT", "another body", "amount");
  const net::HttpResponseOut conflict = api::to_response(failed);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.body, api::to_json(*failed.error).dump());
}

}  // namespace
