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

// A smoke-scenario world with the runner's views of its parts.
class SimParts : public ::testing::Test {
 protected:
  Scenario scenario_ = load_scenario(kSmoke);
  SimWorld world_{scenario_, WorldSettings{}};
  InProcessGateway gateway_{world_};
  InProcessSimulator simulator_{world_};
};

TEST_F(SimParts, TheFinalBooksFreeTheGatewayAndEachChannelsModel) {
  pay(world_, 3);
  pay(world_, 3, "wallet");
  const auto wallet_rows = [&] {
    return simulator_.ledger_rows("wallet-a", 0).size() +
           simulator_.ledger_rows("wallet-b", 0).size() +
           simulator_.ledger_rows("wallet-xml", 0).size();
  };

  ASSERT_EQ(gateway_.payments().size(), 6U);
  const std::size_t wallet_rows_before = wallet_rows();
  ASSERT_GT(wallet_rows_before, 0U);
  ASSERT_FALSE(simulator_.ledger_rows("bank", 0).empty());

  gateway_.final_books_read();
  EXPECT_THROW((void)gateway_.payments(), std::logic_error);
  EXPECT_THROW((void)world_.core(), std::logic_error);

  simulator_.final_ledger_read("bank");
  EXPECT_TRUE(simulator_.ledger_rows("bank", 0).empty());
  EXPECT_EQ(world_.channel("bank")->model().ledger().size(), 0U);
  EXPECT_EQ(wallet_rows(), wallet_rows_before) << "only the channel whose ledger was read is freed";
}

TEST_F(SimParts, ReadingTheBooksMidRunFreesNothing) {
  pay(world_, 2);
  (void)gateway_.payments();
  const std::size_t rows = simulator_.ledger_rows("bank", 0).size();
  pay(world_, 1);  // the world runs on as before
  EXPECT_EQ(gateway_.payments().size(), 3U);
  EXPECT_GT(simulator_.ledger_rows("bank", 0).size(), rows);
}

}  // namespace
}  // namespace fusebox::harness::simmode
