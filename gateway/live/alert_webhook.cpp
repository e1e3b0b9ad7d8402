// Alert webhook delivery (alert_webhook.hpp).
#include "alert_webhook.hpp"

#include <array>
#include <chrono>
#include <exception>
#include <iostream>

#include <nlohmann/json.hpp>

#include "fusebox/net/http_client.hpp"

namespace fusebox::gateway {

namespace {

constexpr std::array<std::chrono::milliseconds, 2> kRetryAfter{std::chrono::milliseconds(500),
                                                               std::chrono::milliseconds(1000)};
constexpr std::chrono::milliseconds kTimeout(2000);

void say(const std::string& url, const std::string& what) {
  std::cerr << nlohmann::json{{"alert_webhook", url}, {"error", what}}.dump() << '\n';
}

}  // namespace

AlertWebhook::AlertWebhook(std::string url) : url_(std::move(url)), thread_([this] { run(); }) {}

AlertWebhook::~AlertWebhook() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    drain_until_ = std::chrono::steady_clock::now() + kDrainFor;
  }
  wake_.notify_one();
  thread_.join();
}

void AlertWebhook::send(std::string json_body) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kMaxQueued) {
      say(url_,
          "queue full (" + std::to_string(kMaxQueued) + " alerts waiting): dropped " + json_body);
      return;
    }
    queue_.push_back(std::move(json_body));
  }
  wake_.notify_one();
}

void AlertWebhook::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    std::string body = std::move(queue_.front());
    queue_.pop_front();
    if (stopping_ && std::chrono::steady_clock::now() >= drain_until_) {
      say(url_, "stopping: not delivered: " + body);
      continue;
    }
    const int tries = stopping_ ? 1 : static_cast<int>(kRetryAfter.size()) + 1;
    lock.unlock();
    (void)deliver(body, tries);
    lock.lock();
  }
}

bool AlertWebhook::deliver(const std::string& body, int tries) {
  std::string error;
  for (int attempt = 0; attempt < tries; ++attempt) {
    if (attempt > 0)
      std::this_thread::sleep_for(kRetryAfter[static_cast<std::size_t>(attempt - 1)]);
    try {
      const net::HttpReply reply =
          net::http_request("POST", url_, body, {{"Content-Type", "application/json"}}, kTimeout);
      if (reply.status >= 200 && reply.status < 300) return true;
      error = "HTTP " + std::to_string(reply.status);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  say(url_, error + " after " + std::to_string(tries) + " tries: " + body);
  return false;
}

}  // namespace fusebox::gateway
