#include "http_connection.hpp"

#include <array>
#include <charconv>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace fusebox::harness {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

HttpConnection::HttpConnection(asio::io_context& io, asio::ip::tcp::endpoint endpoint,
                               std::string host, Done done)
    : socket_(io),
      timer_(io),
      endpoint_(std::move(endpoint)),
      host_(std::move(host)),
      done_(std::move(done)) {}

// The same bytes Beast's serializer wrote for these requests: Host, and for a POST the
// content type and length (a GET carries neither); HTTP/1.1 keeps the connection by default.
void HttpConnection::exchange(http::verb verb, std::string_view target, std::string_view body,
                              Deadline deadline) {
  request_.clear();
  const beast::string_view method = http::to_string(verb);
  request_.append(method.data(), method.size());
  request_ += ' ';
  request_ += target;
  request_ += " HTTP/1.1\r\nHost: ";
  request_ += host_;
  request_ += "\r\n";
  if (verb != http::verb::get) {
    std::array<char, 24> length{};
    const auto written = std::to_chars(length.data(), length.data() + length.size(), body.size());
    request_ += "Content-Type: application/json\r\nContent-Length: ";
    request_.append(length.data(), static_cast<std::size_t>(written.ptr - length.data()));
    request_ += "\r\n\r\n";
    request_ += body;
  } else {
    request_ += "\r\n";
  }
  deadline_ = deadline;
  busy_ = true;
  timed_out_ = false;
  arm_timer();
  reused_ = open_;
  retried_ = false;
  if (open_) {
    write();
  } else {
    connect();
  }
}

// The timer stays armed across exchanges: when it fires it closes the socket only if the
// current exchange is past its deadline, else it waits again for that deadline.
void HttpConnection::arm_timer() {
  if (timer_armed_ && timer_at_ <= deadline_) return;
  timer_armed_ = true;
  timer_at_ = deadline_;
  timer_.expires_at(deadline_);  // cancels an earlier wait: its handler sees operation_aborted
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;  // re-armed or stopped; the newer wait owns the flag
    timer_armed_ = false;
    on_timer();
  });
}

void HttpConnection::on_timer() {
  if (!busy_) return;
  if (std::chrono::steady_clock::now() < deadline_) return arm_timer();
  timed_out_ = true;
  close();  // the pending connect, write or read completes with an error: a timeout
}

void HttpConnection::stop_timer() {
  timer_armed_ = false;
  timer_.cancel();
}

void HttpConnection::connect() {
  socket_.async_connect(endpoint_, [this](const beast::error_code& error) {
    if (error) return fail(error, true);
    open_ = true;
    beast::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
    write();
  });
}

void HttpConnection::write() {
  asio::async_write(socket_, asio::buffer(request_),
                    [this](const beast::error_code& error, std::size_t) {
                      if (error) return fail(error, true);
                      read();
                    });
}

void HttpConnection::read() {
  parser_.emplace(body_);
  http::async_read(socket_, buffer_, *parser_, [this](const beast::error_code& error, std::size_t) {
    if (error) return fail(error, parser_->status() == 0);
    ExchangeResult result;
    result.status = parser_->status();
    result.body = body_;
    if (!parser_->keep_alive()) close();
    busy_ = false;
    done_(result);
  });
}

void HttpConnection::fail(const beast::error_code& error, bool before_answer) {
  close();
  // A keep-alive connection the server closed while idle fails on its next use before any
  // answer; that request gets one retry on a fresh connection (the key makes pays idempotent).
  const bool stale = error == http::error::end_of_stream || error == asio::error::eof ||
                     error == asio::error::connection_reset || error == asio::error::broken_pipe;
  if (reused_ && !retried_ && stale && before_answer && !timed_out_ &&
      std::chrono::steady_clock::now() < deadline_) {
    retried_ = true;
    reused_ = false;
    return connect();
  }
  if (!busy_) return;
  busy_ = false;
  ExchangeResult result;
  result.kind = timed_out_ ? ExchangeResult::Kind::timeout : ExchangeResult::Kind::transport_error;
  result.error = timed_out_ ? "timed out" : error.message();
  done_(result);
}

void HttpConnection::close() {
  open_ = false;
  buffer_.consume(buffer_.size());
  beast::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace fusebox::harness
