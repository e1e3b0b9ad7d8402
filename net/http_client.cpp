#include "fusebox/net/http_client.hpp"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "fusebox/net/url.hpp"

namespace fusebox::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// The URL split, or a runtime_error naming it (what callers of http_request catch).
HttpUrl split(const std::string& url) {
  try {
    return parse_http_url(url);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(url + ": " + e.what());
  }
}

}  // namespace

HttpReply http_request(const std::string& method, const std::string& url, const std::string& body,
                       const Headers& headers, std::chrono::milliseconds timeout) {
  const HttpUrl parts = split(url);
  http::request<http::string_body> request{http::string_to_verb(method), parts.target, 11};
  request.set(http::field::host, parts.host + ":" + std::to_string(parts.port));
  request.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers)
    request.set(name, value);
  request.body() = body;
  request.prepare_payload();

  // Beast's synchronous calls ignore the stream's timer, so every step runs asynchronously
  // under one deadline.
  asio::io_context io;
  beast::tcp_stream stream(io);
  asio::ip::tcp::resolver resolver(io);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  std::string failure = "no answer within " + std::to_string(timeout.count()) + " ms";
  bool done = false;
  stream.expires_after(timeout);
  resolver.async_resolve(
      parts.host, std::to_string(parts.port), [&](beast::error_code ec, auto endpoints) {
        if (ec) return void(failure = "cannot resolve: " + ec.message());
        stream.async_connect(endpoints, [&](beast::error_code connect_ec, auto) {
          if (connect_ec) return void(failure = "cannot connect: " + connect_ec.message());
          http::async_write(stream, request, [&](beast::error_code write_ec, std::size_t) {
            if (write_ec) return void(failure = "cannot send: " + write_ec.message());
            http::async_read(stream, buffer, parser, [&](beast::error_code read_ec, std::size_t) {
              if (read_ec) return void(failure = "no answer: " + read_ec.message());
              done = true;
            });
          });
        });
      });
  io.run_for(timeout + std::chrono::milliseconds(100));
  if (!done) throw std::runtime_error(url + ": " + failure);
  return HttpReply{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

}  // namespace fusebox::net
