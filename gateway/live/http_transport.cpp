// The keep-alive HTTP/1.1 pool (plain or TLS) to one channel endpoint.
//
// When a request has left, which decides not_sent against broken/timeout:
//  - not_sent: not one byte of it reached the kernel. No connection could be made (refused,
//    connect or TLS handshake failed or timed out), it waited for a free connection past its
//    deadline or found the wait queue full, the pool was stopped first, or its write failed
//    having written zero bytes.
//  - Once a byte was written, an expiry is `timeout` and any failure `broken`.
// The stale keep-alive rule:
//  - Before an idle pooled connection is reused, a non-blocking MSG_PEEK looks at it: end of
//    stream, an error or bytes nobody asked for mean the server closed it (or it is out of
//    step), so it is dropped and another taken. Nothing was sent on it, so this is free.
//  - A write on a reused connection that fails with zero bytes accepted (EPIPE, ECONNRESET
//    from a reset that came in after the peek) is moved, once, to a fresh connection: the
//    server cannot have read a request of which not one byte left this host, so this cannot
//    send a payment twice.
//  - A request written (even in part) and then met by end of stream or a reset with no
//    response is `broken`, reused connection or not: the server may have read it and died
//    before answering, and resending could charge twice. The only spurious case left is a
//    server closing an idle connection while our request is on the wire towards it, and
//    then "ambiguous" is the truth as far as anyone can tell.
#include <array>
#include <charconv>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/read.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "fusebox/gateway/transport.hpp"
#include "fusebox/net/tls.hpp"

#include "transport_detail.hpp"

namespace fusebox::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using detail::Completion;
using detail::failed;
using detail::SteadyClock;
using detail::SteadyTime;

constexpr std::uint64_t kMaxResponseBodyBytes = 1024 * 1024;
constexpr std::uint32_t kMaxResponseHeaderBytes = 16 * 1024;
constexpr std::size_t kMaxReadBufferBytes = 64 * 1024;

// Reads one response keeping only what the gateway uses (status, Retry-After, keep-alive,
// body), so a response costs no allocation per header field.
class ResponseReader final : public http::basic_parser<false> {
 public:
  ResponseReader() {
    body_limit(kMaxResponseBodyBytes);
    header_limit(kMaxResponseHeaderBytes);
  }

  int status = 0;
  std::string retry_after;
  std::string body;

