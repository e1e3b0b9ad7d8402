// Proves the gateway's bank-binary codec against the simulator's side of the protocol: every
// request frame decodes there with the right fields and MAC, every response code and state
// the simulator sends maps to the right kind, any changed byte is caught, answers to another
// request are refused, and the network frames the TCP pool needs round-trip.
#include <algorithm>

#include <gtest/gtest.h>

#include "fusebox/gateway/bank_frame.hpp"
#include "fusebox/simulator/bank_binary.hpp"

#include "codec_test_support.hpp"

namespace fusebox::gateway {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test helpers
using sim::AnswerCode;
using sim::Delivery;
using sim::PaymentState;
using sim::RefundState;
namespace bb = sim::bank_binary;

constexpr std::string_view kKey = "bank mac key";
constexpr std::int64_t kSimNowS = 1'700'000'009;

class BankBinaryCodecTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChannelCodec> codec_ =
      make_codec(Family::bank_binary, gateway_keys(SignScheme::none));

  // The request as the simulator reads it, failing the test if it cannot.
  static bb::Message sim_decoded(std::string_view body) {
    auto result = bb::decode(body, kKey);
    if (const auto* error = std::get_if<bb::DecodeError>(&result)) {
      ADD_FAILURE() << error->field << ": " << error->reason;
      return {};
    }
    return std::get<bb::Message>(result);
  }

  static std::string_view body_of(const WireRequest& request) {
    return std::string_view(request.body).substr(bank::kLengthPrefixBytes);
  }

