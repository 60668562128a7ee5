// A Node.js script from tests/interop run as a child process for interop tests: a pipe to its
// stdin (one command a line) and from its stdout (one JSON event a line). Every wait is
// bounded; the destructor closes stdin, sends SIGTERM and, after kJsStopTimeout, SIGKILL, and
// reaps the child by its PID. Needs CAIRN_INTEROP_DIR and CAIRN_NODE_EXECUTABLE defined by
// the test target. Not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cairn::test {

inline constexpr auto kJsStopTimeout = std::chrono::seconds(5);

class JsProcess {
 public:
  // Starts `node <script> <args...>` in tests/interop; waits for events up to `event_timeout`.
  JsProcess(const std::string& script, const std::vector<std::string>& args,
            std::chrono::steady_clock::duration event_timeout)
      : event_timeout_(event_timeout) {
    int to_child[2];
    int from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], STDIN_FILENO);
      dup2(from_child[1], STDOUT_FILENO);
      close(to_child[1]);
      close(from_child[0]);
      if (chdir(CAIRN_INTEROP_DIR) != 0) _exit(126);
      std::vector<std::string> argv_strings{CAIRN_NODE_EXECUTABLE, script};
      argv_strings.insert(argv_strings.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& arg : argv_strings) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    stdin_ = to_child[1];
    stdout_ = from_child[0];
  }
  JsProcess(const JsProcess&) = delete;
  JsProcess& operator=(const JsProcess&) = delete;

  ~JsProcess() {
    close(stdin_);
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + kJsStopTimeout;
    while (waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    close(stdout_);
  }

  // Writes one command line to the child's stdin.
  void send(const std::string& line) {
    const std::string with_newline = line + "\n";
    ASSERT_EQ(write(stdin_, with_newline.data(), with_newline.size()),
              static_cast<ssize_t>(with_newline.size()));
  }

  // The next event for which `match` holds, skipping others; nullopt on timeout or end of
  // output. An {"event":"error"} that `match` does not take is a test failure.
  std::optional<nlohmann::json> wait_for(const std::function<bool(const nlohmann::json&)>& match) {
    const auto deadline = std::chrono::steady_clock::now() + event_timeout_;
    for (;;) {
      for (size_t newline = buffer_.find('\n'); newline != std::string::npos; newline = buffer_.find('\n')) {
        const std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
        if (event.is_discarded()) continue;
        if (match(event)) return event;
        if (event.value("event", "") == "error") ADD_FAILURE() << "js: " << event.value("message", "");
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd readable{stdout_, POLLIN, 0};
      if (poll(&readable, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = read(stdout_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }
  // The next event named `name`.
  std::optional<nlohmann::json> wait_for(std::string_view name) {
    return wait_for([name](const nlohmann::json& event) { return event.value("event", "") == name; });
  }

 private:
  std::chrono::steady_clock::duration event_timeout_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
};

}  // namespace cairn::test
