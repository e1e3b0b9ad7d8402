// The pipelined bank-binary pool: connections_per_node TCP connections to every front-end
// node, each signed on (0800/001) before it carries anything, each with its own trace
// numbers and a window of max_in_flight_per_connection requests; round-robin over the
// connections of nodes in rotation; responses matched by trace number, in any order.
//
// Node health: a node is `starting` until its first sign-on answers, `up` while in rotation,
// `down` once a connect to it fails (refused, timed out, sign-on declined or unanswered) or
// an echo sent on an idle connection goes unanswered. A down node's connections take no new
// requests and close once nothing live is on them; every retry_node_ns one connection tries
// again, and an approved sign-on brings the node back.
//
// What a request's outcome means: on a connection loss, requests whose frame never reached
// the kernel (still queued behind a write, or past the bytes a failed write took) complete
// not_sent; the rest broken. A request past its deadline completes timeout but keeps its
// trace number reserved until its late answer (discarded, counted) or the connection's close,
// so a late answer can never be taken for another request's. When half a window is held by
// such requests, the connection drains and is replaced.
#include <array>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "fusebox/gateway/bank_frame.hpp"
#include "fusebox/gateway/transport.hpp"

#include "transport_detail.hpp"

namespace fusebox::gateway {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using detail::Completion;
using detail::failed;
using detail::SteadyClock;
using detail::SteadyTime;

constexpr std::size_t kReadBufferBytes = 120 * bank::kFrameBytes;
constexpr std::uint32_t kMaxWindow = 100'000;  // far below the 999,999 trace numbers

struct PendingSend {
  Encoder encode;
  TransportDone done;
  SteadyTime deadline;
};

enum class Purpose : std::uint8_t { request, sign_on, echo };

struct InFlight {
  Purpose purpose = Purpose::request;
  TransportDone done;  // empty once the request timed out: kept only to reserve its trace
  SteadyTime deadline{};
};

enum class CloseCause : std::uint8_t { lost, connect_failed, heartbeat_failed, recycled, stopped };

// The wall clock's seconds go in network frames' timestamp field; nothing matches on them.
TimeNs wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void earliest(std::optional<SteadyTime>& next, SteadyTime at) {
  next = next ? std::min(*next, at) : at;
}

class BankPool;

class BankConnection final : public std::enable_shared_from_this<BankConnection> {
 public:
  enum class Phase : std::uint8_t { connecting, signing_on, ready, draining, closed };

  BankConnection(std::shared_ptr<BankPool> pool, std::size_t node, std::size_t slot);

  [[nodiscard]] std::size_t node() const { return node_; }
  [[nodiscard]] std::size_t slot() const { return slot_; }
  [[nodiscard]] Phase phase() const { return phase_; }
  [[nodiscard]] std::uint32_t live() const { return live_; }
  [[nodiscard]] bool usable() const;

  void open(const tcp::endpoint& address);
  // Assigns a trace number, encodes and queues the frame; on failure says why and leaves
  // `send` untouched.
  [[nodiscard]] std::optional<std::string> send(PendingSend& send);
  // Expires requests, checks the connect, sign-on and heartbeat deadlines, sends heartbeats.
  void sweep(SteadyTime now, std::optional<SteadyTime>& next, std::vector<Completion>& out);
  // No new requests; closes once nothing live is on it.
  void drain(std::vector<Completion>& out);
  // Completes everything on it by how far it got, then tells the pool.
  void close(CloseCause cause, const std::string& why, std::vector<Completion>& out,
             std::optional<std::size_t> written = std::nullopt);

 private:
  void on_connect(error_code ec);
  void queue_frame(std::uint32_t trace, std::string_view frame);
  void flush();
  void on_write(error_code ec, std::size_t written);
  void read();
  void on_read(error_code ec, std::size_t n);
  void on_frame(std::string_view body, std::vector<Completion>& out);
  void on_sign_on(std::string_view body, std::vector<Completion>& out);
  [[nodiscard]] std::uint32_t next_trace();
  void send_network(bank::NetworkCode code, Purpose purpose, SteadyTime deadline);
  void expire_requests(SteadyTime now, std::optional<SteadyTime>& next,
                       std::vector<Completion>& out);
  void heartbeat(SteadyTime now, std::optional<SteadyTime>& next, std::vector<Completion>& out);

