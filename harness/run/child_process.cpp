#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "fusebox/harness/runner.hpp"

extern char** environ;

namespace fusebox::harness {

namespace {

using Clock = std::chrono::steady_clock;

int wait_status_to_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace

ChildProcess::ChildProcess(std::string name, const std::filesystem::path& binary,
                           const std::vector<std::string>& args, const std::filesystem::path& log)
    : name_(std::move(name)), log_(log) {
  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw RunError(name_ + ": cannot make a pipe: " + std::strerror(errno));
  }
  std::vector<std::string> storage;
  storage.push_back(binary.string());
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : storage)
    argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  // Its own process group: a Ctrl-C at the terminal reaches the runner only, which then
  // stops its parts in order instead of losing them mid-run.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const int spawned =
      posix_spawn(&pid_, binary.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  if (spawned != 0) {
    close(out_pipe[0]);
    pid_ = -1;
    throw RunError(name_ + ": cannot start " + binary.string() + ": " + std::strerror(spawned));
  }
  stdout_fd_ = out_pipe[0];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) (void)stop(std::chrono::milliseconds(3000));
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::string ChildProcess::log_tail() const {
  std::ifstream in(log_);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > 8) lines.erase(lines.begin());
  }
  std::string out;
  for (const std::string& line : lines)
    out += "\n  " + line;
  return out.empty() ? std::string(" (its log is empty)") : ":" + out;
}

nlohmann::json ChildProcess::read_ready_line(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string line;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw RunError(name_ + " (pid " + std::to_string(pid_) + ") printed no ready line within " +
                     std::to_string(timeout.count()) + " ms; its log" + log_tail());
    }
    pollfd fd{stdout_fd_, POLLIN, 0};
    const int ready = poll(&fd, 1, static_cast<int>(std::min<long>(left.count(), 100)));
    if (ready < 0 && errno != EINTR) throw RunError(name_ + ": poll: " + std::strerror(errno));
    if (ready <= 0) continue;
    char c = 0;
    const ssize_t got = read(stdout_fd_, &c, 1);
    if (got == 0) {
      const int code = stop(std::chrono::milliseconds(1000));
      throw RunError(name_ + " exited (status " + std::to_string(code) +
                     ") before it was ready; its log" + log_tail());
    }
    if (got < 0) {
      if (errno == EINTR) continue;
      throw RunError(name_ + ": read: " + std::strerror(errno));
    }
    if (c == '\n') break;
    if (line.size() > 1 << 20) throw RunError(name_ + ": ready line longer than 1 MiB");
    line.push_back(c);
  }
  auto ready = nlohmann::json::parse(line, nullptr, false);
  if (ready.is_discarded() || !ready.is_object()) {
    throw RunError(name_ + ": expected one JSON object as its ready line, got: " + line);
  }
  return ready;
}

bool ChildProcess::alive() {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    reaped_ = true;
    exit_status_ = wait_status_to_code(status);
    return false;
  }
  return true;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0 || reaped_) return exit_status_;
  if (!alive()) return exit_status_;
  kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + grace;
  while (Clock::now() < deadline) {
    if (!alive()) return exit_status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  exit_status_ = wait_status_to_code(status);
  return exit_status_;
}

}  // namespace fusebox::harness