 private:
  void on_request_impl(http::verb, beast::string_view, beast::string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, error_code&) override { status = code; }
  void on_field_impl(http::field name, beast::string_view, beast::string_view value,
                     error_code&) override {
    if (name == http::field::retry_after) retry_after.assign(value.data(), value.size());
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    // The parser has already refused a Content-Length above the body limit.
    if (length) body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(beast::string_view data, error_code&) override {
    body.append(data.data(), data.size());
    return data.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view data, error_code&) override {
    body.append(data.data(), data.size());
    return data.size();
  }
  void on_finish_impl(error_code&) override {}
};

struct PendingSend {
  WireRequest request;
  TransportDone done;
  SteadyTime deadline;
  bool resent = false;  // already moved to a fresh connection once
};

// Codecs build targets and content types from constants; a CR or LF would split the header.
[[nodiscard]] bool header_safe(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

[[nodiscard]] bool valid_request(const WireRequest& request) {
  return !request.target.empty() && request.target.front() == '/' &&
         request.target.find(' ') == std::string::npos && header_safe(request.target) &&
         header_safe(request.content_type);
}

// Into `out`, whose capacity is kept from request to request.
void serialize(const WireRequest& request, std::string_view host_header, std::string& out) {
  std::array<char, 24> length{};
  const auto digits =
      std::to_chars(length.data(), length.data() + length.size(), request.body.size());
  out.clear();
  out.append("POST ").append(request.target).append(" HTTP/1.1\r\nHost: ").append(host_header);
  out.append("\r\nContent-Type: ").append(request.content_type).append("\r\nContent-Length: ");
  out.append(length.data(), digits.ptr).append("\r\nConnection: keep-alive\r\n\r\n");
  out.append(request.body);
}

struct PoolSettings {
  HttpEndpoint endpoint;
  tcp::endpoint address;
  std::string host_header;  // host:port, as the Host header wants it
  bool host_is_ip = true;
  std::shared_ptr<ssl::context> tls;  // null: plain HTTP
};

template <class Stream>
class HttpPool;

// One connection, carrying one request at a time. Its completion handlers are the only place
// a request it carries completes, so a request completes exactly once.
template <class Stream>
class HttpConnection final : public std::enable_shared_from_this<HttpConnection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;
  enum class Phase : std::uint8_t { connecting, idle, writing, reading, closed };

  explicit HttpConnection(std::shared_ptr<HttpPool<Stream>> pool)
      : pool_(std::move(pool)),
        stream_(make_stream(pool_->io(), pool_->settings())),
        buffer_(kMaxReadBufferBytes) {}

  [[nodiscard]] bool busy() const { return phase_ != Phase::idle && phase_ != Phase::closed; }
  [[nodiscard]] bool expired() const { return expired_; }
  [[nodiscard]] SteadyTime deadline() const { return deadline_; }

  // Connects (and handshakes), then sends.
  void open(PendingSend send, SteadyTime connect_deadline) {
    send_.emplace(std::move(send));
    phase_ = Phase::connecting;
    set_deadline(std::min(connect_deadline, send_->deadline));
    socket().async_connect(pool_->settings().address, [self = this->shared_from_this()](
                                                          error_code ec) { self->on_connect(ec); });
  }

  // On an idle connection.
  void send(PendingSend send) {
    send_.emplace(std::move(send));
    write();
  }

  // An idle connection has nothing to read: anything there (end of stream, an error, bytes)
  // means the server closed it or it is out of step.
  [[nodiscard]] bool closed_by_peer_while_idle() {
    std::array<char, 1> probe{};
    error_code ec;
    (void)socket().receive(asio::buffer(probe), tcp::socket::message_peek, ec);
    return ec != asio::error::would_block;
  }

  // The deadline passed: closing makes the pending operation complete, and its handler
  // reports the expiry.
  void expire() {
    expired_ = true;
    close();
  }

  void close() {
    error_code ignored;
    socket().close(ignored);
    if (!busy()) phase_ = Phase::closed;
  }

 private:
  static Stream make_stream(asio::io_context& io, const PoolSettings& settings) {
    if constexpr (kTls) {
      return Stream(io, *settings.tls);
    } else {
      return Stream(io);
    }
  }
  tcp::socket& socket() { return beast::get_lowest_layer(stream_); }

  void set_deadline(SteadyTime deadline) {
    deadline_ = deadline;
    pool_->watch(deadline);
  }

  void on_connect(error_code ec) {
    if (ec) return fail_unsent("connect", ec.message());
    socket().set_option(tcp::no_delay(true), ec);
    // The stale-connection peek must never block.
    if (!ec) socket().non_blocking(true, ec);
    if (ec) return fail_unsent("socket options", ec.message());
    if constexpr (kTls) {
      if (!expect_peer_name()) return fail_unsent("TLS setup", "cannot set the expected name");
      stream_.async_handshake(ssl::stream_base::client,
                              [self = this->shared_from_this()](error_code handshake_ec) {
                                if (handshake_ec) {
                                  return self->fail_unsent("TLS handshake", handshake_ec.message());
                                }
                                self->pool_->note_connect(true);
                                self->write();
                              });
    } else {
      pool_->note_connect(true);
      write();
    }
  }

  // The certificate must name the host: an IP literal is matched against IP SANs (the
  // simulator's certificate names 127.0.0.1 that way), a name against DNS SANs, with SNI.
  bool expect_peer_name() {
    SSL* native = stream_.native_handle();
    const std::string& host = pool_->settings().endpoint.host;
    if (pool_->settings().host_is_ip) {
      return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), host.c_str()) == 1;
    }
    // SSL_set_tlsext_host_name spelt out: the macro's C cast trips -Wold-style-cast.
    return SSL_set1_host(native, host.c_str()) == 1 &&
           SSL_ctrl(native, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                    const_cast<char*>(host.c_str())) == 1;
  }

  void fail_unsent(std::string_view what, const std::string& reason) {
    if (!pool_->stopped()) pool_->note_connect(false);
    std::string why = pool_->stopped() ? "transport stopped"
                      : expired_       ? std::string(what) + " timed out"
                                       : std::string(what) + ": " + reason;
    finish(failed(Transport::not_sent, std::move(why)), false);
  }

  void write() {
    phase_ = Phase::writing;
    set_deadline(send_->deadline);
    serialize(send_->request, pool_->settings().host_header, out_);
    asio::async_write(stream_, asio::buffer(out_),
                      [self = this->shared_from_this()](error_code ec, std::size_t written) {
                        self->on_write(ec, written);
                      });
  }

  // `written` counts request bytes taken. Over TLS it stays 0 unless the whole record went,
  // so 0 means the server cannot have had the whole request either way.
  void on_write(error_code ec, std::size_t written) {
    if (!ec) return read();
    if (written > 0) {
      if (expired_)
        return finish(failed(Transport::timeout, "no answer within the timeout"), false);
      return finish(failed(Transport::broken, "write: " + ec.message()), false);
    }
    if (expired_) return finish(failed(Transport::not_sent, "timed out before writing"), false);
    if (pool_->stopped()) return finish(failed(Transport::not_sent, "transport stopped"), false);
    if (responses_ > 0 && !send_->resent) return resend_on_fresh();
    finish(failed(Transport::not_sent, "write: " + ec.message()), false);
  }

  // Not one byte left on a connection that was reused: see the rule at the top.
  void resend_on_fresh() {
    PendingSend send = std::move(*send_);
    send_.reset();
    send.resent = true;
    error_code ignored;
    socket().close(ignored);
    phase_ = Phase::closed;
    pool_->resend_on_fresh(*this, std::move(send));
  }

  void read() {
    phase_ = Phase::reading;
    reader_.emplace();
    http::async_read(
        stream_, buffer_, *reader_,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec) {
      if (expired_)
        return finish(failed(Transport::timeout, "no answer within the timeout"), false);
      if (pool_->stopped()) return finish(failed(Transport::broken, "transport stopped"), false);
      const std::string why =
          ec == http::error::body_limit ? "response body over 1 MiB" : "read: " + ec.message();
      return finish(failed(Transport::broken, why), false);
    }
    ++responses_;
    TransportResult result;
    result.transport = Transport::delivered;
    result.http_status = reader_->status;
    result.body = std::move(reader_->body);
    result.retry_after = std::move(reader_->retry_after);
    // Bytes past the response mean the server is out of step: never reuse such a connection.
    const bool reusable =
        !expired_ && !pool_->stopped() && reader_->keep_alive() && buffer_.size() == 0;
    finish(std::move(result), reusable);
  }

  // The pool may hand this connection its next request before `done` runs, and `done` may
  // send again: both see a consistent pool.
  void finish(TransportResult result, bool reusable) {
    PendingSend send = std::move(*send_);
    send_.reset();
    const std::shared_ptr<HttpPool<Stream>> pool = pool_;
    if (reusable) {
      phase_ = Phase::idle;
      pool->on_idle(*this);
    } else {
      error_code ignored;
      socket().close(ignored);
      phase_ = Phase::closed;
      pool->on_closed(*this);
    }
    send.done(std::move(result));
  }

  std::shared_ptr<HttpPool<Stream>> pool_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<ResponseReader> reader_;
  std::string out_;  // the serialized request; its capacity is reused
  std::optional<PendingSend> send_;
  Phase phase_ = Phase::closed;
  SteadyTime deadline_{};
  bool expired_ = false;
  std::uint64_t responses_ = 0;
};