  ChannelReply answer(const ChannelCall& call, const sim::Decision& d) {
    const bb::Message request = sim_decoded(body_of(codec_->encode(call, context())));
    const std::string response = bb::respond(request, d, kKey, kSimNowS);
    EXPECT_EQ(bank::read_trace(response), 123'456U);
    return codec_->decode(call, WireReply{0, response, {}});
  }
};

TEST_F(BankBinaryCodecTest, EveryOperationDecodesOnTheSimulatorsSide) {
  const std::pair<ChannelOp, std::string_view> mtis[] = {
      {ChannelOp::pay, "0200"},   {ChannelOp::refund, "0220"},       {ChannelOp::close, "0400"},
      {ChannelOp::query, "0600"}, {ChannelOp::refund_query, "0620"},
  };
  for (const auto& [op, mti] : mtis) {
    SCOPED_TRACE(to_string(op));
    const ChannelCall call = call_for(op);
    const WireRequest request = codec_->encode(call, context());
    EXPECT_TRUE(request.target.empty());
    ASSERT_EQ(request.body.size(), bank::kFrameBytes);
    EXPECT_EQ(request.body.substr(0, 2), std::string("\x00\x86", 2));
    const bb::Message m = sim_decoded(body_of(request));
    EXPECT_EQ(m.mti, mti);
    EXPECT_EQ(m.trace, 123'456U);
    EXPECT_EQ(m.timestamp_s, 1'700'000'000);
    const bool moves_money = op == ChannelOp::pay || op == ChannelOp::refund;
    EXPECT_EQ(m.amount_minor, moves_money ? call.amount_minor : 0);
    EXPECT_EQ(m.currency, moves_money ? "CNY" : "");
    EXPECT_EQ(m.order_id, "o-1");
    EXPECT_EQ(m.refund_id, call.refund_id);
    EXPECT_EQ(m.response_code, "");
    EXPECT_EQ(m.state, ' ');
    EXPECT_EQ(m.refund_state, ' ');
    EXPECT_EQ(m.channel_txn, "");
    EXPECT_EQ(m.network_code, "");
    const auto request_view = bb::to_request(m, 0);
    ASSERT_TRUE(request_view.has_value());
    EXPECT_EQ(request_view->operation, sim_operation(op));
  }
}

TEST_F(BankBinaryCodecTest, TheLayoutIsTheDocumentedOne) {
  const WireRequest request = codec_->encode(call_for(ChannelOp::pay), context());
  const std::string_view body = body_of(request);
  EXPECT_EQ(body.substr(0, 35), "02001234561700000000000000001250CNY");
  EXPECT_EQ(body.substr(35, 32), "o-1" + std::string(29, ' '));
  EXPECT_EQ(body.substr(67, 51), std::string(51, ' '));
  const std::string_view mac = body.substr(118);
  EXPECT_TRUE(std::all_of(mac.begin(), mac.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
  })) << mac;
  EXPECT_TRUE(bank::mac_verifies(body, kKey));
  EXPECT_FALSE(bank::mac_verifies(body, "another key"));
}

TEST_F(BankBinaryCodecTest, EveryResponseCodeMapsToItsKind) {
  struct Case {
    std::string_view wire;
    AnswerCode code;
    Delivery delivery;
    ReplyKind kind;
  };
  const Case cases[] = {
      {"00", AnswerCode::ok, Delivery::normal, ReplyKind::answered},
      {"51", AnswerCode::declined, Delivery::normal, ReplyKind::declined},
      {"25", AnswerCode::not_found, Delivery::normal, ReplyKind::not_found},
      {"94", AnswerCode::conflict, Delivery::normal, ReplyKind::rejected},
      {"12", AnswerCode::order_not_payable, Delivery::normal, ReplyKind::rejected},
      {"30", AnswerCode::invalid_request, Delivery::normal, ReplyKind::rejected},
      {"96", AnswerCode::system_error, Delivery::normal, ReplyKind::retryable},
      {"96", AnswerCode::ok, Delivery::http_5xx, ReplyKind::retryable},
      {"91", AnswerCode::ok, Delivery::too_many_requests, ReplyKind::retryable},
  };
  for (const Case& c : cases) {
    sim::Decision d = decision(c.code, ChannelOp::pay, PaymentState::paid);
    d.delivery = c.delivery;
    const ChannelReply reply = answer(call_for(ChannelOp::pay), d);
    EXPECT_EQ(reply.code, c.wire);
    EXPECT_EQ(reply.kind, c.kind) << c.wire << ": " << reply.message;
  }
}

TEST_F(BankBinaryCodecTest, PayAnswersCarryTheOutcome) {
  const ChannelCall pay = call_for(ChannelOp::pay);
  const ChannelReply paid =
      answer(pay, decision(AnswerCode::ok, ChannelOp::pay, PaymentState::paid));
  EXPECT_EQ(paid.kind, ReplyKind::answered);
  EXPECT_EQ(paid.payment, PaymentStatus::succeeded);
  EXPECT_EQ(paid.channel_txn_id, "TXN000000042");
  EXPECT_EQ(paid.amount_minor, 1'250);
  EXPECT_EQ(paid.currency, "CNY");

  // 09: the payment is still being paid; an answer to query later.
  const ChannelReply paying = answer(pay, decision(AnswerCode::ok, ChannelOp::pay));
  EXPECT_EQ(paying.code, "09");
  EXPECT_EQ(paying.kind, ReplyKind::answered);
  EXPECT_EQ(paying.payment, PaymentStatus::processing);

  const ChannelReply declined =
      answer(pay, decision(AnswerCode::declined, ChannelOp::pay, PaymentState::failed));
  EXPECT_EQ(declined.kind, ReplyKind::declined);
  EXPECT_EQ(declined.payment, PaymentStatus::failed);
}

TEST_F(BankBinaryCodecTest, EveryPaymentStateMaps) {
  const std::pair<PaymentState, PaymentStatus> cases[] = {
      {PaymentState::paying, PaymentStatus::processing},
      {PaymentState::paid, PaymentStatus::succeeded},
      {PaymentState::failed, PaymentStatus::failed},
      {PaymentState::closed, PaymentStatus::closed},
  };
  for (const ChannelOp op : {ChannelOp::query, ChannelOp::close}) {
    for (const auto& [state, status] : cases) {
      const ChannelReply reply = answer(call_for(op), decision(AnswerCode::ok, op, state));
      EXPECT_EQ(reply.kind, ReplyKind::answered) << reply.message;
      EXPECT_EQ(reply.payment, status);
    }
  }
}

TEST_F(BankBinaryCodecTest, EveryRefundStateMaps) {
  const std::pair<RefundState, RefundStatus> cases[] = {
      {RefundState::processing, RefundStatus::processing},
      {RefundState::succeeded, RefundStatus::succeeded},
      {RefundState::failed, RefundStatus::failed},
  };
  for (const ChannelOp op : {ChannelOp::refund, ChannelOp::refund_query}) {
    for (const auto& [state, status] : cases) {
      const ChannelReply reply =
          answer(call_for(op), decision(AnswerCode::ok, op, PaymentState::paid, state));
      EXPECT_EQ(reply.code, "00");
      EXPECT_EQ(reply.kind, ReplyKind::answered) << reply.message;
      EXPECT_EQ(reply.refund, status);
      EXPECT_EQ(reply.refund_amount_minor, 300);
      EXPECT_EQ(reply.amount_minor, 0) << "the one amount field is the refund's";
    }
  }
  const ChannelReply unknown = answer(call_for(ChannelOp::refund_query),
                                      decision(AnswerCode::not_found, ChannelOp::refund_query));
  EXPECT_EQ(unknown.kind, ReplyKind::not_found);
}

TEST_F(BankBinaryCodecTest, AnswersToUnreadableRequestsAreRejected) {
  // A0: the bank could not verify our MAC; it answers 0210 whatever was asked.
  const auto other = make_codec(Family::bank_binary, [] {
    CodecKeys keys = gateway_keys(SignScheme::none);
    keys.mac_key = "not the bank's key";
    return keys;
  }());
  const ChannelCall query = call_for(ChannelOp::query);
  const std::string frame = other->encode(query, context()).body.substr(2);
  const auto decoded = bb::decode(frame, kKey);
  ASSERT_TRUE(std::holds_alternative<bb::DecodeError>(decoded));
  const std::string a0 = bb::respond_error(std::get<bb::DecodeError>(decoded), kKey, kSimNowS);
  const ChannelReply bad_mac = codec_->decode(query, WireReply{0, a0, {}});
  EXPECT_EQ(bad_mac.code, "A0");
  EXPECT_EQ(bad_mac.kind, ReplyKind::rejected) << bad_mac.message;

  const std::string thirty =
      bb::respond_error(bb::DecodeError{"amount", "expected 12 digits", 123'456U}, kKey, kSimNowS);
  const ChannelReply format = codec_->decode(query, WireReply{0, thirty, {}});
  EXPECT_EQ(format.code, "30");
  EXPECT_EQ(format.kind, ReplyKind::rejected) << format.message;
}

TEST_F(BankBinaryCodecTest, FaultsInTheMessageShow) {
  const ChannelCall pay = call_for(ChannelOp::pay);
  sim::Decision d = decision(AnswerCode::ok, ChannelOp::pay, PaymentState::paid);
  d.delivery = Delivery::bad_signature;
  EXPECT_EQ(answer(pay, d).kind, ReplyKind::unverified);
  d.delivery = Delivery::malformed_body;
  EXPECT_EQ(answer(pay, d).kind, ReplyKind::malformed);
}

TEST_F(BankBinaryCodecTest, NoChangedByteIsTrusted) {
  const ChannelCall pay = call_for(ChannelOp::pay);
  const bb::Message request = sim_decoded(body_of(codec_->encode(pay, context())));
  const std::string good = bb::respond(
      request, decision(AnswerCode::ok, ChannelOp::pay, PaymentState::paid), kKey, kSimNowS);
  ASSERT_EQ(codec_->decode(pay, WireReply{0, good, {}}).kind, ReplyKind::answered);
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (const char replacement : {'0', '9', 'Z', ' ', '\x01'}) {
      if (good[i] == replacement) continue;
      std::string tampered = good;
      tampered[i] = replacement;
      const ReplyKind kind = codec_->decode(pay, WireReply{0, tampered, {}}).kind;
      ASSERT_TRUE(kind == ReplyKind::unverified || kind == ReplyKind::malformed)
          << "byte " << i << " -> " << int{replacement} << ": " << to_string(kind);
    }
  }
  EXPECT_EQ(codec_->decode(pay, WireReply{0, good.substr(0, 133), {}}).kind, ReplyKind::malformed);
  EXPECT_EQ(codec_->decode(pay, WireReply{0, good + " ", {}}).kind, ReplyKind::malformed);
  EXPECT_EQ(codec_->decode(pay, WireReply{0, {}, {}}).kind, ReplyKind::malformed);
}

TEST_F(BankBinaryCodecTest, AnAnswerToAnotherRequestIsMalformed) {
  const ChannelCall query = call_for(ChannelOp::query);
  const bb::Message request = sim_decoded(body_of(codec_->encode(query, context())));
  const std::string response = bb::respond(
      request, decision(AnswerCode::ok, ChannelOp::query, PaymentState::paid), kKey, kSimNowS);
  // Another operation: 0610 does not answer an 0200.
  const ChannelReply wrong_type = codec_->decode(call_for(ChannelOp::pay), {0, response, {}});
  EXPECT_EQ(wrong_type.kind, ReplyKind::malformed);
  EXPECT_NE(wrong_type.message.find("mti"), std::string::npos) << wrong_type.message;
  // Another order.
  ChannelCall other = query;
  other.order_id = "o-2";
  const ChannelReply wrong_order = codec_->decode(other, {0, response, {}});
  EXPECT_EQ(wrong_order.kind, ReplyKind::malformed);
  EXPECT_NE(wrong_order.message.find("order_id"), std::string::npos) << wrong_order.message;
}

TEST_F(BankBinaryCodecTest, UnknownCodesAndStatesAreMalformed) {
  const ChannelCall query = call_for(ChannelOp::query);
  bb::Message response = sim_decoded(body_of(codec_->encode(query, context())));
  response.mti = "0610";
  response.response_code = "00";
  response.state = 'S';
  response.channel_txn = "RRN1";
  ASSERT_EQ(codec_->decode(query, {0, bb::encode(response, kKey), {}}).kind, ReplyKind::answered);
  const auto kind_with = [&](auto change) {
    bb::Message m = response;
    change(m);
    return codec_->decode(query, {0, bb::encode(m, kKey), {}}).kind;
  };
  EXPECT_EQ(kind_with([](bb::Message& m) { m.response_code = "05"; }), ReplyKind::malformed);
  EXPECT_EQ(kind_with([](bb::Message& m) { m.state = 'X'; }), ReplyKind::malformed);
  EXPECT_EQ(kind_with([](bb::Message& m) { m.state = ' '; }), ReplyKind::malformed)
      << "an approval must say the state";
  EXPECT_EQ(kind_with([](bb::Message& m) { m.channel_txn.clear(); }), ReplyKind::malformed)
      << "paid without an RRN";
  EXPECT_EQ(kind_with([](bb::Message& m) { m.response_code = "09"; }), ReplyKind::malformed)
      << "in progress, yet paid";
  EXPECT_EQ(kind_with([](bb::Message& m) { m.refund_state = 'Q'; }), ReplyKind::malformed);
}

TEST_F(BankBinaryCodecTest, EncodeRefusesWhatTheFrameCannotCarry) {
  const auto refused_naming = [&](const ChannelCall& call, const EncodeContext& ctx,
                                  std::string_view field) {
    try {
      (void)codec_->encode(call, ctx);
      ADD_FAILURE() << "accepted; expected a complaint about " << field;
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string_view(error.what()).find(field), std::string_view::npos) << error.what();
    }
  };
  ChannelCall call = call_for(ChannelOp::pay);
  call.order_id = std::string(33, 'o');
  refused_naming(call, context(), "order_id");
  call.order_id = "trailing ";
  refused_naming(call, context(), "order_id");
  call.order_id = "caf\xc3\xa9";
  refused_naming(call, context(), "order_id");
  call = call_for(ChannelOp::refund);
  call.refund_id = std::string(33, 'r');
  refused_naming(call, context(), "refund_id");
  call = call_for(ChannelOp::pay);
  call.amount_minor = 1'000'000'000'000;
  refused_naming(call, context(), "amount_minor");
  call.amount_minor = -1;
  refused_naming(call, context(), "amount_minor");
  call = call_for(ChannelOp::pay);
  call.currency = "";
  refused_naming(call, context(), "currency");
  call = call_for(ChannelOp::query);
  refused_naming(call, EncodeContext{kNow, 1, 0}, "trace");
  refused_naming(call, EncodeContext{kNow, 1, 1'000'000}, "trace");
  refused_naming(call, EncodeContext{-kNsPerS, 1, 1}, "timestamp");
  // The longest that fits does.
  call.order_id = std::string(32, 'o');
  EXPECT_EQ(sim_decoded(body_of(codec_->encode(call, EncodeContext{kNow, 1, 999'999}))).order_id,
            call.order_id);
}

TEST_F(BankBinaryCodecTest, NetworkFramesRoundTrip) {
  const std::pair<bank::NetworkCode, std::string_view> codes[] = {
      {bank::NetworkCode::sign_on, "001"},
      {bank::NetworkCode::sign_off, "002"},
      {bank::NetworkCode::echo, "301"},
  };
  for (const auto& [code, wire] : codes) {
    const std::string frame = bank::network_frame(code, 77, kNow, kKey);
    ASSERT_EQ(frame.size(), bank::kFrameBytes);
    const bb::Message m = sim_decoded(std::string_view(frame).substr(2));
    EXPECT_EQ(m.mti, "0800");
    EXPECT_EQ(m.trace, 77U);
    EXPECT_EQ(m.network_code, wire);
    EXPECT_FALSE(bb::to_request(m, 0).has_value());

    const std::string response = bb::respond_network(m, kKey, kSimNowS);
    EXPECT_EQ(bank::read_trace(response), 77U);
    EXPECT_EQ(bank::read_mti(response), "0810");
    EXPECT_TRUE(bank::is_network_response(response));
    const bank::NetworkReply reply = bank::parse_network_reply(response, kKey);
    EXPECT_TRUE(reply.approved) << reply.error;
    EXPECT_EQ(reply.code, code);
    EXPECT_EQ(reply.trace, 77U);
    EXPECT_EQ(reply.response_code, "00");

    const bank::NetworkReply forged = bank::parse_network_reply(response, "another key");
    EXPECT_FALSE(forged.approved);
    EXPECT_EQ(forged.trace, 77U) << "still routable";
  }
  EXPECT_THROW((void)bank::network_frame(bank::NetworkCode::echo, 0, kNow, kKey),
               std::invalid_argument);
}

TEST_F(BankBinaryCodecTest, ResponseHelpersRefuseWhatIsNotAFrame) {
  EXPECT_FALSE(bank::read_trace("0810").has_value());
  EXPECT_FALSE(bank::read_mti(std::string(134, ' ')).has_value());
  EXPECT_FALSE(bank::is_network_response(std::string(134, ' ')));
  EXPECT_FALSE(bank::mac_verifies("short", kKey));
  // A financial response is not a network reply.
  const bb::Message request =
      sim_decoded(body_of(codec_->encode(call_for(ChannelOp::query), context())));
  const std::string response =
      bb::respond(request, decision(AnswerCode::ok, ChannelOp::query), kKey, kSimNowS);
  EXPECT_FALSE(bank::is_network_response(response));
  EXPECT_FALSE(bank::parse_network_reply(response, kKey).approved);
}

TEST_F(BankBinaryCodecTest, BanksSendNoNotifications) {
  const NotificationParse parsed = codec_->parse_notification("anything");
  EXPECT_FALSE(parsed.error.empty());
  EXPECT_FALSE(parsed.notification.has_value());
  EXPECT_EQ(codec_->ack_body(), "");
  EXPECT_EQ(codec_->ack_content_type(), "");
  EXPECT_EQ(codec_->family(), Family::bank_binary);
}

}  // namespace
}  // namespace fusebox::gateway
