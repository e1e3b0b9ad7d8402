// The gateway's decision core on a virtual clock, no sockets: routing and safe switching,
// idempotency, refund bounds, every notification case, the poller, reconciliation, bulkheads,
// the breaker in the loop, recovery and alerts.
#include <map>

#include <gtest/gtest.h>

#include "fusebox/gateway/gateway_core.hpp"

#include "core_test_support.hpp"

namespace fusebox::gateway {
namespace {

CallOutcome transport(Transport t) { return CallOutcome{t, {}, 100 * kMs}; }

class CoreTest : public ::testing::Test {
 protected:
  void make(std::vector<ChannelSettings> channels) {
    GatewayConfig config;
    config.channels = std::move(channels);
    config.notify_base_url = "http://127.0.0.1:1";
    config.alerts.push_back(
        AlertRule{"low-success", "", AlertRule::Kind::success_rate_below, 0.9, 5 * kS, 4});
    core_ = std::make_unique<GatewayCore>(config, *store_);
  }

  // Pays and returns the send the core made (none if it answered at once).
  std::optional<ChannelSend> pay(const std::string& id, std::int64_t amount = 1000,
                                 const std::string& channel = "") {
    effects_.clear();
    core_->pay(now_, ++request_, PayRequest{id, amount, "CNY", "wallet", channel}, effects_);
    return single_send();
  }

  std::optional<ChannelSend> single_send() {
    EXPECT_LE(effects_.sends.size(), 1u);
    if (effects_.sends.empty()) return std::nullopt;
    return effects_.sends.front();
  }

  // Delivers `outcome` for `send`; returns the reply to the merchant, if any.
  std::optional<MerchantReply> result(const ChannelSend& send, const CallOutcome& outcome) {
    effects_.clear();
    core_->on_call_result(now_, send.id, outcome, effects_);
    if (effects_.replies.empty()) return std::nullopt;
    return effects_.replies.front();
  }

  NotificationVerdict notify(const std::string& channel, const std::string& order,
                             PaymentStatus status, bool verified = true,
                             std::int64_t amount = 1000) {
    ChannelNotification n;
    n.notify_id = "N-" + order;
    n.order_id = order;
    n.payment = status;
    n.amount_minor = amount;
    n.currency = "CNY";
    n.channel_txn_id = "TX-" + order;
    return core_->on_notification(now_, channel, NotificationParse{n, verified, ""});
  }

  std::vector<ChannelSend> advance_to(TimeNs t) {
    now_ = t;
    effects_.clear();
    core_->advance(now_, effects_);
    return effects_.sends;
  }

  const Payment& payment(const std::string& id) { return *core_->find_payment(id); }

