#include "fusebox/simulator/model_types.hpp"

namespace fusebox::sim {

std::string_view to_string(Operation operation) {
  switch (operation) {
    case Operation::pay:
      return "pay";
    case Operation::query:
      return "query";
    case Operation::refund:
      return "refund";
    case Operation::refund_query:
      return "refund_query";
    case Operation::close:
      return "close";
    case Operation::statement:
      return "statement";
  }
  return "unknown";
}

std::string_view to_string(PaymentState state) {
  switch (state) {
    case PaymentState::paying:
      return "paying";
    case PaymentState::paid:
      return "paid";
    case PaymentState::failed:
      return "failed";
    case PaymentState::closed:
      return "closed";
  }
  return "unknown";
}

std::string_view to_string(RefundState state) {
  switch (state) {
    case RefundState::processing:
      return "processing";
    case RefundState::succeeded:
      return "succeeded";
    case RefundState::failed:
      return "failed";
  }
  return "unknown";
}

std::string_view to_string(AnswerCode code) {
  switch (code) {
    case AnswerCode::ok:
      return "ok";
    case AnswerCode::not_found:
      return "not_found";
    case AnswerCode::declined:
      return "declined";
    case AnswerCode::system_error:
      return "system_error";
    case AnswerCode::invalid_request:
      return "invalid_request";
    case AnswerCode::conflict:
      return "conflict";
    case AnswerCode::order_not_payable:
      return "order_not_payable";
  }
  return "unknown";
}

std::string_view to_string(Delivery delivery) {
  switch (delivery) {
    case Delivery::normal:
      return "normal";
    case Delivery::black_hole:
      return "black_hole";
    case Delivery::reset:
      return "reset";
    case Delivery::truncated_body:
      return "truncated_body";
    case Delivery::malformed_body:
      return "malformed_body";
    case Delivery::bad_signature:
      return "bad_signature";
    case Delivery::slow_dribble:
      return "slow_dribble";
    case Delivery::http_5xx:
      return "http_5xx";
    case Delivery::too_many_requests:
      return "too_many_requests";
  }
  return "unknown";
}

}  // namespace fusebox::sim
