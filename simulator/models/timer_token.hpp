#pragma once
// How a channel model names its timers: the kind in the top byte, an index below.

#include <cstdint>

namespace fusebox::sim::detail {

enum class TimerKind : std::uint8_t {
  settle_payment = 1,  // the user acts on an order (or a processing payment turns final)
  expire_order,
  complete_refund,
  notification_attempt,
  notification_replay,
};

[[nodiscard]] constexpr std::uint64_t make_token(TimerKind kind, std::size_t index) {
  return (std::uint64_t{static_cast<std::uint8_t>(kind)} << 56) | index;
}
[[nodiscard]] constexpr TimerKind token_kind(std::uint64_t token) {
  return static_cast<TimerKind>(token >> 56);
}
[[nodiscard]] constexpr std::size_t token_index(std::uint64_t token) {
  return static_cast<std::size_t>(token & ((std::uint64_t{1} << 56) - 1));
}

}  // namespace fusebox::sim::detail
