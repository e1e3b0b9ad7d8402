// A small load tool of ours for the bank-binary channel (wrk speaks only HTTP): keeps DEPTH
// pay frames in flight on each of CONNECTIONS TCP connections per front-end node, each
// answer answered by the next frame, for a warm-up and then a measured duration. Frames are
// built and answers verified with the gateway's own bank codec (MAC checked, trace and order
// id matched), so an answer counts only when a real gateway would accept it. Loopback only;
// it stops by itself after warm-up + duration.
//
// Usage: fusebox_bank_load --ports P1,P2,.. --mac-key K [--connections 16] [--depth 8]
//                          [--duration 10] [--warmup 2] [--run TAG]
// Prints one line of figures: answered req/s, p50/p99 from send to answer, and counts.

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>

#include "fusebox/common/clock.hpp"
#include "fusebox/common/framing.hpp"
#include "fusebox/common/histogram.hpp"
#include "fusebox/gateway/bank_frame.hpp"
#include "fusebox/gateway/channel_codec.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using fusebox::TimeNs;
namespace gw = fusebox::gateway;

const fusebox::MonotonicClock steady_clock;
TimeNs now_ns() { return steady_clock.now_ns(); }

struct Totals {
  fusebox::Histogram latency{fusebox::latency_histogram_config()};
  std::uint64_t answered = 0;  // verified answers inside the measured window
  std::uint64_t approved = 0;  // of which the payment is SUCCEEDED
  std::uint64_t rejected = 0;  // unverified, malformed or unmatched: a gateway would refuse them
  std::uint64_t failed_connections = 0;
  std::size_t open_connections = 0;
  asio::steady_timer* limit = nullptr;  // cancelled when the last connection closes
};

