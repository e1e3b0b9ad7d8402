// Proves the gateway's two wallet codecs agree with the simulator's side of each protocol,
// under every signing scheme: every request it signs is accepted with the right fields, every
// answer, fault and notification the simulator renders maps to the right kind and states, and
// tampered, truncated, foreign or forged messages are never trusted.
#include <algorithm>
#include <ostream>

#include <gtest/gtest.h>

#include "fusebox/simulator/wallet_json.hpp"
#include "fusebox/simulator/wallet_xml.hpp"

#include "codec_test_support.hpp"

namespace fusebox::gateway {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test helpers
using sim::AnswerCode;
using sim::Delivery;
using sim::PaymentState;
using sim::RefundState;
namespace wj = sim::wallet_json;
namespace wx = sim::wallet_xml;

// The simulator's side of one wallet family.
struct SimSide {
  std::variant<wj::ParsedRequest, wj::HttpReply> (*parse_request)(
      std::string_view, std::string_view, std::string_view, const MessageVerifier&,
      const MessageSigner&, const wj::Envelope&);
  wj::HttpReply (*render_decision)(const sim::Decision&, const MessageSigner&, const wj::Envelope&);
  std::string (*render_notification)(const sim::Notification&, const MessageSigner&,
                                     const wj::Envelope&);
  bool (*is_ack)(int, std::string_view);
};

SimSide sim_side(Family family) {
  if (family == Family::wallet_json) {
    return {&wj::parse_request, &wj::render_decision, &wj::render_notification, &wj::is_ack};
  }
  return {&wx::parse_request, &wx::render_decision, &wx::render_notification, &wx::is_ack};
}

wj::Envelope envelope() { return wj::Envelope{"", "n1", 1'700'000'001}; }

struct Param {
  Family family;
  SignScheme scheme;
};
// Names the parameter in failure messages instead of dumping its bytes.
void PrintTo(const Param& param, std::ostream* out) {
  *out << to_string(param.family) << " signed " << to_string(param.scheme);
}

class WalletCodecTest : public ::testing::TestWithParam<Param> {
 protected:
  Family family() const { return GetParam().family; }
  SignScheme scheme() const { return GetParam().scheme; }
  bool signed_scheme() const { return scheme() != SignScheme::none; }
  bool json() const { return family() == Family::wallet_json; }

  void SetUp() override {
    codec_ = make_codec(family(), gateway_keys(scheme()));
    side_ = sim_side(family());
  }

  std::variant<wj::ParsedRequest, wj::HttpReply> sim_parse(const WireRequest& request,
                                                           std::string_view method = "POST") {
    return side_.parse_request(method, request.target, request.body,
                               sim_merchant_verifier(scheme()), sim_channel_signer(scheme()),
                               envelope());
  }

  // What the simulator accepted, failing the test if it refused.
  wj::ParsedRequest accepted(const ChannelCall& call) {
    const auto parsed = sim_parse(codec_->encode(call, context()));
    if (const auto* refusal = std::get_if<wj::HttpReply>(&parsed)) {
      ADD_FAILURE() << "refused " << refusal->status << ": " << refusal->body;
      return {};
    }
    return std::get<wj::ParsedRequest>(parsed);
  }

  ChannelReply decode(const ChannelCall& call, const wj::HttpReply& reply) {
    std::string_view retry_after;
    for (const auto& [name, value] : reply.headers) {
      if (name == "Retry-After") retry_after = value;
    }
    return codec_->decode(call, WireReply{reply.status, reply.body, retry_after});
  }

  // The simulator's answer to `call` as `d` decides it, read back by the gateway.
  ChannelReply answer(const ChannelCall& call, const sim::Decision& d) {
    EXPECT_EQ(accepted(call).request.operation, sim_operation(call.op));
    return decode(call, side_.render_decision(d, sim_channel_signer(scheme()), envelope()));
  }

  std::unique_ptr<ChannelCodec> codec_;
  SimSide side_{};
};

TEST_P(WalletCodecTest, EveryOperationIsAcceptedWithItsFields) {
  for (const ChannelOp op : {ChannelOp::pay, ChannelOp::query, ChannelOp::refund,
                             ChannelOp::refund_query, ChannelOp::close}) {
    SCOPED_TRACE(to_string(op));
    ChannelCall call = call_for(op);
    // A refund names its own notify URL (a split deployment's refunds process); the other
    // operations never send one, even when the call carries it.
    call.notify_url = "http://127.0.0.1:9/notify-" + std::string(to_string(op));
    const wj::ParsedRequest parsed = accepted(call);
    const bool notifies = op == ChannelOp::pay || op == ChannelOp::refund;
    EXPECT_EQ(parsed.notify_url, notifies ? call.notify_url : "");
    EXPECT_EQ(codec_->encode(call, context()).body.find("notify_url") != std::string::npos,
              notifies);
    EXPECT_EQ(parsed.request.operation, sim_operation(op));
    EXPECT_EQ(parsed.merchant_id, kMerchantId);
    EXPECT_EQ(parsed.request.order_id, op == ChannelOp::refund_query ? "" : "o-1");
    EXPECT_EQ(parsed.request.refund_id, call.refund_id);
    if (op == ChannelOp::pay || op == ChannelOp::refund) {
      EXPECT_EQ(parsed.request.amount_minor, call.amount_minor);
    }
    if (op == ChannelOp::pay) {
      EXPECT_EQ(parsed.request.currency, "CNY");
    }
  }
}

TEST_P(WalletCodecTest, AnEmptyNotifyUrlIsLeftOut) {
  ChannelCall call = call_for(ChannelOp::pay);
  call.notify_url.clear();
  EXPECT_EQ(codec_->encode(call, context()).body.find("notify_url"), std::string::npos);
  EXPECT_EQ(accepted(call).notify_url, "");
}

TEST_P(WalletCodecTest, ContentTypesAndAckAreTheFamilys) {
  const WireRequest request = codec_->encode(call_for(ChannelOp::query), context());
  EXPECT_EQ(request.content_type, json() ? "application/json" : "application/xml");
  EXPECT_EQ(codec_->ack_content_type(), request.content_type);
  EXPECT_EQ(codec_->ack_body(), json() ? wj::kAckBody : wx::kAckBody);
  EXPECT_TRUE(side_.is_ack(200, codec_->ack_body()));
  EXPECT_EQ(codec_->family(), family());
}

TEST_P(WalletCodecTest, ATamperedRequestGets401WhichIsRejected) {
  if (!signed_scheme()) GTEST_SKIP() << "nothing to tamper with";
  WireRequest request = codec_->encode(call_for(ChannelOp::pay), context());
  const std::size_t at = request.body.find("1250");
  ASSERT_NE(at, std::string::npos);
  request.body[at] = '9';
  const auto parsed = sim_parse(request);
  ASSERT_TRUE(std::holds_alternative<wj::HttpReply>(parsed));
  const wj::HttpReply& refusal = std::get<wj::HttpReply>(parsed);
  EXPECT_EQ(refusal.status, 401);
  const ChannelReply reply = decode(call_for(ChannelOp::pay), refusal);
  EXPECT_EQ(reply.kind, ReplyKind::rejected) << reply.message;
  EXPECT_EQ(reply.code, json() ? "SIGN_ERROR" : "FAIL");
}

TEST_P(WalletCodecTest, ProtocolErrorsAreRejected) {
  const WireRequest good = codec_->encode(call_for(ChannelOp::query), context());
  WireRequest unknown_path = good;
  unknown_path.target = "/nowhere";
  WireRequest unparseable = good;
  unparseable.body = "not a message";
  WireRequest huge = good;
  huge.body.assign(std::size_t{65} * 1024, ' ');
  const std::vector<std::pair<int, wj::HttpReply>> cases{
      {404, std::get<wj::HttpReply>(sim_parse(unknown_path))},
      {405, std::get<wj::HttpReply>(sim_parse(good, "GET"))},
      {400, std::get<wj::HttpReply>(sim_parse(unparseable))},
      {413, std::get<wj::HttpReply>(sim_parse(huge))},
  };
  for (const auto& [status, refusal] : cases) {
    ASSERT_EQ(refusal.status, status);
    const ChannelReply reply = decode(call_for(ChannelOp::query), refusal);
    EXPECT_EQ(reply.kind, ReplyKind::rejected) << status;
    EXPECT_NE(reply.message.find("HTTP " + std::to_string(status)), std::string::npos);
  }
}

TEST_P(WalletCodecTest, EveryAnswerCodeMapsToItsKind) {
  struct Case {
    AnswerCode code;
    ReplyKind kind;
    std::string_view json_code, xml_code;
  };
  const Case cases[] = {
      {AnswerCode::ok, ReplyKind::answered, "SUCCESS", "SUCCESS"},
      {AnswerCode::not_found, ReplyKind::not_found, "NOT_FOUND", "ORDERNOTEXIST"},
      {AnswerCode::declined, ReplyKind::declined, "DECLINED", "NOTENOUGH"},
      {AnswerCode::system_error, ReplyKind::retryable, "SYSTEM_ERROR", "SYSTEMERROR"},
      {AnswerCode::invalid_request, ReplyKind::rejected, "INVALID_REQUEST", "PARAM_ERROR"},
      {AnswerCode::conflict, ReplyKind::rejected, "CONFLICT", "OUT_TRADE_NO_USED"},
      {AnswerCode::order_not_payable, ReplyKind::rejected, "ORDER_NOT_PAYABLE", "ORDERPAID"},
  };
  for (const Case& c : cases) {
    const ChannelReply reply = answer(call_for(ChannelOp::pay), decision(c.code, ChannelOp::pay));
    EXPECT_EQ(reply.kind, c.kind) << c.json_code << ": " << reply.message;
    EXPECT_EQ(reply.code, json() ? c.json_code : c.xml_code);
    if (c.code != AnswerCode::ok) {
      EXPECT_EQ(reply.message, "because");
    }
  }
}

TEST_P(WalletCodecTest, EveryPaymentStateMaps) {
  const std::pair<PaymentState, PaymentStatus> cases[] = {
      {PaymentState::paying, PaymentStatus::processing},
      {PaymentState::paid, PaymentStatus::succeeded},
      {PaymentState::failed, PaymentStatus::failed},
      {PaymentState::closed, PaymentStatus::closed},
  };
  for (const ChannelOp op : {ChannelOp::pay, ChannelOp::query, ChannelOp::close}) {
    for (const auto& [state, status] : cases) {
      const ChannelReply reply = answer(call_for(op), decision(AnswerCode::ok, op, state));
      ASSERT_EQ(reply.kind, ReplyKind::answered) << reply.message;
      EXPECT_EQ(reply.payment, status);
      EXPECT_FALSE(reply.refund.has_value());
      EXPECT_EQ(reply.amount_minor, 1'250);
      EXPECT_EQ(reply.currency, "CNY");
      EXPECT_EQ(reply.channel_txn_id, state == PaymentState::paid ? "TXN000000042" : "");
    }
  }
}

TEST_P(WalletCodecTest, EveryRefundStateMaps) {
  const std::pair<RefundState, RefundStatus> cases[] = {
      {RefundState::processing, RefundStatus::processing},
      {RefundState::succeeded, RefundStatus::succeeded},
      {RefundState::failed, RefundStatus::failed},
  };
  for (const ChannelOp op : {ChannelOp::refund, ChannelOp::refund_query}) {
    for (const auto& [state, status] : cases) {
      const ChannelReply reply =
          answer(call_for(op), decision(AnswerCode::ok, op, PaymentState::paid, state));
      ASSERT_EQ(reply.kind, ReplyKind::answered) << reply.message;
      EXPECT_EQ(reply.refund, status);
      EXPECT_EQ(reply.refund_amount_minor, 300);
      EXPECT_EQ(reply.payment, PaymentStatus::succeeded);
    }
  }
}

TEST_P(WalletCodecTest, ARefundUnknownToTheChannelIsNotFound) {
  const ChannelReply reply = answer(call_for(ChannelOp::refund_query),
                                    decision(AnswerCode::not_found, ChannelOp::refund_query));
  EXPECT_EQ(reply.kind, ReplyKind::not_found);
  EXPECT_FALSE(reply.refund.has_value());
}

TEST_P(WalletCodecTest, ASuccessWithoutTheStateAskedAboutIsMalformed) {
  sim::Decision d = decision(AnswerCode::ok, ChannelOp::query);
  d.answer.payment = {};
  EXPECT_EQ(answer(call_for(ChannelOp::query), d).kind, ReplyKind::malformed);
  // A refund answer must carry the refund, not only its payment.
  EXPECT_EQ(answer(call_for(ChannelOp::refund), decision(AnswerCode::ok, ChannelOp::query)).kind,
            ReplyKind::malformed);
}

TEST_P(WalletCodecTest, AnAnswerAboutAnotherOrderOrRefundIsMalformed) {
  sim::Decision other_order = decision(AnswerCode::ok, ChannelOp::query);
  other_order.answer.payment.order_id = "o-2";
  const ChannelReply reply = answer(call_for(ChannelOp::query), other_order);
  EXPECT_EQ(reply.kind, ReplyKind::malformed);
  EXPECT_NE(reply.message.find("o-2"), std::string::npos) << reply.message;

  sim::Decision other_refund = decision(AnswerCode::ok, ChannelOp::refund, PaymentState::paid);
  other_refund.answer.refund.refund_id = "r-2";
  EXPECT_EQ(answer(call_for(ChannelOp::refund), other_refund).kind, ReplyKind::malformed);
}

TEST_P(WalletCodecTest, FaultsInTheMessageShow) {
  const ChannelCall call = call_for(ChannelOp::pay);
  sim::Decision d = decision(AnswerCode::ok, ChannelOp::pay);

  d.delivery = Delivery::http_5xx;
  const ChannelReply outage = answer(call, d);
  EXPECT_EQ(outage.kind, ReplyKind::retryable);
  EXPECT_EQ(outage.code, "HTTP_503");

  d.delivery = Delivery::too_many_requests;
  d.retry_after_ns = 2'500 * kNsPerMs;  // rounded up to 3 s on the wire
  const ChannelReply busy = answer(call, d);
  EXPECT_EQ(busy.kind, ReplyKind::retryable);
  EXPECT_EQ(busy.retry_after_ms, 3'000);

  d.delivery = Delivery::malformed_body;
  EXPECT_EQ(answer(call, d).kind, ReplyKind::malformed);

  d.delivery = Delivery::bad_signature;
  // Under `none` there is no signature to get wrong.
  EXPECT_EQ(answer(call, d).kind, signed_scheme() ? ReplyKind::unverified : ReplyKind::answered);
}

TEST_P(WalletCodecTest, EveryTruncationIsMalformed) {
  const ChannelCall call = call_for(ChannelOp::query);
  const wj::HttpReply full =
      side_.render_decision(decision(AnswerCode::ok, ChannelOp::query, PaymentState::paid),
                            sim_channel_signer(scheme()), envelope());
  ASSERT_EQ(decode(call, full).kind, ReplyKind::answered);
  for (std::size_t size = 0; size < full.body.size(); ++size) {
    const ChannelReply reply = codec_->decode(call, WireReply{200, full.body.substr(0, size), {}});
    ASSERT_EQ(reply.kind, ReplyKind::malformed) << "cut at " << size;
  }
}

TEST_P(WalletCodecTest, ATamperedAnswerIsUnverified) {
  if (!signed_scheme()) GTEST_SKIP() << "nothing to verify";
  const ChannelCall call = call_for(ChannelOp::query);
  wj::HttpReply reply =
      side_.render_decision(decision(AnswerCode::ok, ChannelOp::query, PaymentState::paid),
                            sim_channel_signer(scheme()), envelope());
  const std::size_t at = reply.body.find("TXN000000042");
  ASSERT_NE(at, std::string::npos);
  reply.body[at + 3] = '9';
  EXPECT_EQ(decode(call, reply).kind, ReplyKind::unverified);
}

TEST_P(WalletCodecTest, AnAnswerSignedWithAnotherKeyIsUnverified) {
  if (!signed_scheme()) GTEST_SKIP() << "nothing to verify";
  const wj::HttpReply reply = side_.render_decision(decision(AnswerCode::ok, ChannelOp::query),
                                                    impostor_signer(scheme()), envelope());
  EXPECT_EQ(decode(call_for(ChannelOp::query), reply).kind, ReplyKind::unverified);
  // Nor does an unsigned answer pass for a signed one.
  const wj::HttpReply unsigned_reply = side_.render_decision(
      decision(AnswerCode::ok, ChannelOp::query), MessageSigner::none(), envelope());
  EXPECT_EQ(decode(call_for(ChannelOp::query), unsigned_reply).kind, ReplyKind::unverified);
}

sim::Notification notification(sim::NotificationKind kind, PaymentState state,
                               RefundState refund = RefundState::processing) {
  sim::Notification n;
  n.id = 77;
  n.attempt = 2;
  n.kind = kind;
  n.payment = payment_view(state);
  n.refund = refund_view(refund);
  return n;
}

TEST_P(WalletCodecTest, PaymentNotificationsParse) {
  const std::pair<PaymentState, PaymentStatus> cases[] = {
      {PaymentState::paying, PaymentStatus::processing},
      {PaymentState::paid, PaymentStatus::succeeded},
      {PaymentState::failed, PaymentStatus::failed},
      {PaymentState::closed, PaymentStatus::closed},
  };
  for (const auto& [state, status] : cases) {
    const std::string body =
        side_.render_notification(notification(sim::NotificationKind::payment, state),
                                  sim_channel_signer(scheme()), envelope());
    const NotificationParse parsed = codec_->parse_notification(body);
    ASSERT_TRUE(parsed.error.empty()) << parsed.error;
    EXPECT_TRUE(parsed.verified);
    ASSERT_TRUE(parsed.notification.has_value());
    const ChannelNotification& n = *parsed.notification;
    EXPECT_FALSE(n.is_refund);
    EXPECT_EQ(n.notify_id, "77");
    EXPECT_EQ(n.order_id, "o-1");
    EXPECT_EQ(n.payment, status);
    EXPECT_EQ(n.amount_minor, 1'250);
    EXPECT_EQ(n.currency, "CNY");
    EXPECT_EQ(n.channel_txn_id, state == PaymentState::paid ? "TXN000000042" : "");
  }
}

TEST_P(WalletCodecTest, RefundNotificationsParse) {
  const std::pair<RefundState, RefundStatus> cases[] = {
      {RefundState::processing, RefundStatus::processing},
      {RefundState::succeeded, RefundStatus::succeeded},
      {RefundState::failed, RefundStatus::failed},
  };
  for (const auto& [state, status] : cases) {
    const std::string body = side_.render_notification(
        notification(sim::NotificationKind::refund, PaymentState::paid, state),
        sim_channel_signer(scheme()), envelope());
    const NotificationParse parsed = codec_->parse_notification(body);
    ASSERT_TRUE(parsed.error.empty()) << parsed.error;
    EXPECT_TRUE(parsed.verified);
    ASSERT_TRUE(parsed.notification.has_value());
    const ChannelNotification& n = *parsed.notification;
    EXPECT_TRUE(n.is_refund);
    EXPECT_EQ(n.order_id, "o-1");
    EXPECT_EQ(n.payment, PaymentStatus::succeeded);
    EXPECT_EQ(n.refund_id, "r-1");
    EXPECT_EQ(n.refund, status);
    EXPECT_EQ(n.refund_amount_minor, 300);
  }
}

TEST_P(WalletCodecTest, AForgedNotificationIsReadButNotVerified) {
  if (!signed_scheme()) GTEST_SKIP() << "nothing to verify";
  sim::Notification forged = notification(sim::NotificationKind::payment, PaymentState::paid);
  forged.forged = true;
  const NotificationParse parsed = codec_->parse_notification(
      side_.render_notification(forged, sim_channel_signer(scheme()), envelope()));
  EXPECT_TRUE(parsed.error.empty()) << parsed.error;
  EXPECT_FALSE(parsed.verified);
  ASSERT_TRUE(parsed.notification.has_value()) << "read for the logs";
  EXPECT_EQ(parsed.notification->notify_id, "77");

  const NotificationParse impostor = codec_->parse_notification(
      side_.render_notification(notification(sim::NotificationKind::payment, PaymentState::paid),
                                impostor_signer(scheme()), envelope()));
  EXPECT_FALSE(impostor.verified);
}

TEST_P(WalletCodecTest, AMalformedNotificationIsAnError) {
  const std::string body =
      side_.render_notification(notification(sim::NotificationKind::refund, PaymentState::paid),
                                sim_channel_signer(scheme()), envelope());
  for (const std::string_view bad : {std::string_view(body).substr(0, body.size() / 2),
                                     std::string_view(), std::string_view("<html>503</html>")}) {
    const NotificationParse parsed = codec_->parse_notification(bad);
    EXPECT_FALSE(parsed.error.empty());
    EXPECT_FALSE(parsed.verified);
    EXPECT_FALSE(parsed.notification.has_value());
  }
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  std::string name =
      std::string(to_string(info.param.family)) + "_" + std::string(to_string(info.param.scheme));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

constexpr Param kParams[] = {
    {Family::wallet_json, SignScheme::none},       {Family::wallet_json, SignScheme::hmac_sha256},
    {Family::wallet_json, SignScheme::rsa_sha256}, {Family::wallet_xml, SignScheme::none},
    {Family::wallet_xml, SignScheme::hmac_sha256}, {Family::wallet_xml, SignScheme::rsa_sha256},
};
INSTANTIATE_TEST_SUITE_P(FamiliesAndSchemes, WalletCodecTest, ::testing::ValuesIn(kParams),
                         param_name);

}  // namespace
}  // namespace fusebox::gateway
