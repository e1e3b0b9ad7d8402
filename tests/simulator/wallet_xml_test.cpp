// Proves the simulator's side of wallet-xml: HMAC-signed <xml> requests decode, tampered ones
// get 401 and malformed ones a 400 naming the field; answers and notifications verify, faults
// in the message show, and only the exact XML ACK counts.
#include "fusebox/simulator/wallet_xml.hpp"

#include <gtest/gtest.h>
#include <pugixml.hpp>

namespace fusebox::sim {
namespace {

namespace wx = wallet_xml;
const wx::Envelope kEnvelope{"m-1", "nonce-1", 1'700'000'000};
const std::string kSecret = "shared-secret";

std::string xml_of(const Fields& fields) {
  std::string out = "<xml>";
  for (const auto& [k, v] : fields)
    out += "<" + k + ">" + v + "</" + k + ">";
  return out + "</xml>";
}

std::string signed_request(Fields fields) {
  fields.emplace_back("mch_id", "m-1");
  fields.emplace_back("nonce_str", "abc");
  const std::string canonical = *canonical_string(fields);
  fields.emplace_back("sign_type", "hmac-sha256");
  fields.emplace_back("sign", MessageSigner::hmac(kSecret).sign(canonical));
  return xml_of(fields);
}

Fields fields_of(std::string_view xml) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_buffer(xml.data(), xml.size()));
  Fields fields;
  for (const auto child : doc.child("xml").children())
    fields.emplace_back(child.name(), child.text().get());
  return fields;
}

std::string field(const Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return "<absent>";
}

bool channel_signed(const Fields& fields) {
  return MessageVerifier::hmac(kSecret).verify(*canonical_string(fields), field(fields, "sign"));
}

std::variant<wx::ParsedRequest, wx::HttpReply> parse(std::string_view target,
                                                     const std::string& body) {
  return wx::parse_request("POST", target, body, MessageVerifier::hmac(kSecret),
                           MessageSigner::hmac(kSecret), kEnvelope);
}

std::pair<int, std::string> error_of(std::string_view target, const std::string& body) {
  const auto result = parse(target, body);
  EXPECT_TRUE(std::holds_alternative<wx::HttpReply>(result));
  if (!std::holds_alternative<wx::HttpReply>(result)) return {0, ""};
  const wx::HttpReply& reply = std::get<wx::HttpReply>(result);
  return {reply.status, field(fields_of(reply.body), "return_msg")};
}

TEST(WalletXmlTest, DecodesSignedRequests) {
  const auto pay = parse("/pay/create", signed_request({{"out_trade_no", "o-1"},
                                                        {"total_fee", "1250"},
                                                        {"fee_type", "CNY"},
                                                        {"notify_url", "http://127.0.0.1:9/n"}}));
  ASSERT_TRUE(std::holds_alternative<wx::ParsedRequest>(pay));
  const auto& p = std::get<wx::ParsedRequest>(pay);
  EXPECT_EQ(p.request.operation, Operation::pay);
  EXPECT_EQ(p.request.order_id, "o-1");
  EXPECT_EQ(p.request.amount_minor, 1'250);
  EXPECT_EQ(p.notify_url, "http://127.0.0.1:9/n");
  const auto refund = parse(
      "/refund/create",
      signed_request({{"out_trade_no", "o-1"}, {"out_refund_no", "r-1"}, {"refund_fee", "300"}}));
  ASSERT_TRUE(std::holds_alternative<wx::ParsedRequest>(refund));
  EXPECT_EQ(std::get<wx::ParsedRequest>(refund).request.amount_minor, 300);
  EXPECT_TRUE(std::holds_alternative<wx::ParsedRequest>(
      parse("/refund/query", signed_request({{"out_refund_no", "r-1"}}))));
  EXPECT_TRUE(std::holds_alternative<wx::ParsedRequest>(
      parse("/pay/close", signed_request({{"out_trade_no", "o"}}))));
}

TEST(WalletXmlTest, TamperedAndMalformedRequests) {
  std::string body =
      signed_request({{"out_trade_no", "o-1"}, {"total_fee", "1250"}, {"fee_type", "CNY"}});
  body.replace(body.find("1250"), 4, "1249");
  EXPECT_EQ(error_of("/pay/create", body).first, 401);
  EXPECT_EQ(error_of("/pay/create", "not xml").second, "body is not an <xml> document");
  EXPECT_EQ(error_of("/pay/create", "<xml><a>1</a><a>2</a></xml>").second, "a: appears twice");
  EXPECT_EQ(error_of("/pay/create", "<xml><a><b>1</b></a></xml>").second,
            "a: nested elements are not allowed");
  EXPECT_EQ(
      error_of("/pay/create",
               signed_request({{"out_trade_no", "o"}, {"total_fee", "12.5"}, {"fee_type", "CNY"}}))
          .second,
      "total_fee: expected a positive integer (minor units)");
  EXPECT_EQ(
      error_of("/pay/create", signed_request({{"total_fee", "1"}, {"fee_type", "CNY"}})).second,
      "out_trade_no: expected 1 to 64 characters");
  EXPECT_EQ(error_of("/nowhere", "").first, 404);
}

TEST(WalletXmlTest, StatementsAreDownloadedByRangeWithTheCsvSigned) {
  const auto day =
      parse("/pay/downloadbill", signed_request({{"from_ms", "1000"}, {"to_ms", "86401000"}}));
  ASSERT_TRUE(std::holds_alternative<wx::ParsedRequest>(day));
  EXPECT_EQ(std::get<wx::ParsedRequest>(day).request.operation, Operation::statement);
  EXPECT_EQ(std::get<wx::ParsedRequest>(day).request.from_ns, from_ms(1'000));
  EXPECT_EQ(std::get<wx::ParsedRequest>(day).request.to_ns, from_ms(86'401'000));
  EXPECT_EQ(error_of("/pay/downloadbill", signed_request({{"from_ms", "yesterday"}})).second,
            "from_ms: expected a non-negative integer (milliseconds)");

  Decision d;
  d.answer.statement_csv = "channel_txn_id,order_id\ntx-1,o-1\n";
  const Fields fields =
      fields_of(wx::render_decision(d, MessageSigner::hmac(kSecret), kEnvelope).body);
  EXPECT_EQ(field(fields, "result_code"), "SUCCESS");
  EXPECT_EQ(field(fields, "csv"), d.answer.statement_csv);
  EXPECT_TRUE(channel_signed(fields));
}

TEST(WalletXmlTest, AnswersCarryStateAndVerify) {
  Decision d;
  d.answer.payment = PaymentView{"o-1", PaymentState::paid, 1'250, "CNY", "tx-1", from_ms(9)};
  const wx::HttpReply reply = wx::render_decision(d, MessageSigner::hmac(kSecret), kEnvelope);
  EXPECT_EQ(reply.status, 200);
  const Fields fields = fields_of(reply.body);
  EXPECT_EQ(field(fields, "return_code"), "SUCCESS");
  EXPECT_EQ(field(fields, "result_code"), "SUCCESS");
  EXPECT_EQ(field(fields, "trade_state"), "SUCCESS");
  EXPECT_EQ(field(fields, "total_fee"), "1250");
  EXPECT_EQ(field(fields, "transaction_id"), "tx-1");
  EXPECT_TRUE(channel_signed(fields));

  Decision missing;
  missing.answer.code = AnswerCode::not_found;
  const Fields not_found =
      fields_of(wx::render_decision(missing, MessageSigner::hmac(kSecret), kEnvelope).body);
  EXPECT_EQ(field(not_found, "result_code"), "FAIL");
  EXPECT_EQ(field(not_found, "err_code"), "ORDERNOTEXIST");
}

TEST(WalletXmlTest, InMessageFaultsAndNotifications) {
  Decision d;
  d.answer.payment = PaymentView{"o-1", PaymentState::paid, 1'250, "CNY", "tx-1", 0};
  d.delivery = Delivery::bad_signature;
  EXPECT_FALSE(channel_signed(
      fields_of(wx::render_decision(d, MessageSigner::hmac(kSecret), kEnvelope).body)));
  d.delivery = Delivery::malformed_body;
  pugi::xml_document doc;
  const std::string cut = wx::render_decision(d, MessageSigner::hmac(kSecret), kEnvelope).body;
  EXPECT_FALSE(doc.load_buffer(cut.data(), cut.size()));
  d.delivery = Delivery::http_5xx;
  EXPECT_EQ(wx::render_decision(d, MessageSigner::hmac(kSecret), kEnvelope).status, 503);

  Notification n;
  n.id = 5;
  n.attempt = 1;
  n.payment = d.answer.payment;
  const Fields note =
      fields_of(wx::render_notification(n, MessageSigner::hmac(kSecret), kEnvelope));
  EXPECT_EQ(field(note, "notify_type"), "PAYMENT");
  EXPECT_EQ(field(note, "notify_id"), "5");
  EXPECT_TRUE(channel_signed(note));
  n.forged = true;
  EXPECT_FALSE(channel_signed(
      fields_of(wx::render_notification(n, MessageSigner::hmac(kSecret), kEnvelope))));

  EXPECT_TRUE(wx::is_ack(200, wx::kAckBody));
  EXPECT_FALSE(wx::is_ack(200, "<xml><return_code>SUCCESS</return_code></xml>"));
  EXPECT_FALSE(wx::is_ack(500, wx::kAckBody));
}

}  // namespace
}  // namespace fusebox::sim
