#include "notify_client.hpp"

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace fusebox::sim::live {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTimeout = std::chrono::seconds(5);

struct Target {
  bool tls = false;
  tcp::endpoint endpoint;
  std::string host;  // as the URL names it: checked against the merchant's certificate
  std::string authority;
  std::string path;
};

// "http[s]://127.0.0.1:8080/notify/x" -> endpoint and path; nullopt unless loopback.
std::optional<Target> parse_url(const std::string& url) {
  Target target;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    target.tls = true;
    rest = url.substr(8);
  } else {
    return std::nullopt;
  }
  const std::size_t slash = rest.find('/');
  target.authority = rest.substr(0, slash);
  target.path = slash == std::string::npos ? "/" : rest.substr(slash);
  const std::size_t colon = target.authority.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  target.host = target.authority.substr(0, colon);
  const std::string address_text = target.host == "localhost" ? "127.0.0.1" : target.host;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(address_text, ec);
  if (ec || !address.is_loopback()) return std::nullopt;
  int port = 0;
  try {
    port = std::stoi(target.authority.substr(colon + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (port <= 0 || port > 65'535) return std::nullopt;
  target.endpoint = tcp::endpoint(address, static_cast<unsigned short>(port));
  return target;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One POST: connect, (handshake,) write, read, close. Stream is beast::tcp_stream or
// TlsStream.
template <typename Stream>
struct Attempt : std::enable_shared_from_this<Attempt<Stream>> {
  template <typename... StreamArgs>
  Attempt(NotifyClient::Done done_fn, std::function<void()> finished_fn, StreamArgs&&... args)
      : stream(std::forward<StreamArgs>(args)...),
        done(std::move(done_fn)),
        finished(std::move(finished_fn)) {}

  void run(const Target& target) {
    beast::get_lowest_layer(stream).expires_after(kTimeout);
    beast::get_lowest_layer(stream).async_connect(
        target.endpoint, [self = this->shared_from_this()](beast::error_code ec) {
          if (ec) return self->finish(0, "");
          self->after_connect();
        });
  }

  void after_connect() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      stream.async_handshake(asio::ssl::stream_base::client,
                             [self = this->shared_from_this()](beast::error_code ec) {
                               if (ec) return self->finish(0, "");
                               self->exchange();
                             });
    } else {
      exchange();
    }
  }

  void exchange() {
    http::async_write(stream, request,
                      [self = this->shared_from_this()](beast::error_code write_ec, std::size_t) {
                        if (write_ec) return self->finish(0, "");
                        http::async_read(self->stream, self->buffer, self->response,
                                         [self](beast::error_code read_ec, std::size_t) {
                                           if (read_ec) return self->finish(0, "");
                                           self->finish(
                                               static_cast<int>(self->response.result_int()),
                                               self->response.body());
                                         });
                      });
  }

  // The connection is not reused, so a TLS close_notify is not waited for.
  void finish(int status, const std::string& body) {
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    finished();
    done(status, body);
  }

  Stream stream;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::response<http::string_body> response;
  NotifyClient::Done done;
  std::function<void()> finished;
};

template <typename Stream>
void start(std::shared_ptr<Attempt<Stream>> attempt, const Target& target,
           const std::string& content_type, std::string body) {
  attempt->request = {http::verb::post, target.path, 11};
  attempt->request.set(http::field::host, target.authority);
  attempt->request.set(http::field::content_type, content_type);
  attempt->request.set(http::field::user_agent, "fusebox-simulator");
  attempt->request.body() = std::move(body);
  attempt->request.prepare_payload();
  attempt->run(target);
}

}  // namespace

NotifyClient::NotifyClient(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                           std::size_t max_in_flight)
    : io_(io), tls_(std::move(tls)), max_in_flight_(max_in_flight) {}

void NotifyClient::post(const std::string& url, const std::string& content_type, std::string body,
                        Done done) {
  const auto target = parse_url(url);
  if (!target || (target->tls && !tls_) || in_flight_ >= max_in_flight_) {
    // Answer asynchronously all the same, so callers see one behaviour.
    asio::post(io_, [done = std::move(done)] { done(0, ""); });
    return;
  }
  ++in_flight_;
  auto finished = [this] { --in_flight_; };
  if (!target->tls) {
    auto attempt =
        std::make_shared<Attempt<beast::tcp_stream>>(std::move(done), std::move(finished), io_);
    return start(std::move(attempt), *target, content_type, std::move(body));
  }
  auto attempt =
      std::make_shared<Attempt<TlsStream>>(std::move(done), std::move(finished), io_, *tls_);
  // The certificate must name the URL's host (an IP address SAN for 127.0.0.1).
  attempt->stream.set_verify_callback(asio::ssl::host_name_verification(target->host));
  start(std::move(attempt), *target, content_type, std::move(body));
}

}  // namespace fusebox::sim::live
