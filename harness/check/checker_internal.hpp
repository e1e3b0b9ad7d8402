#pragma once
// The checker's insides, shared by its source files: the invariant and difference names, the
// one-pass indexes over the inputs, and the findings the rules append to. Not a public header.

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fusebox/common/flat_index.hpp"
#include "fusebox/harness/checker.hpp"

namespace fusebox::harness::detail {

// In the order the report lists them (also the BRIEF's numbering).
enum class Invariant : std::uint8_t {
  no_double_charge,
  no_lost_payment,
  final_states_absorbing,
  refund_bounds,
  notification_integrity,
  ledger_matches,
  closed_channel_untouched,
  idempotency,
};
inline constexpr std::array<std::string_view, 8> kInvariantNames{
    "no_double_charge",       "no_lost_payment", "final_states_absorbing",   "refund_bounds",
    "notification_integrity", "ledger_matches",  "closed_channel_untouched", "idempotency"};

enum class Difference : std::uint8_t {
  missing_at_gateway,
  missing_at_channel,
  amount_mismatch,
  refund_missing_at_gateway,
  refund_missing_at_channel,
  wrong_channel,
};
inline constexpr std::array<std::string_view, 6> kDifferenceNames{
    "missing_at_gateway",        "missing_at_channel",        "amount_mismatch",
    "refund_missing_at_gateway", "refund_missing_at_channel", "wrong_channel"};

[[nodiscard]] std::string_view name_of(Invariant invariant);
[[nodiscard]] std::string_view name_of(Difference difference);

// Groups the positions of a vector's elements by a string key, built in one pass: a
// FlatIndex from key to a dense group id, then the positions laid out group by group
// (ascending within a group). Flat arrays rather than a node-based map: at millions of
// orders, lookups are the checker's whole cost. Keys are views into the indexed vector, which
// must outlive the index. Empty keys are left out. Nothing here is iterated in hash order.
class GroupIndex {
 public:
  // `key_member` names the member to group by (a member pointer, so keys are always views into
  // the items themselves, never into temporaries).
  template <typename Item, typename Key>
  void build(const std::vector<Item>& items, Key Item::*key_member) {
    std::vector<std::uint32_t> group_of(items.size());
    // Room for as many keys as there are non-empty ones (most ledger rows name no refund).
    make_table(
        static_cast<std::size_t>(std::count_if(items.begin(), items.end(), [&](const Item& item) {
          return !(item.*key_member).empty();
        })));
    for (std::size_t i = 0; i < items.size(); ++i)
      group_of[i] = intern(std::string_view(items[i].*key_member));
    lay_out(group_of);
  }

  [[nodiscard]] std::span<const std::uint32_t> find(std::string_view key) const;
  [[nodiscard]] std::size_t group_count() const { return keys_.size(); }
  [[nodiscard]] std::string_view key(std::size_t group) const { return keys_[group]; }
  [[nodiscard]] std::span<const std::uint32_t> group(std::size_t group) const;

 private:
  static constexpr std::uint32_t kNone = FlatIndex::none;
  void make_table(std::size_t max_keys);
  std::uint32_t intern(std::string_view key);  // its group id, kNone for the empty key
  void lay_out(const std::vector<std::uint32_t>& group_of);
  [[nodiscard]] auto key_of() const {
    return [this](std::uint32_t group) { return keys_[group]; };
  }

  FlatIndex groups_;                    // key -> group id, the key read from keys_
  std::vector<std::string_view> keys_;  // by group id, in first-seen order
  std::vector<std::uint32_t> starts_;   // group g is members_[starts_[g], starts_[g+1])
  std::vector<std::uint32_t> members_;
};

// The inputs with every index the rules need, built once.
struct Books {
  explicit Books(const CheckInput& input);

  [[nodiscard]] const GatewayPayment* payment(std::string_view payment_id) const;
  [[nodiscard]] const GatewayRefund* refund(std::string_view refund_id) const;
  // Every seen order, from the input list and then the input source.
  void for_each_seen(const std::function<void(const SeenOrder&)>& visit) const;
  [[nodiscard]] std::vector<SeenOrder> seen_of(std::string_view merchant_order_id) const;

  const CheckInput& in;
  GroupIndex payments_by_id, payments_by_merchant;
  GroupIndex refunds_by_id, refunds_by_payment;
  GroupIndex ledger_by_order, ledger_by_refund;
  GroupIndex seen_by_merchant;
};

// One violation before listing: what the report shows, plus whose history to attach
// (a payment id, a merchant order id, or both).
struct Draft {
  Invariant invariant = Invariant::no_double_charge;
  std::string order_id, channel, message;
  std::string payment_id, merchant_order_id;
};

struct Findings {
  std::vector<Draft> drafts;
  std::array<std::size_t, kDifferenceNames.size()> differences{};

  void add(Draft draft, std::optional<Difference> difference = std::nullopt);
};

// The rules, each appending what it finds (checker_money.cpp, checker_orders.cpp).
void check_double_charge(const Books& books, Findings& findings);
void check_charges(const Books& books, Findings& findings);
void check_gateway_successes(const Books& books, Findings& findings);
void check_foreign_channels(const Books& books, Findings& findings);
void check_refunds(const Books& books, Findings& findings);
void check_refund_bounds(const Books& books, Findings& findings);
void check_merchant_orders(const Books& books, Findings& findings);
void check_seen_statuses(const Books& books, Findings& findings);
void check_closed_spans(const Books& books, Findings& findings);
void check_idempotency(const Books& books, Findings& findings);

// The history attached to a listed violation (checker_history.cpp).
[[nodiscard]] nlohmann::json history_of(const Books& books, const Draft& draft);

// Money sums that cannot wrap on hostile input.
[[nodiscard]] std::int64_t add_saturating(std::int64_t a, std::int64_t b);
// "1250 CNY"
[[nodiscard]] std::string money(std::int64_t amount, std::string_view currency);

}  // namespace fusebox::harness::detail
