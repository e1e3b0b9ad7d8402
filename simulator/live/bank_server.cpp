#include "bank_server.hpp"

#include <chrono>
#include <deque>
#include <optional>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "fusebox/common/framing.hpp"

namespace fusebox::sim::live {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::size_t kMaxFrameBytes = 1'024;
constexpr std::size_t kMaxQueuedWrites = 4'096;
constexpr std::size_t kDribbleBytes = 8;
constexpr auto kDribbleGap = std::chrono::milliseconds(50);

}  // namespace

class BankConnection;

class BankNodeServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, FrameHandler handler, std::size_t max_connections)
      : io_(io), handler_(std::move(handler)), max_connections_(max_connections) {}

  void open(const tcp::endpoint& endpoint) {
    acceptor_.emplace(io_);
    acceptor_->open(endpoint.protocol());
    acceptor_->set_option(asio::socket_base::reuse_address(true));
    acceptor_->bind(endpoint);
    acceptor_->listen();
    endpoint_ = acceptor_->local_endpoint();
    accept();
  }
  void close_acceptor() {
    if (!acceptor_) return;
    error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  void accept();
  void forget(BankConnection* c) { connections_.erase(c); }
  void close_all();

  asio::io_context& io_;
  FrameHandler handler_;
  std::size_t max_connections_;
  std::optional<tcp::acceptor> acceptor_;
  tcp::endpoint endpoint_;
  std::unordered_map<BankConnection*, std::shared_ptr<BankConnection>> connections_;
};

class BankConnection : public std::enable_shared_from_this<BankConnection> {
 public:
  BankConnection(std::weak_ptr<BankNodeServer::Impl> server, tcp::socket socket)
      : server_(std::move(server)),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        reader_(kMaxFrameBytes) {}

  void start() { read(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    error_code ignored;
    socket_.close(ignored);
    if (auto server = server_.lock()) server->forget(this);  // may destroy *this: last line
  }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              if (ec) return self->close();
                              if (!self->reader_.feed(std::string_view(self->scratch_.data(), n)))
                                return self->close();
                              while (auto body = self->reader_.next())
                                self->dispatch(std::move(*body));
                              if (!self->closed_) self->read();
                            });
  }

  void dispatch(std::string body) {
    auto server = server_.lock();
    if (!server) return close();
    std::weak_ptr<BankConnection> weak = shared_from_this();
    server->handler_(std::move(body), [weak](std::string out, Delivery delivery) {
      if (auto self = weak.lock()) self->send(std::move(out), delivery);
    });
  }

  void send(std::string body, Delivery delivery) {
    if (closed_) return;
    std::string bytes = frame(body);
    switch (delivery) {
      case Delivery::black_hole:
        return;
      case Delivery::reset:
        return reset();
      case Delivery::truncated_body:
        bytes.resize(bytes.size() / 2);
        break;
      default:
        break;
    }
    if (writes_.size() >= kMaxQueuedWrites) return close();  // a peer that never reads
    writes_.push_back({std::move(bytes), delivery});
    if (writes_.size() == 1) write_next(0);
  }

  struct Write {
    std::string bytes;
    Delivery delivery;
  };

  void write_next(std::size_t offset) {
    Write& w = writes_.front();
    const bool dribble = w.delivery == Delivery::slow_dribble;
    const std::size_t n =
        dribble ? std::min(kDribbleBytes, w.bytes.size() - offset) : w.bytes.size() - offset;
    asio::async_write(socket_, asio::buffer(w.bytes.data() + offset, n),
                      [self = shared_from_this(), offset, n](error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->after_write(offset + n);
                      });
  }

  void after_write(std::size_t written) {
    Write& w = writes_.front();
    if (written < w.bytes.size()) {
      timer_.expires_after(kDribbleGap);
      timer_.async_wait([self = shared_from_this(), written](error_code ec) {
        if (ec) return self->close();
        self->write_next(written);
      });
      return;
    }
    const bool truncated = w.delivery == Delivery::truncated_body;
    writes_.pop_front();
    if (truncated) return close();  // the rest of the frame never comes
    if (!writes_.empty()) write_next(0);
  }

  void reset() {
    error_code ignored;
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    close();
  }

  std::weak_ptr<BankNodeServer::Impl> server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  FrameReader reader_;
  std::array<char, 4'096> scratch_{};
  std::deque<Write> writes_;
  bool closed_ = false;
};

void BankNodeServer::Impl::accept() {
  acceptor_->async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
    if (!self->acceptor_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      return self->accept();
    }
    if (self->connections_.size() >= self->max_connections_) {
      error_code ignored;
      socket.close(ignored);
      return self->accept();
    }
    auto connection = std::make_shared<BankConnection>(self, std::move(socket));
    self->connections_.emplace(connection.get(), connection);
    connection->start();
    self->accept();
  });
}

void BankNodeServer::Impl::close_all() {
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [raw, connection] : connections)
    connection->close();
}

BankNodeServer::BankNodeServer(asio::io_context& io, FrameHandler handler,
                               std::size_t max_connections)
    : impl_(std::make_shared<Impl>(io, std::move(handler), max_connections)) {}
BankNodeServer::~BankNodeServer() { stop(); }

std::uint16_t BankNodeServer::listen(const std::string& host, std::uint16_t port) {
  impl_->open(tcp::endpoint(asio::ip::make_address(host), port));
  return impl_->endpoint_.port();
}
void BankNodeServer::stop_accepting() { impl_->close_acceptor(); }
void BankNodeServer::resume_accepting() {
  if (!impl_->acceptor_) impl_->open(impl_->endpoint_);
}
void BankNodeServer::stop() {
  impl_->close_acceptor();
  impl_->close_all();
}
bool BankNodeServer::accepting() const { return impl_->acceptor_.has_value(); }

}  // namespace fusebox::sim::live
