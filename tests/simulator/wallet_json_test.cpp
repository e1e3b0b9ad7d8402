// Proves the simulator's side of wallet-json: signed requests decode, tampered or unsigned
// ones get 401, malformed ones a 400 naming the field; answers and notifications verify under
// the channel's key, and the in-message faults (503, 429, bad signature, malformed) show.
#include "fusebox/simulator/wallet_json.hpp"

#include <string>
#include <vector>

#include <climits>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/common/rng.hpp"

namespace fusebox::sim {
namespace {

using nlohmann::json;
namespace wj = wallet_json;

const wallet_json::Envelope kEnvelope{"m-1", "nonce-1", 1'700'000'000};

class WalletJsonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    merchant_key_ = std::make_unique<PrivateKey>(PrivateKey::generate_ec_p256());
    channel_key_ = std::make_unique<PrivateKey>(PrivateKey::generate_ec_p256());
  }
  static void TearDownTestSuite() {
    merchant_key_.reset();
    channel_key_.reset();
  }

  // A request body signed the way a merchant must sign it.
  static std::string signed_body(json body) {
    body["merchant_id"] = "m-1";
    body["nonce"] = "abc";
    body["timestamp"] = 1'700'000'000;
    Fields fields;
    for (const auto& [k, v] : body.items())
      fields.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    const MessageSigner signer = MessageSigner::asymmetric(
        PrivateKey::from_pem(merchant_key_->to_pem(), "test"), SignScheme::ecdsa_p256_sha256);
    body["sign_type"] = "ecdsa-p256-sha256";
    body["sign"] = signer.sign(*canonical_string(fields));
    return body.dump();
  }
  static MessageVerifier merchant_verifier() {
    return MessageVerifier::asymmetric(merchant_key_->public_key(), SignScheme::ecdsa_p256_sha256);
  }
  static MessageSigner channel_signer() {
    return MessageSigner::asymmetric(PrivateKey::from_pem(channel_key_->to_pem(), "test"),
                                     SignScheme::ecdsa_p256_sha256);
  }
  // True when a channel message verifies under the channel's public key.
  static bool channel_signed(const json& body) {
    const MessageVerifier verifier =
        MessageVerifier::asymmetric(channel_key_->public_key(), SignScheme::ecdsa_p256_sha256);
    Fields fields;
    for (const auto& [k, v] : body.items())
      fields.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    return verifier.verify(*canonical_string(fields), body.value("sign", ""));
  }
  static std::variant<wj::ParsedRequest, wj::HttpReply> parse(std::string_view target,
                                                              const std::string& body,
                                                              std::string_view method = "POST") {
    return wj::parse_request(method, target, body, merchant_verifier(), channel_signer(),
                             kEnvelope);
  }
  static wj::HttpReply error_of(const std::variant<wj::ParsedRequest, wj::HttpReply>& result) {
    EXPECT_TRUE(std::holds_alternative<wj::HttpReply>(result));
    return std::holds_alternative<wj::HttpReply>(result) ? std::get<wj::HttpReply>(result)
                                                         : wj::HttpReply{};
  }

