// Proves the payment-consistency checker: a clean run passes, each invariant and each kind of
// difference is caught by a run built to break it, listing is capped and ordered, and the
// parsers name the field that is wrong.

#include "fusebox/harness/checker.hpp"

#include <algorithm>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace fusebox::harness {
namespace {

using nlohmann::json;

constexpr const char* kA = "wallet-a";
constexpr const char* kB = "wallet-b";

// A run's books, written as the gateway and the channels would have kept them.
struct World {
  CheckInput in;

  GatewayPayment& gateway(const std::string& id, const std::string& status,
                          const std::string& channel = kA, std::int64_t amount = 1000) {
    GatewayPayment p;
    p.payment_id = id;
    p.merchant_order_id = "M-" + id;
    p.currency = "CNY";
    p.status = status;
    p.channel = channel;
    p.amount = amount;
    p.created_ms = 1000;
    p.updated_ms = 1500;
    in.payments.push_back(p);
    return in.payments.back();
  }

  void row(const std::string& channel, const std::string& event, const std::string& order_id,
           std::int64_t at_ms, std::int64_t amount = 1000, const std::string& refund_id = "") {
    LedgerRow r;
    r.channel = channel;
    r.event = event;
    r.order_id = order_id;
    r.at_ms = at_ms;
    r.amount = amount;
    r.currency = "CNY";
    r.refund_id = refund_id;
    if (event == "charged") r.channel_txn_id = "T-" + order_id;
    in.ledger.push_back(r);
  }

  void seen(const std::string& id, std::vector<std::string> statuses) {
    in.seen.push_back(SeenOrder::of("M-" + id, {id}, statuses, 1000));
  }

  // A payment that went through: created, charged, answered SUCCEEDED.
  void paid(const std::string& id, const std::string& channel = kA, std::int64_t at_ms = 1000) {
    gateway(id, "SUCCEEDED", channel).channel_txn_id = "T-" + id;
    row(channel, "order_created", id, at_ms);
    row(channel, "charged", id, at_ms + 200);
    seen(id, {"PROCESSING", "SUCCEEDED"});
  }

  void declined(const std::string& id, const std::string& channel = kA) {
    gateway(id, "FAILED", channel).failure_code = "DECLINED";
    row(channel, "order_created", id, 1000);
    row(channel, "declined", id, 1100);
    seen(id, {"FAILED"});
  }

  void refund(const std::string& refund_id, const std::string& payment_id, std::int64_t amount,
              const std::string& status) {
    in.refunds.push_back(
        GatewayRefund{refund_id, "MR-" + refund_id, payment_id, status, amount, 2000, 2500});
  }

  // A refund that completed on both sides.
  void refunded(const std::string& refund_id, const std::string& payment_id, std::int64_t amount) {
    refund(refund_id, payment_id, amount, "SUCCEEDED");
    row(kA, "refund_accepted", payment_id, 2000, amount, refund_id);
    row(kA, "refund_succeeded", payment_id, 2400, amount, refund_id);
  }

