// What the core keeps in memory (GatewayConfig::retain_final_ns): open orders always; a
// final one until its retention has passed and the store holds its last change; after that
// every path that asks for it (a repeat pay or refund, a GET, a late notification, a refund
// of an old payment, reconciliation, the lists) reads it back from the store.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "fusebox/gateway/gateway_core.hpp"

#include "core_test_support.hpp"

namespace fusebox::gateway {
namespace {

class ResidencyTest : public ::testing::Test {
 protected:
  void make(std::optional<TimeNs> retain_final_ns) {
    GatewayConfig config;
    config.channels = {wallet("a")};
    config.notify_base_url = "http://127.0.0.1:1";
    config.retain_final_ns = retain_final_ns;
    core_ = std::make_unique<GatewayCore>(config, *store_);
  }

  std::optional<ChannelSend> pay(const std::string& id, std::int64_t amount = 1000) {
    effects_.clear();
    core_->pay(now_, ++request_, PayRequest{id, amount, "CNY", "wallet", ""}, effects_);
    EXPECT_LE(effects_.sends.size(), 1u);
    if (effects_.sends.empty()) return std::nullopt;
    return effects_.sends.front();
  }

  std::optional<ChannelSend> refund(const std::string& payment_id, const std::string& id,
                                    std::int64_t amount) {
    effects_.clear();
    core_->refund(now_, ++request_, RefundRequest{payment_id, id, amount}, effects_);
    if (effects_.sends.empty()) return std::nullopt;
    return effects_.sends.front();
  }

  MerchantReply answer(const ChannelSend& send, ChannelReply reply) {
    effects_.clear();
    core_->on_call_result(now_, send.id, delivered(std::move(reply)), effects_);
    EXPECT_EQ(effects_.replies.size(), 1u);
    return effects_.replies.empty() ? MerchantReply{} : effects_.replies.front();
  }

  // A paid payment's id.
  std::string paid(const std::string& merchant_id, std::int64_t amount = 1000) {
    const auto send = pay(merchant_id, amount);
    EXPECT_TRUE(send);
    if (!send) return {};
    (void)answer(*send, answered(PaymentStatus::succeeded, amount));
    return send->call.order_id;
  }

  void advance_by(TimeNs by) {
    now_ += by;
    effects_.clear();
    core_->advance(now_, effects_);
  }

  NotificationVerdict notify(const std::string& order, PaymentStatus status) {
    ChannelNotification n;
    n.notify_id = "N-" + order;
    n.order_id = order;
    n.payment = status;
    n.amount_minor = 1000;
    n.currency = "CNY";
    n.channel_txn_id = "TX-" + order;
    return core_->on_notification(now_, "a", NotificationParse{n, true, ""});
  }

  [[nodiscard]] bool in_memory(const std::string& payment_id) const {
    return core_->find_payment(payment_id) != nullptr;
  }

