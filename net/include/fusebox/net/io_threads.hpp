#pragma once
// Threads each running an io_context of their own, for work handed off from a server's one
// thread: HttpServer writes its late answers on them (see http_server.hpp). Work is handed
// out round robin.
//
// Ownership: destroy an IoThreads while the io_context its work reports back to still
// exists. Its destructor runs what was handed off and not yet done (short, never waiting),
// then joins.

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace fusebox::net {

class IoThreads {
 public:
  // `count` threads (at least 1), started at once.
  explicit IoThreads(std::size_t count);
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  // The context that takes the next piece of work. Called from one thread only.
  [[nodiscard]] boost::asio::io_context& next();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::size_t next_ = 0;
};

}  // namespace fusebox::net
