// Wire names of the gateway's states round-trip, and final states are the absorbing ones.
#include "fusebox/gateway/types.hpp"

#include <gtest/gtest.h>

namespace fusebox::gateway {
namespace {

TEST(GatewayTypes, WireNamesRoundTrip) {
  for (auto status : {PaymentStatus::processing, PaymentStatus::succeeded, PaymentStatus::failed,
                      PaymentStatus::closed}) {
    EXPECT_EQ(parse_payment_status(to_string(status)), status);
  }
  for (auto status : {RefundStatus::processing, RefundStatus::succeeded, RefundStatus::failed}) {
    EXPECT_EQ(parse_refund_status(to_string(status)), status);
  }
  EXPECT_EQ(parse_method("bank"), Method::bank);
  EXPECT_EQ(parse_family("wallet-xml"), Family::wallet_xml);
  EXPECT_EQ(parse_method("card"), std::nullopt);
  EXPECT_EQ(parse_payment_status("processing"), std::nullopt);  // case matters on the wire
}

TEST(GatewayTypes, OnlyProcessingIsNotFinal) {
  EXPECT_FALSE(is_final(PaymentStatus::processing));
  EXPECT_TRUE(is_final(PaymentStatus::closed));
  EXPECT_FALSE(is_final(RefundStatus::processing));
  EXPECT_TRUE(is_final(RefundStatus::failed));
}

}  // namespace
}  // namespace fusebox::gateway
