// HTTPS notifications, as real wallets deliver them: `fusebox gateway --notify-tls` serves a
// second, TLS listener with a certificate the simulator issued from the CA its channels
// trust, tells the channels to notify there, and the notifications arrive and apply. A
// merchant certificate from a CA the simulator does not trust gets nothing through.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/common/test_pki.hpp"
#include "fusebox/net/http_client.hpp"

#include "cli_support.hpp"

namespace {

using namespace fusebox::test;
using nlohmann::json;

// Every user pays after 50 ms and both wallet families notify. Polls wait an hour, so a
// payment that turns SUCCEEDED did so by its notification.
constexpr const char* kSimulatorConfig = R"({
  "seed": 11,
  "channels": [
    {"name": "wj", "family": "wallet-json",
     "outcome": {"success_p": 1, "decline_p": 0, "pay_after_ms": 50}},
    {"name": "wx", "family": "wallet-xml",
     "outcome": {"success_p": 1, "decline_p": 0, "pay_after_ms": 50}}
  ]
})";

class NotifyTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir(std::string("notify_tls_") +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::ofstream(dir_ / "simulator.json") << kSimulatorConfig;
    simulator_ = start({"simulator", "--config", (dir_ / "simulator.json").string()}, dir_, "sim");
    ASSERT_TRUE(simulator_.ready.is_object()) << slurp(simulator_.err);
    control_ = simulator_.ready["control"];
  }

  void TearDown() override {
    for (Started* p : {&gateway_, &simulator_}) {
      if (p->pid != 0) {
        EXPECT_EQ(stop(p->pid), 0) << slurp(p->err);
      }
    }
  }

  void start_gateway(const std::vector<std::string>& extra) {
    std::ofstream(dir_ / "gateway.json")
        << R"({"gateway": {"poller": {"schedule_s": [3600]}}, )" << extra_config_ << "}";
    std::vector<std::string> args{"gateway",  "--simulator",
                                  control_,   "--insecure-local",
                                  "--config", (dir_ / "gateway.json").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    gateway_ = start(args, dir_, "gateway");
    ASSERT_TRUE(gateway_.ready.is_object()) << slurp(gateway_.err);
  }

  // A merchant certificate for 127.0.0.1 from `ca`, written beside the test with its key, and
  // the gateway config that serves notifications with it.
  void use_own_certificate(const fusebox::TestCa& ca) {
    const fusebox::TestServerCert cert =
        fusebox::issue_server_cert(ca, "127.0.0.1", {"127.0.0.1"}, {"localhost"});
    std::ofstream(dir_ / "cert.pem") << cert.cert.to_pem();
    std::ofstream(dir_ / "key.pem") << cert.key.to_pem();
    extra_config_ = R"("admin_token": "t", "notify_tls": {"cert_file": ")" +
                    (dir_ / "cert.pem").string() + R"(", "key_file": ")" +
                    (dir_ / "key.pem").string() + R"("})";
  }

  std::string pay(const std::string& channel, const std::string& merchant_order_id) {
    const std::string api = gateway_.ready["api"];
    const auto reply = fusebox::net::http_request("POST", api + "/v1/payments",
                                                  json{{"merchant_order_id", merchant_order_id},
                                                       {"amount", 700},
                                                       {"currency", "CNY"},
                                                       {"method", "wallet"},
                                                       {"channel", channel}}
                                                      .dump());
    EXPECT_EQ(reply.status, 200) << reply.body;
    return json::parse(reply.body).value("payment_id", "");
  }

  std::filesystem::path dir_;
  Started simulator_, gateway_;
  std::string control_;
  std::string extra_config_ = R"("admin_token": "t")";
};

TEST_F(NotifyTlsTest, NotificationsArriveOverHttpsWithTheSimulatorsCertificate) {
  ASSERT_NO_FATAL_FAILURE(start_gateway({"--notify-tls"}));
  const std::string api = gateway_.ready["api"];
  const std::string tls = gateway_.ready.value("api_tls", "");
  ASSERT_EQ(tls.rfind("https://127.0.0.1:", 0), 0U) << gateway_.ready;
  EXPECT_EQ(gateway_.ready["notify"], tls + "/notify");
  for (const std::string channel : {"wj", "wx"}) {
    SCOPED_TRACE(channel);
    const std::string id = pay(channel, "tls-" + channel);
    EXPECT_TRUE(eventually([&] {
      return get_json(api + "/v1/payments/" + id).value("status", "") == "SUCCEEDED";
    })) << get_json(api + "/v1/payments/" + id)
        << slurp(gateway_.err);
    EXPECT_EQ(metric(api, notifications(channel, "applied")), 1);
  }
  // The plain listener still serves the merchant API; the TLS one refuses plain HTTP.
  EXPECT_EQ(fusebox::net::http_request("GET", api + "/healthz").status, 200);
  const std::string plain_to_tls = "http://" + tls.substr(std::string("https://").size());
  EXPECT_THROW((void)fusebox::net::http_request("GET", plain_to_tls + "/healthz", "", {},
                                                std::chrono::milliseconds(2000)),
               std::runtime_error);
}

