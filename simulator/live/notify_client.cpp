#include "notify_client.hpp"

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace fusebox::sim::live {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTimeout = std::chrono::seconds(5);

struct Target {
  tcp::endpoint endpoint;
  std::string host;
  std::string path;
};

// "http://127.0.0.1:8080/notify/x" -> endpoint and path; nullopt unless http and loopback.
std::optional<Target> parse_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return std::nullopt;
  const std::string rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  const std::size_t colon = authority.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = authority.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec || !address.is_loopback()) return std::nullopt;
  int port = 0;
  try {
    port = std::stoi(authority.substr(colon + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (port <= 0 || port > 65'535) return std::nullopt;
  return Target{tcp::endpoint(address, static_cast<unsigned short>(port)), authority, path};
}

struct Attempt : std::enable_shared_from_this<Attempt> {
  Attempt(asio::io_context& io, NotifyClient::Done done_fn, std::function<void()> finished_fn)
      : stream(io), done(std::move(done_fn)), finished(std::move(finished_fn)) {}

  void run(const Target& target) {
    stream.expires_after(kTimeout);
    stream.async_connect(target.endpoint, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->finish(0, "");
      http::async_write(
          self->stream, self->request, [self](beast::error_code write_ec, std::size_t) {
            if (write_ec) return self->finish(0, "");
            http::async_read(self->stream, self->buffer, self->response,
                             [self](beast::error_code read_ec, std::size_t) {
                               if (read_ec) return self->finish(0, "");
                               self->finish(static_cast<int>(self->response.result_int()),
                                            self->response.body());
                             });
          });
    });
  }

  void finish(int status, const std::string& body) {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    finished();
    done(status, body);
  }

  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::response<http::string_body> response;
  NotifyClient::Done done;
  std::function<void()> finished;
};

}  // namespace

NotifyClient::NotifyClient(asio::io_context& io, std::size_t max_in_flight)
    : io_(io), max_in_flight_(max_in_flight) {}

void NotifyClient::post(const std::string& url, const std::string& content_type, std::string body,
                        Done done) {
  const auto target = parse_url(url);
  if (!target || in_flight_ >= max_in_flight_) {
    // Answer asynchronously all the same, so callers see one behaviour.
    asio::post(io_, [done = std::move(done)] { done(0, ""); });
    return;
  }
  ++in_flight_;
  auto attempt = std::make_shared<Attempt>(io_, std::move(done), [this] { --in_flight_; });
  attempt->request = {http::verb::post, target->path, 11};
  attempt->request.set(http::field::host, target->host);
  attempt->request.set(http::field::content_type, content_type);
  attempt->request.set(http::field::user_agent, "fusebox-simulator");
  attempt->request.body() = std::move(body);
  attempt->request.prepare_payload();
  attempt->run(*target);
}

}  // namespace fusebox::sim::live
