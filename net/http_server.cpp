#include "fusebox/net/http_server.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <sstream>
#include <sys/socket.h>
#include <unordered_map>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "fusebox/net/io_threads.hpp"

namespace fusebox::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kDribbleBytes = 16;
constexpr auto kDribbleGap = std::chrono::milliseconds(100);

// Serialises a whole response, so any prefix of it can be written (faults cut it anywhere).
// Written directly rather than through Beast's serializer and a stream: this runs for every
// answer the simulator gives. The fields come out in the order Beast's would put them.
std::string serialize(const HttpResponseOut& out, bool keep_alive, const std::string& server) {
  const auto status = static_cast<http::status>(out.status);
  if (out.status < 200 || out.status == 204 || out.status == 304) {
    // No body and no Content-Length for these: Beast knows the rules.
    http::response<http::string_body> res{status, 11};
    res.set(http::field::server, server);
    res.set(http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers)
      res.set(name, value);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    std::ostringstream text;
    text << res;
    return text.str();
  }
  const beast::string_view reason = http::obsolete_reason(status);
  std::string text;
  text.reserve(128 + out.body.size());
  text.append("HTTP/1.1 ").append(std::to_string(out.status)).append(" ");
  text.append(reason.data(), reason.size()).append("\r\n");
  const auto field = [&text](std::string_view name, std::string_view value) {
    text.append(name).append(": ").append(value).append("\r\n");
  };
  field("Server", server);
  field("Content-Type", out.content_type);
  for (const auto& [name, value] : out.headers)
    field(name, value);
  if (!keep_alive) field("Connection", "close");
  field("Content-Length", std::to_string(out.body.size()));
  text.append("\r\n").append(out.body);
  return text;
}

}  // namespace

using SteadyTime = std::chrono::steady_clock::time_point;

class SessionBase {
 public:
  SessionBase() = default;
  SessionBase(const SessionBase&) = delete;
  SessionBase& operator=(const SessionBase&) = delete;
  virtual ~SessionBase() = default;
  virtual void close() = 0;
  // Waiting for the client (not for the channel's answer) since before `cutoff`.
  [[nodiscard]] virtual bool idle_since_before(SteadyTime cutoff) const = 0;
};

class HttpServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, Handler handler, HttpLimits limits,
       std::shared_ptr<asio::ssl::context> tls, IoThreads* senders)
      : io_(io),
        handler_(std::move(handler)),
        limits_(limits),
        tls_(std::move(tls)),
        senders_(senders),
        sweeper_(io) {}

  void open(const tcp::endpoint& endpoint) {
    acceptor_.emplace(io_);
    acceptor_->open(endpoint.protocol());
    acceptor_->set_option(asio::socket_base::reuse_address(true));
    acceptor_->bind(endpoint);
    acceptor_->listen(asio::socket_base::max_listen_connections);
    endpoint_ = acceptor_->local_endpoint();
    accept();
    sweep();
  }
  void close_acceptor() {
    sweeper_.cancel();
    if (!acceptor_) return;
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  void accept();
  void forget(SessionBase* session) { sessions_.erase(session); }
  // Idle connections are closed by one sweep a second rather than a timer per request: a
  // per-request deadline costs two kernel timer updates on every request.
  void sweep() {
    sweeper_.expires_after(std::chrono::seconds(1));
    sweeper_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->acceptor_) return;
      const SteadyTime cutoff = std::chrono::steady_clock::now() -
                                std::chrono::nanoseconds(self->limits_.idle_timeout_ns);
      std::vector<SessionBase*> idle;
      for (const auto& [raw, session] : self->sessions_) {
        if (session->idle_since_before(cutoff)) idle.push_back(raw);
      }
      for (SessionBase* raw : idle) {
        const auto it = self->sessions_.find(raw);
        if (it != self->sessions_.end()) it->second->close();
      }
      self->sweep();
    });
  }
  void close_all() {
    auto sessions = std::move(sessions_);
    sessions_.clear();
    for (auto& [raw, session] : sessions)
      session->close();
  }

  asio::io_context& io_;
  Handler handler_;
  HttpLimits limits_;
  std::shared_ptr<asio::ssl::context> tls_;
  IoThreads* senders_;  // null: every answer is written here
  asio::steady_timer sweeper_;
  std::optional<tcp::acceptor> acceptor_;
  tcp::endpoint endpoint_;
  std::unordered_map<SessionBase*, std::shared_ptr<SessionBase>> sessions_;  // owns them
};

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(std::weak_ptr<HttpServer::Impl> server, Stream stream, const HttpLimits& limits)
      : server_(std::move(server)),
        stream_(std::move(stream)),
        limits_(limits),
        timer_(stream_.get_executor()) {}

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      idle();
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->close();
                                self->read();
                              });
    }
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    if (!sending_elsewhere_) close_socket();
    if (auto server = server_.lock()) server->forget(this);  // may destroy *this: last line
  }

 private:
  void close_socket() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  void idle() {
    waiting_for_client_ = true;
    last_activity_ = std::chrono::steady_clock::now();
  }

 public:
  [[nodiscard]] bool idle_since_before(SteadyTime cutoff) const override {
    return waiting_for_client_ && last_activity_ < cutoff;
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    parser_->body_limit(limits_.max_body_bytes);
    idle();
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return reject(413, "BODY_TOO_LARGE",
                    "body too large: at most " + std::to_string(limits_.max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return reject(
          431, "HEADERS_TOO_LARGE",
          "headers too large: at most " + std::to_string(limits_.max_header_bytes) + " bytes");
    }
    if (ec) return close();
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    HttpRequestIn in{
        std::string(req.method_string()), std::string(req.target()), std::move(req.body()), {}};
    for (const auto& field : req)
      in.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    waiting_for_client_ = false;  // the channel's latency is not idleness
    auto server = server_.lock();
    if (!server) return close();
    in_handler_ = true;  // an answer given now is written now, on this thread
    server->handler_(std::move(in), [self = this->shared_from_this()](HttpResponseOut out) {
      asio::dispatch(self->stream_.get_executor(),
                     [self, out = std::move(out)]() mutable { self->send(std::move(out)); });
    });
    in_handler_ = false;
  }

  void reject(int status, const std::string& code, const std::string& message) {
    keep_alive_ = false;
    if (!limits_.json_errors) {
      return send(HttpResponseOut{status, "text/plain", message, {}, WireDelivery::normal});
    }
    // Codes and messages are ours (no quotes or backslashes), so no escaping is needed.
    send(HttpResponseOut{
        status,
        "application/json",
        R"({"error":{"code":")" + code + R"(","message":")" + message + R"(","field":null}})",
        {},
        WireDelivery::normal});
  }

  void send(HttpResponseOut out) {
    if (closed_) return;
    const std::size_t body_size = out.body.size();
    out_ = serialize(out, keep_alive_, limits_.server_name);
    switch (out.delivery) {
      case WireDelivery::black_hole:
        return swallow();
      case WireDelivery::reset:
        return write_then(out_.size() / 2, &Session::reset);
      case WireDelivery::truncated_body:
        return write_then(out_.size() - (body_size + 1) / 2, &Session::close);
      case WireDelivery::slow_dribble:
        return dribble(0);
      default:
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
          if (!in_handler_) {
            const auto server = server_.lock();
            if (server && server->senders_) return send_elsewhere(*server->senders_);
          }
        }
        return write_then(out_.size(), &Session::next);
    }
  }

  // An answer given later (its latency ran out in a timer queue) is written on one of the
  // sender threads. When the latencies of hundreds of connections run out together, their
  // answers then leave on more than one core rather than one after another here: a loopback
  // send costs several microseconds, since it wakes the reader. Only the descriptor crosses
  // threads: no operation of ours is pending on it meanwhile, and close() leaves it open
  // until the write is back (a closed descriptor's number may be reused at once).
  void send_elsewhere(IoThreads& senders) {
    sending_elsewhere_ = true;
    const int fd = beast::get_lowest_layer(stream_).socket().native_handle();
    asio::post(senders.next(),
               [self = this->shared_from_this(), fd, executor = stream_.get_executor()] {
                 const ssize_t sent =
                     ::send(fd, self->out_.data(), self->out_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
                 const int error = sent < 0 ? errno : 0;
                 asio::post(executor, [self, sent, error] { self->sent_elsewhere(sent, error); });
               });
  }

  void sent_elsewhere(ssize_t sent, int error) {
    sending_elsewhere_ = false;
    if (closed_) return close_socket();  // closed meanwhile: the descriptor goes now
    if (sent < 0 && error != EAGAIN && error != EWOULDBLOCK && error != EINTR) return close();
    const auto done = static_cast<std::size_t>(std::max<ssize_t>(sent, 0));
    if (done == out_.size()) return next();
    // The socket's buffer was full: the rest goes the usual way.
    asio::async_write(stream_, asio::buffer(out_.data() + done, out_.size() - done),
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->next();
                      });
  }

  void write_then(std::size_t bytes, void (Session::*after)()) {
    asio::async_write(stream_, asio::buffer(out_.data(), bytes),
                      [self = this->shared_from_this(), after](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        ((*self).*after)();
                      });
  }

  void next() {
    if (!keep_alive_) return close();
    read();
  }

  // An RST instead of the rest of the answer.
  void reset() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().set_option(asio::socket_base::linger(true, 0),
                                                         ignored);
    close();
  }

  // Never answer; notice when the client gives up and closes.
  void swallow() {
    beast::get_lowest_layer(stream_).socket().async_read_some(
        asio::buffer(scratch_),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->close();
          self->swallow();
        });
  }

  void dribble(std::size_t offset) {
    if (offset >= out_.size()) return next();
    const std::size_t bytes = std::min(kDribbleBytes, out_.size() - offset);
    asio::async_write(
        stream_, asio::buffer(out_.data() + offset, bytes),
        [self = this->shared_from_this(), offset, bytes](beast::error_code ec, std::size_t) {
          if (ec) return self->close();
          self->timer_.expires_after(kDribbleGap);
          self->timer_.async_wait([self, offset, bytes](beast::error_code wait_ec) {
            if (wait_ec) return self->close();
            self->dribble(offset + bytes);
          });
        });
  }

  std::weak_ptr<HttpServer::Impl> server_;
  Stream stream_;
  HttpLimits limits_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string out_;
  std::array<char, 512> scratch_{};
  SteadyTime last_activity_ = std::chrono::steady_clock::now();
  bool waiting_for_client_ = true;
  bool keep_alive_ = true;
  bool closed_ = false;
  bool in_handler_ = false;
  bool sending_elsewhere_ = false;  // the descriptor is in a sender thread's hands
};

