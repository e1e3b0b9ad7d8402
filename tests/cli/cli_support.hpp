#pragma once
// Running the real `fusebox` binary from tests, as a user would: spawned by PID with its
// output in files, bounded in time, stopped by the PID it was given.
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fusebox/net/http_client.hpp"

extern char** environ;

namespace fusebox::test {

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Starts the real binary with stdin from /dev/null and stdout and stderr sent to files;
// the PID, or 0 when it could not start.
inline pid_t spawn_fusebox(const std::vector<std::string>& args,
                           const std::filesystem::path& out_path,
                           const std::filesystem::path& err_path) {
  std::vector<std::string> argv_storage{FUSEBOX_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, FUSEBOX_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return spawned == 0 ? pid : 0;
}

// Waits for `pid` to exit, calling `poll` every few milliseconds meanwhile; kills it (by its
// PID) if it has not finished within `timeout_s`, so a hang fails the test instead of
// stalling CI. The exit code, 128 + the signal if killed, or -1 after a timeout.
template <typename Poll>
int wait_bounded(pid_t pid, int timeout_s, Poll poll) {
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "fusebox did not exit within " << timeout_s << " s";
      return -1;
    }
    poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  poll();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs the real binary to completion, bounded in time (wait_bounded).
inline Result run_fusebox(const std::vector<std::string>& args, int timeout_s = 30) {
  const auto dir = std::filesystem::path(::testing::TempDir());
  const auto out_path = dir / ("fusebox_cli_out_" + std::to_string(::getpid()));
  const auto err_path = dir / ("fusebox_cli_err_" + std::to_string(::getpid()));
  const pid_t pid = spawn_fusebox(args, out_path, err_path);
  Result result;
  if (pid == 0) {
    ADD_FAILURE() << "cannot start " << FUSEBOX_BINARY;
    return result;
  }
  result.exit_code = wait_bounded(pid, timeout_s, [] {});
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return result;
}

// As run_fusebox, but with stderr on a pseudo-terminal, as when a user runs it in a shell:
// `err` is everything written to the terminal. stdout still goes to a file.
inline Result run_fusebox_on_terminal(const std::vector<std::string>& args, int timeout_s = 30) {
  Result result;
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
    ADD_FAILURE() << "no pseudo-terminal: " << std::strerror(errno);
    if (master >= 0) close(master);
    return result;
  }
  const std::string terminal = ptsname(master);
  // Held open here too, so the terminal stays readable after the child has closed its end.
  const int keep = open(terminal.c_str(), O_RDWR | O_NOCTTY);
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  const auto out_path = std::filesystem::path(::testing::TempDir()) /
                        ("fusebox_cli_tty_out_" + std::to_string(::getpid()));
  const pid_t pid = spawn_fusebox(args, out_path, terminal);
  if (pid == 0) {
    ADD_FAILURE() << "cannot start " << FUSEBOX_BINARY;
  } else {
    const auto drain = [&] {
      char buffer[4096];
      ssize_t n = 0;
      while ((n = read(master, buffer, sizeof buffer)) > 0)
        result.err.append(buffer, static_cast<std::size_t>(n));
    };
    result.exit_code = wait_bounded(pid, timeout_s, drain);
    result.out = slurp(out_path);
  }
  std::filesystem::remove(out_path);
  if (keep >= 0) close(keep);
  close(master);
  return result;
}

// An empty folder of the test's own under the test temp dir (names are unique across the
// CLI tests, which ctest may run at once).
inline std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / ("fusebox_cli_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A JSON file as fusebox reads it (comments allowed); discarded when it is not JSON.
inline nlohmann::json read_json(const std::filesystem::path& path) {
  return nlohmann::json::parse(slurp(path), nullptr, false, /*ignore_comments=*/true);
}

// The calls the gateway itself counted (its /metrics, scraped each second) over a channel's
// timeline: the gateway's view beside the load's.
inline long long gateway_calls(const nlohmann::json& result, const std::string& channel) {
  long long total = 0;
  for (const auto& v : result["timeline"]["channels"][channel]["gateway_calls"]) {
    if (v.is_number_integer()) total += v.get<long long>();
  }
  return total;
}

inline std::string context(const Result& r) { return "stdout:\n" + r.out + "\nstderr:\n" + r.err; }

// The first line a started command printed, waiting up to 30 s for it ("" if none came).
inline std::string wait_for_ready_line(const std::filesystem::path& out_path) {
  std::string ready;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    ready = slurp(out_path);
    if (ready.find('\n') != std::string::npos) return ready;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

inline int stop(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// --- processes that keep running: a simulator and gateways on loopback ---

// Polls `ready` every 20 ms for up to `timeout`; true once it holds.
inline bool eventually(const std::function<bool()>& ready,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ready();
}

inline nlohmann::json get_json(const std::string& url) {
  const auto reply = fusebox::net::http_request("GET", url);
  nlohmann::json body = nlohmann::json::parse(reply.body, nullptr, false);
  return body.is_discarded() ? nlohmann::json{{"http_status", reply.status}} : body;
}

// One labelled series of the gateway's /metrics, 0 when absent.
inline long long metric(const std::string& api, const std::string& series) {
  std::istringstream lines(fusebox::net::http_request("GET", api + "/metrics").body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stoll(line.substr(series.size() + 1));
  }
  return 0;
}

inline std::string notifications(const std::string& channel, const std::string& verdict) {
  return "fusebox_gateway_notifications_total{channel=\"" + channel + "\",verdict=\"" + verdict +
         "\"}";
}

// A started process and where its output goes; stopped by its PID.
struct Started {
  pid_t pid = 0;
  std::filesystem::path out, err;
  nlohmann::json ready;
};

inline Started start(const std::vector<std::string>& args, const std::filesystem::path& dir,
                     const std::string& name) {
  Started p{0, dir / (name + "_out"), dir / (name + "_err"), {}};
  p.pid = spawn_fusebox(args, p.out, p.err);
  if (p.pid == 0) return p;
  const std::string line = wait_for_ready_line(p.out);
  if (!line.empty()) p.ready = nlohmann::json::parse(line, nullptr, false);
  return p;
}

}  // namespace fusebox::test