struct Settings {
  std::string run = "0";
  int depth = 8;
  TimeNs measure_from = 0;  // the end of the warm-up
  TimeNs stop_at = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, const gw::ChannelCodec& codec, const Settings& settings,
             Totals& totals, int id)
      : socket_(io),
        codec_(codec),
        settings_(settings),
        totals_(totals),
        id_(id),
        reader_(fusebox::gateway::bank::kBodyBytes) {
    ++totals_.open_connections;
  }

  void start(std::uint16_t port) {
    socket_.async_connect({asio::ip::make_address("127.0.0.1"), port},
                          [self = shared_from_this()](boost::system::error_code ec) {
                            if (ec) return self->fail();
                            self->socket_.set_option(tcp::no_delay(true));
                            for (int i = 0; i < self->settings_.depth; ++i)
                              self->queue_pay();
                            self->write();
                            self->read();
                          });
  }

 private:
  struct InFlight {
    gw::ChannelCall call;
    TimeNs sent_ns = 0;
  };

  void queue_pay() {
    trace_ = trace_ % gw::bank::kMaxTrace + 1;
    InFlight flight;
    flight.call.op = gw::ChannelOp::pay;
    flight.call.order_id =
        "b" + settings_.run + "-" + std::to_string(id_) + "-" + std::to_string(++sequence_);
    flight.call.amount_minor = 100;
    flight.call.currency = "CNY";
    flight.sent_ns = now_ns();
    pending_out_ += codec_.encode(flight.call, {flight.sent_ns, 0, trace_}).body;
    in_flight_[trace_] = std::move(flight);
  }

  void write() {
    if (writing_ || pending_out_.empty()) return;
    writing_ = true;
    writing_out_.swap(pending_out_);
    asio::async_write(socket_, asio::buffer(writing_out_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->writing_out_.clear();
                        if (ec) return self->fail();
                        self->write();
                      });
  }

  void read() {
    socket_.async_read_some(
        asio::buffer(buffer_),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (ec) return self->fail();
          if (!self->reader_.feed({self->buffer_.data(), n})) return self->fail();
          while (auto body = self->reader_.next())
            self->on_answer(*body);
          if (now_ns() >= self->settings_.stop_at) return self->close();
          self->write();
          self->read();
        });
  }

  void on_answer(const std::string& body) {
    const TimeNs now = now_ns();
    const auto trace = gw::bank::read_trace(body);
    const auto it = trace ? in_flight_.find(*trace) : in_flight_.end();
    if (it == in_flight_.end()) {
      ++totals_.rejected;
      return;
    }
    const gw::ChannelReply reply = codec_.decode(it->second.call, {0, body, {}});
    if (now >= settings_.measure_from && now < settings_.stop_at) {
      if (reply.kind == gw::ReplyKind::answered || reply.kind == gw::ReplyKind::declined) {
        ++totals_.answered;
        totals_.latency.record(now - it->second.sent_ns);
        if (reply.payment == gw::PaymentStatus::succeeded) ++totals_.approved;
      } else {
        ++totals_.rejected;
      }
    }
    in_flight_.erase(it);
    if (now < settings_.stop_at) queue_pay();
  }

  // An error after our own close (the aborted read or write) is not a failure.
  void fail() {
    if (closed_) return;
    ++totals_.failed_connections;
    close();
  }
  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (--totals_.open_connections == 0) totals_.limit->cancel();
  }

  tcp::socket socket_;
  const gw::ChannelCodec& codec_;
  const Settings& settings_;
  Totals& totals_;
  int id_;
  fusebox::FrameReader reader_;
  std::array<char, 16 * 1024> buffer_{};
  std::string pending_out_;
  std::string writing_out_;
  bool writing_ = false;
  bool closed_ = false;
  std::uint32_t trace_ = 0;
  std::uint64_t sequence_ = 0;
  std::unordered_map<std::uint32_t, InFlight> in_flight_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Pipelined pay load on the simulator's bank-binary nodes (127.0.0.1)"};
  std::vector<std::uint16_t> ports;
  std::string mac_key;
  int connections = 16;
  int duration_s = 10;
  int warmup_s = 2;
  Settings settings;
  app.add_option("--ports", ports, "the front-end nodes' ports")->required()->delimiter(',');
  app.add_option("--mac-key", mac_key, "the channel's MAC key (GET /control/channels)")->required();
  app.add_option("--connections", connections, "connections per node")->check(CLI::Range(1, 1000));
  app.add_option("--depth", settings.depth, "pay frames in flight per connection")
      ->check(CLI::Range(1, 1000));
  app.add_option("--duration", duration_s, "measured seconds")->check(CLI::Range(1, 600));
  app.add_option("--warmup", warmup_s, "seconds before measuring")->check(CLI::Range(0, 60));
  app.add_option("--run", settings.run, "tag that keeps order ids unique across runs");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    gw::CodecKeys keys;
    keys.mac_key = mac_key;
    const auto codec = gw::make_codec(gw::Family::bank_binary, std::move(keys));
    asio::io_context io;
    Totals totals;
    const TimeNs start = now_ns();
    settings.measure_from = start + warmup_s * fusebox::kNsPerS;
    settings.stop_at = settings.measure_from + duration_s * fusebox::kNsPerS;
    // Connections close themselves at stop_at once an answer comes; the timer bounds the
    // run when answers stop coming (a black hole, a dead node).
    asio::steady_timer limit(
        io, std::chrono::nanoseconds(settings.stop_at - start) + std::chrono::seconds(2));
    limit.async_wait([&io](boost::system::error_code) { io.stop(); });
    totals.limit = &limit;
    int id = 0;
    for (const std::uint16_t port : ports) {
      for (int c = 0; c < connections; ++c)
        std::make_shared<Connection>(io, *codec, settings, totals, id++)->start(port);
    }
    io.run();
    const double seconds = static_cast<double>(duration_s);
    std::printf(
        "bank-binary: %d nodes x %d connections x depth %d, %d s: %.0f req/s answered, "
        "p50 %.3f ms, p99 %.3f ms, %llu answered (%llu approved), %llu rejected, "
        "%llu connections failed\n",
        static_cast<int>(ports.size()), connections, settings.depth, duration_s,
        static_cast<double>(totals.answered) / seconds,
        fusebox::to_ms(totals.latency.value_at_percentile(50)),
        fusebox::to_ms(totals.latency.value_at_percentile(99)),
        static_cast<unsigned long long>(totals.answered),
        static_cast<unsigned long long>(totals.approved),
        static_cast<unsigned long long>(totals.rejected),
        static_cast<unsigned long long>(totals.failed_connections));
    return totals.answered > 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fusebox_bank_load: %s\n", e.what());
    return 2;
  }
}
