// The split by business type at the core: a payments-role core and a refunds-role core, each
// with its own SQLite store on one file, as the two processes run them. What each polls,
// how the refunds half learns of payments, and which notifications each turns away.
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "fusebox/gateway/gateway_core.hpp"
#include "fusebox/gateway/store.hpp"

#include "core_test_support.hpp"

namespace fusebox::gateway {
namespace {

namespace fs = std::filesystem;

// One core with its own store on the shared file.
struct Half {
  std::unique_ptr<Store> store;
  std::unique_ptr<GatewayCore> core;
};

class RolesTest : public ::testing::Test {
 protected:
  RolesTest() {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("fusebox-roles-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  ~RolesTest() override {
    halves_.clear();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Nothing commits before a flush, so what one half sees of the other is decided here.
  Half& start(Role role) {
    SqliteOptions options;
    options.path = dir_ / "orders.db";
    options.role = role;
    options.max_delay_ns = 3'600 * kS;
    GatewayConfig config;
    config.channels = {wallet("a")};
    config.notify_base_url = role == Role::refunds ? "http://127.0.0.1:2" : "http://127.0.0.1:1";
    config.role = role;
    auto half = std::make_unique<Half>();
    half->store = make_sqlite_store(options);
    half->core = std::make_unique<GatewayCore>(config, *half->store);
    half->core->recover(now_);
    halves_.push_back(std::move(half));
    return *halves_.back();
  }

  // Pays through `half` and has the channel answer `status`; the payment id.
  std::string pay(Half& half, const std::string& merchant_order_id, PaymentStatus status) {
    Effects effects;
    half.core->pay(now_, ++request_, PayRequest{merchant_order_id, 1000, "CNY", "wallet", ""},
                   effects);
    EXPECT_EQ(effects.sends.size(), 1U);
    if (effects.sends.empty()) return "";
    const ChannelSend send = effects.sends.front();
    effects.clear();
    half.core->on_call_result(now_, send.id, delivered(answered(status)), effects);
    return send.call.order_id;
  }

  MerchantReply refund(Half& half, const std::string& payment_id, const std::string& merchant_id,
                       std::int64_t amount, Effects& effects) {
    half.core->refund(now_, ++request_, RefundRequest{payment_id, merchant_id, amount}, effects);
    EXPECT_FALSE(effects.replies.empty() && effects.sends.empty());
    return effects.replies.empty() ? MerchantReply{} : effects.replies.front();
  }

  std::vector<ChannelOp> polls_after(Half& half, TimeNs wait) {
    now_ += wait;
    Effects effects;
    half.core->advance(now_, effects);
    std::vector<ChannelOp> ops;
    for (const ChannelSend& send : effects.sends)
      ops.push_back(send.call.op);
    return ops;
  }

  fs::path dir_;
  std::vector<std::unique_ptr<Half>> halves_;
  TimeNs now_ = 1000 * kS;
  RequestId request_ = 0;
};

TEST_F(RolesTest, TheRefundsHalfJudgesAPaymentAsTheStoreLastShowedIt) {
  Half& payments = start(Role::payments);
  Half& refunds = start(Role::refunds);
  const std::string id = pay(payments, "m-1", PaymentStatus::processing);

  Effects effects;
  EXPECT_EQ(refund(refunds, id, "r-1", 100, effects).error->code, "NOT_FOUND")
      << "not committed yet: the refunds half cannot know it";
  payments.store->flush();
  effects.clear();
  EXPECT_EQ(refund(refunds, id, "r-1", 100, effects).error->code, "PAYMENT_NOT_REFUNDABLE")
      << "known, still PROCESSING";

  ASSERT_EQ(
      payments.core
          ->on_notification(
              now_, "a",
              NotificationParse{
                  ChannelNotification{
                      false, "n-1", id, PaymentStatus::succeeded, 1000, "CNY", "T1", "", {}, 0},
                  true, ""})
          .verdict,
      "applied");
  payments.store->flush();
  effects.clear();
  refund(refunds, id, "r-1", 400, effects);
  ASSERT_TRUE(effects.replies.empty()) << "the refund goes to the channel";
  ASSERT_EQ(effects.sends.size(), 1U);
  EXPECT_EQ(effects.sends.front().call.op, ChannelOp::refund);
  EXPECT_EQ(effects.sends.front().call.notify_url, "http://127.0.0.1:2/notify/a")
      << "the refund's notification must come back to the refunds half";

  // The refund sums are the refunds half's: the payments half shows them from the store.
  EXPECT_EQ(payments.core->payment_for_merchant(id)->refunding_minor, 0) << "not committed";
  refunds.store->flush();
  EXPECT_EQ(payments.core->payment_for_merchant(id)->refunding_minor, 400);
  EXPECT_EQ(payments.core->payment_for_merchant(id)->status, PaymentStatus::succeeded);
  EXPECT_EQ(payments.core->find_payment(id)->refunding_minor, 0) << "not the payments half's";

  // A merchant repeating its pay request sees what GET shows, the refund sums included.
  effects.clear();
  payments.core->pay(now_, ++request_, PayRequest{"m-1", 1000, "CNY", "wallet", ""}, effects);
  ASSERT_EQ(effects.replies.size(), 1U);
  ASSERT_TRUE(effects.replies.front().payment.has_value());
  EXPECT_EQ(effects.replies.front().http_status, 200);
  EXPECT_EQ(effects.replies.front().payment->payment_id, id);
  EXPECT_EQ(effects.replies.front().payment->refunding_minor, 400);
  EXPECT_TRUE(effects.sends.empty()) << "a repeat sends nothing";
}

TEST_F(RolesTest, EachHalfPollsOnlyWhatItOwnsAfterARestart) {
  {
    Half& both = start(Role::all);
    pay(both, "m-open", PaymentStatus::processing);
    const std::string paid = pay(both, "m-paid", PaymentStatus::succeeded);
    Effects effects;
    refund(both, paid, "r-open", 100, effects);
    both.store->flush();
    halves_.clear();
  }
  Half& payments = start(Role::payments);
  Half& refunds = start(Role::refunds);
  EXPECT_EQ(polls_after(payments, 6 * kS), std::vector<ChannelOp>{ChannelOp::query});
  now_ -= 6 * kS;
  EXPECT_EQ(polls_after(refunds, 6 * kS), std::vector<ChannelOp>{ChannelOp::refund_query});
  EXPECT_EQ(payments.core->refunds().size(), 0U) << "the payments half keeps no refunds";
  EXPECT_EQ(refunds.core->payments().size(), 2U) << "kept to judge refunds against";
  EXPECT_EQ(refunds.core->channels(now_).front().pending_orders, 0U);
}

TEST_F(RolesTest, ANotificationForTheOtherHalfIsNotAcknowledged) {
  Half& payments = start(Role::payments);
  Half& refunds = start(Role::refunds);
  const std::string id = pay(payments, "m-1", PaymentStatus::succeeded);
  payments.store->flush();
  Effects effects;
  refund(refunds, id, "r-1", 100, effects);
  const std::string refund_id = effects.sends.at(0).call.refund_id;

  ChannelNotification refund_done{true,  "n-r", id,        PaymentStatus::succeeded, 1000,
                                  "CNY", "T1",  refund_id, RefundStatus::succeeded,  100};
  const NotificationVerdict at_payments =
      payments.core->on_notification(now_, "a", NotificationParse{refund_done, true, ""});
  EXPECT_EQ(at_payments.verdict, "wrong_role");
  EXPECT_FALSE(at_payments.ack) << "unacknowledged: the channel retries to the right process";
  EXPECT_EQ(payments.core->metrics().notifications(0).wrong_role, 1U);

  ChannelNotification paid{false, "n-p", id, PaymentStatus::succeeded, 1000, "CNY", "T1",
                           "",    {},    0};
  EXPECT_EQ(refunds.core->on_notification(now_, "a", NotificationParse{paid, true, ""}).verdict,
            "wrong_role");
  const NotificationVerdict at_refunds =
      refunds.core->on_notification(now_, "a", NotificationParse{refund_done, true, ""});
  EXPECT_EQ(at_refunds.verdict, "applied");
  EXPECT_TRUE(at_refunds.ack);
  EXPECT_EQ(refunds.core->find_refund(refund_id)->status, RefundStatus::succeeded);
}

}  // namespace
}  // namespace fusebox::gateway