  std::shared_ptr<BankPool> pool_;
  std::size_t node_;
  std::size_t slot_;
  tcp::socket socket_;
  Phase phase_ = Phase::connecting;
  std::unordered_map<std::uint32_t, InFlight> in_flight_;  // at most the window + 1
  std::uint32_t live_ = 0;                                 // requests whose `done` is still to run
  std::uint32_t expired_ = 0;                              // timed out, trace still reserved
  std::uint32_t next_trace_ = bank::kMinTrace;
  // Frames queued while a write is on the wire go out together in the next one.
  std::string pending_out_;
  std::vector<std::uint32_t> pending_traces_;
  std::string writing_out_;
  std::vector<std::uint32_t> writing_traces_;
  bool writing_ = false;
  std::array<char, kReadBufferBytes> read_buffer_{};
  std::size_t read_bytes_ = 0;
  SteadyTime phase_deadline_{};         // connecting and signing on
  SteadyTime last_heard_{};             // the last frame received (or the sign-on)
  std::optional<SteadyTime> ready_at_;  // when its sign-on was approved
  std::optional<SteadyTime> echo_deadline_;
};

class BankPool final : public std::enable_shared_from_this<BankPool> {
 public:
  enum class NodeState : std::uint8_t { starting, up, down };
  struct Node {
    tcp::endpoint address;
    NodeState state = NodeState::starting;
    SteadyTime retry_at{};
  };

  BankPool(asio::io_context& io, BankEndpoint endpoint, std::vector<tcp::endpoint> addresses);

  void start();
  void send(Encoder encode, TimeNs timeout_ns, TransportDone done);
  [[nodiscard]] TransportStats stats() const;
  void stop();
  void sweep();

  // For the connections.
  [[nodiscard]] asio::io_context& io() { return io_; }
  [[nodiscard]] const BankEndpoint& endpoint() const { return endpoint_; }
  [[nodiscard]] bool stopped() const { return stopped_; }
  [[nodiscard]] bool in_rotation(std::size_t node) const {
    return nodes_[node].state == NodeState::up;
  }
  void watch(SteadyTime at) {
    if (!stopped_) sweep_timer_.ensure_by(*this, at);
  }
  void count_late() { ++late_responses_; }
  void count_unmatched() { ++unmatched_responses_; }
  void on_ready(BankConnection& connection);
  void on_slot_free(BankConnection& connection);
  void on_closed(BankConnection& connection, CloseCause cause, std::optional<SteadyTime> ready_at,
                 std::vector<Completion>& out);

 private:
  void reject(TransportDone done, std::string why) {
    detail::complete_later(io_, std::move(done), failed(Transport::not_sent, std::move(why)));
  }
  [[nodiscard]] BankConnection* next_usable();
  [[nodiscard]] bool any_node_may_serve() const;
  void assign(BankConnection& connection, PendingSend send);
  void dispatch_waiting();
  [[nodiscard]] std::optional<PendingSend> pop_waiting();
  void open_slot(std::size_t slot);
  void take_down(std::size_t node, std::vector<Completion>& out);
  void sweep_nodes(SteadyTime now, std::optional<SteadyTime>& next);
  void sweep_waiting(SteadyTime now, std::optional<SteadyTime>& next, std::vector<Completion>& out);

