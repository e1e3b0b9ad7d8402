// Proves the simulator's side of bank-binary: fixed-width frames round-trip, the MAC catches
// any changed byte, every malformed field is named, and responses carry the right ISO-style
// code, state and trace number, including the faults that live in the message.
#include "fusebox/simulator/bank_binary.hpp"

#include <gtest/gtest.h>

namespace fusebox::sim {
namespace {

namespace bb = bank_binary;
constexpr std::string_view kKey = "bank mac key";

bb::Message pay_request() {
  bb::Message m;
  m.mti = "0200";
  m.trace = 123'456;
  m.timestamp_s = 1'700'000'000;
  m.amount_minor = 1'250;
  m.currency = "CNY";
  m.order_id = "order-0001";
  return m;
}

bb::Message decoded(const std::string& body) {
  auto result = bb::decode(body, kKey);
  EXPECT_TRUE(std::holds_alternative<bb::Message>(result))
      << (std::holds_alternative<bb::DecodeError>(result)
              ? std::get<bb::DecodeError>(result).field + ": " +
                    std::get<bb::DecodeError>(result).reason
              : "");
  return std::holds_alternative<bb::Message>(result) ? std::get<bb::Message>(result)
                                                     : bb::Message{};
}

bb::DecodeError error_of(const std::string& body) {
  auto result = bb::decode(body, kKey);
  EXPECT_TRUE(std::holds_alternative<bb::DecodeError>(result));
  return std::holds_alternative<bb::DecodeError>(result) ? std::get<bb::DecodeError>(result)
                                                         : bb::DecodeError{};
}

TEST(BankBinaryTest, RoundTripsEveryField) {
  bb::Message m = pay_request();
  m.refund_id = "refund-9";
  m.response_code = "00";
  m.state = 'S';
  m.refund_state = 'P';
  m.channel_txn = "RRN000000042";
  const std::string body = bb::encode(m, kKey);
  ASSERT_EQ(body.size(), bb::kBodyBytes);
  EXPECT_EQ(body.substr(0, 20), "02001234561700000000");
  const bb::Message back = decoded(body);
  EXPECT_EQ(back.mti, "0200");
  EXPECT_EQ(back.trace, 123'456U);
  EXPECT_EQ(back.amount_minor, 1'250);
  EXPECT_EQ(back.currency, "CNY");
  EXPECT_EQ(back.order_id, "order-0001");
  EXPECT_EQ(back.refund_id, "refund-9");
  EXPECT_EQ(back.state, 'S');
  EXPECT_EQ(back.refund_state, 'P');
  EXPECT_EQ(back.channel_txn, "RRN000000042");
}

TEST(BankBinaryTest, TheMacCatchesAnyChangedByte) {
  const std::string body = bb::encode(pay_request(), kKey);
  for (std::size_t i = 0; i < bb::kBodyBytes - 16; ++i) {
    std::string tampered = body;
    tampered[i] = tampered[i] == '1' ? '2' : '1';
    const auto result = bb::decode(tampered, kKey);
    ASSERT_TRUE(std::holds_alternative<bb::DecodeError>(result)) << "byte " << i;
  }
  const bb::DecodeError amount = error_of([&] {
    std::string t = body;
    t[25] = t[25] == '9' ? '8' : '9';
    return t;
  }());
  EXPECT_EQ(amount.field, "mac");
  EXPECT_EQ(amount.trace, 123'456U) << "so the error response can be matched";
  EXPECT_EQ(error_of(bb::encode(pay_request(), "another key")).field, "mac");
}

TEST(BankBinaryTest, MalformedMessagesNameTheField) {
  EXPECT_EQ(error_of("short").field, "length");
  std::string bad_trace = bb::encode(pay_request(), kKey);
  bad_trace[5] = 'x';
  EXPECT_EQ(error_of(bad_trace).field, "trace");
  bb::Message unknown = pay_request();
  unknown.mti = "0999";
  EXPECT_EQ(error_of(bb::encode(unknown, kKey)).field, "mti");
  std::string binary = bb::encode(pay_request(), kKey);
  binary[40] = '\x01';
  EXPECT_EQ(error_of(binary).field, "mti");
}

TEST(BankBinaryTest, RequestsMapToOperations) {
  const std::vector<std::pair<std::string, Operation>> types{{"0200", Operation::pay},
                                                             {"0220", Operation::refund},
                                                             {"0400", Operation::close},
                                                             {"0600", Operation::query},
                                                             {"0620", Operation::refund_query}};
  for (const auto& [mti, operation] : types) {
    bb::Message m = pay_request();
    m.mti = mti;
    const auto request = bb::to_request(m, 2);
    ASSERT_TRUE(request) << mti;
    EXPECT_EQ(request->operation, operation);
    EXPECT_EQ(request->node, 2);
    EXPECT_EQ(request->order_id, "order-0001");
  }
  bb::Message echo = pay_request();
  echo.mti = "0800";
  echo.network_code = "301";
  EXPECT_EQ(bb::to_request(echo, 0), std::nullopt);
  const bb::Message answer = decoded(bb::respond_network(echo, kKey, 5));
  EXPECT_EQ(answer.mti, "0810");
  EXPECT_EQ(answer.response_code, "00");
  EXPECT_EQ(answer.network_code, "301");
  EXPECT_EQ(answer.trace, echo.trace);
}

Decision decision_with(PaymentState state, AnswerCode code = AnswerCode::ok) {
  Decision d;
  d.answer.code = code;
  d.answer.payment =
      PaymentView{"order-0001", state, 1'250, "CNY", state == PaymentState::paid ? "RRN1" : "", 0};
  return d;
}

TEST(BankBinaryTest, ResponseCodesAndStates) {
  const auto respond = [](const Decision& d) {
    return decoded(bb::respond(pay_request(), d, kKey, 1'700'000'001));
  };
  const bb::Message paid = respond(decision_with(PaymentState::paid));
  EXPECT_EQ(paid.mti, "0210");
  EXPECT_EQ(paid.trace, 123'456U);
  EXPECT_EQ(paid.response_code, "00");
  EXPECT_EQ(paid.state, 'S');
  EXPECT_EQ(paid.channel_txn, "RRN1");
  EXPECT_EQ(respond(decision_with(PaymentState::paying)).response_code, "09") << "in progress";
  EXPECT_EQ(respond(decision_with(PaymentState::failed, AnswerCode::declined)).response_code, "51");
  Decision missing;
  missing.answer.code = AnswerCode::not_found;
  EXPECT_EQ(respond(missing).response_code, "25");
  Decision outage = decision_with(PaymentState::paid);
  outage.delivery = Delivery::http_5xx;
  EXPECT_EQ(respond(outage).response_code, "96");
  EXPECT_EQ(respond(outage).state, ' ') << "nothing was processed";
  Decision busy = decision_with(PaymentState::paid);
  busy.delivery = Delivery::too_many_requests;
  EXPECT_EQ(respond(busy).response_code, "91");
}

TEST(BankBinaryTest, InMessageFaults) {
  Decision bad = decision_with(PaymentState::paid);
  bad.delivery = Delivery::bad_signature;
  EXPECT_EQ(error_of(bb::respond(pay_request(), bad, kKey, 1)).field, "mac");
  Decision malformed = decision_with(PaymentState::paid);
  malformed.delivery = Delivery::malformed_body;
  EXPECT_EQ(error_of(bb::respond(pay_request(), malformed, kKey, 1)).field, "mac")
      << "the damage comes after the MAC was computed";
}

TEST(BankBinaryTest, ErrorResponsesEchoTheTrace) {
  const bb::Message format =
      decoded(bb::respond_error({"amount", "expected 12 digits", 77U}, kKey, 1));
  EXPECT_EQ(format.response_code, "30");
  EXPECT_EQ(format.trace, 77U);
  EXPECT_EQ(decoded(bb::respond_error({"mac", "", 78U}, kKey, 1)).response_code, "A0");
}

}  // namespace
}  // namespace fusebox::sim
