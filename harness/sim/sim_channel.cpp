// The simulator's side of one channel in virtual time: decode what the gateway sent with the
// family's protocol layer, let the model decide, encode the answer as the live server would.
#include "sim_channel.hpp"

#include <algorithm>
#include <variant>

#include "fusebox/common/crypto.hpp"
#include "fusebox/simulator/bank_binary.hpp"
#include "fusebox/simulator/wallet_json.hpp"
#include "fusebox/simulator/wallet_xml.hpp"

namespace fusebox::harness::simmode {

namespace {

namespace wj = sim::wallet_json;
namespace wx = sim::wallet_xml;

bool asymmetric(SignScheme scheme) {
  return scheme == SignScheme::rsa_sha256 || scheme == SignScheme::ecdsa_p256_sha256 ||
         scheme == SignScheme::ed25519;
}

PrivateKey fresh_key(SignScheme scheme) {
  return scheme == SignScheme::rsa_sha256          ? PrivateKey::generate_rsa(2048)
         : scheme == SignScheme::ecdsa_p256_sha256 ? PrivateKey::generate_ec_p256()
                                                   : PrivateKey::generate_ed25519();
}

// The HTTP reply in the family's format; which one is chosen once per call.
wj::HttpReply render(sim::Family family, const sim::Decision& decision, const MessageSigner& signer,
                     const wj::Envelope& envelope) {
  return family == sim::Family::wallet_xml ? wx::render_decision(decision, signer, envelope)
                                           : wj::render_decision(decision, signer, envelope);
}

Served from_http(wj::HttpReply reply) {
  Served served;
  served.http_status = reply.status;
  served.body = std::move(reply.body);
  for (auto& [name, value] : reply.headers) {
    if (name == "Retry-After") served.retry_after = std::move(value);
  }
  return served;
}

// --fast: the mappings the protocol layers and the gateway's codecs make between them.
sim::Operation operation(gateway::ChannelOp op) {
  switch (op) {
    case gateway::ChannelOp::query:
      return sim::Operation::query;
    case gateway::ChannelOp::refund:
      return sim::Operation::refund;
    case gateway::ChannelOp::refund_query:
      return sim::Operation::refund_query;
    case gateway::ChannelOp::close:
      return sim::Operation::close;
    case gateway::ChannelOp::pay:
      break;
  }
  return sim::Operation::pay;
}

gateway::PaymentStatus payment_status(sim::PaymentState state) {
  switch (state) {
    case sim::PaymentState::paid:
      return gateway::PaymentStatus::succeeded;
    case sim::PaymentState::failed:
      return gateway::PaymentStatus::failed;
    case sim::PaymentState::closed:
      return gateway::PaymentStatus::closed;
    case sim::PaymentState::paying:
      break;
  }
  return gateway::PaymentStatus::processing;
}

gateway::RefundStatus refund_status(sim::RefundState state) {
  switch (state) {
    case sim::RefundState::succeeded:
      return gateway::RefundStatus::succeeded;
    case sim::RefundState::failed:
      return gateway::RefundStatus::failed;
    case sim::RefundState::processing:
      break;
  }
  return gateway::RefundStatus::processing;
}

gateway::ReplyKind reply_kind(sim::AnswerCode code) {
  switch (code) {
    case sim::AnswerCode::ok:
      return gateway::ReplyKind::answered;
    case sim::AnswerCode::not_found:
      return gateway::ReplyKind::not_found;
    case sim::AnswerCode::declined:
      return gateway::ReplyKind::declined;
    case sim::AnswerCode::system_error:
      return gateway::ReplyKind::retryable;
    case sim::AnswerCode::invalid_request:
    case sim::AnswerCode::conflict:
    case sim::AnswerCode::order_not_payable:
      break;
  }
  return gateway::ReplyKind::rejected;
}

// What the codec reads out of an answer that arrived whole: a busy or unavailable channel is
// retryable, a broken body malformed, a wrong signature unverified, else the answer itself
// with the payment's and the refund's parts where the answer names them.
gateway::ChannelReply direct_reply(const sim::Decision& decision) {
  gateway::ChannelReply reply;
  switch (decision.delivery) {
    case sim::Delivery::http_5xx:
      reply.kind = gateway::ReplyKind::retryable;
      reply.code = "unavailable";
      return reply;
    case sim::Delivery::too_many_requests:
      reply.kind = gateway::ReplyKind::retryable;
      reply.code = "busy";
      reply.retry_after_ms =
          std::max<TimeNs>((decision.retry_after_ns + kNsPerS - 1) / kNsPerS, 1) * 1000;
      return reply;
    case sim::Delivery::malformed_body:
      reply.kind = gateway::ReplyKind::malformed;
      return reply;
    case sim::Delivery::bad_signature:
      reply.kind = gateway::ReplyKind::unverified;
      return reply;
    default:
      break;
  }
  const sim::Answer& answer = decision.answer;
  reply.kind = reply_kind(answer.code);
  reply.code = std::string(sim::to_string(answer.code));
  reply.message = answer.reason;
  if (!answer.payment.order_id.empty()) {
    reply.payment = payment_status(answer.payment.state);
    reply.amount_minor = answer.payment.amount_minor;
    reply.currency = answer.payment.currency;
    reply.channel_txn_id = answer.payment.channel_txn_id;
  }
  if (!answer.refund.refund_id.empty()) {
    reply.refund = refund_status(answer.refund.state);
    reply.refund_amount_minor = answer.refund.amount_minor;
  }
  return reply;
}

}  // namespace

SimChannel::SimChannel(sim::ChannelSpec spec, std::uint64_t seed, bool real_crypto)
    : spec_(std::move(spec)),
      model_(spec_.model, seed),
      secret_("fusebox-" + spec_.model.name + "-" + std::to_string(seed)),
      scheme_(spec_.sign) {
  for (const sim::Fault& fault : spec_.faults)
    (void)model_.faults().add(fault);
  if (asymmetric(scheme_) && !real_crypto) scheme_ = SignScheme::hmac_sha256;
  if (spec_.family == sim::Family::bank_binary || scheme_ == SignScheme::none) return;
  if (scheme_ == SignScheme::hmac_sha256) {
    channel_signer_ = MessageSigner::hmac(secret_);
    merchant_verifier_ = MessageVerifier::hmac(secret_);
    return;
  }
  PrivateKey channel_key = fresh_key(scheme_);
  PrivateKey merchant_key = fresh_key(scheme_);
  merchant_verifier_ = MessageVerifier::asymmetric(merchant_key.public_key(), scheme_);
  channel_public_pem_ = channel_key.public_key().to_pem();
  merchant_key_pem_ = merchant_key.to_pem();
  channel_signer_ = MessageSigner::asymmetric(std::move(channel_key), scheme_);
}

gateway::CodecKeys SimChannel::merchant_keys() const {
  gateway::CodecKeys keys;
  keys.mac_key = secret_;
  if (spec_.family == sim::Family::bank_binary || scheme_ == SignScheme::none) return keys;
  if (scheme_ == SignScheme::hmac_sha256) {
    keys.signer = MessageSigner::hmac(secret_);
    keys.verifier = MessageVerifier::hmac(secret_);
    return keys;
  }
  keys.signer = MessageSigner::asymmetric(
      PrivateKey::from_pem(merchant_key_pem_, name() + " merchant key"), scheme_);
  keys.verifier = MessageVerifier::asymmetric(
      PublicKey::from_pem(channel_public_pem_, name() + " public key"), scheme_);
  return keys;
}

Served SimChannel::serve(TimeNs now_ns, const gateway::WireRequest& request, int node,
                         sim::Effects& effects) {
  return spec_.family == sim::Family::bank_binary ? serve_bank(now_ns, request, node, effects)
                                                  : serve_wallet(now_ns, request, effects);
}

Served SimChannel::serve_wallet(TimeNs now_ns, const gateway::WireRequest& request,
                                sim::Effects& effects) {
  const wj::Envelope envelope{"", "n" + std::to_string(++nonce_), now_ns / kNsPerS};
  const bool xml = spec_.family == sim::Family::wallet_xml;
  auto parsed = xml ? wx::parse_request("POST", request.target, request.body, merchant_verifier_,
                                        channel_signer_, envelope)
                    : wj::parse_request("POST", request.target, request.body, merchant_verifier_,
                                        channel_signer_, envelope);
  if (auto* error = std::get_if<wj::HttpReply>(&parsed)) {
    Served served = from_http(std::move(*error));
    served.respond_at_ns = now_ns;
    return served;
  }
  const sim::Decision decision =
      model_.handle(now_ns, std::get<wj::ParsedRequest>(parsed).request, effects);
  Served served = from_http(render(spec_.family, decision, channel_signer_, envelope));
  served.delivery = decision.delivery;
  served.silent = decision.delivery == sim::Delivery::black_hole;
  served.respond_at_ns = std::max(decision.respond_at_ns, now_ns);
  return served;
}

// The gateway writes whole frames (length prefix first); the protocol layer reads bodies.
Served SimChannel::serve_bank(TimeNs now_ns, const gateway::WireRequest& request, int node,
                              sim::Effects& effects) {
  namespace bank = sim::bank_binary;
  const std::int64_t timestamp_s = now_ns / kNsPerS;
  constexpr std::size_t kLengthPrefixBytes = 2;  // common/framing.hpp
  const std::string_view body = std::string_view(request.body).substr(kLengthPrefixBytes);
  Served served;
  served.respond_at_ns = now_ns;
  auto decoded = bank::decode(body, secret_);
  if (auto* error = std::get_if<bank::DecodeError>(&decoded)) {
    served.body = bank::respond_error(*error, secret_, timestamp_s);
    return served;
  }
  const auto& message = std::get<bank::Message>(decoded);
  const auto parsed = bank::to_request(message, node);
  if (!parsed) {
    served.body = bank::respond_network(message, secret_, timestamp_s);
    return served;
  }
  const sim::Decision decision = model_.handle(now_ns, *parsed, effects);
  served.body = bank::respond(message, decision, secret_, timestamp_s);
  served.delivery = decision.delivery;
  served.silent = decision.delivery == sim::Delivery::black_hole;
  served.respond_at_ns = std::max(decision.respond_at_ns, now_ns);
  return served;
}

Served SimChannel::serve_direct(TimeNs now_ns, const gateway::ChannelCall& call, int node,
                                sim::Effects& effects) {
  sim::Request request;
  request.operation = operation(call.op);
  request.order_id = call.order_id;
  request.refund_id = call.refund_id;
  request.amount_minor = call.amount_minor;
  request.currency = call.currency;
  request.node = node;
  const sim::Decision decision = model_.handle(now_ns, request, effects);
  Served served;
  served.reply = direct_reply(decision);
  served.delivery = decision.delivery;
  served.silent = decision.delivery == sim::Delivery::black_hole;
  served.respond_at_ns = std::max(decision.respond_at_ns, now_ns);
  return served;
}

gateway::NotificationParse SimChannel::parse_direct(const sim::Notification& n) {
  gateway::ChannelNotification out;
  out.is_refund = n.kind == sim::NotificationKind::refund;
  out.notify_id = std::to_string(n.id);
  out.order_id = n.payment.order_id;
  out.payment = payment_status(n.payment.state);
  out.amount_minor = n.payment.amount_minor;
  out.currency = n.payment.currency;
  out.channel_txn_id = n.payment.channel_txn_id;
  if (out.is_refund) {
    out.refund_id = n.refund.refund_id;
    out.refund = refund_status(n.refund.state);
    out.refund_amount_minor = n.refund.amount_minor;
  }
  return gateway::NotificationParse{std::move(out), !n.forged, {}};
}

std::string SimChannel::render_notification(TimeNs now_ns, const sim::Notification& n) {
  const wj::Envelope envelope{"", "n" + std::to_string(++nonce_), now_ns / kNsPerS};
  return spec_.family == sim::Family::wallet_xml
             ? wx::render_notification(n, channel_signer_, envelope)
             : wj::render_notification(n, channel_signer_, envelope);
}

std::string_view SimChannel::content_type() const {
  return spec_.family == sim::Family::wallet_xml ? "application/xml" : "application/json";
}

bool SimChannel::is_ack(int status, std::string_view body) const {
  return spec_.family == sim::Family::wallet_xml ? wx::is_ack(status, body)
                                                 : wj::is_ack(status, body);
}

std::string SimChannel::statement_csv(TimeNs now_ns, TimeNs from_ns, TimeNs to_ns) {
  return sim::render_statement_csv(model_.statement(now_ns, from_ns, to_ns));
}

}  // namespace fusebox::harness::simmode