  asio::io_context& io_;
  BankEndpoint endpoint_;
  std::vector<Node> nodes_;
  std::vector<std::shared_ptr<BankConnection>> slots_;  // node * connections_per_node + i
  std::vector<std::optional<SteadyTime>> reopen_at_;    // per slot, while its node is up
  std::deque<PendingSend> waiting_;                     // at most max_waiting
  std::size_t cursor_ = 0;
  detail::SweepTimer sweep_timer_;
  bool stopped_ = false;
  std::uint64_t connects_failed_ = 0;
  std::uint64_t late_responses_ = 0;
  std::uint64_t unmatched_responses_ = 0;
};

// ---------------------------------------------------------------- BankConnection

BankConnection::BankConnection(std::shared_ptr<BankPool> pool, std::size_t node, std::size_t slot)
    : pool_(std::move(pool)), node_(node), slot_(slot), socket_(pool_->io()) {
  in_flight_.reserve(2 * (pool_->endpoint().max_in_flight_per_connection + 1));
}

bool BankConnection::usable() const {
  return phase_ == Phase::ready &&
         live_ + expired_ < pool_->endpoint().max_in_flight_per_connection;
}

void BankConnection::open(const tcp::endpoint& address) {
  phase_ = Phase::connecting;
  phase_deadline_ = detail::after(SteadyClock::now(), pool_->endpoint().connect_timeout_ns);
  pool_->watch(phase_deadline_);
  socket_.async_connect(address,
                        [self = shared_from_this()](error_code ec) { self->on_connect(ec); });
}

void BankConnection::on_connect(error_code ec) {
  if (phase_ == Phase::closed) return;
  std::vector<Completion> out;
  if (ec) {
    close(CloseCause::connect_failed, "connect: " + ec.message(), out);
  } else {
    socket_.set_option(tcp::no_delay(true), ec);
    phase_ = Phase::signing_on;
    send_network(bank::NetworkCode::sign_on, Purpose::sign_on, phase_deadline_);
    read();
  }
  for (Completion& c : out)
    c.done(std::move(c.result));
}

std::uint32_t BankConnection::next_trace() {
  // The window keeps in_flight_ far below 999,999 entries, so this finds one quickly.
  for (;;) {
    const std::uint32_t trace = next_trace_;
    next_trace_ = trace == bank::kMaxTrace ? bank::kMinTrace : trace + 1;
    if (!in_flight_.contains(trace)) return trace;
  }
}

void BankConnection::send_network(bank::NetworkCode code, Purpose purpose, SteadyTime deadline) {
  const std::uint32_t trace = next_trace();
  in_flight_.emplace(trace, InFlight{purpose, nullptr, deadline});
  queue_frame(trace, bank::network_frame(code, trace, wall_clock_ns(), pool_->endpoint().mac_key));
}

std::optional<std::string> BankConnection::send(PendingSend& send) {
  const std::uint32_t trace = next_trace();
  WireRequest request;
  try {
    request = send.encode(trace);
  } catch (const std::exception& e) {
    return std::string("encode: ") + e.what();
  }
  const std::string_view frame = request.body;
  const bool framed = frame.size() == bank::kFrameBytes && frame[0] == '\0' &&
                      static_cast<unsigned char>(frame[1]) == bank::kBodyBytes &&
                      bank::read_trace(frame.substr(bank::kLengthPrefixBytes)) == trace;
  if (!framed) return "encode: not a bank frame with trace " + std::to_string(trace);
  in_flight_.emplace(trace, InFlight{Purpose::request, std::move(send.done), send.deadline});
  ++live_;
  pool_->watch(send.deadline);
  queue_frame(trace, frame);
  return std::nullopt;
}

void BankConnection::queue_frame(std::uint32_t trace, std::string_view frame) {
  pending_out_.append(frame);
  pending_traces_.push_back(trace);
  if (!writing_) flush();
}

void BankConnection::flush() {
  std::swap(pending_out_, writing_out_);
  std::swap(pending_traces_, writing_traces_);
  pending_out_.clear();
  pending_traces_.clear();
  writing_ = true;
  asio::async_write(socket_, asio::buffer(writing_out_),
                    [self = shared_from_this()](error_code ec, std::size_t written) {
                      self->on_write(ec, written);
                    });
}

void BankConnection::on_write(error_code ec, std::size_t written) {
  writing_ = false;
  if (phase_ == Phase::closed) return;
  if (ec) {
    std::vector<Completion> out;
    close(CloseCause::lost, "write: " + ec.message(), out, written);
    for (Completion& c : out)
      c.done(std::move(c.result));
    return;
  }
  writing_out_.clear();
  writing_traces_.clear();
  if (!pending_out_.empty()) flush();
}

void BankConnection::read() {
  socket_.async_read_some(
      asio::buffer(read_buffer_.data() + read_bytes_, read_buffer_.size() - read_bytes_),
      [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
}

// Answers are matched while the buffer is parsed and their `done` run after, so one that sends
// again or stops the pool finds this connection in a consistent state.
void BankConnection::on_read(error_code ec, std::size_t n) {
  if (phase_ == Phase::closed) return;
  std::vector<Completion> out;
  if (ec) {
    close(CloseCause::lost, ec == asio::error::eof ? "closed by the node" : "read: " + ec.message(),
          out);
  } else {
    read_bytes_ += n;
    last_heard_ = SteadyClock::now();
    std::size_t offset = 0;
    while (phase_ != Phase::closed && read_bytes_ - offset >= bank::kLengthPrefixBytes) {
      const auto* bytes = reinterpret_cast<const unsigned char*>(read_buffer_.data() + offset);
      const std::size_t length = (std::size_t{bytes[0]} << 8U) | bytes[1];
      if (length != bank::kBodyBytes) {
        close(CloseCause::lost, "frame length " + std::to_string(length), out);
        break;
      }
      if (read_bytes_ - offset < bank::kFrameBytes) break;
      on_frame(std::string_view(read_buffer_.data() + offset + bank::kLengthPrefixBytes,
                                bank::kBodyBytes),
               out);
      offset += bank::kFrameBytes;
    }
    if (phase_ != Phase::closed) {
      std::memmove(read_buffer_.data(), read_buffer_.data() + offset, read_bytes_ - offset);
      read_bytes_ -= offset;
      read();
    }
  }
  for (Completion& c : out)
    c.done(std::move(c.result));
}

void BankConnection::on_frame(std::string_view body, std::vector<Completion>& out) {
  const std::optional<std::uint32_t> trace = bank::read_trace(body);
  const auto it = trace ? in_flight_.find(*trace) : in_flight_.end();
  if (it == in_flight_.end()) return pool_->count_unmatched();
  InFlight entry = std::move(it->second);
  in_flight_.erase(it);
  switch (entry.purpose) {
    case Purpose::sign_on:
      return on_sign_on(body, out);
    case Purpose::echo:
      echo_deadline_.reset();  // any answer shows the node alive
      return;
    case Purpose::request:
      break;
  }
  if (!entry.done) {
    --expired_;
    pool_->count_late();
  } else {
    --live_;
    TransportResult result;
    result.transport = Transport::delivered;
    result.body.assign(body);
    out.push_back({std::move(entry.done), std::move(result)});
  }
  if (phase_ == Phase::draining && live_ == 0) {
    return close(CloseCause::recycled, "drained", out);
  }
  pool_->on_slot_free(*this);
}

void BankConnection::on_sign_on(std::string_view body, std::vector<Completion>& out) {
  const bank::NetworkReply reply = bank::parse_network_reply(body, pool_->endpoint().mac_key);
  if (!reply.approved || reply.code != bank::NetworkCode::sign_on) {
    const std::string why = reply.error.empty() ? "not a sign-on answer" : reply.error;
    return close(CloseCause::connect_failed, "sign-on: " + why, out);
  }
  phase_ = Phase::ready;
  last_heard_ = SteadyClock::now();
  ready_at_ = last_heard_;
  pool_->watch(detail::after(last_heard_, pool_->endpoint().heartbeat_ns));
  pool_->on_ready(*this);
}

void BankConnection::sweep(SteadyTime now, std::optional<SteadyTime>& next,
                           std::vector<Completion>& out) {
  if (phase_ == Phase::connecting || phase_ == Phase::signing_on) {
    if (now < phase_deadline_) return earliest(next, phase_deadline_);
    const char* what = phase_ == Phase::connecting ? "connect timed out" : "sign-on unanswered";
    return close(CloseCause::connect_failed, what, out);
  }
  if (phase_ != Phase::ready && phase_ != Phase::draining) return;
  expire_requests(now, next, out);
  if (phase_ == Phase::draining && live_ == 0) return close(CloseCause::recycled, "drained", out);
  if (expired_ >= std::max<std::uint32_t>(1, pool_->endpoint().max_in_flight_per_connection / 2)) {
    return drain(out);
  }
  if (phase_ == Phase::ready) heartbeat(now, next, out);
}

void BankConnection::expire_requests(SteadyTime now, std::optional<SteadyTime>& next,
                                     std::vector<Completion>& out) {
  for (auto& [trace, entry] : in_flight_) {
    if (entry.purpose != Purpose::request || !entry.done) continue;
    if (entry.deadline > now) {
      earliest(next, entry.deadline);
      continue;
    }
    out.push_back(
        {std::move(entry.done), failed(Transport::timeout, "no answer within the timeout")});
    entry.done = nullptr;
    --live_;
    ++expired_;
  }
}

void BankConnection::heartbeat(SteadyTime now, std::optional<SteadyTime>& next,
                               std::vector<Completion>& out) {
  const BankEndpoint& endpoint = pool_->endpoint();
  if (echo_deadline_) {
    if (now < *echo_deadline_) return earliest(next, *echo_deadline_);
    return close(CloseCause::heartbeat_failed, "heartbeat unanswered", out);
  }
  const SteadyTime due = detail::after(last_heard_, endpoint.heartbeat_ns);
  if (now < due) return earliest(next, due);
  echo_deadline_ = detail::after(now, endpoint.heartbeat_timeout_ns);
  send_network(bank::NetworkCode::echo, Purpose::echo, *echo_deadline_);
  earliest(next, *echo_deadline_);
}

void BankConnection::drain(std::vector<Completion>& out) {
  if (phase_ == Phase::connecting || phase_ == Phase::signing_on) {
    return close(CloseCause::recycled, "node out of rotation", out);
  }
  if (phase_ != Phase::ready) return;
  phase_ = Phase::draining;
  if (live_ == 0) close(CloseCause::recycled, "drained", out);
}

void BankConnection::close(CloseCause cause, const std::string& why, std::vector<Completion>& out,
                           std::optional<std::size_t> written) {
  if (phase_ == Phase::closed) return;
  // Lost before the sign-on answered: the node did not take the connection.
  const bool attempt = phase_ == Phase::connecting || phase_ == Phase::signing_on;
  if (cause == CloseCause::lost && attempt) cause = CloseCause::connect_failed;
  phase_ = Phase::closed;
  error_code ignored;
  socket_.close(ignored);
  // Frames that never reached the kernel: those behind the write, and, when a write failed,
  // those past the bytes it took (without that count, the whole batch may have left).
  std::vector<std::uint32_t> unsent = pending_traces_;
  if (written) {
    for (std::size_t i = 0; i < writing_traces_.size(); ++i) {
      if (i * bank::kFrameBytes >= *written) unsent.push_back(writing_traces_[i]);
    }
  }
  for (const std::uint32_t trace : unsent) {
    const auto it = in_flight_.find(trace);
    if (it == in_flight_.end() || !it->second.done) continue;
    out.push_back({std::move(it->second.done), failed(Transport::not_sent, why)});
    in_flight_.erase(it);
  }
  for (auto& [trace, entry] : in_flight_) {
    if (entry.done) out.push_back({std::move(entry.done), failed(Transport::broken, why)});
  }
  in_flight_.clear();
  pending_traces_.clear();
  writing_traces_.clear();
  live_ = 0;
  expired_ = 0;
  pool_->on_closed(*this, cause, ready_at_, out);
}

// ---------------------------------------------------------------- BankPool

BankPool::BankPool(asio::io_context& io, BankEndpoint endpoint,
                   std::vector<tcp::endpoint> addresses)
    : io_(io), endpoint_(std::move(endpoint)), sweep_timer_(io) {
  for (const tcp::endpoint& address : addresses)
    nodes_.push_back(Node{address, NodeState::starting, {}});
  slots_.resize(nodes_.size() * endpoint_.connections_per_node);
  reopen_at_.resize(slots_.size());
}

void BankPool::start() {
  for (std::size_t slot = 0; slot < slots_.size(); ++slot)
    open_slot(slot);
}

void BankPool::open_slot(std::size_t slot) {
  reopen_at_[slot].reset();
  const std::size_t node = slot / endpoint_.connections_per_node;
  auto connection = std::make_shared<BankConnection>(shared_from_this(), node, slot);
  slots_[slot] = connection;
  connection->open(nodes_[node].address);
}

void BankPool::send(Encoder encode, TimeNs timeout_ns, TransportDone done) {
  if (stopped_) return reject(std::move(done), "transport stopped");
  PendingSend send{std::move(encode), std::move(done),
                   detail::after(SteadyClock::now(), timeout_ns)};
  if (BankConnection* connection = next_usable()) return assign(*connection, std::move(send));
  if (!any_node_may_serve()) return reject(std::move(send.done), "no healthy node");
  if (waiting_.size() >= endpoint_.max_waiting) {
    return reject(std::move(send.done), "pool queue full");
  }
  watch(send.deadline);
  waiting_.push_back(std::move(send));
}

BankConnection* BankPool::next_usable() {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const std::size_t slot = (cursor_ + i) % slots_.size();
    BankConnection* connection = slots_[slot].get();
    if (connection && in_rotation(connection->node()) && connection->usable()) {
      cursor_ = slot + 1;
      return connection;
    }
  }
  return nullptr;
}

// While a node is still on its first attempt, sends wait for it rather than fail.
bool BankPool::any_node_may_serve() const {
  return std::any_of(nodes_.begin(), nodes_.end(),
                     [](const Node& node) { return node.state != NodeState::down; });
}

void BankPool::assign(BankConnection& connection, PendingSend send) {
  if (std::optional<std::string> error = connection.send(send)) {
    reject(std::move(send.done), std::move(*error));
  }
}

std::optional<PendingSend> BankPool::pop_waiting() { return detail::pop_waiting(waiting_, io_); }

void BankPool::dispatch_waiting() {
  while (!waiting_.empty()) {
    BankConnection* connection = next_usable();
    if (!connection) return;
    std::optional<PendingSend> send = pop_waiting();
    if (!send) return;
    assign(*connection, std::move(*send));
  }
}

void BankPool::on_ready(BankConnection& connection) {
  Node& node = nodes_[connection.node()];
  if (node.state != NodeState::up) {
    node.state = NodeState::up;
    const std::size_t first = connection.node() * endpoint_.connections_per_node;
    for (std::size_t slot = first; slot < first + endpoint_.connections_per_node; ++slot) {
      if (!slots_[slot]) open_slot(slot);
    }
  }
  dispatch_waiting();
}

void BankPool::on_slot_free(BankConnection& connection) {
  if (waiting_.empty() || !in_rotation(connection.node()) || !connection.usable()) return;
  if (std::optional<PendingSend> send = pop_waiting()) assign(connection, std::move(*send));
}

void BankPool::on_closed(BankConnection& connection, CloseCause cause,
                         std::optional<SteadyTime> ready_at, std::vector<Completion>& out) {
  const std::size_t slot = connection.slot();
  const std::size_t node = connection.node();
  // Its pending handlers keep `connection` alive past this.
  if (slots_[slot].get() == &connection) slots_[slot].reset();
  if (stopped_) return;
  if (cause == CloseCause::connect_failed) ++connects_failed_;
  if (cause == CloseCause::connect_failed || cause == CloseCause::heartbeat_failed) {
    take_down(node, out);
  } else if (nodes_[node].state == NodeState::up) {
    // A connection that lived a while is replaced at once; one that keeps dying, slowly.
    const SteadyTime now = SteadyClock::now();
    const bool lived =
        ready_at && now - *ready_at >= std::chrono::nanoseconds(endpoint_.retry_node_ns);
    reopen_at_[slot] = lived ? now : detail::after(now, endpoint_.retry_node_ns);
    watch(*reopen_at_[slot]);
  }
  if (!any_node_may_serve()) {
    for (PendingSend& send : waiting_)
      out.push_back({std::move(send.done), failed(Transport::not_sent, "no healthy node")});
    waiting_.clear();
  }
}

void BankPool::take_down(std::size_t node, std::vector<Completion>& out) {
  Node& n = nodes_[node];
  const bool was_down = n.state == NodeState::down;
  n.state = NodeState::down;
  if (!was_down) {
    n.retry_at = detail::after(SteadyClock::now(), endpoint_.retry_node_ns);
    watch(n.retry_at);
  }
  const std::size_t first = node * endpoint_.connections_per_node;
  for (std::size_t slot = first; slot < first + endpoint_.connections_per_node; ++slot) {
    reopen_at_[slot].reset();
    if (const auto connection = slots_[slot]) connection->drain(out);
  }
}

void BankPool::sweep() {
  if (stopped_) return;
  const SteadyTime now = SteadyClock::now();
  std::optional<SteadyTime> next;
  std::vector<Completion> out;
  for (std::size_t slot = 0; slot < slots_.size(); ++slot) {
    if (const auto connection = slots_[slot]) connection->sweep(now, next, out);
  }
  sweep_nodes(now, next);
  sweep_waiting(now, next, out);
  if (next) watch(*next);
  for (Completion& c : out)
    c.done(std::move(c.result));
}

// Down nodes get one probe connection every retry_node_ns; up nodes get their closed
// connections back when due.
void BankPool::sweep_nodes(SteadyTime now, std::optional<SteadyTime>& next) {
  for (std::size_t node = 0; node < nodes_.size(); ++node) {
    const std::size_t first = node * endpoint_.connections_per_node;
    const std::size_t end = first + endpoint_.connections_per_node;
    if (nodes_[node].state == NodeState::down) {
      if (now < nodes_[node].retry_at) {
        earliest(next, nodes_[node].retry_at);
        continue;
      }
      nodes_[node].retry_at = detail::after(now, endpoint_.retry_node_ns);
      earliest(next, nodes_[node].retry_at);
      for (std::size_t slot = first; slot < end; ++slot) {
        if (slots_[slot]) continue;
        open_slot(slot);
        break;
      }
      continue;
    }
    for (std::size_t slot = first; slot < end; ++slot) {
      if (!reopen_at_[slot] || slots_[slot]) continue;
      if (now >= *reopen_at_[slot]) {
        open_slot(slot);
      } else {
        earliest(next, *reopen_at_[slot]);
      }
    }
  }
}

void BankPool::sweep_waiting(SteadyTime now, std::optional<SteadyTime>& next,
                             std::vector<Completion>& out) {
  auto kept = waiting_.begin();
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->deadline <= now) {
      out.push_back({std::move(it->done), detail::waited_too_long()});
      continue;
    }
    earliest(next, it->deadline);
    if (kept != it) *kept = std::move(*it);
    ++kept;
  }
  waiting_.erase(kept, waiting_.end());
}