// The merchant brings its own certificate, from a CA the simulator was not told about: the
// TLS handshake fails, the channel gets no ACK and keeps the payment unnotified.
TEST_F(NotifyTlsTest, AMerchantCertificateFromAnUntrustedCaGetsNoNotification) {
  use_own_certificate(fusebox::make_test_ca("some other CA"));
  ASSERT_NO_FATAL_FAILURE(start_gateway({}));
  const std::string api = gateway_.ready["api"];
  const std::string id = pay("wj", "untrusted-1");
  // The user paid after 50 ms and the first notification went out; give it two seconds.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(get_json(api + "/v1/payments/" + id)["status"], "PROCESSING");
  EXPECT_EQ(metric(api, notifications("wj", "applied")), 0);
  // The channel knows it was paid: the ledger says so, and a query would find it.
  const json ledger = get_json(control_ + "/ledger?channel=wj");
  EXPECT_NE(ledger.dump().find(id), std::string::npos) << ledger;
}

// The same certificate gets through once the simulator is told to trust its CA
// ("notify_ca_file"): how a merchant points the simulator at its own HTTPS gateway.
TEST_F(NotifyTlsTest, ASimulatorToldToTrustTheMerchantsCaDelivers) {
  const fusebox::TestCa own = fusebox::make_test_ca("the merchant's own CA");
  use_own_certificate(own);
  std::ofstream(dir_ / "ca.pem") << own.cert.to_pem();
  ASSERT_EQ(stop(simulator_.pid), 0) << slurp(simulator_.err);
  json config = json::parse(kSimulatorConfig);
  config["notify_ca_file"] = (dir_ / "ca.pem").string();
  std::ofstream(dir_ / "simulator.json") << config.dump();
  simulator_ = start({"simulator", "--config", (dir_ / "simulator.json").string()}, dir_, "sim2");
  ASSERT_TRUE(simulator_.ready.is_object()) << slurp(simulator_.err);
  control_ = simulator_.ready["control"];
  ASSERT_NO_FATAL_FAILURE(start_gateway({}));
  const std::string api = gateway_.ready["api"];
  const std::string id = pay("wx", "own-ca-1");
  EXPECT_TRUE(eventually([&] {
    return get_json(api + "/v1/payments/" + id).value("status", "") == "SUCCEEDED";
  })) << get_json(api + "/v1/payments/" + id)
      << slurp(gateway_.err);
  EXPECT_EQ(metric(api, notifications("wx", "applied")), 1);
}

TEST(NotifyTlsConfig, HalfACertificateIsABadConfigNamingTheField) {
  const auto dir = fresh_dir("notify_tls_config");
  std::ofstream(dir / "gateway.json")
      << R"({"admin_token": "t", "notify_tls": {"cert_file": "cert.pem"}})";
  const Result r = run_fusebox({"gateway", "--config", (dir / "gateway.json").string(),
                                "--simulator", "http://127.0.0.1:1/control"});
  EXPECT_EQ(r.exit_code, 2) << context(r);
  EXPECT_NE(r.err.find("/notify_tls"), std::string::npos) << context(r);
  EXPECT_NE(r.err.find("cert_file and key_file go together"), std::string::npos) << context(r);

  std::ofstream(dir / "gateway.json")
      << R"({"admin_token": "t", "notify_tls": {"cert_file": "missing.pem", "key_file": "k"}})";
  const Result missing = run_fusebox({"gateway", "--config", (dir / "gateway.json").string(),
                                      "--simulator", "http://127.0.0.1:1/control"});
  EXPECT_EQ(missing.exit_code, 2) << context(missing);
  EXPECT_NE(missing.err.find("/notify_tls/cert_file"), std::string::npos) << context(missing);
}

TEST(NotifyTlsConfig, ASimulatorNotifyCaFileThatHoldsNoCertificateIsABadConfig) {
  const auto dir = fresh_dir("notify_ca_config");
  std::ofstream(dir / "ca.pem") << "not a certificate\n";
  std::ofstream(dir / "simulator.json")
      << R"({"notify_ca_file": ")" + (dir / "ca.pem").string() +
             R"(", "channels": [{"name": "wj", "family": "wallet-json"}]})";
  const Result r = run_fusebox({"simulator", "--config", (dir / "simulator.json").string()}, 10);
  EXPECT_EQ(r.exit_code, 2) << context(r);
  EXPECT_NE(r.err.find("/notify_ca_file"), std::string::npos) << context(r);
  EXPECT_NE(r.err.find("has none"), std::string::npos) << context(r);

  // The markers are there, the certificate between them is not: named at load, not a crash.
  std::ofstream(dir / "ca.pem") << "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n"
                                   "-----END CERTIFICATE-----\n";
  const Result damaged =
      run_fusebox({"simulator", "--config", (dir / "simulator.json").string()}, 10);
  EXPECT_EQ(damaged.exit_code, 2) << context(damaged);
  EXPECT_NE(damaged.err.find("/notify_ca_file"), std::string::npos) << context(damaged);
}

}  // namespace
