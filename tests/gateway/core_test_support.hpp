#pragma once
// What the core's tests share: a wallet channel with a quick breaker, and channel answers.
#include <string>
#include <utility>

#include "fusebox/gateway/gateway_core.hpp"

namespace fusebox::gateway {

constexpr TimeNs kMs = 1'000'000;
constexpr TimeNs kS = 1'000'000'000;

inline ChannelSettings wallet(const std::string& name, int priority = 0, std::uint32_t weight = 1) {
  ChannelSettings c;
  c.name = name;
  c.family = Family::wallet_json;
  c.method = Method::wallet;
  c.priority = priority;
  c.weight = weight;
  c.breaker.minimum_calls = 4;
  c.breaker.failure_rate = 0.5;
  c.breaker.window_ns = 10 * kS;
  c.breaker.open_ns = 5 * kS;
  c.breaker.probes_to_close = 1;
  c.breaker.half_open_probes = 1;
  return c;
}

inline ChannelReply answered(PaymentStatus status, std::int64_t amount = 1000,
                             std::string txn = "T1") {
  ChannelReply r;
  r.kind = ReplyKind::answered;
  r.payment = status;
  r.amount_minor = amount;
  r.currency = "CNY";
  if (status == PaymentStatus::succeeded) r.channel_txn_id = std::move(txn);
  return r;
}

inline CallOutcome delivered(ChannelReply reply, TimeNs latency = 10 * kMs) {
  return CallOutcome{Transport::delivered, std::move(reply), latency};
}

}  // namespace fusebox::gateway
