// The operating-system side of `cairn devnet`: finding cairnd, starting it detached (its
// own session, output to a log file), telling whether a recorded PID is still that node,
// stopping processes by PID (SIGTERM, a bounded wait, SIGKILL) and checking that ports are
// free. Linux only (/proc). Not thread-safe (signals and fork: one caller at a time).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

#include "util/result.h"

namespace cairn::app {

// How long `devnet down` and a stopping `devnet up` wait between SIGTERM and SIGKILL.
inline constexpr std::chrono::seconds kStopTimeout{30};

// The cairnd to run: `requested` when given (--cairnd), else the one next to this cairn
// executable: the same directory (an installation, /usr/bin) or ../cairnd/cairnd (the build
// tree's apps/cairn/cairn). The error lists the paths tried.
Result<std::filesystem::path> find_cairnd(const std::string& requested);

struct SpawnOptions {
  std::filesystem::path program;
  std::vector<std::string> args;   // without argv[0]
  std::filesystem::path log_file;  // stdout and stderr, appended
  // When the launching process dies the child gets SIGTERM (--foreground); otherwise the
  // child outlives it (its own session either way, so a terminal's Ctrl-C reaches only us).
  bool die_with_parent = false;
};

// Starts the program in a new session with stdin from /dev/null; its PID.
Result<pid_t> spawn_process(const SpawnOptions& options);

// Whether `pid` is a live process (not a zombie; our exited child is reaped).
bool process_alive(pid_t pid);

// Whether `pid` is a live process whose command line contains `marker` (the node's data
// dir): a recorded PID reused by another program is not ours.
bool process_matches(pid_t pid, const std::string& marker);

// Reaps `pid` if it is our exited child (no-op otherwise); true when it had exited.
bool reap_if_exited(pid_t pid);

// What stop_processes did to one process.
enum class StopOutcome { stopped, killed, not_running };

// SIGTERM to each PID, a wait of at most `timeout` for all, then SIGKILL to those left (and a
// short wait for them to go). Children of this process are reaped.
std::vector<StopOutcome> stop_processes(const std::vector<pid_t>& pids, std::chrono::milliseconds timeout);

// The first of `ports` on which something already listens on 127.0.0.1 (a bind with
// SO_REUSEADDR fails), or 0 when all are free.
uint16_t first_port_in_use(const std::vector<uint16_t>& ports);

}  // namespace cairn::app
