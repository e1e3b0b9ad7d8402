#include "http_connection.hpp"

#include <boost/asio/connect.hpp>

namespace fusebox::harness {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

HttpConnection::HttpConnection(asio::io_context& io, asio::ip::tcp::endpoint endpoint,
                               std::string host)
    : stream_(io), endpoint_(std::move(endpoint)), host_(std::move(host)) {}

void HttpConnection::exchange(http::verb verb, std::string target, std::string body,
                              Deadline deadline, Done done) {
  request_ = {};
  request_.version(11);
  request_.method(verb);
  request_.target(target);
  request_.set(http::field::host, host_);
  request_.keep_alive(true);
  if (verb != http::verb::get) {
    request_.set(http::field::content_type, "application/json");
    request_.body() = std::move(body);
  }
  request_.prepare_payload();
  deadline_ = deadline;
  done_ = std::move(done);
  reused_ = open_;
  retried_ = false;
  if (open_) {
    write();
  } else {
    connect();
  }
}

void HttpConnection::connect() {
  stream_.expires_at(deadline_);
  stream_.async_connect(endpoint_, [this](const beast::error_code& error) {
    if (error) return fail(error, true);
    open_ = true;
    beast::error_code ignored;
    stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    write();
  });
}

void HttpConnection::write() {
  stream_.expires_at(deadline_);
  http::async_write(stream_, request_, [this](const beast::error_code& error, std::size_t) {
    if (error) return fail(error, true);
    read();
  });
}

void HttpConnection::read() {
  response_ = {};
  http::async_read(stream_, buffer_, response_,
                   [this](const beast::error_code& error, std::size_t) {
                     if (error) return fail(error, response_.base().result_int() == 0);
                     ExchangeResult result;
                     result.status = static_cast<int>(response_.result_int());
                     result.body = std::move(response_.body());
                     if (!response_.keep_alive()) close();
                     finish(std::move(result));
                   });
}

void HttpConnection::fail(const beast::error_code& error, bool before_answer) {
  close();
  // A keep-alive connection the server closed while idle fails on its next use before any
  // answer; that request gets one retry on a fresh connection (the key makes pays idempotent).
  const bool stale = error == http::error::end_of_stream || error == asio::error::eof ||
                     error == asio::error::connection_reset || error == asio::error::broken_pipe;
  if (reused_ && !retried_ && stale && before_answer &&
      std::chrono::steady_clock::now() < deadline_) {
    retried_ = true;
    reused_ = false;
    return connect();
  }
  ExchangeResult result;
  result.kind = error == beast::error::timeout ? ExchangeResult::Kind::timeout
                                               : ExchangeResult::Kind::transport_error;
  result.error = error.message();
  finish(std::move(result));
}

void HttpConnection::finish(ExchangeResult result) {
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));
}

void HttpConnection::close() {
  open_ = false;
  buffer_.consume(buffer_.size());
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

}  // namespace fusebox::harness