template <class Stream>
class HttpPool final : public std::enable_shared_from_this<HttpPool<Stream>> {
 public:
  using Connection = HttpConnection<Stream>;

  HttpPool(asio::io_context& io, PoolSettings settings)
      : io_(io), settings_(std::move(settings)), sweep_timer_(io) {}

  void send(Encoder encode, TimeNs timeout_ns, TransportDone done) {
    if (stopped_) return reject(std::move(done), "transport stopped");
    PendingSend send;
    try {
      send.request = encode(0);
    } catch (const std::exception& e) {
      return reject(std::move(done), std::string("encode: ") + e.what());
    }
    if (!valid_request(send.request)) {
      return reject(std::move(done), "invalid request target or content type");
    }
    send.done = std::move(done);
    send.deadline = detail::after(SteadyClock::now(), timeout_ns);
    if (Connection* idle = take_idle()) return idle->send(std::move(send));
    if (connections_.size() < settings_.endpoint.max_connections) {
      return open_connection(std::move(send));
    }
    if (waiting_.size() >= settings_.endpoint.max_waiting) {
      return reject(std::move(send.done), "pool queue full");
    }
    watch(send.deadline);
    waiting_.push_back(std::move(send));
  }

  [[nodiscard]] TransportStats stats() const {
    TransportStats stats;
    stats.connections_open = static_cast<std::uint32_t>(connections_.size());
    stats.connections_idle = static_cast<std::uint32_t>(idle_.size());
    stats.requests_in_flight = stats.connections_open - stats.connections_idle;
    stats.requests_waiting = static_cast<std::uint32_t>(waiting_.size());
    stats.nodes_healthy = healthy_ ? 1 : 0;
    stats.nodes_total = 1;
    stats.connects_failed = connects_failed_;
    stats.stale_connections = stale_connections_;
    stats.resent_on_fresh = resent_on_fresh_;
    return stats;
  }

