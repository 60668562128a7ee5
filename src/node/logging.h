// cairnd's log (docs/operations.md "Logging"): one spdlog logger per component, every line
//
//   2026-11-24T21:50:29.123Z info chain msg="connected block" height=12 hash=ab12cd ms=3.1
//
// (UTC time, level, component, then `key=value` fields, the message first; a value with a
// space, a quote, an `=` or nothing in it is quoted, with `\"` and `\\` escaped). Levels are
// per component and can change while the node runs (node_set_log_level); the sinks (stderr,
// a rotating file) are chosen once at start-up.
//
// Thread-safety: logging and changing levels are safe from any thread. configure_logging()
// replaces the sinks and must run before other threads log (cairnd calls it first thing);
// until then every component logs to stderr at info.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/common.h>
#include <spdlog/logger.h>

#include "util/result.h"

namespace cairn {

enum class LogComponent { chain, net, sync, mempool, miner, validator, rpc, contracts, storage, node };

inline constexpr std::array<LogComponent, 10> kLogComponents{
    LogComponent::chain,   LogComponent::net,       LogComponent::sync, LogComponent::mempool,
    LogComponent::miner,   LogComponent::validator, LogComponent::rpc,  LogComponent::contracts,
    LogComponent::storage, LogComponent::node};

using LogLevel = spdlog::level::level_enum;

std::string_view component_name(LogComponent component);
std::optional<LogComponent> component_from_name(std::string_view name);
// trace, debug, info, warning (or warn), error, critical, off.
std::optional<LogLevel> log_level_from_name(std::string_view name);
// The name the lines carry (warning, not warn).
std::string_view log_level_name(LogLevel level);

// One `key=value` field of a line.
struct LogField {
  std::string_view key;
  std::string value;
};

template <class T>
LogField kv(std::string_view key, const T& value) {
  return LogField{key, fmt::format("{}", value)};
}
// A field with a fixed number of decimals (durations, rates).
LogField kv_fixed(std::string_view key, double value, int decimals);

// `value` as a line carries it: bare, or quoted when it is empty or has a space, a quote,
// an `=` or a control character in it.
std::string log_value(std::string_view value);
// `msg="…" key=value …`: what follows the component on a line.
std::string format_log_fields(std::string_view message, std::initializer_list<LogField> fields);

// The component's logger (created on first use).
spdlog::logger& component_logger(LogComponent component);

void log_event(LogComponent component, LogLevel level, std::string_view message,
               std::initializer_list<LogField> fields = {});
inline void log_debug(LogComponent c, std::string_view message, std::initializer_list<LogField> fields = {}) {
  log_event(c, LogLevel::debug, message, fields);
}
inline void log_info(LogComponent c, std::string_view message, std::initializer_list<LogField> fields = {}) {
  log_event(c, LogLevel::info, message, fields);
}
inline void log_warn(LogComponent c, std::string_view message, std::initializer_list<LogField> fields = {}) {
  log_event(c, LogLevel::warn, message, fields);
}
inline void log_error(LogComponent c, std::string_view message, std::initializer_list<LogField> fields = {}) {
  log_event(c, LogLevel::err, message, fields);
}
inline void log_critical(LogComponent c, std::string_view message,
                         std::initializer_list<LogField> fields = {}) {
  log_event(c, LogLevel::critical, message, fields);
}

// Defaults and bounds of --log-max-size (MiB) and --log-max-files.
inline constexpr size_t kDefaultLogMaxSizeMb = 100;
inline constexpr size_t kMaxLogMaxSizeMb = 1'000'000;
inline constexpr size_t kDefaultLogMaxFiles = 5;
// spdlog's rotating sink keeps at most this many old files.
inline constexpr size_t kMaxLogMaxFiles = 200'000;

struct LogSettings {
  LogLevel level = LogLevel::info;                           // every component's
  std::vector<std::pair<LogComponent, LogLevel>> overrides;  // then these, in order
  std::optional<std::filesystem::path> file;                 // rotating
  size_t max_file_bytes = kDefaultLogMaxSizeMb * 1024 * 1024;
  size_t max_files = kDefaultLogMaxFiles;  // old files kept besides the current one
  bool to_stderr = true;
};

// --log-level values: `LEVEL` (every component) or `COMPONENT=LEVEL`, later ones winning.
// Errors name the bad value and list what is accepted.
Status parse_log_levels(const std::vector<std::string>& specs, LogSettings& settings);

// Replaces every logger's sinks and levels. Errors (io) when the log file cannot be opened.
Status configure_logging(const LogSettings& settings);

// Every component's level, by component name.
std::map<std::string, std::string> log_levels();
// Sets one component's level, or every component's when `component` is nullopt.
void set_log_level(std::optional<LogComponent> component, LogLevel level);

}  // namespace cairn
