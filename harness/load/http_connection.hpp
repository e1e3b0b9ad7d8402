#pragma once
// One keep-alive HTTP/1.1 connection of the generator's pool: opened on first use, reopened
// after an error, every exchange bounded by an absolute deadline (the socket is closed when
// it passes). Built for the generator's hot path: the request is written into a reused byte
// buffer, the answer is read by a parser that keeps only the status, keep-alive and body (no
// header map), the completion callback is set once, and the deadline timer is re-armed only
// when it fires or must fire sooner (not per read and write, as Beast's tcp_stream does), so
// a steady exchange allocates nothing and touches no timer.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "fusebox/harness/load_session.hpp"

namespace fusebox::harness {

// Reads one response's status line and body into storage the connection reuses; of the
// header fields only what the parser itself needs (length, chunking, Connection).
class AnswerParser : public boost::beast::http::basic_parser<false> {
 public:
  explicit AnswerParser(std::string& body) : body_(body) { body_.clear(); }
  [[nodiscard]] int status() const { return status_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override { status_ = code; }
  void on_field_impl(boost::beast::http::field, string_view, string_view, error_code&) override {}
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length && *length <= kReserveBound) body_.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(string_view body, error_code&) override {
    body_.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    body_.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  static constexpr std::uint64_t kReserveBound = 1 << 20;
  std::string& body_;
  int status_ = 0;
};

class HttpConnection {
 public:
  // Runs on the io_context's thread, exactly once per exchange.
  using Done = std::function<void(const ExchangeResult&)>;
  using Deadline = std::chrono::steady_clock::time_point;

  HttpConnection(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
                 std::string host, Done done);
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // One request and its answer (target and body are copied into the connection's buffer).
  void exchange(boost::beast::http::verb verb, std::string_view target, std::string_view body,
                Deadline deadline);
  // Aborts whatever is in flight (its callback reports a transport error) and closes.
  void close();
  // Stops the deadline timer of an idle connection so the io_context can run out of work.
  void stop_timer();
  [[nodiscard]] bool is_open() const { return open_; }

 private:
  void connect();
  void write();
  void read();
  void fail(const boost::system::error_code& error, bool before_answer);
  void arm_timer();
  void on_timer();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  Deadline timer_at_{};  // when the armed timer fires
  bool timer_armed_ = false;
  bool timed_out_ = false;  // the deadline closed the socket
  boost::asio::ip::tcp::endpoint endpoint_;
  std::string host_;
  Done done_;
  boost::beast::flat_buffer buffer_;
  std::string request_;  // the request's bytes, reused
  std::string body_;     // the answer's body, reused
  std::optional<AnswerParser> parser_;
  Deadline deadline_{};
  bool busy_ = false;
  bool open_ = false;
  bool reused_ = false;   // the exchange started on a connection that was already open
  bool retried_ = false;  // a stale keep-alive connection gets one fresh retry
};

}  // namespace fusebox::harness
