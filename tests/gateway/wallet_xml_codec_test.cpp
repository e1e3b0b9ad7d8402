// Proves the wallet-xml codec's wire details and its handling of what the simulator never
// sends: the exact flat document, values CDATA cannot hold, the return_code / result_code /
// err_code ladder, and documents of the wrong shape (nesting, stray text, two roots, a field
// twice), each refused before anything in it is trusted.
#include <gtest/gtest.h>

#include "fusebox/simulator/wallet_xml.hpp"

#include "codec_test_support.hpp"

namespace fusebox::gateway {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test helpers

// A channel document signed over `fields`, values in CDATA as the simulator writes them.
std::string channel_xml(const Fields& fields, const MessageSigner& signer) {
  std::string body = "<xml>";
  const auto add = [&](const std::string& name, const std::string& value) {
    body += "<" + name + "><![CDATA[" + value + "]]></" + name + ">";
  };
  for (const auto& [name, value] : fields)
    add(name, value);
  if (signer.scheme() != SignScheme::none) {
    add("sign_type", std::string(to_string(signer.scheme())));
    add("sign", signer.sign(*canonical_string(fields)));
  }
  return body + "</xml>";
}

Fields paid_query_answer() {
  return {
      {"return_code", "SUCCESS"}, {"result_code", "SUCCESS"}, {"out_trade_no", "o-1"},
      {"trade_state", "SUCCESS"}, {"total_fee", "1250"},      {"fee_type", "CNY"},
      {"transaction_id", "T1"},   {"time_end_ms", "5000"},
  };
}

class WalletXmlCodecTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChannelCodec> codec_ =
      make_codec(Family::wallet_xml, gateway_keys(SignScheme::hmac_sha256));
  MessageSigner channel_ = sim_channel_signer(SignScheme::hmac_sha256);

  ChannelReply decode(std::string_view body, int status = 200) {
    return codec_->decode(call_for(ChannelOp::query), WireReply{status, body, {}});
  }
  ChannelReply decode_fields(const Fields& fields) { return decode(channel_xml(fields, channel_)); }
};

TEST_F(WalletXmlCodecTest, WritesAFlatDocumentWithTheFamilysNames) {
  const auto codec = make_codec(Family::wallet_xml, gateway_keys(SignScheme::none));
  const WireRequest request = codec->encode(call_for(ChannelOp::refund), context());
  EXPECT_EQ(request.target, "/refund/create");
  EXPECT_EQ(request.body,
            "<xml><mch_id><![CDATA[m-1]]></mch_id><nonce_str><![CDATA[42]]></nonce_str>"
            "<timestamp><![CDATA[1700000000]]></timestamp>"
            "<out_trade_no><![CDATA[o-1]]></out_trade_no>"
            "<out_refund_no><![CDATA[r-1]]></out_refund_no>"
            "<refund_fee><![CDATA[300]]></refund_fee></xml>");
  const std::pair<ChannelOp, std::string_view> paths[] = {
      {ChannelOp::pay, "/pay/create"},
      {ChannelOp::query, "/pay/query"},
      {ChannelOp::close, "/pay/close"},
      {ChannelOp::refund, "/refund/create"},
      {ChannelOp::refund_query, "/refund/query"},
  };
  for (const auto& [op, path] : paths) {
    EXPECT_EQ(codec->encode(call_for(op), context()).target, path);
  }
}

TEST_F(WalletXmlCodecTest, SignsEveryFieldButTheSignature) {
  const WireRequest request = codec_->encode(call_for(ChannelOp::pay), context());
  const std::size_t sign_at = request.body.find("<sign><![CDATA[") + 15;
  const std::string sign =
      request.body.substr(sign_at, request.body.find("]]>", sign_at) - sign_at);
  EXPECT_NE(request.body.find("<sign_type><![CDATA[hmac-sha256]]></sign_type>"), std::string::npos);
  EXPECT_TRUE(sim_merchant_verifier(SignScheme::hmac_sha256)
                  .verify("fee_type=CNY&mch_id=m-1&nonce_str=42&notify_url=http://127.0.0.1:9/"
                          "notify&out_trade_no=o-1&timestamp=1700000000&total_fee=1250",
                          sign));
}

