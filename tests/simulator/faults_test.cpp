// Proves every request fault does what the catalogue says, within its scope and window, with
// its probability; and that the model acts them out (processed or not, charged or not).
#include "fusebox/simulator/faults.hpp"

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

TEST(FaultTableTest, NamesRoundTrip) {
  for (int k = 0; k <= static_cast<int>(kLastFaultKind); ++k) {
    const auto kind = static_cast<FaultKind>(k);
    EXPECT_EQ(parse_fault_kind(to_string(kind)), kind) << to_string(kind);
  }
  EXPECT_EQ(parse_fault_kind("meltdown"), std::nullopt);
}

TEST(FaultTableTest, ScopeAndWindow) {
  FaultTable table;
  Fault f = fault(FaultKind::http_5xx);
  f.operation = Operation::refund;
  f.node = 2;
  f.start_ns = from_s(10);
  f.end_ns = from_s(20);
  const auto id = table.add(f);
  Rng rng(1);
  EXPECT_EQ(table.for_request(from_s(15), Operation::refund, 2, rng).delivery, Delivery::http_5xx);
  EXPECT_EQ(table.for_request(from_s(15), Operation::pay, 2, rng).delivery, Delivery::normal);
  EXPECT_EQ(table.for_request(from_s(15), Operation::refund, 1, rng).delivery, Delivery::normal);
  EXPECT_EQ(table.for_request(from_s(9), Operation::refund, 2, rng).delivery, Delivery::normal);
  EXPECT_EQ(table.for_request(from_s(20), Operation::refund, 2, rng).delivery, Delivery::normal)
      << "the window's end is exclusive";
  EXPECT_TRUE(table.remove(id));
  EXPECT_FALSE(table.remove(id));
  EXPECT_EQ(table.for_request(from_s(15), Operation::refund, 2, rng).delivery, Delivery::normal);
}

TEST(FaultTableTest, RefusesFaultsPastItsBound) {
  FaultTable table;
  for (std::size_t i = 0; i < FaultTable::kMaxFaults; ++i)
    ASSERT_NE(table.add(fault(FaultKind::outage)), 0U);
  EXPECT_EQ(table.add(fault(FaultKind::outage)), 0U);
  EXPECT_EQ(table.faults().size(), FaultTable::kMaxFaults);
  EXPECT_TRUE(table.remove(1));
  EXPECT_NE(table.add(fault(FaultKind::outage)), 0U) << "room again after a removal";
}

