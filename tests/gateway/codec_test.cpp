// Proves what the three codecs share: make_codec builds each family's codec, every reply kind
// has its name, and the documented ACK bodies are exact (a byte off and the channel retries).
#include <gtest/gtest.h>

#include "fusebox/gateway/channel_codec.hpp"

#include "codec_test_support.hpp"

namespace fusebox::gateway {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test helpers

TEST(CodecTest, EveryReplyKindHasItsName) {
  const std::pair<ReplyKind, std::string_view> names[] = {
      {ReplyKind::answered, "answered"},   {ReplyKind::not_found, "not_found"},
      {ReplyKind::declined, "declined"},   {ReplyKind::retryable, "retryable"},
      {ReplyKind::rejected, "rejected"},   {ReplyKind::unverified, "unverified"},
      {ReplyKind::malformed, "malformed"},
  };
  for (const auto& [kind, name] : names) {
    EXPECT_EQ(to_string(kind), name);
  }
}

TEST(CodecTest, MakeCodecBuildsEachFamily) {
  for (const Family family : {Family::wallet_json, Family::wallet_xml, Family::bank_binary}) {
    EXPECT_EQ(make_codec(family, gateway_keys(SignScheme::none))->family(), family);
  }
}

TEST(CodecTest, AckBodiesAreExactlyTheDocumentedOnes) {
  const auto json = make_codec(Family::wallet_json, gateway_keys(SignScheme::none));
  EXPECT_EQ(json->ack_body(), R"({"code":"SUCCESS"})");
  EXPECT_EQ(json->ack_content_type(), "application/json");
  const auto xml = make_codec(Family::wallet_xml, gateway_keys(SignScheme::none));
  EXPECT_EQ(xml->ack_body(),
            "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]>"
            "</return_msg></xml>");
  EXPECT_EQ(xml->ack_content_type(), "application/xml");
}

}  // namespace
}  // namespace fusebox::gateway