  // Busy connections complete their request from their handlers once closed (not_sent or
  // broken by how far it got); waiting sends complete not_sent.
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    sweep_timer_.cancel();
    std::vector<Completion> waiting;
    for (PendingSend& send : waiting_)
      waiting.push_back({std::move(send.done), failed(Transport::not_sent, "transport stopped")});
    waiting_.clear();
    idle_.clear();
    const auto connections = std::move(connections_);
    connections_.clear();
    for (const auto& connection : connections)
      connection->close();
    detail::complete_later(io_, std::move(waiting));
  }

  // For the connections.
  [[nodiscard]] asio::io_context& io() { return io_; }
  [[nodiscard]] const PoolSettings& settings() const { return settings_; }
  [[nodiscard]] bool stopped() const { return stopped_; }
  void watch(SteadyTime deadline) {
    if (!stopped_) sweep_timer_.ensure_by(*this, deadline);
  }
  void note_connect(bool connected) {
    healthy_ = connected;
    if (!connected) ++connects_failed_;
  }

  void on_idle(Connection& connection) {
    if (waiting_.empty()) return idle_.push_back(&connection);
    // Handed on at once, it gets the same check as a pooled one: a server may close right
    // after answering without saying so.
    if (connection.closed_by_peer_while_idle()) {
      ++stale_connections_;
      connection.close();
      return on_closed(connection);
    }
    if (std::optional<PendingSend> next = pop_waiting()) return connection.send(std::move(*next));
    idle_.push_back(&connection);
  }

  void on_closed(Connection& connection) {
    forget(connection);
    if (stopped_ || connections_.size() >= settings_.endpoint.max_connections) return;
    if (std::optional<PendingSend> next = pop_waiting()) open_connection(std::move(*next));
  }

  void resend_on_fresh(Connection& connection, PendingSend send) {
    ++resent_on_fresh_;
    forget(connection);
    open_connection(std::move(send));
  }

  // Expires overdue waiting sends and connections, then re-arms for the earliest left.
  void sweep() {
    if (stopped_) return;
    const SteadyTime now = SteadyClock::now();
    std::optional<SteadyTime> next;
    const auto earliest = [&next](SteadyTime at) { next = next ? std::min(*next, at) : at; };
    std::vector<Completion> expired;
    auto kept = waiting_.begin();
    for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
      if (it->deadline <= now) {
        expired.push_back({std::move(it->done), detail::waited_too_long()});
        continue;
      }
      earliest(it->deadline);
      if (kept != it) *kept = std::move(*it);
      ++kept;
    }
    waiting_.erase(kept, waiting_.end());
    std::vector<std::shared_ptr<Connection>> overdue;
    for (const auto& connection : connections_) {
      if (!connection->busy() || connection->expired()) continue;
      if (connection->deadline() <= now) {
        overdue.push_back(connection);
      } else {
        earliest(connection->deadline());
      }
    }
    for (const auto& connection : overdue)
      connection->expire();
    if (next) watch(*next);
    for (Completion& completion : expired)
      completion.done(std::move(completion.result));
  }

 private:
  void reject(TransportDone done, std::string why) {
    detail::complete_later(io_, std::move(done), failed(Transport::not_sent, std::move(why)));
  }

  // Most recently used first: it is the likeliest to be warm and still open.
  Connection* take_idle() {
    while (!idle_.empty()) {
      Connection* connection = idle_.back();
      idle_.pop_back();
      if (!connection->closed_by_peer_while_idle()) return connection;
      ++stale_connections_;
      connection->close();
      forget(*connection);  // may destroy it
    }
    return nullptr;
  }

  void open_connection(PendingSend send) {
    auto connection = std::make_shared<Connection>(this->shared_from_this());
    connections_.push_back(connection);
    connection->open(std::move(send),
                     detail::after(SteadyClock::now(), settings_.endpoint.connect_timeout_ns));
  }

  // The oldest waiting send still in time; those past their deadline complete not_sent.
  std::optional<PendingSend> pop_waiting() { return detail::pop_waiting(waiting_, io_); }

  void forget(Connection& connection) {
    std::erase(idle_, &connection);
    std::erase_if(connections_, [&](const auto& c) { return c.get() == &connection; });
  }

  asio::io_context& io_;
  PoolSettings settings_;
  detail::SweepTimer sweep_timer_;
  std::vector<std::shared_ptr<Connection>> connections_;  // at most max_connections
  std::vector<Connection*> idle_;                         // a subset of connections_
  std::deque<PendingSend> waiting_;                       // at most max_waiting
  bool stopped_ = false;
  bool healthy_ = true;
  std::uint64_t connects_failed_ = 0;
  std::uint64_t stale_connections_ = 0;
  std::uint64_t resent_on_fresh_ = 0;
};

