#pragma once
// Alert events POSTed to an operator's webhook as they happen: the same JSON line the gateway
// writes to stderr, one POST per event, from a thread of its own so the event loop never
// waits on the receiver. Delivery is retried twice (0.5 s, then 1 s later); what still fails,
// or finds the queue full, is said on stderr with the event, never dropped silently.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace fusebox::gateway {

class AlertWebhook {
 public:
  static constexpr std::size_t kMaxQueued = 1024;
  // On stop, what is still queued gets one try each within this; the rest is said on stderr.
  static constexpr std::chrono::seconds kDrainFor{5};

  // `url` is http://host:port/path (plain HTTP; checked by the caller).
  explicit AlertWebhook(std::string url);
  // Delivers what is still queued (one try each, for at most kDrainFor), then stops.
  ~AlertWebhook();
  AlertWebhook(const AlertWebhook&) = delete;
  AlertWebhook& operator=(const AlertWebhook&) = delete;

  // Never blocks: queues the body for delivery.
  void send(std::string json_body);

 private:
  void run();
  bool deliver(const std::string& body, int tries);

  std::string url_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point drain_until_;
  std::thread thread_;
};

}  // namespace fusebox::gateway