TransportStats BankPool::stats() const {
  TransportStats stats;
  for (const auto& connection : slots_) {
    if (!connection || connection->phase() == BankConnection::Phase::closed) continue;
    ++stats.connections_open;
    stats.requests_in_flight += connection->live();
    if (connection->phase() == BankConnection::Phase::ready && connection->live() == 0) {
      ++stats.connections_idle;
    }
  }
  stats.requests_waiting = static_cast<std::uint32_t>(waiting_.size());
  for (const Node& node : nodes_)
    stats.nodes_healthy += node.state == NodeState::up ? 1 : 0;
  stats.nodes_total = static_cast<std::uint32_t>(nodes_.size());
  stats.connects_failed = connects_failed_;
  stats.late_responses = late_responses_;
  stats.unmatched_responses = unmatched_responses_;
  return stats;
}

// Completions run later, from the io_context, never from inside stop().
void BankPool::stop() {
  if (stopped_) return;
  stopped_ = true;
  sweep_timer_.cancel();
  std::vector<Completion> out;
  for (PendingSend& send : waiting_)
    out.push_back({std::move(send.done), failed(Transport::not_sent, "transport stopped")});
  waiting_.clear();
  for (std::size_t slot = 0; slot < slots_.size(); ++slot) {
    if (const auto connection = slots_[slot]) {
      connection->close(CloseCause::stopped, "transport stopped", out);
    }
  }
  detail::complete_later(io_, std::move(out));
}