TEST_F(WalletXmlCodecTest, TextCdataCannotHoldIsEscapedAndArrivesIntact) {
  ChannelCall call = call_for(ChannelOp::query);
  call.order_id = "a]]>b<&c";
  const WireRequest request = codec_->encode(call, context());
  EXPECT_NE(request.body.find("a]]&gt;b&lt;&amp;c"), std::string::npos) << request.body;
  const auto parsed =
      sim::wallet_xml::parse_request("POST", request.target, request.body,
                                     sim_merchant_verifier(SignScheme::hmac_sha256), channel_, {});
  ASSERT_TRUE(std::holds_alternative<sim::wallet_xml::ParsedRequest>(parsed))
      << std::get<sim::wallet_xml::HttpReply>(parsed).body;
  EXPECT_EQ(std::get<sim::wallet_xml::ParsedRequest>(parsed).request.order_id, call.order_id);

  call.order_id = "tab\there";
  EXPECT_THROW((void)codec_->encode(call, context()), std::invalid_argument);
}

TEST_F(WalletXmlCodecTest, TheCodeLadderMaps) {
  struct Case {
    std::string_view return_code, result_code, err_code;
    ReplyKind kind;
    std::string_view code;
  };
  const Case cases[] = {
      {"SUCCESS", "SUCCESS", "", ReplyKind::answered, "SUCCESS"},
      {"SUCCESS", "FAIL", "ORDERNOTEXIST", ReplyKind::not_found, "ORDERNOTEXIST"},
      {"SUCCESS", "FAIL", "NOTENOUGH", ReplyKind::declined, "NOTENOUGH"},
      {"SUCCESS", "FAIL", "SYSTEMERROR", ReplyKind::retryable, "SYSTEMERROR"},
      {"SUCCESS", "FAIL", "PARAM_ERROR", ReplyKind::rejected, "PARAM_ERROR"},
      {"SUCCESS", "FAIL", "OUT_TRADE_NO_USED", ReplyKind::rejected, "OUT_TRADE_NO_USED"},
      {"SUCCESS", "FAIL", "ORDERPAID", ReplyKind::rejected, "ORDERPAID"},
      {"SUCCESS", "FAIL", "BANKERROR", ReplyKind::malformed, "BANKERROR"},
      {"SUCCESS", "FAIL", "", ReplyKind::malformed, ""},
      {"SUCCESS", "", "", ReplyKind::malformed, ""},
      {"SUCCESS", "MAYBE", "", ReplyKind::malformed, ""},
      {"FAIL", "", "", ReplyKind::rejected, "FAIL"},
      {"", "SUCCESS", "", ReplyKind::malformed, ""},
  };
  for (const Case& c : cases) {
    Fields fields = paid_query_answer();
    fields[0].second = c.return_code;
    fields[1].second = c.result_code;
    fields.emplace_back("err_code", c.err_code);
    fields.emplace_back("err_code_des", "because");
    const ChannelReply reply = decode_fields(fields);
    EXPECT_EQ(reply.kind, c.kind) << c.return_code << "/" << c.result_code << "/" << c.err_code
                                  << ": " << reply.message;
    EXPECT_EQ(reply.code, c.code);
  }
}

TEST_F(WalletXmlCodecTest, EveryStateNameMaps) {
  const std::pair<std::string_view, PaymentStatus> payments[] = {
      {"NOTPAY", PaymentStatus::processing},
      {"SUCCESS", PaymentStatus::succeeded},
      {"PAYERROR", PaymentStatus::failed},
      {"CLOSED", PaymentStatus::closed},
  };
  for (const auto& [name, status] : payments) {
    Fields fields = paid_query_answer();
    fields[3].second = name;
    const ChannelReply reply = decode_fields(fields);
    ASSERT_EQ(reply.kind, ReplyKind::answered) << reply.message;
    EXPECT_EQ(reply.payment, status);
  }
  const std::pair<std::string_view, RefundStatus> refunds[] = {
      {"PROCESSING", RefundStatus::processing},
      {"SUCCESS", RefundStatus::succeeded},
      {"REFUNDCLOSE", RefundStatus::failed},
  };
  for (const auto& [name, status] : refunds) {
    Fields fields = paid_query_answer();
    fields.emplace_back("out_refund_no", "r-1");
    fields.emplace_back("refund_status", name);
    fields.emplace_back("refund_fee", "300");
    const ChannelReply reply = codec_->decode(call_for(ChannelOp::refund_query),
                                              WireReply{200, channel_xml(fields, channel_), {}});
    ASSERT_EQ(reply.kind, ReplyKind::answered) << reply.message;
    EXPECT_EQ(reply.refund, status);
    EXPECT_EQ(reply.refund_amount_minor, 300);
  }
  Fields unknown = paid_query_answer();
  unknown[3].second = "PAID";  // wallet-json's name, not this family's
  EXPECT_EQ(decode_fields(unknown).kind, ReplyKind::malformed);
}