  static std::unique_ptr<PrivateKey> merchant_key_;
  static std::unique_ptr<PrivateKey> channel_key_;
};
std::unique_ptr<PrivateKey> WalletJsonTest::merchant_key_;
std::unique_ptr<PrivateKey> WalletJsonTest::channel_key_;

TEST_F(WalletJsonTest, DecodesASignedPay) {
  const auto result = parse("/v1/pay", signed_body({{"order_id", "o-1"},
                                                    {"amount", 1'250},
                                                    {"currency", "CNY"},
                                                    {"notify_url", "http://127.0.0.1:9/n"}}));
  ASSERT_TRUE(std::holds_alternative<wj::ParsedRequest>(result));
  const auto& parsed = std::get<wj::ParsedRequest>(result);
  EXPECT_EQ(parsed.request.operation, Operation::pay);
  EXPECT_EQ(parsed.request.order_id, "o-1");
  EXPECT_EQ(parsed.request.amount_minor, 1'250);
  EXPECT_EQ(parsed.request.currency, "CNY");
  EXPECT_EQ(parsed.merchant_id, "m-1");
  EXPECT_EQ(parsed.notify_url, "http://127.0.0.1:9/n");
}

TEST_F(WalletJsonTest, DecodesEveryOperationByPath) {
  EXPECT_EQ(std::get<wj::ParsedRequest>(parse("/v1/query", signed_body({{"order_id", "o"}})))
                .request.operation,
            Operation::query);
  EXPECT_EQ(std::get<wj::ParsedRequest>(parse("/v1/close?x=1", signed_body({{"order_id", "o"}})))
                .request.operation,
            Operation::close);
  const auto refund = std::get<wj::ParsedRequest>(
      parse("/v1/refund", signed_body({{"order_id", "o"}, {"refund_id", "r"}, {"amount", 5}})));
  EXPECT_EQ(refund.request.operation, Operation::refund);
  EXPECT_EQ(refund.request.refund_id, "r");
  EXPECT_EQ(refund.request.amount_minor, 5);
  EXPECT_EQ(
      std::get<wj::ParsedRequest>(parse("/v1/refund/query", signed_body({{"refund_id", "r"}})))
          .request.operation,
      Operation::refund_query);
}

TEST_F(WalletJsonTest, AStatementRequestNamesItsRangeOrTakesTheWholeLedger) {
  const auto whole = std::get<wj::ParsedRequest>(parse("/v1/statement", signed_body({})));
  EXPECT_EQ(whole.request.operation, Operation::statement);
  EXPECT_EQ(whole.request.from_ns, 0);
  EXPECT_EQ(whole.request.to_ns, INT64_MAX);
  const auto day = std::get<wj::ParsedRequest>(
      parse("/v1/statement", signed_body({{"from_ms", 1'000}, {"to_ms", 86'401'000}})));
  EXPECT_EQ(day.request.from_ns, from_ms(1'000));
  EXPECT_EQ(day.request.to_ns, from_ms(86'401'000));
  const auto message = [&](const json& fields) {
    const wj::HttpReply reply = error_of(parse("/v1/statement", signed_body(fields)));
    EXPECT_EQ(reply.status, 400) << fields;
    return json::parse(reply.body)["message"].get<std::string>();
  };
  EXPECT_EQ(message({{"from_ms", -1}}), "from_ms: expected a non-negative integer (milliseconds)");
  EXPECT_EQ(message({{"to_ms", "5"}}), "to_ms: expected a non-negative integer (milliseconds)");
  EXPECT_EQ(message({{"from_ms", 5}, {"to_ms", 5}}), "to_ms: expected a time after from_ms");
}

TEST_F(WalletJsonTest, AStatementAnswerCarriesItsCsvUnderTheSignature) {
  Decision decision;
  decision.answer.statement_csv = "channel_txn_id,order_id\nch-1,o-1\n";
  const json body = json::parse(wj::render_decision(decision, channel_signer(), kEnvelope).body);
  EXPECT_EQ(body["code"], "SUCCESS");
  EXPECT_EQ(body["csv"], decision.answer.statement_csv);
  EXPECT_TRUE(channel_signed(body));
  json altered = body;
  altered["csv"] = "channel_txn_id,order_id\n";  // a row taken out in transit
  EXPECT_FALSE(channel_signed(altered));
}

TEST_F(WalletJsonTest, TamperedOrUnsignedRequestsGet401) {
  json body = json::parse(signed_body({{"order_id", "o-1"}, {"amount", 100}, {"currency", "CNY"}}));
  body["amount"] = 1;  // the attacker lowers the price
  const wj::HttpReply tampered = error_of(parse("/v1/pay", body.dump()));
  EXPECT_EQ(tampered.status, 401);
  const json reply = json::parse(tampered.body);
  EXPECT_EQ(reply["code"], "SIGN_ERROR");
  EXPECT_TRUE(channel_signed(reply)) << "even an error reply is signed by the channel";
  body.erase("sign");
  EXPECT_EQ(error_of(parse("/v1/pay", body.dump())).status, 401);
}

TEST_F(WalletJsonTest, MalformedRequestsGet400NamingTheField) {
  const auto message = [&](const std::string& body) {
    const wj::HttpReply reply = error_of(parse("/v1/pay", body));
    EXPECT_EQ(reply.status, 400) << body;
    return json::parse(reply.body)["message"].get<std::string>();
  };
  EXPECT_EQ(message("{not json"), "body is not a JSON object");
  EXPECT_EQ(message("[1,2]"), "body is not a JSON object");
  EXPECT_EQ(message(R"({"a": 1, "a": 2})"), "a field appears twice");
  EXPECT_EQ(message(R"({"a": 1.5})"), "a: expected a string or an integer");
  EXPECT_EQ(message(signed_body({{"amount", 100}, {"currency", "CNY"}})),
            "order_id: expected a string of 1 to 64 characters");
  EXPECT_EQ(message(signed_body({{"order_id", "o"}, {"amount", -1}, {"currency", "CNY"}})),
            "amount: expected a positive integer (minor units)");
  EXPECT_EQ(message(signed_body({{"order_id", "o"}, {"amount", 1}, {"currency", "cny"}})),
            "currency: expected an ISO 4217 code such as CNY");
}

TEST_F(WalletJsonTest, RoutingErrors) {
  EXPECT_EQ(error_of(parse("/v2/pay", "{}")).status, 404);
  EXPECT_EQ(error_of(parse("/v1/pay", "{}", "GET")).status, 405);
  EXPECT_EQ(error_of(parse("/v1/pay", std::string(wj::kMaxBodyBytes + 1, ' '))).status, 413);
}

Decision paid_decision() {
  Decision decision;
  decision.answer.payment =
      PaymentView{"o-1", PaymentState::paid, 1'250, "CNY", "ch-7", from_ms(1'500)};
  return decision;
}

TEST_F(WalletJsonTest, AnswersAreSignedAndCarryTheState) {
  const wj::HttpReply reply = wj::render_decision(paid_decision(), channel_signer(), kEnvelope);
  EXPECT_EQ(reply.status, 200);
  const json body = json::parse(reply.body);
  EXPECT_EQ(body["code"], "SUCCESS");
  EXPECT_EQ(body["state"], "PAID");
  EXPECT_EQ(body["amount"], 1'250);
  EXPECT_EQ(body["channel_txn_id"], "ch-7");
  EXPECT_EQ(body["paid_at_ms"], 1'500);
  EXPECT_EQ(body["nonce"], "nonce-1");
  EXPECT_TRUE(channel_signed(body));
}

TEST_F(WalletJsonTest, InMessageFaults) {
  Decision d = paid_decision();
  d.delivery = Delivery::bad_signature;
  const json bad = json::parse(wj::render_decision(d, channel_signer(), kEnvelope).body);
  EXPECT_FALSE(channel_signed(bad));
  EXPECT_EQ(bad["state"], "PAID") << "a correct-looking body with a wrong signature";

  d.delivery = Delivery::malformed_body;
  EXPECT_FALSE(json::accept(wj::render_decision(d, channel_signer(), kEnvelope).body));

  d.delivery = Delivery::http_5xx;
  const wj::HttpReply unavailable = wj::render_decision(d, channel_signer(), kEnvelope);
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_FALSE(json::accept(unavailable.body));

  d.delivery = Delivery::too_many_requests;
  d.retry_after_ns = from_ms(1'500);
  const wj::HttpReply busy = wj::render_decision(d, channel_signer(), kEnvelope);
  EXPECT_EQ(busy.status, 429);
  ASSERT_EQ(busy.headers.size(), 1U);
  EXPECT_EQ(busy.headers[0], (std::pair<std::string, std::string>{"Retry-After", "2"}));
}

TEST_F(WalletJsonTest, NotificationsVerifyAndForgedOnesDoNot) {
  Notification n;
  n.id = 42;
  n.attempt = 3;
  n.kind = NotificationKind::refund;
  n.payment = paid_decision().answer.payment;
  n.refund = RefundView{"o-1", "r-1", RefundState::succeeded, 250};
  const json body = json::parse(wj::render_notification(n, channel_signer(), kEnvelope));
  EXPECT_EQ(body["event"], "REFUND");
  EXPECT_EQ(body["notify_id"], "42");
  EXPECT_EQ(body["attempt"], 3);
  EXPECT_EQ(body["refund_state"], "SUCCEEDED");
  EXPECT_EQ(body["refund_amount"], 250);
  EXPECT_TRUE(channel_signed(body));
  n.forged = true;
  EXPECT_FALSE(
      channel_signed(json::parse(wj::render_notification(n, channel_signer(), kEnvelope))));
}

TEST_F(WalletJsonTest, OnlyTheExactAckCounts) {
  EXPECT_TRUE(wj::is_ack(200, R"({"code":"SUCCESS"})"));
  EXPECT_FALSE(wj::is_ack(200, R"({"code": "SUCCESS"})"));
  EXPECT_FALSE(wj::is_ack(200, R"({"code":"SUCCESS"} )"));
  EXPECT_FALSE(wj::is_ack(200, "SUCCESS"));
  EXPECT_FALSE(wj::is_ack(500, R"({"code":"SUCCESS"})"));
}

TEST_F(WalletJsonTest, NoSignatureSchemeAcceptsUnsignedRequests) {
  const auto result = wj::parse_request(
      "POST", "/v1/query", R"({"merchant_id":"m","nonce":"n","timestamp":1,"order_id":"o"})",
      MessageVerifier::none(), MessageSigner::none(), kEnvelope);
  ASSERT_TRUE(std::holds_alternative<wj::ParsedRequest>(result));
  const json body =
      json::parse(wj::render_decision(paid_decision(), MessageSigner::none(), kEnvelope).body);
  EXPECT_FALSE(body.contains("sign"));
}

// The fast reader of plain bodies and the general (nlohmann) reader must read every body
// alike: the fast one takes only what it is sure of and passes the rest on.
std::string read_either(std::string_view body) {
  return wj::detail::describe_body(body, wj::detail::BodyReader::either);
}
std::string read_general(std::string_view body) {
  return wj::detail::describe_body(body, wj::detail::BodyReader::general);
}
std::string read_plain(std::string_view body) {
  return wj::detail::describe_body(body, wj::detail::BodyReader::plain);
}

const std::string kPlainPay =
    R"({"amount":100,"currency":"CNY","merchant_id":"m","nonce":"n","order_id":"t0-1-7",)"
    R"("timestamp":1700000000})";

TEST(WalletJsonBodies, APlainBodyIsReadByTheFastReaderAsTheGeneralOneReadsIt) {
  EXPECT_NE(read_plain(kPlainPay), "not plain");  // the fast path is really taken
  EXPECT_EQ(read_plain(kPlainPay), read_general(kPlainPay));
  EXPECT_EQ(read_general(kPlainPay),
            "amount = integer 100 (100)\ncurrency = string CNY\nmerchant_id = string m\n"
            "nonce = string n\norder_id = string t0-1-7\ntimestamp = integer 1700000000 "
            "(1700000000)\n");
}

TEST(WalletJsonBodies, UnusualBodiesReadAlikeBothWays) {
  const std::vector<std::string> bodies{
      "",
      "{}",
      " \t\r\n{ } \n",
      "{}x",
      "[]",
      "null",
      "\"text\"",
      "\xef\xbb\xbf{\"a\":1}",
      R"({"a":1,})",
      R"({"a" 1})",
      R"({"a":1 "b":2})",
      R"({"a":1,"a":2})",
      R"({"a":"x","a":"x"})",
      R"({"a":-0})",
      R"({"a":-})",
      R"({"a":01})",
      R"({"a":1.5})",
      R"({"a":1e3})",
      R"({"a":1E3})",
      R"({"a":123456789012345678})",
      R"({"a":-123456789012345678})",
      R"({"a":1234567890123456789})",
      R"({"a":9223372036854775807})",
      R"({"a":9223372036854775808})",
      R"({"a":-9223372036854775808})",
      R"({"a":18446744073709551616})",
      R"({"a":true})",
      R"({"a":null})",
      R"({"a":[1]})",
      R"({"a":{"b":1}})",
      R"({"a":"tab	here"})",
      "{\"a\":\"raw\ttab\"}",
      "{\"a\":\"del\x7f\"}",
      R"({"a":"quote\"inside"})",
      R"({"a":"\u00e9\ud83d\udcb3"})",
      R"({"a":"\ud83d"})",
      "{\"a\":\"\xc3\xa9\"}",
      "{\"a\":\"\xc3\"}",
      "{\"\":\"empty key\"}",
      R"({"a":"unterminated})",
      R"({"a":1)",
      R"({"a")",
      R"({a:1})",
      kPlainPay,
  };
  for (const std::string& body : bodies) {
    EXPECT_EQ(read_either(body), read_general(body)) << "body: " << body;
    const std::string plain = read_plain(body);
    if (plain != "not plain") {
      EXPECT_EQ(plain, read_general(body)) << "body: " << body;
    }
  }
}

TEST(WalletJsonBodies, MutatedBodiesReadAlikeBothWays) {
  // Seeded mutations of a plain body: bytes inserted, removed or replaced from an alphabet
  // of JSON's own characters. A failure names the seed and the round.
  constexpr std::uint64_t kSeed = 7;
  Rng rng(kSeed);
  const std::string alphabet = "{}[]\":,-+.eE0123456789 \t\n\\/\"uatrfnl\x01\x7f\xc3\xa9";
  std::size_t plain_read = 0;
  for (int round = 0; round < 20'000; ++round) {
    std::string body = kPlainPay;
    const auto edits = 1 + rng.next_u64() % 4;
    for (std::uint64_t e = 0; e < edits; ++e) {
      const auto at = static_cast<std::size_t>(rng.next_u64() % (body.size() + 1));
      const char c = alphabet[rng.next_u64() % alphabet.size()];
      switch (rng.next_u64() % 3) {
        case 0:
          body.insert(at, 1, c);
          break;
        case 1:
          if (at < body.size()) body.erase(at, 1);
          break;
        default:
          if (at < body.size()) body[at] = c;
      }
    }
    const std::string general = read_general(body);
    ASSERT_EQ(read_either(body), general)
        << "seed " << kSeed << ", round " << round << ": " << body;
    const std::string plain = read_plain(body);
    if (plain == "not plain") continue;
    ++plain_read;
    ASSERT_EQ(plain, general) << "seed " << kSeed << ", round " << round << ": " << body;
  }
  EXPECT_GT(plain_read, 1'000U);  // the mutations exercise the fast reader, not only the other
}

}  // namespace
}  // namespace fusebox::sim
