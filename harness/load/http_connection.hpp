#pragma once
// One keep-alive HTTP/1.1 connection of the generator's pool: opened on first use, reopened
// after an error, every exchange bounded by an absolute deadline (Beast's tcp_stream
// closes the socket when it passes).

#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace fusebox::harness {

struct ExchangeResult {
  enum class Kind : std::uint8_t { answered, timeout, transport_error } kind = Kind::answered;
  int status = 0;
  std::string body;
  std::string error;  // for a timeout or transport error
};

class HttpConnection {
 public:
  using Done = std::function<void(ExchangeResult)>;
  using Deadline = std::chrono::steady_clock::time_point;

  HttpConnection(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
                 std::string host);
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // One request and its answer. `done` runs on the io_context's thread, exactly once.
  void exchange(boost::beast::http::verb verb, std::string target, std::string body,
                Deadline deadline, Done done);
  // Aborts whatever is in flight (its `done` reports a transport error) and closes.
  void close();
  [[nodiscard]] bool is_open() const { return open_; }

 private:
  void connect();
  void write();
  void read();
  void fail(const boost::system::error_code& error, bool before_answer);
  void finish(ExchangeResult result);

  boost::beast::tcp_stream stream_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::string host_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> request_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  Deadline deadline_{};
  Done done_;
  bool open_ = false;
  bool reused_ = false;   // the exchange started on a connection that was already open
  bool retried_ = false;  // a stale keep-alive connection gets one fresh retry
};

}  // namespace fusebox::harness