void HttpServer::Impl::accept() {
  acceptor_->async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (!self->acceptor_) return;  // closed meanwhile
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      return self->accept();
    }
    if (self->sessions_.size() >= self->limits_.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);  // over the bound: shed the connection, keep serving the others
      return self->accept();
    }
    std::shared_ptr<SessionBase> session;
    if (self->tls_) {
      auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          self,
          beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *self->tls_),
          self->limits_);
      session = s;
      self->sessions_.emplace(session.get(), session);
      s->start();
    } else {
      auto s = std::make_shared<Session<beast::tcp_stream>>(
          self, beast::tcp_stream(std::move(socket)), self->limits_);
      session = s;
      self->sessions_.emplace(session.get(), session);
      s->start();
    }
    self->accept();
  });
}

HttpServer::HttpServer(asio::io_context& io, Handler handler, HttpLimits limits,
                       std::shared_ptr<asio::ssl::context> tls, IoThreads* senders)
    : impl_(std::make_shared<Impl>(io, std::move(handler), limits, std::move(tls), senders)) {}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::listen(const std::string& host, std::uint16_t port) {
  impl_->open(tcp::endpoint(asio::ip::make_address(host), port));
  return impl_->endpoint_.port();
}

void HttpServer::stop_accepting() { impl_->close_acceptor(); }

void HttpServer::resume_accepting() {
  if (!impl_->acceptor_) impl_->open(impl_->endpoint_);
}

void HttpServer::stop() {
  impl_->close_acceptor();
  impl_->close_all();
}

std::size_t HttpServer::open_connections() const { return impl_->sessions_.size(); }
std::uint16_t HttpServer::port() const { return impl_->endpoint_.port(); }

}  // namespace fusebox::net