tcp::endpoint resolve(asio::io_context& io, const std::string& host, std::uint16_t port) {
  if (port == 0) throw std::invalid_argument("nodes: port must not be 0");
  error_code ec;
  const asio::ip::address ip = asio::ip::make_address(host, ec);
  if (!ec) return {ip, port};
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) {
    throw std::invalid_argument("nodes: cannot resolve " + host + ": " + ec.message());
  }
  return results.begin()->endpoint();
}

}  // namespace

std::unique_ptr<ChannelTransport> make_bank_transport(asio::io_context& io, BankEndpoint endpoint) {
  if (endpoint.nodes.empty()) throw std::invalid_argument("nodes: at least one");
  if (endpoint.connections_per_node == 0) {
    throw std::invalid_argument("connections_per_node: must be > 0");
  }
  if (endpoint.max_in_flight_per_connection == 0 ||
      endpoint.max_in_flight_per_connection > kMaxWindow) {
    throw std::invalid_argument("max_in_flight_per_connection: must be in 1.." +
                                std::to_string(kMaxWindow));
  }
  std::vector<tcp::endpoint> addresses;
  for (const auto& [host, port] : endpoint.nodes)
    addresses.push_back(resolve(io, host, port));
  auto pool = std::make_shared<BankPool>(io, std::move(endpoint), std::move(addresses));
  pool->start();
  return std::make_unique<detail::PooledTransport<BankPool>>(std::move(pool));
}

}  // namespace fusebox::gateway