  std::unique_ptr<Store> store_ = make_memory_store();
  std::unique_ptr<GatewayCore> core_;
  Effects effects_;
  TimeNs now_ = 1000 * kS;
  RequestId request_ = 0;
};

ChannelReply refund_answer(RefundStatus status) {
  ChannelReply reply;
  reply.kind = ReplyKind::answered;
  reply.refund = status;
  return reply;
}

TEST_F(ResidencyTest, WithoutARetentionEveryOrderStays) {
  make(std::nullopt);
  const std::string id = paid("m-1");
  advance_by(3600 * kS);
  EXPECT_TRUE(in_memory(id));
}

TEST_F(ResidencyTest, AFinalPaymentLeavesAfterItsRetentionAndEveryPathReadsItBack) {
  make(10 * kS);
  const std::string id = paid("m-1");
  advance_by(5 * kS);
  EXPECT_TRUE(in_memory(id)) << "within its retention";
  advance_by(6 * kS);
  EXPECT_FALSE(in_memory(id));
  // The views read the store.
  ASSERT_TRUE(core_->payment_for_merchant(id));
  EXPECT_EQ(core_->payment_for_merchant(id)->status, PaymentStatus::succeeded);
  ASSERT_EQ(core_->payments().size(), 1u);
  EXPECT_EQ(core_->payments()[0].payment_id, id);
  EXPECT_FALSE(core_->payment_for_merchant("P999999999999"));

  // A repeat is answered from the store, and the order is kept again for a while.
  EXPECT_FALSE(pay("m-1"));
  ASSERT_EQ(effects_.replies.size(), 1u);
  EXPECT_EQ(effects_.replies[0].http_status, 200);
  EXPECT_EQ(effects_.replies[0].payment->payment_id, id);
  EXPECT_EQ(effects_.replies[0].payment->status, PaymentStatus::succeeded);
  EXPECT_TRUE(in_memory(id));
  advance_by(11 * kS);
  EXPECT_FALSE(in_memory(id));
  EXPECT_FALSE(pay("m-1", 2000));
  EXPECT_EQ(effects_.replies[0].http_status, 409) << "a different body is still a conflict";

  // Late notifications find it: a duplicate, or a contradiction for a human.
  advance_by(11 * kS);
  EXPECT_EQ(notify(id, PaymentStatus::succeeded).verdict, "duplicate");
  EXPECT_EQ(notify(id, PaymentStatus::failed).verdict, "conflict");
  EXPECT_EQ(core_->payment_for_merchant(id)->status, PaymentStatus::succeeded);

  // New payments after orders have left get new ids, never an old one again.
  const std::string next = paid("m-2");
  EXPECT_GT(next, id);
}

// Only ids that left memory send a lookup to the store: new merchant order ids (every pay's
// idempotency check) and unknown ids are answered from the filter of departed ids.
TEST_F(ResidencyTest, OnlyIdsThatLeftMemoryAreLookedForInTheStore) {
  make(10 * kS);
  const std::string id = paid("m-1");
  const std::string refunded = paid("m-2");
  ASSERT_TRUE(refund(refunded, "r-1", 500));
  advance_by(11 * kS);
  ASSERT_FALSE(in_memory(id));
  ASSERT_EQ(core_->residency().store_reads, 0u);
  ASSERT_GT(core_->residency().departed_filter_bytes, 0u);

  for (int i = 0; i < 1000; ++i)
    ASSERT_FALSE(paid("fresh-" + std::to_string(i)).empty()) << "a new order goes to its channel";
  EXPECT_FALSE(core_->payment_for_merchant("P999999999999"));
  EXPECT_FALSE(core_->find_refund("R999999999999"));
  EXPECT_FALSE(refund("P999999999999", "r-unknown", 1));
  // A false "maybe" is allowed (about one in 200 per id), a read for each new id is not.
  EXPECT_LE(core_->residency().store_reads, 20u);

  const std::uint64_t before = core_->residency().store_reads;
  EXPECT_FALSE(pay("m-1"));  // the repeat is answered from the store
  ASSERT_EQ(effects_.replies.size(), 1u);
  EXPECT_EQ(effects_.replies[0].payment->payment_id, id);
  EXPECT_EQ(core_->residency().store_reads, before + 1);
}

TEST_F(ResidencyTest, RefundsOfAPaymentThatLeftKeepTheirBoundsAndIdempotency) {
  make(10 * kS);
  const std::string id = paid("m-1");
  advance_by(11 * kS);
  ASSERT_FALSE(in_memory(id));

  const auto first = refund(id, "r-1", 600);
  ASSERT_TRUE(first) << "a refund of a payment read back from the store";
  EXPECT_EQ(first->call.op, ChannelOp::refund);
  EXPECT_EQ(first->channel, "a");
  const std::string refund_id = first->call.refund_id;
  const MerchantReply done = answer(*first, refund_answer(RefundStatus::succeeded));
  ASSERT_TRUE(done.refund);
  EXPECT_EQ(done.refund->status, RefundStatus::succeeded);

  advance_by(11 * kS);
  EXPECT_FALSE(in_memory(id));
  ASSERT_TRUE(core_->find_refund(refund_id));
  EXPECT_EQ(core_->find_refund(refund_id)->status, RefundStatus::succeeded);
  EXPECT_EQ(core_->payment_for_merchant(id)->refunded_minor, 600);
  ASSERT_EQ(core_->refunds().size(), 1u);

  EXPECT_FALSE(refund(id, "r-1", 600));  // same key, same body: the same refund
  ASSERT_EQ(effects_.replies.size(), 1u);
  ASSERT_TRUE(effects_.replies[0].refund);
  EXPECT_EQ(effects_.replies[0].refund->refund_id, refund_id);
  advance_by(11 * kS);
  EXPECT_FALSE(refund(id, "r-1", 300));
  EXPECT_EQ(effects_.replies[0].http_status, 409);
  advance_by(11 * kS);
  EXPECT_FALSE(refund(id, "r-2", 500)) << "only 400 is left of 1000";
  EXPECT_EQ(effects_.replies[0].http_status, 422);
  EXPECT_EQ(effects_.replies[0].error->code, "REFUND_EXCEEDS_PAYMENT");
  EXPECT_TRUE(refund(id, "r-3", 400));
}

TEST_F(ResidencyTest, OpenOrdersAndOrdersStillAwaitedStay) {
  make(0);
  // PROCESSING after an ambiguous timeout: it stays, and the poller keeps asking.
  const auto open = pay("m-open");
  ASSERT_TRUE(open);
  effects_.clear();
  core_->on_call_result(now_, open->id, CallOutcome{Transport::timeout, {}, kS}, effects_);
  advance_by(3600 * kS);
  EXPECT_TRUE(in_memory(open->call.order_id));

  // Final by notification while its pay call is still out: it stays until the answer.
  const auto racing = pay("m-race");
  ASSERT_TRUE(racing);
  EXPECT_EQ(notify(racing->call.order_id, PaymentStatus::succeeded).verdict, "applied");
  advance_by(kS);
  EXPECT_TRUE(in_memory(racing->call.order_id));
  EXPECT_EQ(answer(*racing, answered(PaymentStatus::succeeded)).payment->status,
            PaymentStatus::succeeded);
  advance_by(kS);
  EXPECT_FALSE(in_memory(racing->call.order_id));

  // Final by notification while our close is out: it stays until the close is answered.
  const auto closing = pay("m-close");
  ASSERT_TRUE(closing);
  effects_.clear();
  core_->on_call_result(now_, closing->id, CallOutcome{Transport::timeout, {}, kS}, effects_);
  effects_.clear();
  core_->close(now_, ++request_, closing->call.order_id, effects_);
  ASSERT_EQ(effects_.sends.size(), 1u);
  const ChannelSend close_send = effects_.sends[0];
  EXPECT_EQ(notify(closing->call.order_id, PaymentStatus::succeeded).verdict, "applied");
  advance_by(kS);
  EXPECT_TRUE(in_memory(closing->call.order_id));
  (void)answer(close_send, answered(PaymentStatus::succeeded));
  advance_by(kS);
  EXPECT_FALSE(in_memory(closing->call.order_id));

  // A paid payment with a refund in flight stays until the refund ends.
  const std::string id = paid("m-refunded");
  const auto pending = refund(id, "r-1", 100);
  ASSERT_TRUE(pending);
  advance_by(kS);
  EXPECT_TRUE(in_memory(id));
  // Nothing is looked at again on every pass while it waits (a refund may take days): the
  // refund's end retires the payment again.
  advance_by(kS);
  EXPECT_EQ(core_->residency().retiring, 0u);
  (void)answer(*pending, refund_answer(RefundStatus::succeeded));
  advance_by(kS);
  EXPECT_FALSE(in_memory(id));
  EXPECT_EQ(core_->payment_for_merchant(id)->refunded_minor, 100);
}

// Statement reconciliation compares every order on the channel, not only those in memory:
// a SUCCEEDED payment that left and is missing from the statement is still found.
TEST_F(ResidencyTest, ReconciliationSeesOrdersThatLeftMemory) {
  make(0);
  const std::string id = paid("m-1");
  advance_by(kS);
  ASSERT_FALSE(in_memory(id));
  const ReconcileReport report = core_->reconcile_statement(now_, "a", {});
  ASSERT_EQ(report.differences.size(), 1u);
  EXPECT_EQ(report.differences[0].kind, DifferenceKind::missing_at_channel);
  EXPECT_EQ(report.differences[0].id, id);
}

// Refund rates are judged from marks kept apart from the refunds, so refunds leaving memory
// change none of them.
TEST_F(ResidencyTest, RefundRatesAreTheSameWhetherRefundsStayOrLeave) {
  const auto rates_after_a_week = [this](std::optional<TimeNs> retain) {
    core_.reset();
    store_ = make_memory_store();
    now_ = 1000 * kS;
    make(retain);
    const std::string id = paid("m-1", 100'000);
    // Ends: at once, after 2 hours, after 30 hours, after 3 days, failed, never.
    const TimeNs hour = 3600 * kS;
    const std::vector<std::pair<TimeNs, RefundStatus>> ends{
        {0, RefundStatus::succeeded},         {2 * hour, RefundStatus::succeeded},
        {30 * hour, RefundStatus::succeeded}, {72 * hour, RefundStatus::succeeded},
        {hour, RefundStatus::failed},         {-1, RefundStatus::processing}};
    std::vector<std::pair<TimeNs, ChannelSend>> due;
    for (std::size_t i = 0; i < ends.size(); ++i) {
      const auto send = refund(id, "r-" + std::to_string(i), 10);
      EXPECT_TRUE(send);
      if (send && ends[i].first >= 0) due.emplace_back(now_ + ends[i].first, *send);
    }
    std::vector<RefundRates> seen;
    for (int h = 0; h <= 8 * 24; ++h) {
      for (auto& [at, send] : due) {
        if (at != now_) continue;
        const auto index = static_cast<std::size_t>(std::stoul(send.call.refund_id.substr(1))) - 1;
        (void)answer(send, refund_answer(ends[index].second));
      }
      if (h % 12 == 0) seen.push_back(core_->refund_rates(now_));
      advance_by(hour);
    }
    return seen;
  };
  const std::vector<RefundRates> kept = rates_after_a_week(std::nullopt);
  const std::vector<RefundRates> left = rates_after_a_week(0);
  ASSERT_EQ(kept.size(), left.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i].same_day.judged, left[i].same_day.judged) << "reading " << i;
    EXPECT_EQ(kept[i].same_day.succeeded, left[i].same_day.succeeded) << "reading " << i;
    EXPECT_EQ(kept[i].next_day.succeeded, left[i].next_day.succeeded) << "reading " << i;
    EXPECT_EQ(kept[i].seven_day.judged, left[i].seven_day.judged) << "reading " << i;
    EXPECT_EQ(kept[i].seven_day.succeeded, left[i].seven_day.succeeded) << "reading " << i;
  }
  // After 8 days all six are judged in every window: 2 within a day, 3 within two, 4 within 7.
  EXPECT_EQ(left.back().same_day.judged, 6u);
  EXPECT_EQ(left.back().same_day.succeeded, 2u);
  EXPECT_EQ(left.back().next_day.succeeded, 3u);
  EXPECT_EQ(left.back().seven_day.succeeded, 4u);
}

// A store that refused a write may lack a row: nothing leaves memory from then on, and
// nothing queues up waiting to.
TEST_F(ResidencyTest, AStoreThatRefusedAWriteKeepsEveryOrderInMemory) {
  Payment taken;
  taken.payment_id = "X-1";
  taken.merchant_order_id = "m-taken";
  store_->save(taken);
  taken.payment_id = "X-2";
  store_->save(taken);  // refused: the merchant id belongs to X-1
  ASSERT_EQ(store_->stats().rejected, 1u);
  make(0);
  const std::string id = paid("m-1");
  advance_by(kS);
  EXPECT_TRUE(in_memory(id));
  EXPECT_EQ(core_->residency().retiring, 0u);
  EXPECT_EQ(core_->residency().evicted, 0u);
}

// Nothing leaves memory before the store holds it: with SQLite's commit held back, a final
// payment stays; once the queue is committed it goes, and is read back from the file.
TEST_F(ResidencyTest, NothingLeavesBeforeTheStoreHoldsItsLastChange) {
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "fusebox-residency-test.db";
  std::filesystem::remove(path);
  SqliteOptions options;
  options.path = path;
  options.max_delay_ns = 3600 * kS;  // nothing commits on its own during the test
  store_ = make_sqlite_store(options);
  make(0);
  const std::string id = paid("m-1");
  advance_by(kS);
  EXPECT_TRUE(in_memory(id)) << "its row is still queued";
  store_->flush();
  advance_by(kS);
  EXPECT_FALSE(in_memory(id));
  EXPECT_FALSE(pay("m-1"));
  ASSERT_EQ(effects_.replies.size(), 1u);
  EXPECT_EQ(effects_.replies[0].payment->payment_id, id);
  core_.reset();
  store_.reset();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace fusebox::gateway
