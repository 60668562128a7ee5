#include "devnet_process.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/file.h"

namespace cairn::app {
namespace {

// How often stop_processes looks whether the processes have gone.
constexpr std::chrono::milliseconds kStopPoll{100};
// After SIGKILL the kernel frees the process quickly; this bounds the wait for it.
constexpr std::chrono::seconds kKillWait{5};

}  // namespace

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  reap_if_exited(pid);
  if (::kill(pid, 0) != 0) return errno == EPERM;
  // A zombie that is not our child (its parent has not reaped it yet) is gone too.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  return close == std::string::npos || close + 2 >= text.size() || text[close + 2] != 'Z';
}

Result<std::filesystem::path> find_cairnd(const std::string& requested) {
  std::error_code ec;
  if (!requested.empty()) {
    if (::access(requested.c_str(), X_OK) != 0) {
      return Error{ErrorCode::not_found, "--cairnd '" + requested + "' is not an executable file"};
    }
    return std::filesystem::absolute(requested, ec);
  }
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return Error{ErrorCode::io, "cannot find this executable (/proc/self/exe); pass --cairnd PATH"};
  const std::filesystem::path dir = self.parent_path();
  const std::vector<std::filesystem::path> candidates = {dir / "cairnd",
                                                         dir.parent_path() / "cairnd" / "cairnd"};
  std::string tried;
  for (const auto& candidate : candidates) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.lexically_normal();
    tried += (tried.empty() ? "" : ", ") + candidate.lexically_normal().string();
  }
  return Error{ErrorCode::not_found,
               "no cairnd next to this cairn (tried " + tried + "); pass --cairnd PATH"};
}

Result<pid_t> spawn_process(const SpawnOptions& options) {
  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<std::string> words;
  words.push_back(options.program.string());
  words.insert(words.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  UniqueFd log(::open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (log.get() < 0) {
    return Error{ErrorCode::io, "cannot open " + options.log_file.string() + ": " + std::strerror(errno)};
  }
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null.get() < 0)
    return Error{ErrorCode::io, std::string("cannot open /dev/null: ") + std::strerror(errno)};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Error{ErrorCode::io, std::string("fork: ") + std::strerror(errno)};
  if (pid == 0) {
    ::setsid();
    if (options.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    }
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::dup2(null.get(), STDIN_FILENO);
    ::dup2(log.get(), STDOUT_FILENO);
    ::dup2(log.get(), STDERR_FILENO);
    ::execv(argv[0], argv.data());
    static constexpr char kMessage[] = "cairn devnet: exec of cairnd failed\n";
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    ::_exit(127);
  }
  return pid;
}

bool process_matches(pid_t pid, const std::string& marker) {
  if (!process_alive(pid)) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : cmdline) {
    if (c == '\0') c = ' ';
  }
  return cmdline.find(marker) != std::string::npos;
}

bool reap_if_exited(pid_t pid) {
  int status = 0;
  return pid > 0 && ::waitpid(pid, &status, WNOHANG) == pid;
}

std::vector<StopOutcome> stop_processes(const std::vector<pid_t>& pids, std::chrono::milliseconds timeout) {
  std::vector<StopOutcome> outcomes(pids.size(), StopOutcome::not_running);
  std::vector<bool> signalled(pids.size(), false);
  for (size_t i = 0; i < pids.size(); ++i) {
    if (!process_alive(pids[i])) continue;
    ::kill(pids[i], SIGCONT);  // a stopped process would never handle SIGTERM
    signalled[i] = ::kill(pids[i], SIGTERM) == 0;
    if (signalled[i]) outcomes[i] = StopOutcome::stopped;
  }
  const auto wait_all = [&](std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      bool any = false;
      for (size_t i = 0; i < pids.size(); ++i) any = any || (signalled[i] && process_alive(pids[i]));
      if (!any || std::chrono::steady_clock::now() >= deadline) return;
      std::this_thread::sleep_for(kStopPoll);
    }
  };
  wait_all(timeout);
  for (size_t i = 0; i < pids.size(); ++i) {
    if (signalled[i] && process_alive(pids[i])) {
      ::kill(pids[i], SIGKILL);
      outcomes[i] = StopOutcome::killed;
    }
  }
  wait_all(kKillWait);
  return outcomes;
}

uint16_t first_port_in_use(const std::vector<uint16_t>& ports) {
  for (uint16_t port : ports) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return port;
    const int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) return port;
  }
  return 0;
}

}  // namespace cairn::app
