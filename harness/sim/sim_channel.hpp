#pragma once
// One channel of the virtual-time world, the simulator's side: its pure model and its
// family's protocol layer, exactly as the live servers use them, minus the sockets. A request
// arrives as the bytes the gateway's codec wrote; what leaves is the bytes the live server
// would write, the instant it would write them, and how they travel (Delivery).

#include <cstdint>
#include <string>
#include <string_view>

#include "fusebox/common/signing.hpp"
#include "fusebox/gateway/channel_codec.hpp"
#include "fusebox/simulator/channel_config.hpp"
#include "fusebox/simulator/channel_model.hpp"

namespace fusebox::harness::simmode {

// What the channel sends back for one request.
struct Served {
  bool silent = false;  // black hole: nothing ever comes back
  int http_status = 0;  // HTTP families
  std::string body;     // HTTP: the body; bank: the 134-byte frame body
  std::string retry_after;
  sim::Delivery delivery = sim::Delivery::normal;
  TimeNs respond_at_ns = 0;     // when the answer leaves the channel
  gateway::ChannelReply reply;  // serve_direct only: the answer as the gateway reads it
};

class SimChannel {
 public:
  // Asymmetric schemes cost about 0.2 ms a signature: unless `real_crypto`, both sides sign
  // with HMAC-SHA256 under a secret derived from the seed instead (signatures are still made
  // and checked, so a forged notification is still caught).
  SimChannel(sim::ChannelSpec spec, std::uint64_t seed, bool real_crypto);

  [[nodiscard]] const std::string& name() const { return spec_.model.name; }
  [[nodiscard]] sim::Family family() const { return spec_.family; }
  [[nodiscard]] int nodes() const { return spec_.nodes; }
  [[nodiscard]] sim::ChannelModel& model() { return model_; }
  [[nodiscard]] const sim::ChannelModel& model() const { return model_; }
  // The keys a merchant (the gateway) holds for this channel.
  [[nodiscard]] gateway::CodecKeys merchant_keys() const;

  // Serves one request the gateway's codec encoded, received by `node` at `now_ns`.
  [[nodiscard]] Served serve(TimeNs now_ns, const gateway::WireRequest& request, int node,
                             sim::Effects& effects);
  // --fast: the same call without bytes or signatures. The model gets the call as its
  // Request; its Decision comes back as the ChannelReply the gateway's codec makes of the
  // family's answer (reply codes are the model's own names, e.g. "conflict").
  [[nodiscard]] Served serve_direct(TimeNs now_ns, const gateway::ChannelCall& call, int node,
                                    sim::Effects& effects);
  // --fast: a notification attempt as the gateway's codec parses it; a forged one does not
  // verify.
  [[nodiscard]] static gateway::NotificationParse parse_direct(const sim::Notification& n);
  // A notification attempt's body and content type, as the live notifier would POST it.
  [[nodiscard]] std::string render_notification(TimeNs now_ns, const sim::Notification& n);
  [[nodiscard]] std::string_view content_type() const;
  [[nodiscard]] bool is_ack(int status, std::string_view body) const;
  // The statement CSV for [from_ns, to_ns), as GET /control/channels/{name}/statement serves it.
  [[nodiscard]] std::string statement_csv(TimeNs now_ns, TimeNs from_ns, TimeNs to_ns);

 private:
  [[nodiscard]] Served serve_wallet(TimeNs now_ns, const gateway::WireRequest& request,
                                    sim::Effects& effects);
  [[nodiscard]] Served serve_bank(TimeNs now_ns, const gateway::WireRequest& request, int node,
                                  sim::Effects& effects);

  sim::ChannelSpec spec_;
  sim::ChannelModel model_;
  std::string secret_;
  SignScheme scheme_;
  MessageSigner channel_signer_ = MessageSigner::none();
  MessageVerifier merchant_verifier_ = MessageVerifier::none();
  // The keys the gateway gets (real crypto only), as PEM: signers are move-only.
  std::string merchant_key_pem_, channel_public_pem_;
  std::uint64_t nonce_ = 0;
};

}  // namespace fusebox::harness::simmode
