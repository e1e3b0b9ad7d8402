#pragma once
// Sends a channel's notifications: one HTTP POST per attempt to the merchant's URL, on the
// simulator's io_context, with a timeout and a bound on attempts in flight. http:// and
// https:// (as real wallets deliver: the merchant's certificate must chain to a CA the
// simulator trusts and name the URL's host). Loopback only: a URL elsewhere is never
// contacted and counts as an attempt without ACK.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

namespace fusebox::sim::live {

class NotifyClient {
 public:
  // status 0: no HTTP answer (refused, timed out, reset, a TLS handshake that failed, not
  // loopback, https:// without `tls`, too many in flight).
  using Done = std::function<void(int status, const std::string& body)>;

  // `tls`: the client context https:// URLs are reached with (net::tls_client_context: its
  // trusted CAs decide which merchants get through); null: https:// URLs are never contacted.
  explicit NotifyClient(boost::asio::io_context& io,
                        std::shared_ptr<boost::asio::ssl::context> tls = nullptr,
                        std::size_t max_in_flight = 1'024);
  void post(const std::string& url, const std::string& content_type, std::string body, Done done);
  [[nodiscard]] std::size_t in_flight() const { return in_flight_; }

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::size_t max_in_flight_;
  std::size_t in_flight_ = 0;
};

}  // namespace fusebox::sim::live
