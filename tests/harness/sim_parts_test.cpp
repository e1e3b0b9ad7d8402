// The parts in process at the end of a sim run: once the final books are read, the gateway's
// core and store and each channel's model are freed (their memory goes to the checker), and
// a later call is refused rather than read from freed memory.
#include "../../harness/sim/sim_parts.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "fusebox/harness/scenario.hpp"

#include "../../harness/sim/sim_world.hpp"

namespace fusebox::harness::simmode {
namespace {

const std::filesystem::path kSmoke =
    std::filesystem::path(FUSEBOX_SOURCE_DIR) / "scenarios" / "smoke.json";

// Pays `count` orders by `method` and lets the world run until they are answered and
// settled at their channels.
void pay(SimWorld& world, int count, const std::string& method = "bank") {
  static int next_id = 0;
  int answered = 0;
  for (int i = 0; i < count; ++i) {
    net::HttpRequestIn in;
    in.method = "POST";
    in.target = "/v1/payments";
    in.body = R"({"merchant_order_id":"drop-)" + std::to_string(++next_id) +
              R"(","amount":100,"currency":"CNY","method":")" + method + R"("})";
    world.merchant_call(std::move(in), [&answered](const net::HttpResponseOut& out) {
      EXPECT_EQ(out.status, 200) << out.body;
      ++answered;
    });
  }
  world.scheduler().run_until(world.scheduler().now_ns() + 5 * kNsPerS);
  ASSERT_EQ(answered, count);
}

TEST(SimParts, TheFinalBooksFreeTheGatewayAndEachChannelsModel) {
  const Scenario s = load_scenario(kSmoke);
  SimWorld world(s, WorldSettings{});
  InProcessGateway gateway(world);
  InProcessSimulator simulator(world);
  pay(world, 3);
  pay(world, 3, "wallet");
  const auto wallet_rows = [&] {
    return simulator.ledger_rows("wallet-a", 0).size() +
           simulator.ledger_rows("wallet-b", 0).size() +
           simulator.ledger_rows("wallet-xml", 0).size();
  };

  ASSERT_EQ(gateway.payments().size(), 6U);
  const std::size_t wallet_rows_before = wallet_rows();
  ASSERT_GT(wallet_rows_before, 0U);
  ASSERT_FALSE(simulator.ledger_rows("bank", 0).empty());

  gateway.final_books_read();
  EXPECT_THROW((void)gateway.payments(), std::logic_error);
  EXPECT_THROW((void)world.core(), std::logic_error);

  simulator.final_ledger_read("bank");
  EXPECT_TRUE(simulator.ledger_rows("bank", 0).empty());
  EXPECT_EQ(world.channel("bank")->model().ledger().size(), 0U);
  EXPECT_EQ(wallet_rows(), wallet_rows_before) << "only the channel read last is freed";
}

TEST(SimParts, ReadingTheBooksMidRunFreesNothing) {
  const Scenario s = load_scenario(kSmoke);
  SimWorld world(s, WorldSettings{});
  InProcessGateway gateway(world);
  InProcessSimulator simulator(world);
  pay(world, 2);
  (void)gateway.payments();
  const std::size_t rows = simulator.ledger_rows("bank", 0).size();
  pay(world, 1);  // the world runs on as before
  EXPECT_EQ(gateway.payments().size(), 3U);
  EXPECT_GT(simulator.ledger_rows("bank", 0).size(), rows);
}

}  // namespace
}  // namespace fusebox::harness::simmode
