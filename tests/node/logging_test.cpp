// The log line format (`msg="…" key=value`, quoting), --log-level parsing, levels changed at
// run time, the rotating file, and the progress helpers.
#include "node/logging.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace cairn {
namespace {

TEST(LogFormat, ValuesAreQuotedOnlyWhenTheyMustBe) {
  EXPECT_EQ(log_value("12"), "12");
  EXPECT_EQ(log_value("ab12cd"), "ab12cd");
  EXPECT_EQ(log_value(""), "\"\"");
  EXPECT_EQ(log_value("two words"), "\"two words\"");
  EXPECT_EQ(log_value("a=b"), "\"a=b\"");
  EXPECT_EQ(log_value("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(log_value("back\\slash"), "\"back\\\\slash\"");
  EXPECT_EQ(log_value("line\nbreak"), "\"line\\nbreak\"");
  EXPECT_EQ(log_value(std::string("nul\0x", 5)), "\"nul\\x00x\"");
}

TEST(LogFormat, TheMessageComesFirstAndIsAlwaysQuoted) {
  EXPECT_EQ(format_log_fields("connected block",
                              {kv("height", 12), kv("hash", "ab12"), kv_fixed("ms", 3.14159, 1)}),
            "msg=\"connected block\" height=12 hash=ab12 ms=3.1");
  EXPECT_EQ(format_log_fields("stopping", {}), "msg=\"stopping\"");
  EXPECT_EQ(format_log_fields("x", {kv("reason", "too slow"), kv("ok", true)}),
            "msg=\"x\" reason=\"too slow\" ok=true");
}

TEST(LogFormat, ComponentsAndLevelsHaveNames) {
  for (LogComponent c : kLogComponents) EXPECT_EQ(component_from_name(component_name(c)), c);
  EXPECT_FALSE(component_from_name("chains").has_value());
  EXPECT_EQ(log_level_from_name("warn"), LogLevel::warn);
  EXPECT_EQ(log_level_from_name("warning"), LogLevel::warn);
  EXPECT_EQ(log_level_name(LogLevel::warn), "warning");
  EXPECT_EQ(log_level_name(LogLevel::err), "error");
  EXPECT_FALSE(log_level_from_name("loud").has_value());
}

TEST(LogLevels, SpecsSetAllThenOneComponent) {
  LogSettings settings;
  ASSERT_TRUE(parse_log_levels({"debug", "net=trace", "rpc=warning"}, settings).ok());
  EXPECT_EQ(settings.level, LogLevel::debug);
  ASSERT_EQ(settings.overrides.size(), 2u);
  EXPECT_EQ(settings.overrides[1], std::make_pair(LogComponent::rpc, LogLevel::warn));
  ASSERT_TRUE(parse_log_levels({"error"}, settings).ok());  // a later plain level resets them
  EXPECT_TRUE(settings.overrides.empty());
  const Status bad = parse_log_levels({"mempol=debug"}, settings);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("unknown component 'mempol'"), std::string::npos);
  EXPECT_NE(bad.error().message.find("mempool"), std::string::npos);  // the list of names
  EXPECT_FALSE(parse_log_levels({"net="}, settings).ok());
}

TEST(LogLevels, ChangeAtRunTimeAndAreReported) {
  set_log_level(std::nullopt, LogLevel::info);
  set_log_level(LogComponent::net, LogLevel::debug);
  auto levels = log_levels();
  EXPECT_EQ(levels.size(), kLogComponents.size());
  EXPECT_EQ(levels.at("net"), "debug");
  EXPECT_EQ(levels.at("chain"), "info");
  EXPECT_TRUE(component_logger(LogComponent::net).should_log(LogLevel::debug));
  EXPECT_FALSE(component_logger(LogComponent::chain).should_log(LogLevel::debug));
  set_log_level(std::nullopt, LogLevel::warn);
  levels = log_levels();
  EXPECT_EQ(levels.at("net"), "warning");
  EXPECT_EQ(levels.at("sync"), "warning");
  set_log_level(std::nullopt, LogLevel::info);
}

TEST(LogFile, LinesHaveTheFormatAndTheFileRotates) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cairn-logging-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  LogSettings settings;
  settings.file = dir / "sub" / "cairnd.log";  // the directory is created
  settings.to_stderr = false;
  settings.max_file_bytes = 4096;
  settings.max_files = 2;
  settings.overrides = {{LogComponent::chain, LogLevel::warn}};
  ASSERT_TRUE(configure_logging(settings).ok());
  log_info(LogComponent::miner, "mined block", {kv("height", 7), kv("hash", "ab12")});
  log_info(LogComponent::chain, "not shown");  // below chain's level
  {
    std::ifstream in(*settings.file);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    const std::regex format(
        R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info miner msg="mined block" height=7 hash=ab12$)");
    EXPECT_TRUE(std::regex_match(line, format)) << line;
    EXPECT_FALSE(std::getline(in, line)) << line;
  }
  for (int i = 0; i < 200; ++i) log_warn(LogComponent::net, "filling the file", {kv("i", i)});
  EXPECT_TRUE(std::filesystem::exists(dir / "sub" / "cairnd.1.log"));
  EXPECT_TRUE(std::filesystem::exists(dir / "sub" / "cairnd.2.log"));
  EXPECT_FALSE(std::filesystem::exists(dir / "sub" / "cairnd.3.log"));  // max_files old ones kept
  EXPECT_LE(std::filesystem::file_size(*settings.file), 4096u);

  LogSettings unwritable;
  unwritable.file = "/proc/cairn-no-such-dir/cairnd.log";
  EXPECT_FALSE(configure_logging(unwritable).ok());
  ASSERT_TRUE(configure_logging(LogSettings{}).ok());  // back to stderr at info
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn
