#include "fusebox/net/http_client.hpp"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace fusebox::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Url {
  std::string host;
  std::string port;
  std::string target;
};

Url parse_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    throw std::runtime_error(url + ": expected an http:// URL (the control API is plain HTTP)");
  }
  const std::string rest = url.substr(scheme.size());
  const std::size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::size_t colon = authority.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error(url + ": expected host:port");
  return Url{authority.substr(0, colon), authority.substr(colon + 1),
             slash == std::string::npos ? "/" : rest.substr(slash)};
}

}  // namespace

HttpReply http_request(const std::string& method, const std::string& url, const std::string& body,
                       const Headers& headers, std::chrono::milliseconds timeout) {
  const Url parts = parse_url(url);
  http::request<http::string_body> request{http::string_to_verb(method), parts.target, 11};
  request.set(http::field::host, parts.host + ":" + parts.port);
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
  resolver.async_resolve(parts.host, parts.port, [&](beast::error_code ec, auto endpoints) {
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
