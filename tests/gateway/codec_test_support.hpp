#pragma once
// Keys and helpers shared by the codec tests: both ends of each signing scheme (the gateway's
// CodecKeys and the simulator's signer and verifier), with RSA keys made once per process
// because generating them is slow.

#include <memory>
#include <string>
#include <string_view>

#include "fusebox/common/crypto.hpp"
#include "fusebox/common/signing.hpp"
#include "fusebox/gateway/channel_codec.hpp"
#include "fusebox/simulator/model_types.hpp"

namespace fusebox::gateway::testing {

inline constexpr std::string_view kMerchantId = "m-1";
inline constexpr std::string_view kMerchantSecret = "merchant hmac secret";
inline constexpr std::string_view kChannelSecret = "channel hmac secret";
inline constexpr TimeNs kNow = 1'700'000'000 * kNsPerS + 250 * kNsPerMs;

struct RsaKeys {
  std::string merchant_pem;
  std::string channel_pem;
};

inline const RsaKeys& rsa_keys() {
  static const RsaKeys keys{PrivateKey::generate_rsa(2048).to_pem(),
                            PrivateKey::generate_rsa(2048).to_pem()};
  return keys;
}

inline MessageSigner signer_from(std::string_view pem_or_secret, SignScheme scheme) {
  if (scheme == SignScheme::none) return MessageSigner::none();
  if (scheme == SignScheme::hmac_sha256) return MessageSigner::hmac(std::string(pem_or_secret));
  return MessageSigner::asymmetric(PrivateKey::from_pem(pem_or_secret, "test key"), scheme);
}

inline MessageVerifier verifier_from(std::string_view pem_or_secret, SignScheme scheme) {
  if (scheme == SignScheme::none) return MessageVerifier::none();
  if (scheme == SignScheme::hmac_sha256) return MessageVerifier::hmac(std::string(pem_or_secret));
  return MessageVerifier::asymmetric(PrivateKey::from_pem(pem_or_secret, "test key").public_key(),
                                     scheme);
}

inline std::string_view merchant_secret(SignScheme scheme) {
  return scheme == SignScheme::rsa_sha256 ? std::string_view(rsa_keys().merchant_pem)
                                          : kMerchantSecret;
}
inline std::string_view channel_secret(SignScheme scheme) {
  return scheme == SignScheme::rsa_sha256 ? std::string_view(rsa_keys().channel_pem)
                                          : kChannelSecret;
}

// The gateway's keys: it signs as the merchant and verifies the channel.
inline CodecKeys gateway_keys(SignScheme scheme) {
  CodecKeys keys;
  keys.merchant_id = std::string(kMerchantId);
  keys.signer = signer_from(merchant_secret(scheme), scheme);
  keys.verifier = verifier_from(channel_secret(scheme), scheme);
  keys.mac_key = "bank mac key";
  return keys;
}
// The simulator's side of the same pair.
inline MessageVerifier sim_merchant_verifier(SignScheme scheme) {
  return verifier_from(merchant_secret(scheme), scheme);
}
inline MessageSigner sim_channel_signer(SignScheme scheme) {
  return signer_from(channel_secret(scheme), scheme);
}
// A key of the right scheme that is not the channel's.
inline MessageSigner impostor_signer(SignScheme scheme) {
  return signer_from(merchant_secret(scheme), scheme);
}

inline ChannelCall call_for(ChannelOp op) {
  ChannelCall call;
  call.op = op;
  call.order_id = "o-1";
  if (op == ChannelOp::refund || op == ChannelOp::refund_query) call.refund_id = "r-1";
  call.amount_minor = op == ChannelOp::refund ? 300 : 1'250;
  call.currency = "CNY";
  if (op == ChannelOp::pay) call.notify_url = "http://127.0.0.1:9/notify";
  return call;
}

inline EncodeContext context() { return EncodeContext{kNow, 42, 123'456}; }

inline sim::Operation sim_operation(ChannelOp op) {
  switch (op) {
    case ChannelOp::pay:
      return sim::Operation::pay;
    case ChannelOp::query:
      return sim::Operation::query;
    case ChannelOp::refund:
      return sim::Operation::refund;
    case ChannelOp::refund_query:
      return sim::Operation::refund_query;
    case ChannelOp::close:
      return sim::Operation::close;
  }
  return sim::Operation::statement;
}

inline sim::PaymentView payment_view(sim::PaymentState state, std::string order_id = "o-1") {
  sim::PaymentView view;
  view.order_id = std::move(order_id);
  view.state = state;
  view.amount_minor = 1'250;
  view.currency = "CNY";
  if (state == sim::PaymentState::paid) {
    view.channel_txn_id = "TXN000000042";
    view.paid_at_ns = 5 * kNsPerS;
  }
  return view;
}

inline sim::RefundView refund_view(sim::RefundState state, std::string refund_id = "r-1") {
  sim::RefundView view;
  view.order_id = "o-1";
  view.refund_id = std::move(refund_id);
  view.state = state;
  view.amount_minor = 300;
  return view;
}

// A decision as the model would make it: the answer to `op`, delivered normally.
inline sim::Decision decision(sim::AnswerCode code, ChannelOp op,
                              sim::PaymentState state = sim::PaymentState::paying,
                              sim::RefundState refund = sim::RefundState::processing) {
  sim::Decision d;
  d.answer.code = code;
  d.answer.reason = code == sim::AnswerCode::ok ? "" : "because";
  if (code != sim::AnswerCode::not_found) {
    d.answer.payment = payment_view(state);
    if (op == ChannelOp::refund || op == ChannelOp::refund_query) {
      d.answer.refund = refund_view(refund);
    }
  }
  return d;
}

}  // namespace fusebox::gateway::testing
