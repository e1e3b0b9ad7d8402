// Proves the wallet-json codec's wire details and its handling of what the simulator never
// sends: the exact request body and signature of docs/CHANNELS.md's example, every code in the
// table, HTTP statuses and Retry-After forms, and bodies of the wrong shape (duplicates,
// nesting, floats, text amounts), each refused before anything in it is trusted.
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/simulator/wallet_json.hpp"

#include "codec_test_support.hpp"

namespace fusebox::gateway {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test helpers
using nlohmann::json;

// A channel message signed over `fields`, as a channel would write it: integers for `ints`.
std::string channel_json(const Fields& fields, const MessageSigner& signer,
                         std::initializer_list<std::string_view> ints = {"amount",
                                                                         "refund_amount"}) {
  json body = json::object();
  for (const auto& [name, value] : fields) {
    if (!value.empty() && std::find(ints.begin(), ints.end(), name) != ints.end()) {
      body[name] = std::stoll(value);
    } else {
      body[name] = value;
    }
  }
  if (signer.scheme() != SignScheme::none) {
    body["sign_type"] = std::string(to_string(signer.scheme()));
    body["sign"] = signer.sign(*canonical_string(fields));
  }
  return body.dump();
}

Fields paid_query_answer() {
  return {
      {"code", "SUCCESS"}, {"message", "OK"},   {"order_id", "o-1"},      {"state", "PAID"},
      {"amount", "1250"},  {"currency", "CNY"}, {"channel_txn_id", "T1"},
  };
}

class WalletJsonCodecTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChannelCodec> codec_ =
      make_codec(Family::wallet_json, gateway_keys(SignScheme::hmac_sha256));
  MessageSigner channel_ = sim_channel_signer(SignScheme::hmac_sha256);

  ChannelReply decode(std::string_view body, int status = 200, std::string_view retry = {}) {
    return codec_->decode(call_for(ChannelOp::query), WireReply{status, body, retry});
  }
  ChannelReply decode_fields(const Fields& fields) {
    return decode(channel_json(fields, channel_));
  }
};

