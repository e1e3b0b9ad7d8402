#pragma once
// A child process the harness started (`fusebox simulator`, `fusebox gateway`): its stdout on
// a pipe for the one JSON ready line, its stderr into a log file, stopped by its PID with
// SIGTERM (then SIGKILL after a grace) when the run ends, fails or is interrupted.

#include <chrono>
#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

#include <nlohmann/json.hpp>

namespace fusebox::harness {

class ChildProcess {
 public:
  // Starts `binary args...` with stdin from /dev/null and stderr appended to `log`.
  // Throws RunError naming the binary when it cannot be started.
  ChildProcess(std::string name, const std::filesystem::path& binary,
               const std::vector<std::string>& args, const std::filesystem::path& log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits for the first stdout line and parses it as JSON. Throws RunError with the last
  // lines of the log when the process exits first, prints something else, or stays silent
  // past `timeout`.
  [[nodiscard]] nlohmann::json read_ready_line(std::chrono::milliseconds timeout);
  // Still running?
  [[nodiscard]] bool alive();
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status (or -signal).
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  [[nodiscard]] std::string log_tail() const;

  std::string name_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int exit_status_ = 0;
  bool reaped_ = false;
};

}  // namespace fusebox::harness
