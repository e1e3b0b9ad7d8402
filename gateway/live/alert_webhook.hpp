#pragma once
// Alert events POSTed to an operator's webhook as they happen: the same JSON line the gateway
// writes to stderr, one POST per event, from a thread of its own so the event loop never
// waits on the receiver. Delivery is retried twice (0.5 s, then 1 s later); what still fails,
// or finds the queue full, is counted and said on stderr, never dropped silently.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace fusebox::gateway {

class AlertWebhook {
 public:
  struct Stats {
    std::uint64_t delivered = 0;  // answered 2xx
    std::uint64_t failed = 0;     // no 2xx after every try
    std::uint64_t dropped = 0;    // the queue was full
  };
  static constexpr std::size_t kMaxQueued = 1024;

  // `url` is http://host:port/path (plain HTTP; checked by the caller).
  explicit AlertWebhook(std::string url);
  // Delivers what is still queued, one try each, then stops.
  ~AlertWebhook();
  AlertWebhook(const AlertWebhook&) = delete;
  AlertWebhook& operator=(const AlertWebhook&) = delete;

  // Never blocks: queues the body for delivery.
  void send(std::string json_body);
  [[nodiscard]] Stats stats() const;

 private:
  void run();
  bool deliver(const std::string& body, int tries);

  std::string url_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  Stats stats_;
  std::thread thread_;
};

}  // namespace fusebox::gateway
