// Proves each channel-model behaviour on the virtual clock: orders and their outcomes,
// idempotency, refunds and their bounds, close, synchronous banks, the notification engine's
// retry schedule, and that the same seed gives the same ledger.
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "model_driver.hpp"

namespace fusebox::sim {
namespace {

using testing::ModelDriver;
using testing::pay;
using testing::query;
using testing::refund;
using testing::simple_wallet;

TEST(ChannelModelTest, WalletPayCreatesAnOrderThatIsPaidLaterAndNotified) {
  ModelDriver driver(simple_wallet());
  const Decision decision = driver.send(pay("o-1", 2'500));
  EXPECT_EQ(decision.answer.code, AnswerCode::ok);
  EXPECT_EQ(decision.answer.payment.state, PaymentState::paying);
  EXPECT_EQ(decision.respond_at_ns, from_ms(10));
  EXPECT_EQ(decision.delivery, Delivery::normal);

  driver.run_until(from_ms(999));
  EXPECT_EQ(driver.send(query("o-1")).answer.payment.state, PaymentState::paying);
  driver.run_until(from_s(2));
  const Decision later = driver.send(query("o-1"));
  EXPECT_EQ(later.answer.payment.state, PaymentState::paid);
  EXPECT_EQ(later.answer.payment.paid_at_ns, from_s(1));
  // Twelve characters, so the bank's RRN field carries it whole.
  EXPECT_EQ(later.answer.payment.channel_txn_id.size(), 12u);

  ASSERT_EQ(driver.delivered().size(), 1U);
  const Notification& n = driver.delivered()[0].notification;
  EXPECT_EQ(n.kind, NotificationKind::payment);
  EXPECT_EQ(n.payment.order_id, "o-1");
  EXPECT_EQ(n.payment.amount_minor, 2'500);
  EXPECT_EQ(n.payment.state, PaymentState::paid);
  EXPECT_EQ(n.attempt, 1);
  EXPECT_EQ(driver.model().counters().notifications_acked, 1U);

  const auto ledger = driver.model().ledger_entries();
  ASSERT_EQ(ledger.size(), 2U);
  EXPECT_EQ(ledger[0].event, LedgerEvent::order_created);
  EXPECT_EQ(ledger[1].event, LedgerEvent::charged);
  EXPECT_EQ(ledger[1].at_ns, from_s(1));
}

// An order is kept compact (its currency by number, its transaction id as a sequence number)
// and shown whole: the id is the channel's prefix and the sequence in twelve characters, the
// currency is the one it was paid in, and a refund shows its order's id.
TEST(ChannelModelTest, OrdersAndRefundsShowEveryFieldTheyWereMadeWith) {
  ModelDriver driver(simple_wallet());
  Request in_euros = pay("o-eur", 700);
  in_euros.currency = "EUR";
  (void)driver.send(pay("o-cny", 500));
  (void)driver.send(in_euros);
  driver.run_until(from_s(2));
  const PaymentView cny = driver.send(query("o-cny")).answer.payment;
  const PaymentView eur = driver.send(query("o-eur")).answer.payment;
  EXPECT_EQ(cny.channel_txn_id, "WAL000000001");
  EXPECT_EQ(eur.channel_txn_id, "WAL000000002");
  EXPECT_EQ(cny.currency, "CNY");
  EXPECT_EQ(eur.currency, "EUR");
  EXPECT_EQ(eur.amount_minor, 700);
  Request again = in_euros;
  again.currency = "CNY";
  EXPECT_EQ(driver.send(again).answer.code, AnswerCode::conflict) << "same id, other currency";
  EXPECT_EQ(driver.send(in_euros).answer.payment.channel_txn_id, "WAL000000002");

  const RefundView r = driver.send(refund("o-eur", "r-1", 200)).answer.refund;
  EXPECT_EQ(r.order_id, "o-eur");
  EXPECT_EQ(r.refund_id, "r-1");
  EXPECT_EQ(r.amount_minor, 200);
  EXPECT_EQ(driver.send(refund("o-cny", "r-1", 200)).answer.code, AnswerCode::conflict)
      << "a refund id names one order";
  const auto ledger = driver.model().ledger_entries(0, INT64_MAX, "o-eur");
  ASSERT_EQ(ledger.size(), 3U);
  EXPECT_EQ(ledger[1].channel_txn_id, "WAL000000002");
  EXPECT_EQ(ledger[1].currency, "EUR");
  EXPECT_EQ(ledger[2].refund_id, "r-1");
  EXPECT_EQ(ledger[2].amount_minor, 200);
}

TEST(ChannelModelTest, ResetForgetsEverythingAndReplaysTheSameRandomStreams) {
  ModelDriver driver(simple_wallet());
  (void)driver.model().faults().add(testing::fault(FaultKind::decline, 0.5));
  const auto outcomes = [&] {
    std::vector<AnswerCode> codes;
    for (int i = 0; i < 20; ++i)
      codes.push_back(driver.send(pay("o-" + std::to_string(i), 100)).answer.code);
    return codes;
  };
  const std::vector<AnswerCode> first = outcomes();
  ASSERT_GT(driver.model().ledger().size(), 0U);
  const std::uint64_t generation = driver.model().generation();

  driver.model().reset();
  EXPECT_EQ(driver.model().generation(), generation + 1);
  EXPECT_TRUE(driver.model().ledger().empty());
  EXPECT_EQ(driver.model().counters().requests[0], 0U);
  EXPECT_FALSE(driver.model().payment("o-1").has_value());
  EXPECT_TRUE(driver.model().faults().faults().empty());
  // With the fault back, the same requests meet the same draws as the first time.
  (void)driver.model().faults().add(testing::fault(FaultKind::decline, 0.5));
  EXPECT_EQ(outcomes(), first);
}

TEST(ChannelModelTest, PayIsIdempotentByOrderIdAndRejectsADifferentBody) {
  ModelDriver driver(simple_wallet());
  (void)driver.send(pay("o-1", 100));
  const Decision again = driver.send(pay("o-1", 100));
  EXPECT_EQ(again.answer.code, AnswerCode::ok);
  EXPECT_EQ(driver.model().ledger().count(LedgerEvent::order_created), 1U);
  EXPECT_EQ(driver.send(pay("o-1", 200)).answer.code, AnswerCode::conflict);
  driver.run_until_idle();
  EXPECT_EQ(driver.model().ledger().count(LedgerEvent::charged), 1U) << "never charged twice";
}

TEST(ChannelModelTest, BadPayRequestsAreAnsweredNotAsserted) {
  ModelDriver driver(simple_wallet());
  EXPECT_EQ(driver.send(pay("", 100)).answer.code, AnswerCode::invalid_request);
  EXPECT_EQ(driver.send(pay("o", 0)).answer.code, AnswerCode::invalid_request);
  EXPECT_EQ(driver.send(pay("o", -5)).answer.code, AnswerCode::invalid_request);
  EXPECT_EQ(driver.send(query("nope")).answer.code, AnswerCode::not_found);
  EXPECT_TRUE(driver.model().ledger().empty());
}

TEST(ChannelModelTest, OutcomesFollowTheirProbabilitiesAndAbandonedOrdersExpire) {
  ChannelModelConfig config = simple_wallet();
  config.outcome.success_p = 0.90;
  config.outcome.decline_p = 0.05;
  config.outcome.expire_after_ns = from_s(600);
  const std::uint64_t seed = 7;
  SCOPED_TRACE("seed " + std::to_string(seed));
  ModelDriver driver(config, seed);
  for (int i = 0; i < 10'000; ++i)
    (void)driver.send(pay("o-" + std::to_string(i)));
  driver.run_until_idle();
  const Ledger& ledger = driver.model().ledger();
  EXPECT_NEAR(static_cast<double>(ledger.count(LedgerEvent::charged)), 9'000, 120);
  EXPECT_NEAR(static_cast<double>(ledger.count(LedgerEvent::declined)), 500, 90);
  EXPECT_NEAR(static_cast<double>(ledger.count(LedgerEvent::closed)), 500, 90);
  EXPECT_EQ(ledger.count(LedgerEvent::charged) + ledger.count(LedgerEvent::declined) +
                ledger.count(LedgerEvent::closed),
            10'000U)
      << "every order ends in exactly one final state";
  for (const LedgerEntry& e : driver.model().ledger_entries()) {
    if (e.event == LedgerEvent::closed) {
      EXPECT_EQ(e.at_ns % from_s(600), 0);
    }
  }
}

// The expiry timer is scheduled only where it can act: an order that settles before it
// leaves no timer behind once settled and notified, while one whose user would pay after the
// expiry is closed by it and never charged.
TEST(ChannelModelTest, OnlyAnOrderThatCanExpireHasAnExpiryPending) {
  ChannelModelConfig config = simple_wallet();  // pays after 1 s
  config.outcome.expire_after_ns = from_s(600);
  ModelDriver settles(config);
  (void)settles.send(pay("paid-in-time"));
  settles.run_until(from_s(2));
  EXPECT_EQ(settles.send(query("paid-in-time")).answer.payment.state, PaymentState::paid);
  EXPECT_EQ(settles.scheduler().pending(), 0U) << "no expiry left waiting for a paid order";

  config.outcome.pay_after_ms = Distribution::fixed(900'000);  // after the 600 s expiry
  ModelDriver late(config);
  (void)late.send(pay("paid-too-late"));
  late.run_until(from_s(601));
  EXPECT_EQ(late.send(query("paid-too-late")).answer.payment.state, PaymentState::closed);
  late.run_until_idle();
  EXPECT_EQ(late.send(query("paid-too-late")).answer.payment.state, PaymentState::closed);
  EXPECT_EQ(late.model().ledger().count(LedgerEvent::charged), 0U);
}

TEST(ChannelModelTest, CloseEndsAnUnpaidOrderAndRefusesAPaidOne) {
  ModelDriver driver(simple_wallet());
  (void)driver.send(pay("a"));
  Request close_a;
  close_a.operation = Operation::close;
  close_a.order_id = "a";
  EXPECT_EQ(driver.send(close_a).answer.payment.state, PaymentState::closed);
  EXPECT_EQ(driver.send(close_a).answer.code, AnswerCode::ok) << "closing twice is idempotent";
  driver.run_until_idle();
  EXPECT_EQ(driver.send(query("a")).answer.payment.state, PaymentState::closed)
      << "the user cannot pay a closed order";
  EXPECT_EQ(driver.model().ledger().count(LedgerEvent::charged), 0U);

  (void)driver.send(pay("b"));
  driver.run_until_idle();
  Request close_b = close_a;
  close_b.order_id = "b";
  EXPECT_EQ(driver.send(close_b).answer.code, AnswerCode::order_not_payable);
}

TEST(ChannelModelTest, RefundsNeverExceedThePaidAmountCountingInFlightOnes) {
  ModelDriver driver(simple_wallet());
  (void)driver.send(pay("o", 1'000));
  EXPECT_EQ(driver.send(refund("o", "r0", 100)).answer.code, AnswerCode::order_not_payable)
      << "not paid yet";
  driver.run_until(from_s(2));
  EXPECT_EQ(driver.send(refund("o", "r1", 600)).answer.refund.state, RefundState::processing);
  EXPECT_EQ(driver.send(refund("o", "r2", 500)).answer.code, AnswerCode::invalid_request)
      << "600 in flight + 500 > 1000";
  EXPECT_EQ(driver.send(refund("o", "r2", 400)).answer.code, AnswerCode::ok);
  EXPECT_EQ(driver.send(refund("o", "r2", 400)).answer.code, AnswerCode::ok) << "idempotent";
  EXPECT_EQ(driver.send(refund("o", "r2", 300)).answer.code, AnswerCode::conflict);
  EXPECT_EQ(driver.send(refund("o", "r3", 1)).answer.code, AnswerCode::invalid_request);
  driver.run_until_idle();
  Request rq;
  rq.operation = Operation::refund_query;
  rq.refund_id = "r1";
  EXPECT_EQ(driver.send(rq).answer.refund.state, RefundState::succeeded);
  EXPECT_EQ(driver.model().ledger().count(LedgerEvent::refund_succeeded), 2U);
  EXPECT_EQ(driver.delivered().size(), 3U) << "one payment and two refund notifications";
}

TEST(ChannelModelTest, AFailedRefundReleasesItsAmount) {
  ChannelModelConfig config = simple_wallet();
  config.refund.success_p = 0.0;
  ModelDriver driver(config);
  (void)driver.send(pay("o", 1'000));
  driver.run_until(from_s(2));
  (void)driver.send(refund("o", "r1", 1'000));
  driver.run_until_idle();
  EXPECT_EQ(driver.model().ledger().count(LedgerEvent::refund_failed), 1U);
  EXPECT_EQ(driver.send(refund("o", "r2", 1'000)).answer.code, AnswerCode::ok);
}

TEST(ChannelModelTest, SynchronousBankAnswersTheFinalResult) {
  ChannelModelConfig config = simple_wallet();
  config.name = "bank";
  config.synchronous_pay = true;
  config.outcome.success_p = 0.5;
  config.outcome.decline_p = 0.5;
  config.notify.enabled = false;
  ModelDriver driver(config, 3);
  int paid = 0, declined = 0;
  for (int i = 0; i < 2'000; ++i) {
    const Decision d = driver.send(pay("b-" + std::to_string(i)));
    if (d.answer.code == AnswerCode::ok) {
      EXPECT_EQ(d.answer.payment.state, PaymentState::paid);
      ++paid;
    } else {
      EXPECT_EQ(d.answer.code, AnswerCode::declined);
      EXPECT_EQ(d.answer.payment.state, PaymentState::failed);
      ++declined;
    }
  }
  EXPECT_NEAR(paid, 1'000, 150);
  EXPECT_EQ(paid + declined, 2'000);
  driver.run_until_idle();
  EXPECT_TRUE(driver.delivered().empty());
}

TEST(ChannelModelTest, SameSeedSameLedgerOtherSeedOtherLedger) {
  auto run = [](std::uint64_t seed) {
    ChannelModelConfig config;  // the default outcome and latency distributions
    config.name = "w";
    ModelDriver driver(config, seed);
    for (int i = 0; i < 2'000; ++i) {
      (void)driver.send_at(from_ms(i), pay("o-" + std::to_string(i), 100 + i));
    }
    driver.run_until_idle();
    std::vector<std::string> lines;
    for (const LedgerEntry& e : driver.model().ledger_entries()) {
      lines.push_back(std::to_string(e.at_ns) + " " + std::string(to_string(e.event)) + " " +
                      e.order_id);
    }
    return lines;
  };
  const auto first = run(42);
  EXPECT_GT(first.size(), 3'000U);
  EXPECT_EQ(first, run(42));
  EXPECT_NE(first, run(43));
}

}  // namespace
}  // namespace fusebox::sim

namespace fusebox::sim {
namespace {

using testing::ModelDriver;
using testing::pay;
using testing::refund;
using testing::simple_wallet;

TEST(StatementTest, ListsChargesAndSucceededRefundsInRange) {
  ModelDriver driver(simple_wallet());
  (void)driver.send(pay("a", 1'000));
  (void)driver.send(pay("b", 2'000));
  driver.run_until(from_s(2));
  (void)driver.send(refund("a", "ra", 300));
  driver.run_until_idle();
  const auto rows = driver.model().statement(driver.scheduler().now_ns(), 0, INT64_MAX);
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0].order_id, "a");
  EXPECT_FALSE(rows[0].refund);
  EXPECT_EQ(rows[2].refund_id, "ra");
  EXPECT_TRUE(rows[2].refund);
  EXPECT_EQ(rows[2].amount_minor, 300);
  EXPECT_EQ(driver.model().statement(driver.scheduler().now_ns(), 0, from_s(2)).size(), 2U)
      << "the refund completed after 2 s";
  const std::string csv = render_statement_csv(rows);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "channel_txn_id,order_id,refund_id,type,amount,currency,at_ms");
  EXPECT_NE(csv.find(",a,ra,REFUND,300,CNY,"), std::string::npos) << csv;

  // A statement request through the front door answers the same CSV for its range.
  Request download;
  download.operation = Operation::statement;
  download.to_ns = from_s(2);
  EXPECT_EQ(
      driver.send(download).answer.statement_csv,
      render_statement_csv(driver.model().statement(driver.scheduler().now_ns(), 0, from_s(2))));
}

TEST(StatementTest, DiscrepancyFaultAltersRowsReproducibly) {
  auto run = [](std::uint64_t seed) {
    ModelDriver driver(simple_wallet(), seed);
    for (int i = 0; i < 1'000; ++i)
      (void)driver.send(pay("o-" + std::to_string(i), 100));
    driver.run_until_idle();
    (void)driver.model().faults().add(testing::fault(FaultKind::statement_discrepancy, 0.1));
    return driver.model().statement(driver.scheduler().now_ns(), 0, INT64_MAX);
  };
  const auto rows = run(3);
  int wrong_amounts = 0;
  for (const StatementRow& r : rows)
    wrong_amounts += r.amount_minor != 100 ? 1 : 0;
  EXPECT_GT(wrong_amounts, 10);
  EXPECT_LT(wrong_amounts, 60);
  EXPECT_NE(rows.size(), 1'000U) << "rows dropped and doubled, plus a phantom charge";
  EXPECT_EQ(render_statement_csv(rows), render_statement_csv(run(3)))
      << "the same seed, the same statement";
}

}  // namespace
}  // namespace fusebox::sim