TEST_F(WalletJsonCodecTest, WritesTheExactBodyAndSignsTheDocumentedCanonicalString) {
  ChannelCall call = call_for(ChannelOp::pay);
  call.notify_url.clear();
  const WireRequest request = codec_->encode(call, context());
  EXPECT_EQ(request.target, "/v1/pay");
  const json body = json::parse(request.body);
  EXPECT_EQ(body.size(), 8U);
  EXPECT_EQ(body["merchant_id"], "m-1");
  EXPECT_EQ(body["nonce"], "42");
  EXPECT_EQ(body["timestamp"], 1'700'000'000) << "whole seconds, an integer";
  EXPECT_EQ(body["order_id"], "o-1");
  EXPECT_EQ(body["amount"], 1'250) << "an integer";
  EXPECT_EQ(body["currency"], "CNY");
  EXPECT_EQ(body["sign_type"], "hmac-sha256");
  // The example of docs/CHANNELS.md, with this request's nonce.
  const MessageVerifier merchant = sim_merchant_verifier(SignScheme::hmac_sha256);
  EXPECT_TRUE(merchant.verify(
      "amount=1250&currency=CNY&merchant_id=m-1&nonce=42&order_id=o-1&timestamp=1700000000",
      body["sign"].get<std::string>()));
}

TEST_F(WalletJsonCodecTest, UnsignedRequestsCarryNoSignFields) {
  const auto codec = make_codec(Family::wallet_json, gateway_keys(SignScheme::none));
  const WireRequest request = codec->encode(call_for(ChannelOp::close), context());
  EXPECT_EQ(request.body, R"({"merchant_id":"m-1","nonce":"42","timestamp":1700000000,)"
                          R"("order_id":"o-1"})");
  EXPECT_EQ(request.target, "/v1/close");
}

TEST_F(WalletJsonCodecTest, EscapedTextReachesTheSimulatorIntact) {
  ChannelCall call = call_for(ChannelOp::query);
  call.order_id = "o\"\\\x01/\xc3\xa9";
  const WireRequest request = codec_->encode(call, context());
  const auto parsed =
      sim::wallet_json::parse_request("POST", request.target, request.body,
                                      sim_merchant_verifier(SignScheme::hmac_sha256), channel_, {});
  ASSERT_TRUE(std::holds_alternative<sim::wallet_json::ParsedRequest>(parsed));
  EXPECT_EQ(std::get<sim::wallet_json::ParsedRequest>(parsed).request.order_id, call.order_id);
}

TEST_F(WalletJsonCodecTest, EncodeRefusesWhatTheProtocolCannotCarry) {
  const auto refused_naming = [&](const ChannelCall& call, std::string_view field) {
    try {
      (void)codec_->encode(call, context());
      ADD_FAILURE() << "accepted; expected a complaint about " << field;
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string_view(error.what()).find(field), std::string_view::npos) << error.what();
    }
  };
  ChannelCall call = call_for(ChannelOp::pay);
  call.order_id = std::string(65, 'o');
  refused_naming(call, "order_id");
  call = call_for(ChannelOp::pay);
  call.amount_minor = 0;
  refused_naming(call, "amount_minor");
  call = call_for(ChannelOp::pay);
  call.currency = "cny";
  refused_naming(call, "currency");
  call = call_for(ChannelOp::refund);
  call.refund_id.clear();
  refused_naming(call, "refund_id");
  call = call_for(ChannelOp::pay);
  call.notify_url = std::string(70'000, 'u');
  refused_naming(call, "notify_url");

  CodecKeys keys = gateway_keys(SignScheme::none);
  keys.merchant_id = std::string(65, 'm');
  EXPECT_THROW((void)make_codec(Family::wallet_json, std::move(keys)), std::invalid_argument);
}

TEST_F(WalletJsonCodecTest, EveryCodeInTheTableMaps) {
  const std::pair<std::string_view, ReplyKind> cases[] = {
      {"SUCCESS", ReplyKind::answered},
      {"NOT_FOUND", ReplyKind::not_found},
      {"DECLINED", ReplyKind::declined},
      {"SYSTEM_ERROR", ReplyKind::retryable},
      {"FREQUENCY_LIMITED", ReplyKind::retryable},
      {"INVALID_REQUEST", ReplyKind::rejected},
      {"CONFLICT", ReplyKind::rejected},
      {"ORDER_NOT_PAYABLE", ReplyKind::rejected},
      {"SIGN_ERROR", ReplyKind::rejected},
      {"MAYBE", ReplyKind::malformed},
  };
  for (const auto& [code, kind] : cases) {
    Fields fields = paid_query_answer();
    fields[0].second = code;
    const ChannelReply reply = decode_fields(fields);
    EXPECT_EQ(reply.kind, kind) << code << ": " << reply.message;
    EXPECT_EQ(reply.code, code);
  }
  Fields no_code = paid_query_answer();
  no_code.erase(no_code.begin());
  EXPECT_EQ(decode_fields(no_code).kind, ReplyKind::malformed);
}

TEST_F(WalletJsonCodecTest, HttpStatusesDecideBeforeTheBody) {
  const std::string signed_error =
      channel_json({{"code", "SIGN_ERROR"}, {"message", "no"}}, channel_);
  const std::pair<int, ReplyKind> cases[] = {
      {500, ReplyKind::retryable}, {502, ReplyKind::retryable}, {503, ReplyKind::retryable},
      {504, ReplyKind::malformed},  // a proxy's timeout: the channel may have acted
      {400, ReplyKind::rejected},  {401, ReplyKind::rejected},  {404, ReplyKind::rejected},
      {405, ReplyKind::rejected},  {413, ReplyKind::rejected},  {302, ReplyKind::malformed},
      {204, ReplyKind::malformed}, {403, ReplyKind::malformed}, {0, ReplyKind::malformed},
  };
  for (const auto& [status, kind] : cases) {
    EXPECT_EQ(decode(signed_error, status).kind, kind) << status;
  }
  EXPECT_EQ(decode(signed_error, 401).code, "SIGN_ERROR");
  // An error body that does not verify tells nothing: the code stays the status's.
  const std::string forged =
      channel_json({{"code", "SIGN_ERROR"}}, impostor_signer(SignScheme::hmac_sha256));
  EXPECT_EQ(decode(forged, 401).code, "HTTP_401");
  EXPECT_EQ(decode("<html><body>503 Service Unavailable</body></html>", 503).code, "HTTP_503");
  EXPECT_EQ(decode("<html><body>oops</body></html>", 200).kind, ReplyKind::malformed);
}

TEST_F(WalletJsonCodecTest, RetryAfterIsReadInSeconds) {
  const std::string busy = channel_json({{"code", "FREQUENCY_LIMITED"}}, channel_);
  const std::pair<std::string_view, std::int64_t> cases[] = {
      {"7", 7'000},        {" 2 ", 2'000}, {"0", 0},    {"", -1},
      {"soon", -1},        {"-1", -1},     {"1.5", -1}, {"Wed, 21 Oct 2015 07:28:00 GMT", -1},
      {"99999999999", -1},
  };
  for (const auto& [header, ms] : cases) {
    const ChannelReply reply = decode(busy, 429, header);
    EXPECT_EQ(reply.kind, ReplyKind::retryable);
    EXPECT_EQ(reply.retry_after_ms, ms) << '"' << header << '"';
    EXPECT_EQ(reply.code, "FREQUENCY_LIMITED");
  }
}

TEST_F(WalletJsonCodecTest, BodiesOfTheWrongShapeAreMalformed) {
  const std::string_view cases[] = {
      R"({"code":"SUCCESS","code":"SUCCESS"})",
      R"({"code":"SUCCESS","state":{"a":1}})",
      R"({"code":"SUCCESS","state":["PAID"]})",
      R"({"code":"SUCCESS","amount":12.5})",
      R"({"code":"SUCCESS","amount":true})",
      R"({"code":"SUCCESS","amount":null})",
      R"(["SUCCESS"])",
      R"("SUCCESS")",
      R"({"code":"SUCCESS"} {})",
      "",
  };
  for (const std::string_view body : cases) {
    EXPECT_EQ(decode(body).kind, ReplyKind::malformed) << body;
  }
  EXPECT_EQ(decode(std::string(70'000, ' ')).kind, ReplyKind::malformed);
}

TEST_F(WalletJsonCodecTest, VerifiedFieldsOfTheWrongTypeOrValueAreMalformed) {
  // Text where the protocol says integer: the signature holds, the shape does not.
  const std::string text_amount = channel_json(paid_query_answer(), channel_, {});
  EXPECT_EQ(decode(text_amount).kind, ReplyKind::malformed);
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"state", "SETTLED"},
      {"amount", "-5"},
      {"currency", "yuan"},
      {"channel_txn_id", ""},
  };
  for (const auto& [name, value] : cases) {
    Fields fields = paid_query_answer();
    for (auto& field : fields) {
      if (field.first == name) field.second = value;
    }
    const ChannelReply reply = decode_fields(fields);
    EXPECT_EQ(reply.kind, ReplyKind::malformed) << name;
    EXPECT_NE(reply.message.find(name), std::string::npos) << reply.message;
  }
}

TEST_F(WalletJsonCodecTest, UnknownFieldsAreSignedButIgnored) {
  Fields fields = paid_query_answer();
  fields.emplace_back("promotion", "spring");
  fields.emplace_back("attempt", "3");
  const ChannelReply reply = decode(channel_json(fields, channel_, {"amount", "attempt"}));
  EXPECT_EQ(reply.kind, ReplyKind::answered) << reply.message;
  EXPECT_EQ(reply.payment, PaymentStatus::succeeded);
  // ...and they are covered by the signature: dropping one breaks it.
  json tampered = json::parse(channel_json(fields, channel_, {"amount", "attempt"}));
  tampered.erase("promotion");
  EXPECT_EQ(decode(tampered.dump()).kind, ReplyKind::unverified);
}

TEST_F(WalletJsonCodecTest, TheSchemeMustBeTheChannels) {
  json body = json::parse(channel_json(paid_query_answer(), channel_));
  body["sign_type"] = "rsa-sha256";
  EXPECT_EQ(decode(body.dump()).kind, ReplyKind::unverified);
  body.erase("sign_type");
  EXPECT_EQ(decode(body.dump()).kind, ReplyKind::unverified);
  // With `none` configured, a signature is not looked at.
  const auto unsigned_codec = make_codec(Family::wallet_json, gateway_keys(SignScheme::none));
  EXPECT_EQ(
      unsigned_codec->decode(call_for(ChannelOp::query), WireReply{200, body.dump(), {}}).kind,
      ReplyKind::answered);
}

TEST_F(WalletJsonCodecTest, NotificationsOfTheWrongShapeAreErrors) {
  const Fields payment{{"event", "PAYMENT"}, {"notify_id", "5"},  {"attempt", "1"},
                       {"order_id", "o-1"},  {"state", "PAYING"}, {"amount", "1250"},
                       {"currency", "CNY"}};
  const auto parse = [&](const Fields& fields) {
    return codec_->parse_notification(channel_json(fields, channel_, {"amount", "attempt"}));
  };
  const NotificationParse good = parse(payment);
  ASSERT_TRUE(good.error.empty()) << good.error;
  EXPECT_TRUE(good.verified);

  const std::pair<std::string_view, std::string_view> broken[] = {
      {"event", "CHARGEBACK"}, {"event", ""},  {"notify_id", ""}, {"order_id", ""},
      {"state", ""},           {"amount", ""}, {"currency", ""},
  };
  for (const auto& [name, value] : broken) {
    Fields fields = payment;
    for (auto& field : fields) {
      if (field.first == name) field.second = value;
    }
    const NotificationParse parsed = parse(fields);
    EXPECT_NE(parsed.error.find(name), std::string::npos) << name << ": " << parsed.error;
    EXPECT_FALSE(parsed.notification.has_value());
  }
  // A REFUND event must carry the refund.
  Fields refund = payment;
  refund[0].second = "REFUND";
  EXPECT_NE(parse(refund).error.find("refund_state"), std::string::npos);
  // Unknown fields are fine.
  Fields extra = payment;
  extra.emplace_back("campaign", "x");
  const NotificationParse with_extra = parse(extra);
  EXPECT_TRUE(with_extra.error.empty()) << with_extra.error;
  EXPECT_TRUE(with_extra.verified);
}

}  // namespace
}  // namespace fusebox::gateway
