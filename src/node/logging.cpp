#include "node/logging.h"

#include <algorithm>
#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace cairn {
namespace {

constexpr std::array<std::string_view, kLogComponents.size()> kComponentNames{
    "chain", "net", "sync", "mempool", "miner", "validator", "rpc", "contracts", "storage", "node"};

// UTC time with milliseconds, level, logger (the component), the fields. %* writes the
// fields log_event() formatted as they are, and text logged through spdlog's free functions
// (spdlog::info("...")) as the line's quoted msg. Sinks hold the formatter, and every logger
// shares the sinks: one formatter for all.
constexpr const char* kPattern = "%Y-%m-%dT%H:%M:%S.%eZ %l %n %*";
constexpr std::string_view kFieldsStart = "msg=\"";

class Fields : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (payload.starts_with(kFieldsStart)) {
      dest.append(payload.data(), payload.data() + payload.size());
      return;
    }
    const std::string fields = format_log_fields(payload, {});
    dest.append(fields.data(), fields.data() + fields.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<Fields>(); }
};

std::unique_ptr<spdlog::formatter> line_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<Fields>('*').set_pattern(kPattern);
  return formatter;
}

// The components' loggers, then spdlog's default logger (named rpc: the RPC service is
// what logs through spdlog's free functions; its level follows rpc's).
constexpr size_t kDefaultLoggerIndex = kLogComponents.size();
using Loggers = std::array<std::shared_ptr<spdlog::logger>, kLogComponents.size() + 1>;

Loggers make_loggers() {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  Loggers loggers;
  for (size_t i = 0; i < loggers.size(); ++i) {
    const bool free_text = i == kDefaultLoggerIndex;
    const std::string_view name = kComponentNames[free_text ? static_cast<size_t>(LogComponent::rpc) : i];
    loggers[i] = std::make_shared<spdlog::logger>(std::string(name), sink);
    loggers[i]->set_formatter(line_formatter());
    loggers[i]->set_level(LogLevel::info);
    // A line is on disk when it is logged: operators and tests tail the file while cairnd runs.
    loggers[i]->flush_on(LogLevel::trace);
  }
  spdlog::set_default_logger(loggers[kDefaultLoggerIndex]);
  return loggers;
}

Loggers& loggers() {
  static Loggers instance = make_loggers();
  return instance;
}

void set_level_of(LogComponent component, LogLevel level) {
  loggers()[static_cast<size_t>(component)]->set_level(level);
  if (component == LogComponent::rpc) loggers()[kDefaultLoggerIndex]->set_level(level);
}

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  return std::any_of(value.begin(), value.end(), [](char c) {
    return c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

}  // namespace

std::string_view component_name(LogComponent component) {
  return kComponentNames[static_cast<size_t>(component)];
}

std::optional<LogComponent> component_from_name(std::string_view name) {
  for (size_t i = 0; i < kComponentNames.size(); ++i) {
    if (kComponentNames[i] == name) return kLogComponents[i];
  }
  return std::nullopt;
}

std::optional<LogLevel> log_level_from_name(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, LogLevel>, 8> kNames{
      {{"trace", LogLevel::trace},
       {"debug", LogLevel::debug},
       {"info", LogLevel::info},
       {"warning", LogLevel::warn},
       {"warn", LogLevel::warn},
       {"error", LogLevel::err},
       {"critical", LogLevel::critical},
       {"off", LogLevel::off}}};
  for (const auto& [n, level] : kNames) {
    if (n == name) return level;
  }
  return std::nullopt;
}

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return "trace";
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warning";
    case LogLevel::err:
      return "error";
    case LogLevel::critical:
      return "critical";
    case LogLevel::off:
    case LogLevel::n_levels:
      break;
  }
  return "off";
}

LogField kv_fixed(std::string_view key, double value, int decimals) {
  return LogField{key, fmt::format("{:.{}f}", value, decimals)};
}

std::string log_value(std::string_view value) {
  if (!needs_quotes(value)) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string format_log_fields(std::string_view message, std::initializer_list<LogField> fields) {
  // The message is always quoted so that a line's first field is found the same way always.
  std::string out = "msg=";
  std::string quoted = log_value(message);
  if (quoted.front() != '"') quoted = '"' + quoted + '"';
  out += quoted;
  for (const LogField& field : fields) {
    out += ' ';
    out += field.key;
    out += '=';
    out += log_value(field.value);
  }
  return out;
}

spdlog::logger& component_logger(LogComponent component) {
  return *loggers()[static_cast<size_t>(component)];
}

void log_event(LogComponent component, LogLevel level, std::string_view message,
               std::initializer_list<LogField> fields) {
  spdlog::logger& logger = component_logger(component);
  if (!logger.should_log(level)) return;
  logger.log(level, "{}", format_log_fields(message, fields));
}

Status parse_log_levels(const std::vector<std::string>& specs, LogSettings& settings) {
  for (const std::string& spec : specs) {
    const size_t eq = spec.find('=');
    const std::string_view level_text =
        eq == std::string::npos ? spec : std::string_view(spec).substr(eq + 1);
    auto level = log_level_from_name(level_text);
    if (!level) {
      return Error{ErrorCode::invalid_argument,
                   "--log-level: unknown level '" + std::string(level_text) + "' in '" + spec +
                       "' (expected trace, debug, info, warning, error, critical or off)"};
    }
    if (eq == std::string::npos) {
      settings.level = *level;
      settings.overrides.clear();  // a later plain level sets every component again
      continue;
    }
    auto component = component_from_name(std::string_view(spec).substr(0, eq));
    if (!component) {
      std::string names;
      for (std::string_view name : kComponentNames) names += (names.empty() ? "" : ", ") + std::string(name);
      return Error{ErrorCode::invalid_argument, "--log-level: unknown component '" + spec.substr(0, eq) +
                                                    "' (expected one of " + names + ")"};
    }
    settings.overrides.emplace_back(*component, *level);
  }
  return {};
}

Status configure_logging(const LogSettings& settings) {
  std::vector<spdlog::sink_ptr> sinks;
  if (settings.to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (settings.file) {
    std::error_code ec;
    if (settings.file->has_parent_path())
      std::filesystem::create_directories(settings.file->parent_path(), ec);
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          settings.file->string(), settings.max_file_bytes, settings.max_files));
    } catch (const spdlog::spdlog_ex& e) {
      return Error{ErrorCode::io, "--log-file: cannot open '" + settings.file->string() + "': " + e.what()};
    }
  }
  for (const auto& logger : loggers()) {
    logger->sinks() = sinks;
    logger->set_level(settings.level);
  }
  loggers().front()->set_formatter(line_formatter());  // the shared sinks' formatter
  for (const auto& [component, level] : settings.overrides) set_level_of(component, level);
  return {};
}

std::map<std::string, std::string> log_levels() {
  std::map<std::string, std::string> out;
  for (LogComponent component : kLogComponents) {
    out.emplace(component_name(component), log_level_name(component_logger(component).level()));
  }
  return out;
}

void set_log_level(std::optional<LogComponent> component, LogLevel level) {
  if (component) {
    set_level_of(*component, level);
    return;
  }
  for (const auto& logger : loggers()) logger->set_level(level);
}

}  // namespace cairn