  std::unique_ptr<Store> store_ = make_memory_store();
  std::unique_ptr<GatewayCore> core_;
  Effects effects_;
  TimeNs now_ = 1000 * kS;
  RequestId request_ = 0;
};

TEST_F(CoreTest, PayAnsweredPayingThenNotifiedPaid) {
  make({wallet("a")});
  const auto send = pay("m-1");
  ASSERT_TRUE(send);
  EXPECT_EQ(send->channel, "a");
  EXPECT_EQ(send->call.op, ChannelOp::pay);
  EXPECT_EQ(send->call.notify_url, "http://127.0.0.1:1/notify/a");
  const auto reply = result(*send, delivered(answered(PaymentStatus::processing)));
  ASSERT_TRUE(reply && reply->payment);
  EXPECT_EQ(reply->payment->status, PaymentStatus::processing);
  const std::string id = reply->payment->payment_id;

  EXPECT_EQ(notify("a", id, PaymentStatus::succeeded).verdict, "applied");
  EXPECT_EQ(payment(id).status, PaymentStatus::succeeded);
  EXPECT_EQ(payment(id).channel_txn_id, "TX-" + id);
  const auto again = notify("a", id, PaymentStatus::succeeded);
  EXPECT_EQ(again.verdict, "duplicate");
  EXPECT_TRUE(again.ack);
  // A contradicting final notification changes nothing and goes to a human.
  EXPECT_EQ(notify("a", id, PaymentStatus::failed).verdict, "conflict");
  EXPECT_EQ(payment(id).status, PaymentStatus::succeeded);
  ASSERT_EQ(core_->manual_review().size(), 1u);
  EXPECT_EQ(core_->manual_review()[0].reason, "final_state_conflict");
}

TEST_F(CoreTest, ForgedMismatchedAndUnknownNotificationsChangeNothing) {
  make({wallet("a"), wallet("b")});
  const auto send = pay("m-1");
  const std::string id = send->call.order_id;
  (void)result(*send, delivered(answered(PaymentStatus::processing)));

  EXPECT_EQ(notify("a", id, PaymentStatus::succeeded, /*verified=*/false).verdict, "forged");
  EXPECT_FALSE(notify("a", id, PaymentStatus::succeeded, false).ack);
  EXPECT_EQ(notify("a", id, PaymentStatus::succeeded, true, 999).verdict, "mismatch");
  EXPECT_EQ(notify("a", "P999999999999", PaymentStatus::succeeded).verdict, "unknown_order");
  EXPECT_EQ(notify("b", id, PaymentStatus::succeeded).verdict, "unknown_order");  // wrong channel
  EXPECT_EQ(
      core_->on_notification(now_, "a", NotificationParse{std::nullopt, false, "bad"}).verdict,
      "malformed");
  EXPECT_EQ(payment(id).status, PaymentStatus::processing);
  const NotificationCounters& counted = core_->metrics().notifications(0);
  EXPECT_EQ(counted.forged, 2u);
  EXPECT_EQ(counted.mismatch, 1u);
  EXPECT_EQ(counted.unknown_order, 1u);
  EXPECT_EQ(counted.malformed, 1u);
}

TEST_F(CoreTest, IdempotentByMerchantOrderId) {
  make({wallet("a")});
  const auto send = pay("m-1");
  (void)result(*send, delivered(answered(PaymentStatus::succeeded)));
  EXPECT_FALSE(pay("m-1"));  // answered from state, nothing sent
  ASSERT_EQ(effects_.replies.size(), 1u);
  EXPECT_EQ(effects_.replies[0].payment->payment_id, send->call.order_id);
  EXPECT_EQ(effects_.replies[0].payment->status, PaymentStatus::succeeded);
  EXPECT_FALSE(pay("m-1", 2000));
  ASSERT_TRUE(effects_.replies[0].error);
  EXPECT_EQ(effects_.replies[0].http_status, 409);
  EXPECT_EQ(effects_.replies[0].error->field, "merchant_order_id");
  EXPECT_EQ(core_->payments().size(), 1u);
}

TEST_F(CoreTest, BadInputNamesTheField) {
  make({wallet("a")});
  const std::vector<std::pair<PayRequest, std::string>> cases{
      {{"", 1, "CNY", "wallet", ""}, "merchant_order_id"},
      {{"has space", 1, "CNY", "wallet", ""}, "merchant_order_id"},
      {{"m", 0, "CNY", "wallet", ""}, "amount"},
      {{"m", -5, "CNY", "wallet", ""}, "amount"},
      {{"m", 1'000'000'000'000'000, "CNY", "wallet", ""}, "amount"},
      {{"m", 1, "XXX", "wallet", ""}, "currency"},
      {{"m", 1, "CNY", "card", ""}, "method"},
      {{"m", 1, "CNY", "wallet", "nope"}, "channel"},
  };
  for (const auto& [body, field] : cases) {
    effects_.clear();
    core_->pay(now_, 1, body, effects_);
    ASSERT_EQ(effects_.replies.size(), 1u);
    ASSERT_TRUE(effects_.replies[0].error) << field;
    EXPECT_EQ(effects_.replies[0].error->field, field);
    EXPECT_EQ(effects_.replies[0].http_status, 400);
    EXPECT_TRUE(effects_.sends.empty());
  }
  EXPECT_TRUE(core_->payments().empty());  // nothing stored for a rejected request
}

TEST_F(CoreTest, SmoothWeightedRoundRobinWithinPriority) {
  make({wallet("a", 0, 3), wallet("b", 0, 1), wallet("c", 1, 100)});
  std::map<std::string, int> counts;
  for (int i = 0; i < 400; ++i) {
    const auto send = pay("m-" + std::to_string(i));
    ++counts[send->channel];
    (void)result(*send, delivered(answered(PaymentStatus::succeeded)));
  }
  EXPECT_EQ(counts["a"], 300);
  EXPECT_EQ(counts["b"], 100);
  EXPECT_EQ(counts["c"], 0);  // lower priority: only when the first ones cannot take it
}

TEST_F(CoreTest, SwitchesChannelOnlyWhenTheAttemptNeverLeft) {
  make({wallet("a", 0), wallet("b", 1)});
  const auto first = pay("m-1");
  ASSERT_EQ(first->channel, "a");
  effects_.clear();
  core_->on_call_result(now_, first->id, transport(Transport::not_sent), effects_);
  ASSERT_EQ(effects_.sends.size(), 1u);  // provably never reached a: b is safe
  EXPECT_EQ(effects_.sends[0].channel, "b");
  EXPECT_EQ(effects_.sends[0].call.order_id, first->call.order_id);

  const auto second = pay("m-2");
  ASSERT_EQ(second->channel, "a");
  const auto reply = result(*second, transport(Transport::timeout));
  ASSERT_TRUE(reply && reply->payment);
  EXPECT_EQ(reply->payment->status, PaymentStatus::processing);  // ambiguous: stays on a
  EXPECT_EQ(reply->payment->channel, "a");
  EXPECT_TRUE(effects_.sends.empty());
}

TEST_F(CoreTest, AllChannelsRefusingFailsFastWithoutCharging) {
  make({wallet("a")});
  const auto send = pay("m-1");
  const auto reply = result(*send, transport(Transport::not_sent));
  ASSERT_TRUE(reply && reply->payment);
  EXPECT_EQ(reply->payment->status, PaymentStatus::failed);
  EXPECT_EQ(reply->payment->failure_code, "CHANNEL_UNAVAILABLE");
}

// A channel that answered "busy" was reached: the merchant sees a channel error, not a
// fail-fast rejection, though nothing was charged.
TEST_F(CoreTest, AChannelThatAnsweredRetryableWithNoOtherToTakeItIsAChannelError) {
  make({wallet("a")});
  const auto send = pay("m-1");
  ChannelReply busy;
  busy.kind = ReplyKind::retryable;
  busy.code = "SYSTEM_ERROR";
  const auto reply = result(*send, CallOutcome{Transport::delivered, busy, 1'000'000});
  ASSERT_TRUE(reply && reply->payment);
  EXPECT_EQ(reply->payment->status, PaymentStatus::failed);
  EXPECT_EQ(reply->payment->failure_code, "CHANNEL_ERROR");
}

TEST_F(CoreTest, BreakerOpensOnFailuresAndTrafficMovesToTheHealthyChannel) {
  make({wallet("a", 0), wallet("b", 1)});
  for (int i = 0; i < 4; ++i) {
    const auto send = pay("m-" + std::to_string(i));
    ASSERT_EQ(send->channel, "a");
    (void)result(*send, transport(Transport::timeout));
  }
  const auto views = core_->channels(now_);
  EXPECT_EQ(views[0].payments_breaker.state, BreakerState::open);
  const auto next = pay("m-next");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->channel, "b");  // a's breaker rejected it: never left, b is safe
  EXPECT_EQ(core_->metrics()
                .counters(0, ChannelOp::pay)
                .calls[static_cast<std::size_t>(CallKind::breaker_rejected)],
            1u);
  ASSERT_FALSE(core_->breaker_events().empty());
  EXPECT_EQ(core_->breaker_events()[0].channel, "a");
  EXPECT_EQ(core_->breaker_events()[0].event.to, BreakerState::open);
}

TEST_F(CoreTest, SwitchedOffChannelAndMethodReceiveNothing) {
  make({wallet("a", 0), wallet("b", 1)});
  ASSERT_TRUE(core_->set_channel_enabled(now_, "a", false));
  EXPECT_EQ(pay("m-1")->channel, "b");
  core_->set_method_enabled(now_, Method::wallet, false);
  EXPECT_FALSE(pay("m-2"));
  ASSERT_EQ(effects_.replies.size(), 1u);
  EXPECT_EQ(effects_.replies[0].payment->failure_code, "METHOD_DISABLED");
  EXPECT_FALSE(core_->set_channel_enabled(now_, "zz", false));
}

TEST_F(CoreTest, BulkheadQueuesThenRejectsAndTheQueuedCallExpires) {
  auto a = wallet("a", 0);
  a.bulkhead(ChannelOp::pay) = BulkheadConfig{1, 1};
  a.timeout_ns = 2 * kS;
  make({a, wallet("b", 1)});
  const auto first = pay("m-1");
  EXPECT_EQ(first->channel, "a");
  EXPECT_FALSE(pay("m-2"));  // queued behind the first
  EXPECT_TRUE(effects_.replies.empty());
  const auto third = pay("m-3");
  EXPECT_EQ(third->channel, "b");  // a's bulkhead is full: never left, b is safe
  // The queued one waits past its timeout and moves on to b as well.
  const auto moved = advance_to(now_ + 3 * kS);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].channel, "b");
  // The first answers; nothing queued is left for a.
  EXPECT_TRUE(result(*first, delivered(answered(PaymentStatus::succeeded))));
  EXPECT_TRUE(effects_.sends.empty());
}

TEST_F(CoreTest, APollingBacklogCannotTakeTheSlotsPayNeeds) {
  auto a = wallet("a");
  a.bulkhead(ChannelOp::query) = BulkheadConfig{1, 0};
  a.bulkhead(ChannelOp::pay) = BulkheadConfig{1, 0};
  make({a});
  for (const char* id : {"m-1", "m-2"}) {
    const auto send = pay(id);
    (void)result(*send, delivered(answered(PaymentStatus::processing)));
  }
  const auto polls = advance_to(core_->next_wakeup());
  ASSERT_EQ(polls.size(), 1u);  // the second poll found the query bulkhead full
  EXPECT_EQ(core_->channels(now_)[0].in_flight[static_cast<std::size_t>(ChannelOp::query)], 1u);
  const auto send = pay("m-3");  // pay has its own slot
  ASSERT_TRUE(send);
  EXPECT_EQ(send->call.op, ChannelOp::pay);
}

TEST_F(CoreTest, RefundsNeverExceedThePaidAmountCountingInFlight) {
  make({wallet("a")});
  const auto send = pay("m-1", 1000);
  const std::string id = send->call.order_id;
  (void)result(*send, delivered(answered(PaymentStatus::succeeded)));

  effects_.clear();
  core_->refund(now_, 10, RefundRequest{id, "r-1", 600}, effects_);
  ASSERT_EQ(effects_.sends.size(), 1u);
  const ChannelSend refund_send = effects_.sends[0];
  EXPECT_EQ(refund_send.call.op, ChannelOp::refund);

  effects_.clear();
  core_->refund(now_, 11, RefundRequest{id, "r-2", 500}, effects_);  // 600 in flight + 500
  ASSERT_EQ(effects_.replies.size(), 1u);
  EXPECT_EQ(effects_.replies[0].http_status, 422);
  EXPECT_EQ(effects_.replies[0].error->field, "amount");

  ChannelReply accepted;
  accepted.kind = ReplyKind::answered;
  accepted.refund = RefundStatus::succeeded;
  const auto reply = result(refund_send, delivered(accepted));
  ASSERT_TRUE(reply && reply->refund);
  EXPECT_EQ(reply->refund->status, RefundStatus::succeeded);
  EXPECT_EQ(payment(id).refunded_minor, 600);
  EXPECT_EQ(payment(id).refunding_minor, 0);

  effects_.clear();
  core_->refund(now_, 12, RefundRequest{id, "r-1", 600}, effects_);  // same key, same body
  ASSERT_EQ(effects_.replies.size(), 1u);
  EXPECT_EQ(effects_.replies[0].refund->status, RefundStatus::succeeded);
  core_->refund(now_, 13, RefundRequest{id, "r-1", 300}, effects_);  // same key, other body
  EXPECT_EQ(effects_.replies.back().http_status, 409);
  core_->refund(now_, 14, RefundRequest{id, "r-3", 400}, effects_);  // exactly what is left
  EXPECT_EQ(effects_.sends.size(), 1u);
}

// Refund rates are running counts; they must say what a walk over every refund says: among
// refunds at least a window old, those that succeeded within it. Refunds here end at seeded
// times over ten days: at once, hours or days later, failed, or never. (A call answered later
// holds its bulkhead slot until then, as a slow channel's would.)
TEST_F(CoreTest, RefundRatesAreWhatAWalkOverEveryRefundSays) {
  constexpr std::uint64_t kSeed = 7;
  make({wallet("a")});
  const auto send = pay("m-1", 1'000'000);
  const std::string id = send->call.order_id;
  (void)result(*send, delivered(answered(PaymentStatus::succeeded, 1'000'000)));
  const auto walk = [&](TimeNs now) {
    constexpr TimeNs kDay = 24LL * 3600 * kS;
    RefundRates rates;
    for (const Refund& refund : core_->refunds()) {
      const Refund* r = &refund;
      for (auto [window, span] :
           {std::pair{&rates.same_day, kDay}, std::pair{&rates.next_day, 2 * kDay},
            std::pair{&rates.seven_day, 7 * kDay}}) {
        if (now - r->created_ns < span) continue;
        ++window->judged;
        if (r->status == RefundStatus::succeeded && r->updated_ns - r->created_ns <= span) {
          ++window->succeeded;
        }
      }
    }
    return rates;
  };
  std::multimap<TimeNs, std::pair<ChannelSend, RefundStatus>> endings;
  std::uint64_t x = kSeed;
  const auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  const TimeNs start = now_;
  for (int step = 0; step < 240; ++step) {
    const TimeNs t = start + step * 3600 * kS;
    while (!endings.empty() && endings.begin()->first <= t) {
      now_ = endings.begin()->first;
      ChannelReply ended;
      ended.kind = ReplyKind::answered;
      ended.refund = endings.begin()->second.second;
      (void)result(endings.begin()->second.first, delivered(ended));
      endings.erase(endings.begin());
    }
    now_ = t;
    effects_.clear();
    core_->refund(now_, ++request_, RefundRequest{id, "r-" + std::to_string(step), 10}, effects_);
    ASSERT_EQ(effects_.sends.size(), 1u) << "step " << step << ": "
                                         << (effects_.replies.empty() || !effects_.replies[0].error
                                                 ? "no error"
                                                 : effects_.replies[0].error->message);
    const std::uint64_t pick = next() % 5;
    // Mostly within three days (around the same-day and next-day edges), some up to nine.
    const std::uint64_t hours = next() % 2 == 0 ? next() % (3 * 24) : next() % (9 * 24);
    const TimeNs after = static_cast<TimeNs>(hours) * 3600 * kS;
    // The call's answer says where the refund ends: succeeded at once or later, failed later,
    // or processing (and nothing more: it never ends).
    const RefundStatus ends = pick == 2   ? RefundStatus::failed
                              : pick >= 3 ? RefundStatus::processing
                                          : RefundStatus::succeeded;
    endings.emplace(t + (pick == 0 || pick >= 3 ? 0 : after), std::pair{effects_.sends[0], ends});
    // Read only now and then (as rarely scraped), so some refunds end between crossing a
    // window's edge and being judged: they are late, and must count as such.
    if (step % 30 != 29) continue;
    const RefundRates got = core_->refund_rates(now_);
    const RefundRates want = walk(now_);
    for (auto [g, w] :
         {std::pair{got.same_day, want.same_day}, std::pair{got.next_day, want.next_day},
          std::pair{got.seven_day, want.seven_day}}) {
      ASSERT_EQ(g.judged, w.judged) << "seed " << kSeed << ", step " << step;
      ASSERT_EQ(g.succeeded, w.succeeded) << "seed " << kSeed << ", step " << step;
    }
  }
  EXPECT_GT(core_->refund_rates(now_).seven_day.judged, 50u);
  EXPECT_GT(core_->refund_rates(now_).seven_day.succeeded, 10u);
}

TEST_F(CoreTest, PollerFollowsTheScheduleAndRecoversALostNotification) {
  make({wallet("a")});
  const auto send = pay("m-1");
  const std::string id = send->call.order_id;
  const TimeNs sent = now_;
  (void)result(*send, delivered(answered(PaymentStatus::processing)));
  EXPECT_EQ(core_->next_wakeup(), sent + 5 * kS);
  EXPECT_TRUE(advance_to(sent + 4 * kS).empty());
  auto polls = advance_to(sent + 5 * kS);
  ASSERT_EQ(polls.size(), 1u);
  EXPECT_EQ(polls[0].call.op, ChannelOp::query);
  (void)result(polls[0], delivered(answered(PaymentStatus::processing)));
  EXPECT_EQ(core_->next_wakeup(), sent + 15 * kS);  // then 10 s later
  polls = advance_to(sent + 15 * kS);
  ASSERT_EQ(polls.size(), 1u);
  (void)result(polls[0], delivered(answered(PaymentStatus::succeeded)));
  EXPECT_EQ(payment(id).status, PaymentStatus::succeeded);
  EXPECT_TRUE(advance_to(sent + 3600 * kS).empty());  // settled: no more polls
}

TEST_F(CoreTest, PollingPausesWhileTheBreakerIsOpen) {
  make({wallet("a")});
  const auto send = pay("m-1");
  (void)result(*send, delivered(answered(PaymentStatus::processing)));
  ASSERT_TRUE(core_->force_breaker(now_, "a", ForceMode::forced_open));
  const TimeNs due = core_->next_wakeup();
  EXPECT_TRUE(advance_to(due).empty());
  EXPECT_TRUE(advance_to(due + 10 * kS).empty());
  ASSERT_TRUE(core_->force_breaker(now_, "a", ForceMode::none));
  const auto polls = advance_to(core_->next_wakeup());
  ASSERT_EQ(polls.size(), 1u);  // resumed where it paused
  EXPECT_EQ(polls[0].call.op, ChannelOp::query);
}

TEST_F(CoreTest, AnOrderTheChannelNeverSawIsClosedThenFailed) {
  make({wallet("a")});
  const auto send = pay("m-1");
  const std::string id = send->call.order_id;
  const TimeNs sent = now_;
  (void)result(*send, transport(Transport::timeout));  // a black hole
  ChannelReply not_found;
  not_found.kind = ReplyKind::not_found;
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {
    std::vector<ChannelSend> sends = advance_to(core_->next_wakeup());
    while (!sends.empty()) {  // answer everything, including what the answers send
      const ChannelSend s = sends.back();
      sends.pop_back();
      if (s.call.op == ChannelOp::close) {
        closed = true;
        EXPECT_GE(now_ - sent, 120 * kS);  // not before unknown_fail_after
      }
      (void)result(s, delivered(not_found));
      sends.insert(sends.end(), effects_.sends.begin(), effects_.sends.end());
    }
  }
  ASSERT_TRUE(closed);
  EXPECT_EQ(payment(id).status, PaymentStatus::failed);
  EXPECT_EQ(payment(id).failure_code, "NOT_AT_CHANNEL");
}

TEST_F(CoreTest, StatementReconciliationFixesWhatIsSafeAndListsTheRest) {
  make({wallet("a")});
  const auto s1 = pay("m-1");
  (void)result(*s1, transport(Transport::timeout));  // processing
  const auto s2 = pay("m-2");
  (void)result(*s2, delivered(answered(PaymentStatus::succeeded)));
  const auto s3 = pay("m-3");
  (void)result(*s3, delivered(answered(PaymentStatus::succeeded)));
  const std::vector<StatementRow> rows{
      {"TXA", s1->call.order_id, "", false, 1000, "CNY", 1},
      {"TXB", s2->call.order_id, "", false, 999, "CNY", 2},
      {"TXC", "P777777777777", "", false, 5, "CNY", 3},
  };
  const ReconcileReport report = core_->reconcile_statement(now_, "a", rows);
  std::map<std::string, std::string> kinds;
  for (const auto& d : report.differences)
    kinds[d.id] = std::string(to_string(d.kind));
  EXPECT_EQ(kinds[s1->call.order_id], "fixed_succeeded");
  EXPECT_EQ(kinds[s2->call.order_id], "amount_mismatch");
  EXPECT_EQ(kinds[s3->call.order_id], "missing_at_channel");
  EXPECT_EQ(kinds["P777777777777"], "missing_at_gateway");
  EXPECT_EQ(payment(s1->call.order_id).status, PaymentStatus::succeeded);
  EXPECT_EQ(payment(s2->call.order_id).status, PaymentStatus::succeeded);  // listed, not moved
}

TEST_F(CoreTest, StatementCsvParsesAndBadLinesAreNamed) {
  const auto rows = parse_statement_csv(
      "channel_txn_id,order_id,refund_id,type,amount,currency,at_ms\n"
      "T1,P1,,PAYMENT,100,CNY,5\r\nT2,P1,R1,REFUND,40,CNY,9\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[1].is_refund);
  EXPECT_EQ(rows[1].amount_minor, 40);
  try {
    (void)parse_statement_csv("h\nT1,P1,,PAYMENT,ten,CNY,5\n");
    FAIL() << "a bad amount parsed";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "statement line 2: amount: expected an integer, got \"ten\"");
  }
}

TEST_F(CoreTest, RestartRecoversProcessingOrdersIntoThePoller) {
  make({wallet("a")});
  const auto send = pay("m-1");
  const std::string id = send->call.order_id;
  (void)result(*send, transport(Transport::timeout));
  const auto done = pay("m-2");
  (void)result(*done, delivered(answered(PaymentStatus::succeeded)));
  store_->flush();

  core_.reset();
  make({wallet("a")});
  core_->recover(now_);
  ASSERT_EQ(core_->payments().size(), 2u);
  EXPECT_EQ(core_->channels(now_)[0].pending_orders, 1u);
  const auto polls = advance_to(core_->next_wakeup());
  ASSERT_EQ(polls.size(), 1u);
  EXPECT_EQ(polls[0].call.order_id, id);
  // New ids continue after the recovered ones; the idempotency index survived.
  const auto next = pay("m-3");
  EXPECT_GT(next->call.order_id, done->call.order_id);
  EXPECT_FALSE(pay("m-2"));
  EXPECT_EQ(effects_.replies[0].payment->status, PaymentStatus::succeeded);
}

// The channel a merchant named is part of the idempotency check, and the store keeps it: a
// repeat after a restart gets the same payment, and a repeat naming another channel a 409.
TEST_F(CoreTest, IdempotencyByRequestedChannelSurvivesARestart) {
  make({wallet("a"), wallet("b", 1)});
  const auto send = pay("m-1", 1000, "b");
  ASSERT_TRUE(send);
  EXPECT_EQ(send->channel, "b");
  (void)result(*send, delivered(answered(PaymentStatus::succeeded)));
  store_->flush();
  core_.reset();
  make({wallet("a"), wallet("b", 1)});
  core_->recover(now_);
  EXPECT_FALSE(pay("m-1", 1000, "b"));
  ASSERT_EQ(effects_.replies.size(), 1u);
  EXPECT_EQ(effects_.replies[0].http_status, 200);
  EXPECT_EQ(effects_.replies[0].payment->payment_id, send->call.order_id);
  EXPECT_FALSE(pay("m-1", 1000));
  ASSERT_EQ(effects_.replies.size(), 1u);
  EXPECT_EQ(effects_.replies[0].http_status, 409);
}

TEST_F(CoreTest, RestartWithAChannelNoLongerConfiguredGoesToAHumanNotACrash) {
  make({wallet("a"), wallet("gone", 1)});
  const auto send = pay("m-1", 1000, "gone");
  (void)result(*send, transport(Transport::timeout));
  store_->flush();
  core_.reset();
  make({wallet("a")});
  core_->recover(now_);
  ASSERT_EQ(core_->manual_review().size(), 1u);
  EXPECT_EQ(core_->manual_review()[0].reason, "channel_not_configured");
  EXPECT_EQ(core_->manual_review()[0].channel, "gone");
  effects_.clear();
  core_->close(now_, 7, send->call.order_id, effects_);
  ASSERT_EQ(effects_.replies.size(), 1u);
  EXPECT_EQ(effects_.replies[0].http_status, 503);
  EXPECT_TRUE(advance_to(now_ + 3600 * kS).empty());  // nothing to poll, nowhere to send
}

TEST_F(CoreTest, AlertRaisedWhenSuccessRateDropsAndClearedAfter) {
  make({wallet("a")});
  ChannelReply busy;
  busy.kind = ReplyKind::retryable;
  for (int i = 0; i < 6; ++i) {
    if (const auto send = pay("m-" + std::to_string(i))) (void)result(*send, delivered(busy));
  }
  (void)advance_to(now_ + kS);
  ASSERT_EQ(core_->metrics().alert_events().size(), 1u);
  EXPECT_TRUE(core_->metrics().alert_events()[0].firing);
  EXPECT_EQ(core_->metrics().alert_events()[0].channel, "a");
  (void)advance_to(now_ + 10 * kS);  // the window has passed with no calls
  ASSERT_EQ(core_->metrics().alert_events().size(), 2u);
  EXPECT_FALSE(core_->metrics().alert_events()[1].firing);
}

}  // namespace
}  // namespace fusebox::gateway