  [[nodiscard]] CheckReport check() const { return check_invariants(in); }
};

std::size_t count_of(const CheckReport& r, const std::string& invariant) {
  return r.by_invariant.at(invariant);
}

// The run's only violation, which must be of this invariant (a copy: callers pass temporaries).
Violation only(const CheckReport& r, const std::string& invariant) {
  EXPECT_EQ(r.violation_count, 1u) << r.to_json().dump(2);
  EXPECT_EQ(r.violations.size(), 1u);
  if (r.violations.empty()) return {};
  EXPECT_EQ(r.violations.front().invariant, invariant) << r.to_json().dump(2);
  return r.violations.front();
}

World clean_world() {
  World w;
  w.paid("P1");
  w.paid("P2", kB);
  w.declined("P3");
  w.refunded("R1", "P1", 400);
  w.refunded("R2", "P1", 600);
  // Refused by wallet-b before it reached it (no ledger row there), then paid at wallet-a.
  w.paid("P4");
  w.gateway("P5", "PROCESSING");
  w.row(kA, "order_created", "P5", 1000);
  w.seen("P5", {"PROCESSING"});
  w.gateway("P6", "CLOSED");
  w.row(kA, "order_created", "P6", 1000);
  w.row(kA, "closed", "P6", 3000);
  w.seen("P6", {"PROCESSING", "CLOSED", "CLOSED"});
  return w;
}

TEST(Checker, CleanRunHasNoViolationAndEveryDifferenceAtZero) {
  const CheckReport r = clean_world().check();
  EXPECT_EQ(r.violation_count, 0u) << r.to_json().dump(2);
  EXPECT_TRUE(r.violations.empty());
  ASSERT_EQ(r.differences.size(), 6u);
  for (const auto& [kind, n] : r.differences)
    EXPECT_EQ(n, 0u) << kind;
  ASSERT_EQ(r.by_invariant.size(), 8u);
  EXPECT_EQ(r.orders_checked, 6u);
  EXPECT_EQ(r.refunds_checked, 2u);
}

TEST(Checker, ChargedAtTwoChannelsIsDoubleCharge) {
  World w;
  w.paid("P1");
  w.row(kB, "order_created", "P1", 1300);
  w.row(kB, "charged", "P1", 1400);
  const CheckReport r = w.check();
  EXPECT_EQ(count_of(r, "no_double_charge"), 1u);
  ASSERT_FALSE(r.violations.empty());
  const Violation& v = r.violations.front();
  EXPECT_EQ(v.invariant, "no_double_charge");
  EXPECT_EQ(v.order_id, "P1");
  EXPECT_EQ(v.channel, "wallet-a,wallet-b");
  EXPECT_NE(v.message.find("charged 2 times"), std::string::npos) << v.message;
  // The second charge is also at a channel the gateway does not know of.
  EXPECT_EQ(r.differences.at("wrong_channel"), 1u);
}

TEST(Checker, TwoGatewayPaymentsForOneMerchantOrderIsDoubleCharge) {
  World w;
  w.paid("P1");
  w.gateway("P2", "PROCESSING").merchant_order_id = "M-P1";
  const Violation v = only(w.check(), "no_double_charge");
  EXPECT_EQ(v.order_id, "M-P1");
  EXPECT_EQ(v.history.at("gateway").size(), 2u);
}

TEST(Checker, TwoPaymentIdsAnsweredForOneKeyIsDoubleCharge) {
  World w;
  w.paid("P1");
  w.in.seen.back().payment_ids.push_back("P9");
  const Violation v = only(w.check(), "no_double_charge");
  EXPECT_EQ(v.order_id, "M-P1");
  EXPECT_NE(v.message.find("P9"), std::string::npos) << v.message;
}

TEST(Checker, ChargeTheGatewayShowsFailedIsLostPayment) {
  World w;
  w.declined("P1");
  w.row(kA, "charged", "P1", 1200);
  const CheckReport r = w.check();
  const Violation v = only(r, "no_lost_payment");
  EXPECT_EQ(v.order_id, "P1");
  EXPECT_EQ(v.channel, kA);
  EXPECT_NE(v.message.find("FAILED (DECLINED)"), std::string::npos) << v.message;
  EXPECT_EQ(r.differences.at("missing_at_gateway"), 1u);
}

TEST(Checker, ChargeUnknownToTheGatewayIsLostPayment) {
  World w;
  w.row(kA, "order_created", "P7", 1000);
  w.row(kA, "charged", "P7", 1100);
  const CheckReport r = w.check();
  EXPECT_NE(only(r, "no_lost_payment").message.find("no payment P7"), std::string::npos);
  EXPECT_EQ(r.differences.at("missing_at_gateway"), 1u);
}

TEST(Checker, ChargeAfterSettledByIsNotYetLost) {
  World w;
  w.gateway("P1", "PROCESSING");
  w.row(kA, "order_created", "P1", 1000);
  w.row(kA, "charged", "P1", 5001);
  w.in.settled_by_ms = 5000;
  EXPECT_EQ(w.check().violation_count, 0u);
  w.in.settled_by_ms = 5001;  // inclusive
  EXPECT_EQ(w.check().differences.at("missing_at_gateway"), 1u);
}

TEST(Checker, RefundSucceededAtChannelButNotAtGatewayIsLost) {
  World w;
  w.paid("P1");
  w.refund("R1", "P1", 300, "PROCESSING");
  w.row(kA, "refund_succeeded", "P1", 2400, 300, "R1");
  const CheckReport r = w.check();
  const Violation v = only(r, "no_lost_payment");
  EXPECT_NE(v.message.find("refund R1 PROCESSING"), std::string::npos) << v.message;
  EXPECT_EQ(r.differences.at("refund_missing_at_gateway"), 1u);
  w.in.settled_by_ms = 2399;  // the refund completed after the settle instant: not yet judged
  EXPECT_EQ(w.check().violation_count, 0u);
}

TEST(Checker, FinalStatusThatChangesLaterBreaksAbsorbing) {
  World w;
  w.paid("P1");
  w.in.seen.back() =
      SeenOrder::of("M-P1", {"P1"}, {"PROCESSING", "SUCCEEDED", "PROCESSING", "SUCCEEDED"}, 1000);
  const Violation v = only(w.check(), "final_states_absorbing");
  EXPECT_EQ(v.order_id, "P1");
  EXPECT_NE(v.message.find("later PROCESSING (answer 3)"), std::string::npos) << v.message;
}

TEST(Checker, GatewayThatForgetsAFinalStatusBreaksAbsorbing) {
  World w;
  w.declined("P1");
  w.in.payments.back().status = "PROCESSING";
  const Violation v = only(w.check(), "final_states_absorbing");
  EXPECT_NE(v.message.find("now say PROCESSING"), std::string::npos) << v.message;
}

TEST(Checker, ProcessingBeforeAFinalStatusIsFine) {
  World w;
  w.paid("P1");
  w.in.seen.back() =
      SeenOrder::of("M-P1", {"P1"}, {"PROCESSING", "PROCESSING", "SUCCEEDED", "SUCCEEDED"}, 1000);
  EXPECT_EQ(w.check().violation_count, 0u);
}

TEST(Checker, GatewayRefundsBeyondTheAmountBreakRefundBounds) {
  World w;
  w.paid("P1");
  w.refunded("R1", "P1", 700);
  w.refund("R2", "P1", 400, "PROCESSING");  // 700 + 400 > 1000
  w.refund("R3", "P1", 900, "FAILED");      // failed refunds do not count
  const Violation v = only(w.check(), "refund_bounds");
  EXPECT_EQ(v.order_id, "P1");
  EXPECT_EQ(v.history.at("gateway_refunds").size(), 3u);
}

TEST(Checker, PaymentRecordRefundSumsBeyondTheAmountBreakRefundBounds) {
  World w;
  w.paid("P1");
  w.in.payments.back().refunded = 800;
  w.in.payments.back().refunding = 300;
  EXPECT_EQ(only(w.check(), "refund_bounds").order_id, "P1");
}

TEST(Checker, LedgerRefundsBeyondTheChargeBreakRefundBounds) {
  World w;
  w.paid("P1");
  // The gateway knows only of R1; the channel refunded R1 twice over.
  w.refunded("R1", "P1", 600);
  w.row(kA, "refund_succeeded", "P1", 2600, 600, "R1");
  const CheckReport r = w.check();
  EXPECT_EQ(r.violation_count, 1u) << r.to_json().dump(2);
  EXPECT_EQ(count_of(r, "refund_bounds"), 1u);
}

TEST(Checker, SuccessWithoutChargeIsMissingAtChannel) {
  World w;
  w.gateway("P1", "SUCCEEDED");
  w.row(kA, "order_created", "P1", 1000);
  w.seen("P1", {"SUCCEEDED"});
  const CheckReport r = w.check();
  const Violation v = only(r, "notification_integrity");
  EXPECT_NE(v.message.find("forged"), std::string::npos) << v.message;
  EXPECT_EQ(r.differences.at("missing_at_channel"), 1u);
}

TEST(Checker, SuccessForAnotherAmountIsAmountMismatch) {
  World w;
  w.paid("P1");
  w.in.payments.back().amount = 999;
  const CheckReport r = w.check();
  EXPECT_EQ(only(r, "notification_integrity").channel, kA);
  EXPECT_EQ(r.differences.at("amount_mismatch"), 1u);
}

TEST(Checker, SuccessInAnotherCurrencyIsAmountMismatch) {
  World w;
  w.paid("P1");
  w.in.payments.back().currency = "USD";
  EXPECT_EQ(w.check().differences.at("amount_mismatch"), 1u);
}

TEST(Checker, RefundSucceededForAnotherAmountIsAmountMismatch) {
  World w;
  w.paid("P1");
  w.refunded("R1", "P1", 300);
  w.in.refunds.back().amount = 200;
  const CheckReport r = w.check();
  EXPECT_EQ(only(r, "notification_integrity").order_id, "P1");
  EXPECT_EQ(r.differences.at("amount_mismatch"), 1u);
}

TEST(Checker, RefundSucceededWithoutChannelRefundIsMissingAtChannel) {
  World w;
  w.paid("P1");
  w.refund("R1", "P1", 300, "SUCCEEDED");
  w.row(kA, "refund_accepted", "P1", 2000, 300, "R1");
  const CheckReport r = w.check();
  EXPECT_NE(only(r, "notification_integrity").message.find("refund R1"), std::string::npos);
  EXPECT_EQ(r.differences.at("refund_missing_at_channel"), 1u);
}

TEST(Checker, ChargeAtAnotherChannelIsWrongChannel) {
  World w;
  w.gateway("P1", "SUCCEEDED", kA);
  w.row(kB, "order_created", "P1", 1000);
  w.row(kB, "charged", "P1", 1100);
  w.seen("P1", {"SUCCEEDED"});
  const CheckReport r = w.check();
  const Violation v = only(r, "ledger_matches");
  EXPECT_EQ(v.channel, kB);
  EXPECT_EQ(r.differences.at("wrong_channel"), 1u);
  EXPECT_EQ(r.differences.at("missing_at_channel"), 0u);
}

TEST(Checker, PaymentMovedAfterReachingAChannelBreaksLedgerMatch) {
  World w;
  w.paid("P1", kA);
  w.row(kB, "order_created", "P1", 900);  // reached wallet-b first
  const Violation v = only(w.check(), "ledger_matches");
  EXPECT_EQ(v.channel, kB);
  EXPECT_NE(v.message.find("moved it to wallet-a"), std::string::npos) << v.message;
}

TEST(Checker, PaymentCreatedAtAClosedChannelNamesTheReason) {
  World w;
  w.paid("P1", kA, 5000);
  w.paid("P2", kB, 5000);  // another channel: untouched by the span
  w.in.closed_spans.push_back(ClosedSpan{kA, "breaker_open", 4000, 6000});
  const Violation v = only(w.check(), "closed_channel_untouched");
  EXPECT_EQ(v.order_id, "P1");
  EXPECT_EQ(v.channel, kA);
  EXPECT_NE(v.message.find("breaker_open"), std::string::npos) << v.message;
}

TEST(Checker, ClosedSpanAllowsGraceAtItsStartAndClockSlackAtItsEnd) {
  World w;
  w.paid("P1", kA, 4249);  // inside the grace
  w.paid("P2", kA, 4250);  // first instant judged
  w.paid("P3", kA, 5998);  // within the end's slack: the two clocks' ms truncation
  w.in.closed_spans.push_back(ClosedSpan{kA, "switched_off", 4000, 6000});
  w.in.closed_span_grace_ms = 250;
  w.in.closed_span_end_slack_ms = 2;
  const CheckReport r = w.check();
  EXPECT_EQ(only(r, "closed_channel_untouched").order_id, "P2");
  w.paid("P4", kA, 5997);  // before the slack: judged
  EXPECT_EQ(w.check().violation_count, 2u);
  // Overlapping spans report a row once.
  w.in.closed_spans.push_back(ClosedSpan{kA, "breaker_open", 4000, 5000});
  EXPECT_EQ(w.check().violation_count, 2u);
}

TEST(Checker, IdempotencyBreachIsAViolation) {
  World w;
  w.paid("P1");
  w.in.idempotency_breaches.push_back(
      IdempotencyBreach{"M-P1", "another body with the same key answered 200, not 409"});
  const Violation v = only(w.check(), "idempotency");
  EXPECT_EQ(v.order_id, "M-P1");
  EXPECT_EQ(v.channel, kA);
  EXPECT_NE(v.message.find("409"), std::string::npos);
}

TEST(Checker, HistoryHoldsGatewayRecordLedgerRowsAcrossChannelsAndSeenStatuses) {
  World w;
  w.declined("P1");
  w.row(kB, "order_created", "P1", 900);
  w.row(kB, "charged", "P1", 1050);
  const CheckReport r = w.check();
  ASSERT_FALSE(r.violations.empty());
  const json& h = r.violations.front().history;
  ASSERT_EQ(h.at("gateway").size(), 1u);
  EXPECT_EQ(h.at("gateway")[0].at("status"), "FAILED");
  ASSERT_EQ(h.at("ledger").size(), 4u);
  EXPECT_EQ(h.at("ledger")[0].at("channel"), kB);  // in time order across channels
  EXPECT_EQ(h.at("ledger")[2].at("event"), "charged");
  // Statuses are folded as the run goes: count, first, first final, last.
  EXPECT_EQ(h.at("seen")[0].at("statuses"), json({{"count", 1},
                                                  {"first", "FAILED"},
                                                  {"first_final", "FAILED"},
                                                  {"first_final_answer", 1},
                                                  {"last", "FAILED"}}));
}

TEST(Checker, ListingIsCappedAndCountsEveryViolation) {
  World w;
  const std::size_t n = CheckReport::kMaxListed + 50;
  for (std::size_t i = 0; i < n; ++i) {
    w.in.idempotency_breaches.push_back(IdempotencyBreach{"M" + std::to_string(1000 + i), "x"});
  }
  const CheckReport r = w.check();
  EXPECT_EQ(r.violation_count, n);
  EXPECT_EQ(r.violations.size(), CheckReport::kMaxListed);
  EXPECT_EQ(count_of(r, "idempotency"), n);
  EXPECT_EQ(r.violations.front().order_id, "M1000");
  EXPECT_EQ(r.violations.back().order_id, "M" + std::to_string(1000 + CheckReport::kMaxListed - 1));
}

TEST(Checker, OrderIsByInvariantThenOrderIdWhateverTheInputOrder) {
  World w;
  w.paid("P2");
  w.paid("P1");
  w.in.payments[0].status = "FAILED";  // P2: lost payment
  w.in.payments[1].status = "FAILED";  // P1: lost payment
  w.in.seen.clear();
  w.in.idempotency_breaches.push_back(IdempotencyBreach{"M-P0", "x"});
  w.row(kB, "charged", "P3", 1000);  // a lost payment and a charge the gateway never had
  const json expected = w.check().to_json();
  const auto& listed = expected.at("violations");
  ASSERT_EQ(listed.size(), 4u) << expected.dump(2);
  EXPECT_EQ(listed[0].at("order_id"), "P1");
  EXPECT_EQ(listed[1].at("order_id"), "P2");
  EXPECT_EQ(listed[2].at("order_id"), "P3");
  EXPECT_EQ(listed[3].at("invariant"), "idempotency");

  const unsigned seed = 20240607;
  std::mt19937 rng(seed);
  for (int round = 0; round < 20; ++round) {
    World shuffled = w;
    std::shuffle(shuffled.in.payments.begin(), shuffled.in.payments.end(), rng);
    std::shuffle(shuffled.in.ledger.begin(), shuffled.in.ledger.end(), rng);
    EXPECT_EQ(shuffled.check().to_json(), expected) << "seed " << seed << " round " << round;
  }
}

TEST(Checker, ToJsonHasTheResultShape) {
  World w;
  w.declined("P1");
  w.row(kA, "charged", "P1", 1200);
  const json j = w.check().to_json();
  for (const char* key : {"violations", "violation_count", "differences", "orders_checked",
                          "refunds_checked", "by_invariant"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.at("violation_count"), 1);
  EXPECT_EQ(j.at("differences").size(), 6u);
  EXPECT_EQ(j.at("by_invariant").size(), 8u);
  EXPECT_EQ(j.at("by_invariant").at("no_lost_payment"), 1);
  EXPECT_EQ(j.at("by_invariant").at("idempotency"), 0);
  const json& v = j.at("violations").at(0);
  for (const char* key : {"invariant", "order_id", "channel", "message", "history"}) {
    EXPECT_TRUE(v.contains(key)) << key;
  }
  // A default report (nothing checked) still has every key.
  const json empty = CheckReport{}.to_json();
  EXPECT_EQ(empty.at("by_invariant").size(), 8u);
  EXPECT_EQ(empty.at("differences").size(), 6u);
}

TEST(Checker, ManyOrdersAreCheckedInOnePass) {
  // Big enough that a quadratic scan would blow the test timeout even in a debug build.
  World w;
  const int n = 100'000;
  w.in.payments.reserve(n);
  w.in.ledger.reserve(2 * n);
  for (int i = 0; i < n; ++i) {
    const std::string id = "P" + std::to_string(i);
    w.gateway(id, "SUCCEEDED", i % 2 == 0 ? kA : kB);
    w.row(i % 2 == 0 ? kA : kB, "order_created", id, i);
    w.row(i % 2 == 0 ? kA : kB, "charged", id, i + 5);
  }
  w.in.payments[n / 2].status = "FAILED";
  const CheckReport r = w.check();
  EXPECT_EQ(r.orders_checked, static_cast<std::size_t>(n));
  EXPECT_EQ(r.violation_count, 1u);
  EXPECT_EQ(r.differences.at("missing_at_gateway"), 1u);
}

json payment_item() {
  return {{"payment_id", "P1"},     {"merchant_order_id", "M1"}, {"amount", 1250},
          {"currency", "CNY"},      {"method", "wallet"},        {"status", "SUCCEEDED"},
          {"channel", kA},          {"channel_txn_id", "T1"},    {"refunded_amount", 100},
          {"refunding_amount", 50}, {"created_ms", 10},          {"updated_ms", 20},
          {"unknown", "ignored"}};
}

std::string error_of(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(CheckerParse, ReadsGatewayPayments) {
  const auto payments = parse_gateway_payments(json::array({payment_item()}));
  ASSERT_EQ(payments.size(), 1u);
  const GatewayPayment& p = payments[0];
  EXPECT_EQ(p.payment_id, "P1");
  EXPECT_EQ(p.amount, 1250);
  EXPECT_EQ(p.channel_txn_id, "T1");
  EXPECT_EQ(p.failure_code, "");
  EXPECT_EQ(p.refunded, 100);
  EXPECT_EQ(p.refunding, 50);
  EXPECT_EQ(p.updated_ms, 20);
}

TEST(CheckerParse, MissingOrWrongTypedPaymentFieldIsNamed) {
  json list = json::array({payment_item(), payment_item()});
  list[1].erase("refunded_amount");
  EXPECT_EQ(error_of([&] { (void)parse_gateway_payments(list); }),
            "gateway payments[1]: missing field \"refunded_amount\"");
  list[1] = payment_item();
  list[1]["amount"] = 12.5;
  EXPECT_EQ(error_of([&] { (void)parse_gateway_payments(list); }),
            "gateway payments[1]: field \"amount\": expected an integer, got 12.5");
  list[1] = payment_item();
  list[1]["failure_code"] = 7;
  EXPECT_NE(error_of([&] { (void)parse_gateway_payments(list); }).find("\"failure_code\""),
            std::string::npos);
  EXPECT_EQ(error_of([] { (void)parse_gateway_payments(json::object()); }),
            "gateway payments: expected an array, got object");
}

TEST(CheckerParse, ReadsRefundsAndNamesTheirBadField) {
  json item{{"refund_id", "R1"}, {"merchant_refund_id", "MR1"}, {"payment_id", "P1"},
            {"amount", 300},     {"status", "PROCESSING"},      {"created_ms", 1},
            {"updated_ms", 2}};
  const auto refunds = parse_gateway_refunds(json::array({item}));
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(refunds[0].amount, 300);
  EXPECT_EQ(refunds[0].status, "PROCESSING");
  item["payment_id"] = nullptr;
  EXPECT_EQ(error_of([&] { (void)parse_gateway_refunds(json::array({item})); }),
            "gateway refunds[0]: field \"payment_id\": expected a string, got null");
}

TEST(CheckerParse, LedgerRowsGetTheChannelAndTheOffset) {
  const json list = json::array({{{"at_ms", 5},
                                  {"event", "order_created"},
                                  {"order_id", "P1"},
                                  {"amount", 10},
                                  {"currency", "CNY"}},
                                 {{"at_ms", 9},
                                  {"event", "refund_succeeded"},
                                  {"order_id", "P1"},
                                  {"amount", 4},
                                  {"currency", "CNY"},
                                  {"refund_id", "R1"}}});
  const auto rows = parse_ledger("bank", list, 1'700'000'000'000);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].channel, "bank");
  EXPECT_EQ(rows[0].at_ms, 1'700'000'000'005);
  EXPECT_EQ(rows[1].refund_id, "R1");
  EXPECT_EQ(rows[1].channel_txn_id, "");
}

TEST(CheckerParse, BadLedgerRowIsNamed) {
  json row{{"at_ms", 5}, {"event", "charged"}, {"amount", 10}, {"currency", "CNY"}};
  EXPECT_EQ(error_of([&] { (void)parse_ledger("bank", json::array({row}), 0); }),
            "ledger of bank[0]: missing field \"order_id\"");
  row["order_id"] = "P1";
  row["event"] = "refunded";
  EXPECT_EQ(error_of([&] { (void)parse_ledger("bank", json::array({row}), 0); }),
            "ledger of bank[0]: field \"event\": unknown event \"refunded\"");
  row["event"] = "charged";
  row["at_ms"] = "5";
  EXPECT_EQ(error_of([&] { (void)parse_ledger("bank", json::array({row}), 0); }),
            "ledger of bank[0]: field \"at_ms\": expected an integer, got string");
}

}  // namespace
}  // namespace fusebox::harness
