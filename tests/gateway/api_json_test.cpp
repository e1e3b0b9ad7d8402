// The merchant API's answers are written without a JSON document (api::to_json_text); they
// must be the very bytes the document writer gives, for every status and every string a
// merchant can send, control characters and multi-byte UTF-8 included.
#include "fusebox/gateway/api_json.hpp"

#include <cstdint>
#include <string>

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