TEST_F(WalletXmlCodecTest, ProtocolErrorsKeepTheirMessage) {
  const std::string body =
      channel_xml({{"return_code", "FAIL"}, {"return_msg", "SIGNERROR: no"}}, channel_);
  const ChannelReply reply = decode(body, 401);
  EXPECT_EQ(reply.kind, ReplyKind::rejected);
  EXPECT_EQ(reply.code, "FAIL");
  EXPECT_NE(reply.message.find("SIGNERROR: no"), std::string::npos) << reply.message;
}

TEST_F(WalletXmlCodecTest, DocumentsOfTheWrongShapeAreMalformed) {
  const std::string_view cases[] = {
      "<xml><return_code>SUCCESS</return_code><return_code>SUCCESS</return_code></xml>",
      "<xml><return_code><a>SUCCESS</a></return_code></xml>",
      "<xml>SUCCESS<return_code>SUCCESS</return_code></xml>",
      "<xml><return_code>SUCCESS</return_code></xml><xml></xml>",
      "<doc><return_code>SUCCESS</return_code></doc>",
      "<xml><return_code>SUCCESS</return_code>",
      "{\"code\":\"SUCCESS\"}",
      "",
  };
  for (const std::string_view body : cases) {
    EXPECT_EQ(decode(body).kind, ReplyKind::malformed) << body;
  }
}

TEST_F(WalletXmlCodecTest, PlainTextAndCdataReadTheSame) {
  const auto codec = make_codec(Family::wallet_xml, gateway_keys(SignScheme::none));
  const std::string body =
      "<?xml version=\"1.0\"?>\n<xml>\n  <return_code>SUCCESS</return_code>\n"
      "  <result_code><![CDATA[SUCCESS]]></result_code>\n  <out_trade_no>o-1</out_trade_no>\n"
      "  <trade_state>NOTPAY</trade_state><total_fee>1250</total_fee><fee_type>CNY</fee_type>\n"
      "  <unknown_field>kept for the signature</unknown_field>\n</xml>\n";
  const ChannelReply reply = codec->decode(call_for(ChannelOp::query), WireReply{200, body, {}});
  EXPECT_EQ(reply.kind, ReplyKind::answered) << reply.message;
  EXPECT_EQ(reply.payment, PaymentStatus::processing);
  EXPECT_EQ(reply.amount_minor, 1'250);
}

TEST_F(WalletXmlCodecTest, NotificationsNeedTheirType) {
  const Fields payment{{"notify_type", "PAYMENT"}, {"notify_id", "9"},
                       {"attempt", "1"},           {"out_trade_no", "o-1"},
                       {"trade_state", "SUCCESS"}, {"total_fee", "1250"},
                       {"fee_type", "CNY"},        {"transaction_id", "T"}};
  const NotificationParse good = codec_->parse_notification(channel_xml(payment, channel_));
  ASSERT_TRUE(good.error.empty()) << good.error;
  EXPECT_TRUE(good.verified);
  EXPECT_EQ(good.notification->payment, PaymentStatus::succeeded);
  Fields untyped = payment;
  untyped.erase(untyped.begin());
  EXPECT_NE(codec_->parse_notification(channel_xml(untyped, channel_)).error.find("notify_type"),
            std::string::npos);
}

}  // namespace
}  // namespace fusebox::gateway
