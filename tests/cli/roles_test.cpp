// The payments and refunds services as two `fusebox gateway` processes sharing one SQLite
// file, against a real simulator on loopback: each process serves only its half, a refund's
// notification reaches the refunds process, and each sees what the other wrote.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/net/http_client.hpp"

#include "cli_support.hpp"

namespace {

using namespace fusebox::test;
using nlohmann::json;

// Fast, certain outcomes so the test waits for milliseconds, not the default minutes: every
// user pays after 50 ms, every refund completes after 100 ms, both families notify.
constexpr const char* kSimulatorConfig = R"({
  "seed": 7,
  "channels": [
    {"name": "wj", "family": "wallet-json",
     "outcome": {"success_p": 1, "decline_p": 0, "pay_after_ms": 50},
     "refund": {"success_p": 1, "complete_after_ms": 100}},
    {"name": "wx", "family": "wallet-xml",
     "outcome": {"success_p": 1, "decline_p": 0, "pay_after_ms": 50},
     "refund": {"success_p": 1, "complete_after_ms": 100}}
  ]
})";

class SplitRolesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One folder per test: CTest runs the tests of this suite in parallel.
    dir_ = fresh_dir(std::string("split_roles_") +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::ofstream(dir_ / "simulator.json") << kSimulatorConfig;
    simulator_ = start({"simulator", "--config", (dir_ / "simulator.json").string()}, dir_, "sim");
    ASSERT_TRUE(simulator_.ready.is_object()) << slurp(simulator_.err);
    control_ = simulator_.ready["control"];
    payments_ = start_gateway("payments");
    refunds_ = start_gateway("refunds");
    ASSERT_TRUE(payments_.ready.is_object()) << slurp(payments_.err);
    ASSERT_TRUE(refunds_.ready.is_object()) << slurp(refunds_.err);
    EXPECT_EQ(payments_.ready["role"], "payments");
    EXPECT_EQ(refunds_.ready["role"], "refunds");
  }

  void TearDown() override {
    for (Started* p : {&refunds_, &payments_, &simulator_}) {
      if (p->pid != 0) {
        EXPECT_EQ(stop(p->pid), 0) << slurp(p->err);
      }
    }
  }

  Started start_gateway(const std::string& role) {
    return start({"gateway", "--simulator", control_, "--insecure-local", "--role", role, "--store",
                  (dir_ / "orders.db").string()},
                 dir_, role);
  }

  // Pays on `channel` through the payments process and waits for the notification that
  // makes it SUCCEEDED; the payment id.
  std::string paid(const std::string& channel, const std::string& merchant_order_id) {
    const std::string api = payments_.ready["api"];
    const auto reply = fusebox::net::http_request("POST", api + "/v1/payments",
                                                  json{{"merchant_order_id", merchant_order_id},
                                                       {"amount", 1000},
                                                       {"currency", "CNY"},
                                                       {"method", "wallet"},
                                                       {"channel", channel}}
                                                      .dump());
    EXPECT_EQ(reply.status, 200) << reply.body;
    const std::string id = json::parse(reply.body).value("payment_id", "");
    EXPECT_TRUE(eventually([&] {
      return get_json(api + "/v1/payments/" + id).value("status", "") == "SUCCEEDED";
    })) << get_json(api + "/v1/payments/" + id)
        << slurp(payments_.err);
    return id;
  }

  // Asks the refunds process for a refund of `payment`. The payments process may show the
  // payment SUCCEEDED up to one store commit (5 ms) before the file does; as docs/GATEWAY.md
  // tells merchants, that answer is retried with the same merchant_refund_id.
  fusebox::net::HttpReply refund(const std::string& payment, const std::string& merchant_id,
                                 long long amount) {
    const std::string body = json{
        {"payment_id", payment},
        {"merchant_refund_id", merchant_id},
        {"amount", amount}}.dump();
    fusebox::net::HttpReply reply;
    eventually([&] {
      reply = fusebox::net::http_request("POST", std::string(refunds_.ready["api"]) + "/v1/refunds",
                                         body);
      return reply.body.find("PAYMENT_NOT_REFUNDABLE") == std::string::npos;
    });
    return reply;
  }

  std::filesystem::path dir_;
  Started simulator_, payments_, refunds_;
  std::string control_;
};