// Trusts only `ca_pem`: no system store, so a certificate from any other CA fails.
std::shared_ptr<ssl::context> client_context(const std::string& ca_pem) {
  if (ca_pem.empty()) throw std::invalid_argument("ca_pem: TLS needs the channel's CA");
  try {
    return net::tls_client_context({ca_pem});
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("ca_pem: ") + e.what());
  }
}

// The address is fixed once: an IP literal as is, a name resolved now (configuration time).
PoolSettings settle(asio::io_context& io, HttpEndpoint endpoint) {
  if (endpoint.port == 0) throw std::invalid_argument("port: must not be 0");
  if (endpoint.max_connections == 0) throw std::invalid_argument("max_connections: must be > 0");
  PoolSettings settings;
  const std::string port = std::to_string(endpoint.port);
  error_code ec;
  const asio::ip::address ip = asio::ip::make_address(endpoint.host, ec);
  if (!ec) {
    settings.address = tcp::endpoint(ip, endpoint.port);
    settings.host_header =
        ip.is_v6() ? "[" + endpoint.host + "]:" + port : endpoint.host + ":" + port;
  } else {
    tcp::resolver resolver(io);
    const auto results = resolver.resolve(endpoint.host, port, ec);
    if (ec || results.empty()) {
      throw std::invalid_argument("host: cannot resolve " + endpoint.host + ": " + ec.message());
    }
    settings.address = results.begin()->endpoint();
    settings.host_header = endpoint.host + ":" + port;
    settings.host_is_ip = false;
  }
  if (endpoint.tls) settings.tls = client_context(endpoint.ca_pem);
  settings.endpoint = std::move(endpoint);
  return settings;
}

}  // namespace

std::unique_ptr<ChannelTransport> make_http_transport(asio::io_context& io, HttpEndpoint endpoint) {
  PoolSettings settings = settle(io, std::move(endpoint));
  if (settings.tls) {
    using Stream = ssl::stream<tcp::socket>;
    return std::make_unique<detail::PooledTransport<HttpPool<Stream>>>(
        std::make_shared<HttpPool<Stream>>(io, std::move(settings)));
  }
  return std::make_unique<detail::PooledTransport<HttpPool<tcp::socket>>>(
      std::make_shared<HttpPool<tcp::socket>>(io, std::move(settings)));
}

}  // namespace fusebox::gateway