TEST(FaultTableTest, PartialOutageHitsItsShare) {
  FaultTable table;
  (void)table.add(fault(FaultKind::outage, 0.3));
  Rng rng(11);
  int failed = 0;
  for (int i = 0; i < 10'000; ++i) {
    failed += table.for_request(0, Operation::pay, 0, rng).processed ? 0 : 1;
  }
  EXPECT_NEAR(failed, 3'000, 150);
}

TEST(FaultTableTest, FlappingFollowsPeriodAndDutyCycle) {
  FaultTable table;
  Fault f = fault(FaultKind::flapping);
  f.start_ns = from_s(100);
  f.period_ns = from_s(10);
  f.duty = 0.3;
  (void)table.add(f);
  Rng rng(1);
  auto down = [&](TimeNs t) { return !table.for_request(t, Operation::pay, 0, rng).processed; };
  EXPECT_FALSE(down(from_s(99)));
  EXPECT_TRUE(down(from_s(100)));
  EXPECT_TRUE(down(from_s(102)));
  EXPECT_FALSE(down(from_s(103)));
  EXPECT_FALSE(down(from_s(109)));
  EXPECT_TRUE(down(from_s(110)));
}

TEST(FaultTableTest, RefuseConnectionsPerNode) {
  FaultTable table;
  Fault f = fault(FaultKind::refuse_connections);
  f.node = 1;
  (void)table.add(f);
  EXPECT_TRUE(table.accepting(0, 0));
  EXPECT_FALSE(table.accepting(0, 1));
  EXPECT_TRUE(table.accepting(0, 2));
}

TEST(FaultModelTest, OutageRejectsBeforeTheChannelSeesTheRequest) {
  ModelDriver driver(simple_wallet());
  (void)driver.model().faults().add(fault(FaultKind::outage));
  const Decision d = driver.send(pay("o"));
  EXPECT_EQ(d.delivery, Delivery::http_5xx);
  EXPECT_EQ(d.answer.code, AnswerCode::system_error);
  EXPECT_TRUE(driver.model().ledger().empty()) << "no order was created";
}

TEST(FaultModelTest, AnswerLostStillChargesThePayment) {
  ChannelModelConfig config = simple_wallet();
  config.synchronous_pay = true;
  ModelDriver driver(config);
  (void)driver.model().faults().add(fault(FaultKind::answer_lost));
  const Decision d = driver.send(pay("o"));
  EXPECT_EQ(d.delivery, Delivery::black_hole);
  EXPECT_EQ(d.answer.payment.state, PaymentState::paid);
  EXPECT_EQ(driver.model().ledger().count(LedgerEvent::charged), 1U)
      << "the charge happened even though the gateway will never hear of it";
}

TEST(FaultModelTest, TransportFaultsMangleAProcessedAnswer) {
  for (const auto kind : {FaultKind::reset, FaultKind::truncated_body, FaultKind::malformed_body,
                          FaultKind::bad_signature, FaultKind::slow_dribble}) {
    ModelDriver driver(simple_wallet());
    (void)driver.model().faults().add(fault(kind));
    const Decision d = driver.send(pay("o"));
    EXPECT_NE(d.delivery, Delivery::normal) << to_string(kind);
    EXPECT_EQ(std::string(to_string(d.delivery)), std::string(to_string(kind)));
    EXPECT_EQ(driver.model().ledger().count(LedgerEvent::order_created), 1U) << to_string(kind);
  }
}

TEST(FaultModelTest, TooManyRequestsCarriesRetryAfter) {
  ModelDriver driver(simple_wallet());
  Fault f = fault(FaultKind::too_many_requests);
  f.delay_ms = Distribution::fixed(2'000);
  (void)driver.model().faults().add(f);
  const Decision d = driver.send(pay("o"));
  EXPECT_EQ(d.delivery, Delivery::too_many_requests);
  EXPECT_EQ(d.retry_after_ns, from_s(2));
  EXPECT_TRUE(driver.model().ledger().empty());
}

TEST(FaultModelTest, LatencyBrownoutAndLateAnswer) {
  ModelDriver driver(simple_wallet());  // 10 ms by default
  Fault brownout = fault(FaultKind::brownout);
  brownout.factor = 5;
  const auto b = driver.model().faults().add(brownout);
  EXPECT_EQ(driver.send(pay("a")).respond_at_ns, from_ms(50));
  driver.model().faults().remove(b);
  Fault latency = fault(FaultKind::latency);
  latency.delay_ms = Distribution::fixed(300);
  const auto l = driver.model().faults().add(latency);
  EXPECT_EQ(driver.send(pay("b")).respond_at_ns, from_ms(300));
  driver.model().faults().remove(l);
  Fault late = fault(FaultKind::late_answer);
  late.delay_ms = Distribution::fixed(30'000);
  (void)driver.model().faults().add(late);
  EXPECT_EQ(driver.send(pay("c")).respond_at_ns, from_ms(30'010));
}

TEST(FaultModelTest, DeclineFaultFailsThePaymentAtOnce) {
  ModelDriver driver(simple_wallet());
  (void)driver.model().faults().add(fault(FaultKind::decline));
  const Decision d = driver.send(pay("o"));
  EXPECT_EQ(d.answer.code, AnswerCode::declined);
  driver.run_until_idle();
  EXPECT_EQ(driver.model().ledger().count(LedgerEvent::declined), 1U);
  EXPECT_EQ(driver.model().ledger().count(LedgerEvent::charged), 0U);
}

TEST(FaultModelTest, ProcessingAnswerTurnsFinalLater) {
  ChannelModelConfig config = simple_wallet();
  config.synchronous_pay = true;
  config.notify.enabled = false;
  ModelDriver driver(config);
  Fault f = fault(FaultKind::processing);
  f.delay_ms = Distribution::fixed(5'000);
  (void)driver.model().faults().add(f);
  EXPECT_EQ(driver.send(pay("o")).answer.payment.state, PaymentState::paying);
  driver.run_until(from_s(4));
  EXPECT_EQ(driver.send(query("o")).answer.payment.state, PaymentState::paying);
  driver.run_until(from_s(6));
  EXPECT_EQ(driver.send(query("o")).answer.payment.state, PaymentState::paid);
}

TEST(FaultModelTest, QueryNotFoundForYoungOrders) {
  ModelDriver driver(simple_wallet());
  Fault f = fault(FaultKind::query_not_found);
  f.delay_ms = Distribution::fixed(3'000);
  (void)driver.model().faults().add(f);
  (void)driver.send(pay("o"));
  driver.run_until(from_s(2));
  EXPECT_EQ(driver.send(query("o")).answer.code, AnswerCode::not_found);
  driver.run_until(from_s(4));
  EXPECT_EQ(driver.send(query("o")).answer.code, AnswerCode::ok);
}

TEST(FaultModelTest, SystemErrorProcessesNothing) {
  ModelDriver driver(simple_wallet());
  (void)driver.model().faults().add(fault(FaultKind::system_error));
  EXPECT_EQ(driver.send(pay("o")).answer.code, AnswerCode::system_error);
  EXPECT_TRUE(driver.model().ledger().empty());
}

}  // namespace
}  // namespace fusebox::sim
