// Proves the notification engine: the retry schedule stops on the exact ACK and goes on
// after a wrong one, gives up at its end, and each notification fault (lost, attempt lost,
// delayed, duplicated, replayed, forged, unknown order) shows up as it should.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "model_driver.hpp"

namespace fusebox::sim {
namespace {

using testing::fault;
using testing::ModelDriver;
using testing::pay;
using testing::query;
using testing::simple_wallet;

TEST(NotifierTest, RetriesOnScheduleUntilTheExactAck) {
  ChannelModelConfig config = simple_wallet();
  config.notify.retry_after_ns = {from_s(15), from_s(30), from_s(60)};
  ModelDriver driver(config);
  int answered = 0;
  driver.merchant_acks = [&answered](const Notification&) { return ++answered >= 3; };
  (void)driver.send(pay("o"));
  driver.run_until_idle();
  ASSERT_EQ(driver.delivered().size(), 3U);
  EXPECT_EQ(driver.delivered()[0].at_ns, from_s(1));
  EXPECT_EQ(driver.delivered()[1].at_ns, from_s(16));
  EXPECT_EQ(driver.delivered()[2].at_ns, from_s(46));
  EXPECT_EQ(driver.delivered()[2].notification.attempt, 3);
  EXPECT_EQ(driver.model().counters().notifications_acked, 1U);
}

TEST(NotifierTest, GivesUpWhenTheScheduleRunsOut) {
  ChannelModelConfig config = simple_wallet();
  config.notify.retry_after_ns = {from_s(15), from_s(30)};
  ModelDriver driver(config);
  driver.merchant_acks = [](const Notification&) { return false; };  // a wrong ACK every time
  (void)driver.send(pay("o"));
  driver.run_until_idle();
  EXPECT_EQ(driver.delivered().size(), 3U);
  EXPECT_EQ(driver.model().counters().notifications_given_up, 1U);
}

// The issue's own example: 30% notification loss over 10,000 paid orders.
TEST(NotifierTest, ThirtyPercentLossLeavesQueryAsTheWayToTheTruth) {
  const std::uint64_t seed = 2026;
  SCOPED_TRACE("seed " + std::to_string(seed));
  ModelDriver driver(simple_wallet(), seed);
  (void)driver.model().faults().add(fault(FaultKind::notify_lost, 0.3));
  for (int i = 0; i < 10'000; ++i)
    (void)driver.send(pay("o-" + std::to_string(i)));
  driver.run_until_idle();
  std::set<std::string> notified;
  for (const auto& d : driver.delivered())
    notified.insert(d.notification.payment.order_id);
  const auto silent = 10'000 - static_cast<int>(notified.size());
  EXPECT_NEAR(silent, 3'000, 150);
  EXPECT_EQ(driver.model().counters().notifications_lost, static_cast<std::uint64_t>(silent));
  for (int i = 0; i < 10'000; ++i) {
    const std::string id = "o-" + std::to_string(i);
    if (notified.count(id) == 0) {
      ASSERT_EQ(driver.send(query(id)).answer.payment.state, PaymentState::paid) << id;
    }
  }
}

TEST(NotifierTest, AnAttemptLostInTransitIsRetried) {
  ChannelModelConfig config = simple_wallet();
  config.notify.retry_after_ns = {from_s(15)};
  ModelDriver driver(config);
  Fault f = fault(FaultKind::notify_attempt_lost);
  f.end_ns = from_s(5);  // only the first attempt (at 1 s) is lost
  (void)driver.model().faults().add(f);
  (void)driver.send(pay("o"));
  driver.run_until_idle();
  ASSERT_EQ(driver.delivered().size(), 1U);
  EXPECT_EQ(driver.delivered()[0].at_ns, from_s(16));
  EXPECT_EQ(driver.delivered()[0].notification.attempt, 2);
}

TEST(NotifierTest, DelayedDuplicatedReplayedForgedAndStray) {
  ModelDriver driver(simple_wallet());
  Fault delayed = fault(FaultKind::notify_delayed);
  delayed.delay_ms = Distribution::fixed(4'000);
  Fault replayed = fault(FaultKind::notify_replayed);
  replayed.delay_ms = Distribution::fixed(3'600'000);
  for (const Fault& f : {delayed, fault(FaultKind::notify_duplicated), replayed,
                         fault(FaultKind::notify_forged), fault(FaultKind::notify_unknown_order)}) {
    (void)driver.model().faults().add(f);
  }
  (void)driver.send(pay("o"));
  driver.run_until_idle();
  const auto& d = driver.delivered();
  ASSERT_EQ(d.size(), 5U);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(d[i].at_ns, from_s(5)) << i;
  EXPECT_TRUE(d[0].notification.forged) << "the forger's copy goes first";
  EXPECT_EQ(d[0].notification.payment.state, PaymentState::paid);
  EXPECT_EQ(d[0].notification.payment.channel_txn_id.rfind("forged-", 0), 0U);
  EXPECT_FALSE(d[1].notification.forged);
  EXPECT_EQ(d[2].notification.id, d[1].notification.id) << "a duplicate of the same attempt";
  EXPECT_FALSE(d[2].notification.forged);
  EXPECT_EQ(d[3].notification.payment.order_id, "unknown-1");
  EXPECT_EQ(d[4].at_ns, from_s(5) + from_s(3'600)) << "the replay, an hour later";
  EXPECT_EQ(d[4].notification.payment.state, PaymentState::paid);
  EXPECT_EQ(driver.model().counters().notifications_acked, 1U);
  EXPECT_EQ(driver.model().ledger().count(LedgerEvent::charged), 1U);
}

// Whatever the channel decided, the forged copy claims the payment paid: applied, it would
// turn a declined order into a success no channel charged.
TEST(NotifierTest, AForgedCopyClaimsADeclinedPaymentPaid) {
  ChannelModelConfig config = simple_wallet();
  config.outcome.success_p = 0;
  config.outcome.decline_p = 1;
  ModelDriver driver(config);
  (void)driver.model().faults().add(fault(FaultKind::notify_forged));
  (void)driver.send(pay("o"));
  driver.run_until_idle();
  const auto& d = driver.delivered();
  ASSERT_EQ(d.size(), 2U);
  EXPECT_TRUE(d[0].notification.forged);
  EXPECT_EQ(d[0].notification.payment.state, PaymentState::paid);
  EXPECT_FALSE(d[1].notification.forged);
  EXPECT_EQ(d[1].notification.payment.state, PaymentState::failed);
  EXPECT_EQ(driver.model().ledger().count(LedgerEvent::charged), 0U);
}

TEST(NotifierTest, ADuplicateNackDoesNotStartASecondRetryChain) {
  ChannelModelConfig config = simple_wallet();
  config.notify.retry_after_ns = {from_s(15), from_s(15)};
  ModelDriver driver(config);
  (void)driver.model().faults().add(fault(FaultKind::notify_duplicated));
  driver.merchant_acks = [](const Notification&) { return false; };
  (void)driver.send(pay("o"));
  driver.run_until_idle();
  EXPECT_EQ(driver.delivered().size(), 6U) << "3 attempts, each delivered twice";
}

}  // namespace
}  // namespace fusebox::sim
