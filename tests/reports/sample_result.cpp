#include "sample_result.hpp"

#include <string>

namespace fusebox::reports::testing {
namespace {

using nlohmann::json;

constexpr int kSeconds = 30;
constexpr int kFaultFrom = 10;
constexpr int kFaultTo = 20;
constexpr int kSwitchOffFrom = 22;
constexpr int kSwitchOffTo = 25;

bool in_fault(int t) { return t >= kFaultFrom && t < kFaultTo; }

json wallet_series() {
  json series = {
      {"sent", json::array()},     {"ok", json::array()},     {"declined", json::array()},
      {"rejected", json::array()}, {"failed", json::array()}, {"errors", json::array()},
      {"p50_ms", json::array()},   {"p99_ms", json::array()}, {"success_rate", json::array()},
      {"breaker", json::array()},  {"pending", json::array()}};
  for (int t = 0; t < kSeconds; ++t) {
    series["sent"].push_back(50);
    series["ok"].push_back(49);
    series["declined"].push_back(1);
    series["rejected"].push_back(0);
    series["failed"].push_back(0);
    series["errors"].push_back(0);
    series["p50_ms"].push_back(12.5 + (t % 3));
    series["p99_ms"].push_back(t == 0 ? json(nullptr) : json(48.0 + t));
    series["success_rate"].push_back(0.98);
    series["breaker"].push_back(t == 0 ? json(nullptr) : json("closed"));
    series["pending"].push_back(3 + (t % 4));
  }
  return series;
}

std::string bank_breaker(int t) {
  if (t < kFaultFrom + 2) return "closed";
  if (t < kFaultTo) return "open";
  if (t < kFaultTo + 2) return "half_open";
  return t >= kSwitchOffFrom && t < kSwitchOffTo ? "switched_off" : "closed";
}

json bank_series() {
  json series = wallet_series();
  for (int t = 0; t < kSeconds; ++t) {
    const auto i = static_cast<std::size_t>(t);
    const bool open = bank_breaker(t) == "open";
    series["ok"][i] = in_fault(t) ? 0 : 50;
    series["declined"][i] = 0;
    series["rejected"][i] = open ? 50 : 0;
    series["errors"][i] = in_fault(t) && !open ? 50 : 0;
    series["p50_ms"][i] = open ? json(nullptr) : json(20.0);
    series["p99_ms"][i] = open ? json(nullptr) : json(in_fault(t) ? 3000.0 : 60.0);
    series["success_rate"][i] = in_fault(t) ? 0.0 : 1.0;
    series["breaker"][i] = bank_breaker(t);
    series["pending"][i] = in_fault(t) ? 40 + t : 2;
  }
  return series;
}

json overall_series(const json& wallet, const json& bank) {
  json overall;
  for (const char* key : {"sent", "ok", "rejected", "errors"}) {
    overall[key] = json::array();
    for (std::size_t i = 0; i < kSeconds; ++i) {
      overall[key].push_back(wallet[key][i].get<int>() + bank[key][i].get<int>());
    }
  }
  overall["p50_ms"] = wallet["p50_ms"];
  overall["p99_ms"] = bank["p99_ms"];
  return overall;
}

json timeline() {
  json t_s = json::array();
  for (int t = 0; t < kSeconds; ++t)
    t_s.push_back(t);
  const json wallet = wallet_series();
  const json bank = bank_series();
  return {{"t_s", t_s},
          {"overall", overall_series(wallet, bank)},
          {"channels", {{"bank-a", bank}, {"wallet-json", wallet}}}};
}

json assertions() {
  return json::array(
      {{{"name", "wallet unaffected"},
        {"kind", "isolation"},
        {"window", "fault bank-outage"},
        {"passed", true},
        {"expected", "success rate >= 0.970"},
        {"observed", "0.980 (490 of 500)"},
        {"detail", ""}},
       {{"name", "bank breaker opens fast"},
        {"kind", "breaker_opens"},
        {"window", "fault bank-outage"},
        {"passed", true},
        {"expected", "<= 3.0 s"},
        {"observed", "2.0 s"},
        {"detail", ""}},
       {{"name", "every order settled"},
        {"kind", "settled"},
        {"window", "fault end + 5 s"},
        {"passed", false},
        {"expected", "0 unsettled"},
        {"observed", "2 unsettled"},
        {"detail", "orders final at the channel still PROCESSING: pay-17, pay-23"}}});
}

json checker() {
  return {{"violations",
           json::array({{{"invariant", "no_lost_payment"},
                         {"order_id", "pay-17"},
                         {"channel", "bank-a"},
                         {"message", "charged at the channel, PROCESSING at the gateway"},
                         {"history",
                          {{"gateway", {{"status", "PROCESSING"}, {"amount", 1200}}},
                           {"ledger", json::array({{{"event", "charge"}, {"at_ms", 15200}}})},
                           {"seen", json::array({"PROCESSING"})}}}},
                        {{"invariant", "ledger_matches"},
                         {"order_id", "pay-23"},
                         {"channel", "bank-a"},
                         {"message", "missing_at_gateway"},
                         {"history", {{"ledger", json::array({{{"event", "charge"}}})}}}}})},
          {"violation_count", 2},
          {"differences",
           {{"missing_at_gateway", 1},
            {"missing_at_channel", 0},
            {"amount_mismatch", 0},
            {"refund_missing_at_gateway", 0},
            {"refund_missing_at_channel", 0},
            {"wrong_channel", 0}}},
          {"orders_checked", 3000},
          {"refunds_checked", 40},
          {"by_invariant",
           {{"no_double_charge", 0},
            {"no_lost_payment", 1},
            {"final_states_absorbing", 0},
            {"refund_bounds", 0},
            {"notification_integrity", 0},
            {"ledger_matches", 1},
            {"closed_channel_untouched", 0},
            {"idempotency", 0}}}};
}

json channel_summary(int requests, int ok, int rejected, int errors, double p99_ms, int trips) {
  return {{"requests", requests},
          {"ok", ok},
          {"declined", requests - ok - rejected - errors},
          {"rejected", rejected},
          {"failed", 0},
          {"refused", 0},
          {"errors", errors},
          {"timeouts", errors / 2},
          {"success_rate", static_cast<double>(ok) / requests},
          {"latency_ms",
           {{"count", requests - rejected}, {"p50", 14.0}, {"p99", p99_ms}, {"max", p99_ms * 2}}},
          {"breaker_trips", trips}};
}

}  // namespace

json sample_result() {
  return {
      {"schema", "fusebox.result/1"},
      {"scenario", "channel-outage-isolation"},
      {"description", "A bank channel goes down for 10 s; the wallet channel must not notice."},
      {"file", "scenarios/channel-outage-isolation.json"},
      {"mode", "live"},
      {"seed", 42},
      {"time_scale", 1.0},
      {"passed", false},
      {"interrupted", false},
      {"duration_s", 25.0},
      {"settle_s", 5.0},
      {"started_at", "2026-12-01T00:00:00Z"},
      {"wall_s", 41.2},
      {"replay", "fusebox run scenarios/channel-outage-isolation.json --seed 42"},
      {"assertions", assertions()},
      {"checker", checker()},
      {"load",
       {{"planned", 3000},
        {"sent", 3000},
        {"late", 2},
        {"answered", 2990},
        {"timeouts", 10},
        {"errors", 0},
        {"outcomes",
         {{"ok", 2470},
          {"declined", 30},
          {"rejected", 400},
          {"failed", 0},
          {"refused", 0},
          {"http_error", 90},
          {"transport_error", 0},
          {"timeout", 10}}},
        {"achieved_tps", 99.7},
        {"planned_tps", 100.0},
        {"lateness_ms",
         {{"count", 3000}, {"p50", 0.1}, {"p90", 0.3}, {"p99", 1.2}, {"p999", 4.0}, {"max", 9.5}}},
        {"latency_ms",
         {{"count", 2990},
          {"p50", 14.2},
          {"p90", 40.1},
          {"p99", 250.0},
          {"p999", 2900.0},
          {"max", 3010.5}}}}},
      {"channels",
       {{"bank-a", channel_summary(1500, 1000, 400, 100, 2950.0, 1)},
        {"wallet-json", channel_summary(1500, 1470, 0, 0, 60.0, 0)}}},
      {"faults", json::array({{{"name", "bank-outage"},
                               {"channel", "bank-a"},
                               {"kind", "outage"},
                               {"from_s", kFaultFrom},
                               {"to_s", kFaultTo}}})},
      {"actions", json::array({{{"name", "operator switch-off"},
                                {"action", "switch_off"},
                                {"channel", "bank-a"},
                                {"from_s", kSwitchOffFrom},
                                {"to_s", kSwitchOffTo}}})},
      {"timeline", timeline()},
      {"breaker_events", json::array({{{"channel", "bank-a"},
                                       {"path", "payments"},
                                       {"from", "closed"},
                                       {"to", "open"},
                                       {"reason", "failure rate 100% >= 50%"},
                                       {"t_s", 12.0}},
                                      {{"channel", "bank-a"},
                                       {"path", "payments"},
                                       {"from", "open"},
                                       {"to", "half_open"},
                                       {"reason", "open interval elapsed"},
                                       {"t_s", 20.0}},
                                      {{"channel", "bank-a"},
                                       {"path", "payments"},
                                       {"from", "half_open"},
                                       {"to", "closed"},
                                       {"reason", "probes succeeded"},
                                       {"t_s", 22.0}}})},
      {"alerts", json::array({{{"rule", "success_rate_below_0.9_over_5s"},
                               {"channel", "bank-a"},
                               {"firing", true},
                               {"value", 0.0},
                               {"t_s", 15.0}},
                              {{"rule", "success_rate_below_0.9_over_5s"},
                               {"channel", "bank-a"},
                               {"firing", false},
                               {"value", 0.96},
                               {"t_s", 26.0}}})},
      {"problems", json::array({"GET /admin/breakers failed at t=7 s: timeout"})}};
}

json sample_capacity_result() {
  json result = sample_result();
  json steps = json::array();
  for (int tps = 100; tps <= 600; tps += 100) {
    const bool held = tps <= 400;
    json step = {{"tps", tps},
                 {"achieved_tps", held ? tps * 0.995 : 400.0 + (tps - 400) * 0.2},
                 {"p50_ms", 10.0 + tps / 50.0},
                 {"p99_ms", held ? 40.0 + tps / 10.0 : 900.0 * (tps - 400) / 100.0},
                 {"success_rate", held ? 0.999 : 0.9},
                 {"passed", held},
                 {"broken", held ? json::array() : json::array({"p99 under 200 ms"})},
                 {"worst_channel", held ? "" : "bank-a"}};
    steps.push_back(step);
  }
  result["capacity"] = {
      {"steps", steps},
      {"max_tps_held", 400},
      {"first_broken", {{"assertion", "p99 under 200 ms"}, {"channel", "bank-a"}, {"tps", 500}}},
      {"knee_tps", 400},
      {"forecast_tps", 320},
      {"headroom", 1.25}};
  return result;
}

}  // namespace fusebox::reports::testing