TEST_F(SplitRolesTest, EachProcessServesItsHalfAndSeesTheOthersWrites) {
  const std::string payments_api = payments_.ready["api"];
  const std::string refunds_api = refunds_.ready["api"];
  for (const std::string channel : {"wj", "wx"}) {
    SCOPED_TRACE(channel);
    const std::string payment = paid(channel, "split-" + channel);
    // The refunds process never saw this payment: it reads it from the shared store.
    const auto refund = this->refund(payment, "r-" + channel, 400);
    ASSERT_EQ(refund.status, 200) << refund.body;
    const std::string refund_id = json::parse(refund.body).value("refund_id", "");
    EXPECT_TRUE(eventually([&] {
      return get_json(refunds_api + "/v1/refunds/" + refund_id).value("status", "") == "SUCCEEDED";
    })) << get_json(refunds_api + "/v1/refunds/" + refund_id);
    // The refund's notification came to the refunds process on its own notify_url; the
    // payments process got none it had to turn away.
    EXPECT_EQ(metric(refunds_api, notifications(channel, "applied")), 1);
    EXPECT_EQ(metric(payments_api, notifications(channel, "applied")), 1);
    EXPECT_EQ(metric(payments_api, notifications(channel, "wrong_role")), 0);
    // The payments process shows the refund sums the refunds process keeps in the store.
    EXPECT_TRUE(eventually([&] {
      return get_json(payments_api + "/v1/payments/" + payment).value("refunded_amount", -1) == 400;
    })) << get_json(payments_api + "/v1/payments/" + payment);
    EXPECT_EQ(get_json(payments_api + "/v1/payments/" + payment)["status"], "SUCCEEDED");
  }
}

TEST_F(SplitRolesTest, ARequestForTheOtherHalfIsMisdirected) {
  const std::string payments_api = payments_.ready["api"];
  const std::string refunds_api = refunds_.ready["api"];
  const auto check = [](const fusebox::net::HttpReply& reply, const std::string& role) {
    EXPECT_EQ(reply.status, 421) << reply.body;
    const json body = json::parse(reply.body, nullptr, false);
    EXPECT_EQ(body["error"]["code"], "WRONG_ROLE") << reply.body;
    EXPECT_NE(reply.body.find("--role " + role + " process"), std::string::npos) << reply.body;
  };
  check(fusebox::net::http_request("POST", refunds_api + "/v1/payments",
                                   R"({"merchant_order_id": "m", "amount": 1,
                                       "currency": "CNY", "method": "wallet"})"),
        "payments");
  check(fusebox::net::http_request("GET", refunds_api + "/v1/payments/P1"), "payments");
  check(fusebox::net::http_request("POST", payments_api + "/v1/refunds",
                                   R"({"payment_id": "P1", "merchant_refund_id": "r",
                                       "amount": 1})"),
        "refunds");
  check(fusebox::net::http_request("POST", refunds_api + "/admin/reconcile",
                                   R"({"payment_ids": ["P1"]})"),
        "payments");
  // Nothing was created by the misdirected requests.
  EXPECT_EQ(get_json(payments_api + "/admin/payments"), json::array());
}

// After both restart, each half answers from the shared store: the payments process for the
// payment with its refund sums, the refunds process for the refund and what is left to refund.
TEST_F(SplitRolesTest, BothHalvesComeBackFromTheSharedStore) {
  const std::string payment = paid("wj", "restart-1");
  const std::string refunds_api = refunds_.ready["api"];
  const auto refund = this->refund(payment, "restart-r1", 1000);
  ASSERT_EQ(refund.status, 200) << refund.body;
  const std::string refund_id = json::parse(refund.body).value("refund_id", "");
  EXPECT_TRUE(eventually([&] {
    return get_json(refunds_api + "/v1/refunds/" + refund_id).value("status", "") == "SUCCEEDED";
  }));
  EXPECT_EQ(stop(refunds_.pid), 0) << slurp(refunds_.err);
  EXPECT_EQ(stop(payments_.pid), 0) << slurp(payments_.err);
  payments_ = start_gateway("payments");
  refunds_ = start_gateway("refunds");
  ASSERT_TRUE(payments_.ready.is_object()) << slurp(payments_.err);
  ASSERT_TRUE(refunds_.ready.is_object()) << slurp(refunds_.err);
  const json shown = get_json(std::string(payments_.ready["api"]) + "/v1/payments/" + payment);
  EXPECT_EQ(shown["status"], "SUCCEEDED") << shown;
  EXPECT_EQ(shown["refunded_amount"], 1000) << shown;
  const json again = get_json(std::string(refunds_.ready["api"]) + "/v1/refunds/" + refund_id);
  EXPECT_EQ(again["status"], "SUCCEEDED") << again;
  // Fully refunded: the refunds process knows it from the store and refuses more.
  const auto more = fusebox::net::http_request(
      "POST", std::string(refunds_.ready["api"]) + "/v1/refunds",
      json{{"payment_id", payment}, {"merchant_refund_id", "restart-r2"}, {"amount", 1}}.dump());
  EXPECT_EQ(more.status, 422) << more.body;
  EXPECT_NE(more.body.find("REFUND_EXCEEDS_PAYMENT"), std::string::npos) << more.body;
}

}  // namespace
