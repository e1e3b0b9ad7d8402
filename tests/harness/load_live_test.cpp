// The live generator over loopback against a fake merchant API: every planned request is
// answered and counted once, latency counts from the planned time (no coordinated omission),
// timeouts, late sends and idempotency breaches are counted, and the stop flag ends a run.

#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/harness/load.hpp"
#include "fusebox/net/http_server.hpp"

namespace fusebox::harness {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

struct FakeBehaviour {
  std::chrono::milliseconds stall{0};  // every answer waits this long (no thread held)
  bool black_hole = false;             // never answer
  bool honest = true;                  // keeps the idempotency contract
  std::string pay_status = "SUCCEEDED";
  std::string query_status = "SUCCEEDED";
  std::function<void(int)> on_request;  // called with the number of requests so far
};

// The merchant API's shape (docs/GATEWAY.md) with just enough state for the load's ops.
class FakeMerchant {
 public:
  explicit FakeMerchant(FakeBehaviour behaviour) : behaviour_(std::move(behaviour)) {
    server_ = std::make_unique<net::HttpServer>(
        io_,
        [this](net::HttpRequestIn in, net::Responder respond) {
          handle(std::move(in), std::move(respond));
        },
        net::HttpLimits{});
    port_ = server_->listen("127.0.0.1", 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeMerchant() {
    asio::post(io_, [this] {
      server_->stop();
      io_.stop();
    });
    thread_.join();
  }
  FakeMerchant(const FakeMerchant&) = delete;
  FakeMerchant& operator=(const FakeMerchant&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] int count(const std::string& what) {
    const std::lock_guard lock(mutex_);
    return counts_[what];
  }

 private:
  struct Order {
    std::string payment_id;
    std::int64_t amount = 0;
  };

  void handle(net::HttpRequestIn in, net::Responder respond) {
    net::HttpResponseOut out = answer(in);
    const int seen = ++requests_;
    if (behaviour_.on_request) behaviour_.on_request(seen);
    if (behaviour_.black_hole) {
      out.delivery = net::WireDelivery::black_hole;
      respond(std::move(out));
      return;
    }
    if (behaviour_.stall.count() == 0) return respond(std::move(out));
    auto timer = std::make_shared<asio::steady_timer>(io_, behaviour_.stall);
    timer->async_wait([timer, respond = std::move(respond), out = std::move(out)](
                          const boost::system::error_code&) mutable { respond(std::move(out)); });
  }

  net::HttpResponseOut answer(const net::HttpRequestIn& in) {
    const std::lock_guard lock(mutex_);
    const json body = json::parse(in.body.empty() ? "{}" : in.body, nullptr, false);
    if (in.method == "POST" && in.target == "/v1/payments") return pay(body);
    if (in.method == "POST" && in.target == "/v1/refunds") {
      ++counts_["refund"];
      const auto it = by_payment_.find(body.value("payment_id", ""));
      if (it == by_payment_.end() || behaviour_.query_status != "SUCCEEDED") {
        ++counts_["refund_refused"];
        return error(422, "PAYMENT_NOT_REFUNDABLE");
      }
      return ok(
          json{{"refund_id", "r-" + std::to_string(counts_["refund"])}, {"status", "PROCESSING"}});
    }
    const std::string prefix = "/v1/payments/";
    if (in.target.rfind(prefix, 0) != 0) return error(404, "NOT_FOUND");
    std::string id = in.target.substr(prefix.size());
    const bool close = id.ends_with("/close");
    if (close) id.resize(id.size() - 6);
    ++counts_[close ? "close" : "query"];
    const auto it = by_payment_.find(id);
    if (it == by_payment_.end()) return error(404, "NOT_FOUND");
    return ok(json{{"payment_id", id},
                   {"merchant_order_id", it->second},
                   {"status", close ? "CLOSED" : behaviour_.query_status},
                   {"channel", "wallet-a"}});
  }

  net::HttpResponseOut pay(const json& body) {
    ++counts_["pay"];
    const std::string order_id = body.value("merchant_order_id", "");
    const std::int64_t amount = body.value("amount", std::int64_t{0});
    const auto it = orders_.find(order_id);
    std::string payment_id;
    if (it != orders_.end() && behaviour_.honest) {
      if (it->second.amount != amount) return error(409, "IDEMPOTENCY_CONFLICT");
      payment_id = it->second.payment_id;
    } else {
      payment_id = "pay-" + std::to_string(++payments_);
      orders_[order_id] = Order{payment_id, amount};
      by_payment_[payment_id] = order_id;
    }
    return ok(json{{"payment_id", payment_id},
                   {"merchant_order_id", order_id},
                   {"amount", amount},
                   {"status", behaviour_.pay_status},
                   {"channel", "wallet-a"}});
  }

  static net::HttpResponseOut ok(const json& body) {
    return net::make_response(200, "application/json", body.dump());
  }
  static net::HttpResponseOut error(int status, const std::string& code) {
    return net::make_response(status, "application/json",
                              json{{"error", {{"code", code}, {"message", code}}}}.dump());
  }

  FakeBehaviour behaviour_;
  asio::io_context io_;
  std::unique_ptr<net::HttpServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::map<std::string, int> counts_;
  std::map<std::string, Order> orders_;
  std::map<std::string, std::string> by_payment_;
  int payments_ = 0;
};

LoadSpec uniform_load(double tps, double for_s, int connections, double timeout_s = 5) {
  LoadPhase phase;
  phase.kind = LoadPhase::Kind::constant;
  phase.for_s = for_s;
  phase.tps = tps;
  LoadSpec load;
  load.phases = {phase};
  load.arrivals = LoadSpec::Arrivals::uniform;
  load.targets = {{"wallet", "wallet-a", 1}};
  load.connections = connections;
  load.request_timeout_s = timeout_s;
  return load;
}

struct LoadRun {
  Recorder recorder;
  LoadStatus status;
  std::atomic<bool> stop{false};
  GeneratorConfig config;

  LoadRun(std::uint16_t port, LoadSpec load, std::uint64_t seed = 1)
      : recorder({"wallet-a"}, {{0, 1e9, ""}}, load.phases.empty() ? 1 : load.phases[0].end_s(),
                 load.request_timeout_s) {
    config.port = port;
    config.load = std::move(load);
    config.seed = seed;
    config.id_prefix = "t";
  }
  void go(std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now()) {
    LoadGenerator generator(config, recorder, status);
    generator.run(start, stop);
  }
  [[nodiscard]] std::uint64_t outcome(Outcome outcome, const std::string& channel = "") const {
    return recorder.window(0, channel).outcomes[static_cast<std::size_t>(outcome)];
  }
  [[nodiscard]] std::uint64_t answered() const {
    std::uint64_t sum = 0;
    for (const std::uint64_t n : recorder.window(0, "").outcomes)
      sum += n;
    return sum;
  }
};

TEST(LoadLive, EveryPlannedRequestIsAnsweredAndCountedOnce) {
  FakeMerchant fake(FakeBehaviour{});
  LoadSpec load = uniform_load(1000, 1.0, 8);
  load.refund_share = 0.1;
  load.query_share = 0.2;
  load.close_share = 0.05;
  LoadRun run(fake.port(), load, 3);
  const std::uint64_t planned = ArrivalPlan(load, 3).count();
  run.go();
  EXPECT_EQ(run.recorder.planned(), planned);
  EXPECT_EQ(run.recorder.sent(), planned);
  EXPECT_EQ(run.answered(), planned);
  EXPECT_EQ(run.outcome(Outcome::ok), planned) << "every answer of the fake is a success";
  EXPECT_EQ(run.status.answered.load(), planned);
  EXPECT_EQ(run.status.in_flight.load(), 0U);
  EXPECT_EQ(fake.count("refund_refused"), 0) << "refunds only go to SUCCEEDED orders";
  EXPECT_GT(fake.count("refund"), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(fake.count("pay")), run.recorder.seen_orders().size());
  EXPECT_EQ(run.outcome(Outcome::ok, "wallet-a"), planned);
  EXPECT_TRUE(run.recorder.idempotency_breaches().empty());
}

// Coordinated omission: one connection, every answer stalled 20 ms, 100 requests a second.
// The k-th request cannot be answered before (k + 1) * 20 ms, but was planned at k * 10 ms,
// so an honest latency for the last of 50 grows to at least ~0.5 s, far above the stall a
// closed-loop client would report.
TEST(LoadLive, LatencyCountsFromThePlannedTimeWhileQueued) {
  FakeBehaviour behaviour;
  behaviour.stall = std::chrono::milliseconds(20);
  FakeMerchant fake(behaviour);
  LoadRun run(fake.port(), uniform_load(100, 0.5, 1));
  run.go();
  ASSERT_EQ(run.answered(), 50U);
  EXPECT_EQ(run.outcome(Outcome::ok), 50U);
  const Histogram& latency = run.recorder.run_latency("");
  EXPECT_GE(latency.min(), 20 * kNsPerMs);
  EXPECT_GE(latency.max(), 500 * kNsPerMs);
  EXPECT_GE(latency.value_at_percentile(50), 250 * kNsPerMs);
  EXPECT_GT(run.recorder.late(), 0U) << "queued sends leave late and are counted so";
}

TEST(LoadLive, TimeoutsWhenTheServerNeverAnswers) {
  FakeBehaviour behaviour;
  behaviour.black_hole = true;
  FakeMerchant fake(behaviour);
  LoadRun run(fake.port(), uniform_load(100, 0.2, 4, 0.3));
  run.go();
  EXPECT_EQ(run.answered(), 20U);
  EXPECT_EQ(run.outcome(Outcome::timeout), 20U);
  EXPECT_GE(run.recorder.run_latency("").min(), 300 * kNsPerMs);
}

TEST(LoadLive, ConnectionRefusedIsATransportError) {
  std::uint16_t port = 0;
  {
    FakeMerchant closed(FakeBehaviour{});
    port = closed.port();
  }
  LoadRun run(port, uniform_load(100, 0.1, 2));
  run.go();
  EXPECT_EQ(run.answered(), 10U);
  EXPECT_EQ(run.outcome(Outcome::transport_error), 10U);
}

// Started 1 s in the past: everything planned in that second leaves more than 10 ms late.
TEST(LoadLive, LateSendsAreCounted) {
  FakeMerchant fake(FakeBehaviour{});
  LoadRun run(fake.port(), uniform_load(100, 1.2, 8));
  run.go(std::chrono::steady_clock::now() - std::chrono::seconds(1));
  EXPECT_EQ(run.answered(), 120U);
  EXPECT_GE(run.recorder.late(), 98U);
  EXPECT_EQ(run.status.late.load(), run.recorder.late());
  EXPECT_GE(run.recorder.lateness().max(), 900 * kNsPerMs);
}

LoadSpec probing_load() {
  LoadSpec load = uniform_load(200, 0.5, 4);
  load.duplicate_share = 0.5;
  load.conflict_share = 0.5;
  return load;
}

TEST(LoadLive, NoBreachWhenTheIdempotencyContractHolds) {
  FakeMerchant fake(FakeBehaviour{});
  LoadRun run(fake.port(), probing_load());
  run.go();
  EXPECT_EQ(run.answered(), 100U);
  EXPECT_EQ(fake.count("pay"), 200) << "each pay was probed once";
  EXPECT_TRUE(run.recorder.idempotency_breaches().empty());
  for (const SeenOrder& order : run.recorder.seen_orders()) {
    ASSERT_EQ(order.payment_ids.size(), 1U) << order.merchant_order_id;
  }
}

TEST(LoadLive, BreachWhenTheServerBreaksIdempotency) {
  FakeBehaviour behaviour;
  behaviour.honest = false;  // a new payment for every request, whatever the key
  FakeMerchant fake(behaviour);
  LoadRun run(fake.port(), probing_load());
  run.go();
  EXPECT_EQ(run.recorder.idempotency_breaches().size(), 100U);
  std::size_t doubled = 0;
  for (const SeenOrder& order : run.recorder.seen_orders()) {
    doubled += order.payment_ids.size() == 2 ? 1U : 0U;
  }
  EXPECT_EQ(doubled, 100U) << "the checker sees both payment ids of every probed order";
}

// A minute of load; the fake sets the stop flag from its own thread at its 20th request and
// never answers, so every request still out ends as a timeout and run() returns.
TEST(LoadLive, StopFlagEndsTheRun) {
  std::atomic<bool>* stop = nullptr;
  FakeBehaviour behaviour;
  behaviour.black_hole = true;
  behaviour.on_request = [&stop](int seen) {
    if (seen == 20) stop->store(true);
  };
  FakeMerchant fake(behaviour);
  LoadRun run(fake.port(), uniform_load(100, 60, 64, 30));
  stop = &run.stop;
  run.go();
  EXPECT_LT(run.recorder.planned(), 1000U);
  EXPECT_EQ(run.answered(), run.recorder.planned());
  EXPECT_EQ(run.outcome(Outcome::timeout), run.recorder.planned());
  EXPECT_EQ(run.status.in_flight.load(), 0U);
}

TEST(LoadLive, FinalStatusesAreFetchedForEverySeenPayment) {
  FakeBehaviour behaviour;
  behaviour.pay_status = "PROCESSING";
  behaviour.query_status = "SUCCEEDED";
  FakeMerchant fake(behaviour);
  LoadRun run(fake.port(), uniform_load(200, 0.25, 4));
  LoadGenerator generator(run.config, run.recorder, run.status);
  generator.run(std::chrono::steady_clock::now(), run.stop);
  generator.fetch_final_statuses(run.stop);
  const std::vector<SeenOrder> seen = run.recorder.seen_orders();
  ASSERT_EQ(seen.size(), 50U);
  for (const SeenOrder& order : seen) {
    ASSERT_EQ(order.status_count, 2U) << order.merchant_order_id;
    EXPECT_EQ(order.first_status, "PROCESSING") << order.merchant_order_id;
    EXPECT_EQ(order.last_status, "SUCCEEDED") << order.merchant_order_id;
  }
  EXPECT_EQ(fake.count("query"), 50);
}

}  // namespace
}  // namespace fusebox::harness
