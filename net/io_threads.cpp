#include "fusebox/net/io_threads.hpp"

#include <stdexcept>

namespace fusebox::net {

IoThreads::IoThreads(std::size_t count) {
  if (count == 0) throw std::invalid_argument("IoThreads: at least one thread");
  for (std::size_t i = 0; i < count; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
  for (auto& context : contexts_)
    threads_.emplace_back([&io = *context] { io.run(); });
}

IoThreads::~IoThreads() {
  guards_.clear();  // run() returns once what was handed off is done
  for (std::thread& thread : threads_)
    thread.join();
}

boost::asio::io_context& IoThreads::next() {
  boost::asio::io_context& io = *contexts_[next_];
  next_ = (next_ + 1) % contexts_.size();
  return io;
}

}  // namespace fusebox::net
