#include "fusebox/gateway/types.hpp"

#include <array>

namespace fusebox::gateway {
namespace {

template <class Enum, std::size_t N>
std::optional<Enum> parse_name(std::string_view name,
                               const std::array<std::string_view, N>& names) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 4> kPaymentStatus{"PROCESSING", "SUCCEEDED", "FAILED",
                                                         "CLOSED"};
constexpr std::array<std::string_view, 3> kRefundStatus{"PROCESSING", "SUCCEEDED", "FAILED"};
constexpr std::array<std::string_view, 2> kMethod{"wallet", "bank"};
constexpr std::array<std::string_view, 3> kFamily{"wallet-json", "wallet-xml", "bank-binary"};
constexpr std::array<std::string_view, kChannelOpCount> kChannelOp{"pay", "query", "refund",
                                                                   "refund_query", "close"};
constexpr std::array<std::string_view, 3> kRole{"all", "payments", "refunds"};

}  // namespace

std::string_view to_string(PaymentStatus status) {
  return kPaymentStatus.at(static_cast<std::size_t>(status));
}
std::string_view to_string(RefundStatus status) {
  return kRefundStatus.at(static_cast<std::size_t>(status));
}
std::string_view to_string(Method method) { return kMethod.at(static_cast<std::size_t>(method)); }
std::string_view to_string(Family family) { return kFamily.at(static_cast<std::size_t>(family)); }
std::string_view to_string(ChannelOp op) { return kChannelOp.at(static_cast<std::size_t>(op)); }
std::string_view to_string(Role role) { return kRole.at(static_cast<std::size_t>(role)); }

std::optional<PaymentStatus> parse_payment_status(std::string_view name) {
  return parse_name<PaymentStatus>(name, kPaymentStatus);
}
std::optional<RefundStatus> parse_refund_status(std::string_view name) {
  return parse_name<RefundStatus>(name, kRefundStatus);
}
std::optional<Method> parse_method(std::string_view name) {
  return parse_name<Method>(name, kMethod);
}
std::optional<Family> parse_family(std::string_view name) {
  return parse_name<Family>(name, kFamily);
}
std::optional<Role> parse_role(std::string_view name) { return parse_name<Role>(name, kRole); }

std::string_view to_string(Transport transport) {
  switch (transport) {
    case Transport::delivered:
      return "delivered";
    case Transport::not_sent:
      return "not_sent";
    case Transport::timeout:
      return "timeout";
    case Transport::broken:
      return "broken";
  }
  return "unknown";
}

}  // namespace fusebox::gateway
