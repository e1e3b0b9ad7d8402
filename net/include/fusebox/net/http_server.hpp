#pragma once
// A small HTTP/1.1 server on Boost.Beast, shared by the simulator (wallet channels, control
// API) and the gateway (merchant, notify, admin and metrics API): keep-alive, bounded
// headers, bodies and connections, and answers that may come later (a handler replies when
// it is ready, without holding a thread). For the simulator it also acts out transport
// faults on a response: black hole, reset and truncation mid-response, slow dribble.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "fusebox/common/clock.hpp"

namespace fusebox::net {

// How a response leaves: whole, or mangled on the way (the simulator's transport faults).
enum class WireDelivery : std::uint8_t {
  normal,
  black_hole,      // never answer (the connection stays open)
  reset,           // reset the connection part-way through the response
  truncated_body,  // send fewer body bytes than announced
  slow_dribble,    // send the response a few bytes at a time
};

struct HttpRequestIn {
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponseOut {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  WireDelivery delivery = WireDelivery::normal;
};

[[nodiscard]] inline HttpResponseOut make_response(int status, std::string content_type,
                                                   std::string body) {
  return HttpResponseOut{
      status, std::move(content_type), std::move(body), {}, WireDelivery::normal};
}

// Call exactly once per request; it may be called later, from the io_context's thread.
using Responder = std::function<void(HttpResponseOut)>;
using Handler = std::function<void(HttpRequestIn, Responder)>;

struct HttpLimits {
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_connections = 10'000;
  TimeNs idle_timeout_ns = 60 * kNsPerS;
  std::string server_name = "fusebox";  // the Server header
  // Answer 413 and 431 as {"error": {"code", "message", "field"}} (the gateway's API shape)
  // rather than as plain text.
  bool json_errors = false;
};

class IoThreads;

class HttpServer {
 public:
  // `tls` null: plain HTTP. `senders` (plain HTTP only; may be null, must outlive the
  // server's connections' writes: see io_threads.hpp): threads that write the answers a
  // handler gives after it returns, so a burst of them leaves on more than one core. Reads,
  // the handler and answers given at once stay on `io`'s thread.
  HttpServer(boost::asio::io_context& io, Handler handler, HttpLimits limits,
             std::shared_ptr<boost::asio::ssl::context> tls = nullptr,
             IoThreads* senders = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; returns the bound port (the OS's choice for port 0).
  // Throws std::system_error naming the address on failure.
  std::uint16_t listen(const std::string& host, std::uint16_t port);
  // Closes the listener (connection refused from now on) but keeps open connections.
  void stop_accepting();
  // Reopens the listener on the same port.
  void resume_accepting();
  // Closes the listener and every connection.
  void stop();

  [[nodiscard]] std::size_t open_connections() const;
  [[nodiscard]] std::uint16_t port() const;

  class Impl;  // the listener and its connections (http_server.cpp)

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace fusebox::net
