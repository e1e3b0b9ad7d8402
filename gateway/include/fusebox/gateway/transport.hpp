#pragma once
// The channel framework's execution half: per-channel connection pools that carry encoded
// requests to a channel and bring back what it answered, with a per-request timeout. One
// implementation per transport: keep-alive HTTP/1.1 (plain or TLS, trusting the configured
// CA) for the wallet families, and pipelined TCP over several front-end nodes (round-robin
// over the healthy ones, sign-on, heartbeats, responses matched by trace number) for the
// bank family. Everything runs on one io_context; callbacks come back on its thread.
//
// When a request has "left": once a byte of it reached the kernel. Before that, any failure
// (refused, connect or TLS handshake failed or timed out, sign-on declined, waited past its
// deadline or past the queue bound, no node in rotation, stopped, a write that failed having
// taken zero bytes) is not_sent; after, an expiry is timeout and a failure broken. The HTTP
// pool checks an idle connection (non-blocking peek) before reusing it and drops one the
// server closed; a write on a reused connection that fails with zero bytes taken goes, once,
// to a fresh connection. A request written and met by end of stream with no answer is
// broken, never resent: the server may have read it (http_transport.cpp says more).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "fusebox/gateway/channel_codec.hpp"

namespace fusebox::gateway {

struct TransportResult {
  Transport transport = Transport::not_sent;
  int http_status = 0;      // HTTP families
  std::string body;         // HTTP: the body; bank: the response frame's 134-byte body
  std::string retry_after;  // HTTP: the Retry-After header, "" if none
  std::string error;        // why, when not delivered (for logs)
};

// Builds the request to send; the bank transport passes the trace number it assigned
// (HTTP transports pass 0). Called once per send, on the io_context's thread: by the HTTP
// pool inside send(), by the bank pool when a connection's window takes the request. A throw
// completes the send not_sent. WireRequest::content_type must outlive the send (codecs return
// literals).
using Encoder = std::function<WireRequest(std::uint32_t trace)>;
using TransportDone = std::function<void(TransportResult)>;

struct TransportStats {
  std::uint32_t connections_open = 0;    // connecting, signing on, busy or idle
  std::uint32_t connections_idle = 0;    // open, usable and carrying nothing
  std::uint32_t requests_in_flight = 0;  // on a connection, `done` not yet called
  std::uint32_t requests_waiting = 0;    // queued for a connection or a window slot
  std::uint32_t nodes_healthy = 0;       // bank: nodes in rotation; HTTP: 1 or 0
  std::uint32_t nodes_total = 0;
  std::uint64_t connects_failed = 0;    // refused, timed out, TLS handshake or sign-on failed
  std::uint64_t stale_connections = 0;  // HTTP: idle connections found closed before reuse
  std::uint64_t resent_on_fresh = 0;  // HTTP: sends moved to a fresh connection, never having left
  std::uint64_t late_responses = 0;   // bank: answers to timed-out requests, discarded
  std::uint64_t unmatched_responses = 0;  // bank: answers with no request of that trace in flight
};

class ChannelTransport {
 public:
  virtual ~ChannelTransport() = default;
  // `done` is called exactly once, on the io_context's thread, never from inside send().
  // Transport::not_sent only when the request provably never left (no connection could be
  // made, the pool is stopped); timeout and broken when it may have been received. The
  // timeout runs from send() to the whole answer, waiting for a connection included.
  // Call send(), stats() and stop() on the io_context's thread.
  virtual void send(Encoder encode, TimeNs timeout_ns, TransportDone done) = 0;
  [[nodiscard]] virtual TransportStats stats() const = 0;
  // Closes every connection; pending sends complete (not_sent if they never left, else
  // broken) from the io_context afterwards, never inside stop(): run it until idle. Later
  // sends complete not_sent. The destructor stops.
  virtual void stop() = 0;
};

struct HttpEndpoint {
  // An IP literal (the certificate must name it as an IP SAN) or a name (a DNS SAN, sent as
  // SNI), resolved once by make_http_transport.
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  bool tls = false;
  std::string ca_pem;  // TLS: the CA the channel's certificate must chain to
  std::uint32_t max_connections = 64;
  // Sends waiting for a free connection past this complete not_sent ("pool queue full").
  std::uint32_t max_waiting = 256;
  TimeNs connect_timeout_ns = 1'000'000'000;  // TCP connect and TLS handshake
};

struct BankEndpoint {
  std::vector<std::pair<std::string, std::uint16_t>> nodes;  // host, port per front-end node
  std::string mac_key;
  std::uint32_t connections_per_node = 2;
  std::uint32_t max_in_flight_per_connection = 512;
  TimeNs heartbeat_ns = 5'000'000'000;  // echo on idle connections; a failed one takes the node out
  TimeNs heartbeat_timeout_ns = 1'000'000'000;  // an echo unanswered this long: node out
  TimeNs retry_node_ns = 1'000'000'000;         // how soon a node out of rotation is tried again
  TimeNs connect_timeout_ns = 1'000'000'000;    // TCP connect and the sign-on's answer
  // Sends waiting for a window slot (or for the first sign-on) past this complete not_sent.
  std::uint32_t max_waiting = 4'096;
};

// Both throw std::invalid_argument for an endpoint that cannot work (port 0, no nodes, a CA
// that is not PEM, a host that does not resolve).
[[nodiscard]] std::unique_ptr<ChannelTransport> make_http_transport(boost::asio::io_context& io,
                                                                    HttpEndpoint endpoint);
// Starts connecting and signing on to every node at once. Sends made while no connection is
// signed on yet wait (bounded, within their timeout) as long as some node is still on its
// first attempt; once every node is out of rotation they complete not_sent at once.
[[nodiscard]] std::unique_ptr<ChannelTransport> make_bank_transport(boost::asio::io_context& io,
                                                                    BankEndpoint endpoint);

}  // namespace fusebox::gateway
