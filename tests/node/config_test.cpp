// cairnd's configuration sources: flags > environment > config file > defaults, the TOML
// file's errors (file, line, key), and --print-config's output fed back as a config file.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "node/options.h"

namespace cairn {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cairn-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }

  Result<NodeConfig> load(std::vector<std::string> args) {
    return load_node_config(args, [this](const std::string& name) -> std::optional<std::string> {
      auto found = env_.find(name);
      if (found == env_.end()) return std::nullopt;
      return found->second;
    });
  }

  const ConfigEntry& entry(const NodeConfig& config, const std::string& key) {
    for (const ConfigEntry& e : config.entries) {
      if (e.key == key) return e;
    }
    ADD_FAILURE() << "no entry " << key;
    return config.entries.front();
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConfigTest, EnvironmentNamesAreUpperCaseWithUnderscores) {
  EXPECT_EQ(config_env_name("rpc-listen"), "CAIRN_RPC_LISTEN");
  EXPECT_EQ(config_env_name("no-p2p"), "CAIRN_NO_P2P");
}

TEST_F(ConfigTest, FlagsBeatEnvironmentBeatFileBeatDefaults) {
  const auto file = write("c.toml",
                          "network = \"regtest\"\nrpc-listen = \"127.0.0.1:9000\"\nmax-inbound = 10\n"
                          "max-outbound = 3\n");
  env_["CAIRN_RPC_LISTEN"] = "127.0.0.1:9001";
  env_["CAIRN_MAX_INBOUND"] = "11";
  auto config = load({"--config", file.string(), "--max-inbound", "12", "--datadir", dir_.string()});
  ASSERT_TRUE(config.ok()) << config.error().message;
  auto resolved = resolve_node_config(*config);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->paths.network, Network::regtest);            // file
  EXPECT_EQ(resolved->rpc_listen.port, 9001);                      // env over file
  EXPECT_EQ(resolved->p2p.max_inbound, 12u);                       // flag over env and file
  EXPECT_EQ(resolved->p2p.max_outbound, 3u);                       // file
  EXPECT_EQ(resolved->rpc.max_in_flight, kDefaultRpcMaxInFlight);  // default
  EXPECT_EQ(entry(*config, "network").source, ConfigSource::file);
  EXPECT_EQ(entry(*config, "network").origin, file.string() + " line 1");
  EXPECT_EQ(entry(*config, "rpc-listen").source, ConfigSource::env);
  EXPECT_EQ(entry(*config, "rpc-listen").origin, "CAIRN_RPC_LISTEN");
  EXPECT_EQ(entry(*config, "max-inbound").source, ConfigSource::flag);
  EXPECT_EQ(entry(*config, "max-outbound").origin, file.string() + " line 4");
  EXPECT_EQ(entry(*config, "rpc-max-in-flight").source, ConfigSource::default_value);
}

TEST_F(ConfigTest, ListsAreArraysInTheFileAndCommaSeparatedInTheEnvironment) {
  const auto file =
      write("c.toml", "network = \"regtest\"\nbootstrap = [\"/ip4/1.2.3.4/tcp/1\", \"/dns/x/tcp/2\"]\n");
  auto from_file = load({"--config", file.string()});
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  EXPECT_EQ(from_file->options.bootstrap, (std::vector<std::string>{"/ip4/1.2.3.4/tcp/1", "/dns/x/tcp/2"}));
  env_["CAIRN_BOOTSTRAP"] = "/ip4/5.6.7.8/tcp/3,/ip4/9.9.9.9/tcp/4";
  env_["CAIRN_MDNS"] = "true";
  env_["CAIRN_LOG_LEVEL"] = "debug,net=trace";
  auto from_env = load({"--config", file.string()});
  ASSERT_TRUE(from_env.ok()) << from_env.error().message;
  EXPECT_EQ(from_env->options.bootstrap,
            (std::vector<std::string>{"/ip4/5.6.7.8/tcp/3", "/ip4/9.9.9.9/tcp/4"}));
  EXPECT_TRUE(from_env->options.mdns);
  auto resolved = resolve_node_config(*from_env);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->log.level, LogLevel::debug);
  ASSERT_EQ(resolved->log.overrides.size(), 1u);
  EXPECT_EQ(resolved->log.overrides[0], std::make_pair(LogComponent::net, LogLevel::trace));
  env_["CAIRN_MDNS"] = "maybe";
  auto bad = load({"--config", file.string()});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("CAIRN_MDNS"), std::string::npos) << bad.error().message;
}

TEST_F(ConfigTest, FileErrorsNameTheFileTheLineAndTheKey) {
  const auto unknown = write("unknown.toml", "network = \"regtest\"\n\nrpc-lisen = \"127.0.0.1:1\"\n");
  auto a = load({"--config", unknown.string()});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find(unknown.string() + " line 3: rpc-lisen: unknown key"), std::string::npos)
      << a.error().message;

  const auto wrong_type = write("type.toml", "max-inbound = \"ten\"\n");
  auto b = load({"--config", wrong_type.string()});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("line 1: max-inbound: expected an integer, got a string"),
            std::string::npos)
      << b.error().message;

  const auto not_strings = write("list.toml", "\nbootstrap = [\"/ip4/1.2.3.4/tcp/1\", 5]\n");
  auto c = load({"--config", not_strings.string()});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("line 2: bootstrap: expected a string, got an integer"), std::string::npos)
      << c.error().message;
  const auto one_value = write("one.toml", "log-level = \"debug\"\n");  // a list's key takes one value too
  auto one = load({"--config", one_value.string()});
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(one->options.log_levels, std::vector<std::string>{"debug"});

  const auto flag = write("flag.toml", "mine = \"yes\"\n");
  auto d = load({"--config", flag.string()});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("mine: expected true or false"), std::string::npos) << d.error().message;

  const auto syntax = write("syntax.toml", "network = \"regtest\"\nrpc-listen = \n");
  auto e = load({"--config", syntax.string()});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find(syntax.string() + " line 2"), std::string::npos) << e.error().message;

  // toml++ 3.3 failed an assertion here (cairnd aborted): refused like any other bad file.
  const auto brace = write("brace.toml", "network = \"regtest\"\nlog-level = [}\n");
  auto g = load({"--config", brace.string()});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find(brace.string() + ": not valid TOML"), std::string::npos)
      << g.error().message;

  // Other than ASCII only in strings and comments (toml++ 3.3 misreads it elsewhere).
  const auto unicode =
      write("unicode.toml",
            "# caf\u00e9 \u00a9 \u3001\nlog-file = \"/tmp/caf\u00e9-\u00a3.log\"\n"
            "p2p-listen = ['/ip4/127.0.0.1/tcp/1']  # \ufefb\nlog-level = \"\"\"\ninfo\"\"\"\n");
  auto u = load({"--config", unicode.string()});
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(entry(*u, "log-file").values, std::vector<std::string>{"/tmp/caf\u00e9-\u00a3.log"});
  const auto literal = write("literal.toml", "log-file = '/tmp/a\\caf\u00e9 \"\u30b7\U0001F600\".log'\n");
  auto l = load({"--config", literal.string()});
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(entry(*l, "log-file").values,
            std::vector<std::string>{"/tmp/a\\caf\u00e9 \"\u30b7\U0001F600\".log"});  // as written
  const auto outside = write("outside.toml", "network = \"r\u00e9\" \u00a3\n");
  auto o = load({"--config", outside.string()});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().message.find(outside.string() + " line 1 column 16: a character other than ASCII"),
            std::string::npos)
      << o.error().message;

  const auto table = write("table.toml", "[rpc]\nlisten = \"127.0.0.1:1\"\n");
  auto f = load({"--config", table.string()});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("line 1: rpc: unknown key"), std::string::npos) << f.error().message;

  const auto config_key = write("config.toml", "config = \"/etc/other.toml\"\n");
  EXPECT_FALSE(load({"--config", config_key.string()}).ok());

  auto missing = load({"--config", (dir_ / "absent.toml").string()});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("--config: no such file"), std::string::npos);
}

TEST_F(ConfigTest, RefusedValuesSayWhereTheyCameFrom) {
  const auto file = write("c.toml", "max-inbound = 0\n");
  auto range = load({"--config", file.string()});
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.error().message.find("--max-inbound"), std::string::npos) << range.error().message;
  EXPECT_NE(range.error().message.find(file.string() + " line 1"), std::string::npos)
      << range.error().message;

  env_["CAIRN_RPC_LISTEN"] = "nonsense";
  auto config = load({"--network", "regtest"});
  ASSERT_TRUE(config.ok()) << config.error().message;
  auto resolved = resolve_node_config(*config);
  ASSERT_FALSE(resolved.ok());
  EXPECT_NE(resolved.error().message.find("(set by CAIRN_RPC_LISTEN)"), std::string::npos)
      << resolved.error().message;
}

TEST_F(ConfigTest, TheDataDirsConfigFileIsReadWhenPresent) {
  auto without = load({"--datadir", dir_.string()});
  ASSERT_TRUE(without.ok()) << without.error().message;
  EXPECT_FALSE(without->file.has_value());
  EXPECT_EQ(without->options.common.network, "mainnet");

  write(kDefaultConfigFileName, "network = \"testnet\"\n");
  auto with = load({"--datadir", dir_.string()});
  ASSERT_TRUE(with.ok()) << with.error().message;
  ASSERT_TRUE(with->file.has_value());
  EXPECT_TRUE(with->file_is_default);
  EXPECT_EQ(with->options.common.network, "testnet");

  env_["CAIRN_DATADIR"] = dir_.string();  // the data dir may come from the environment too
  auto by_env = load({});
  ASSERT_TRUE(by_env.ok()) << by_env.error().message;
  EXPECT_EQ(by_env->options.common.network, "testnet");
}

TEST_F(ConfigTest, PrintedConfigIsAConfigFileGivingTheSameOptions) {
  env_["CAIRN_MAX_OUTBOUND"] = "5";
  // Strings are TOML basic strings (the value is refused later by resolve; printing needs none).
  auto config = load({"--network", "regtest", "--datadir", dir_.string(), "--mine", "--bootstrap",
                      "/ip4/1.2.3.4/tcp/1", "--bootstrap", "/ip4/1.2.3.5/tcp/1", "--log-level", "net=debug",
                      "--mine-to", "with \"quotes\" and \\ backslash"});
  ASSERT_TRUE(config.ok()) << config.error().message;
  const std::string text = render_config_toml(*config, ResolvedNodeOptions{});
  EXPECT_NE(text.find("mine-to = \"with \\\"quotes\\\" and \\\\ backslash\""), std::string::npos) << text;

  config = load({"--network", "regtest", "--datadir", dir_.string(), "--mine", "--bootstrap",
                 "/ip4/1.2.3.4/tcp/1", "--bootstrap", "/ip4/1.2.3.5/tcp/1", "--log-level", "net=debug"});
  ASSERT_TRUE(config.ok()) << config.error().message;
  auto resolved = resolve_node_config(*config);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  const std::string printed = render_config_toml(*config, *resolved);
  EXPECT_NE(printed.find("# source: env (CAIRN_MAX_OUTBOUND)\nmax-outbound = 5\n"), std::string::npos)
      << printed;
  EXPECT_NE(printed.find("# source: flag\nmine = true\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("# source: default\nmdns = false\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("rpc-listen = \"127.0.0.1:28645\""), std::string::npos) << printed;

  const auto file = write("printed.toml", printed);
  env_.clear();
  auto again = load({"--config", file.string()});
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << printed;
  auto resolved_again = resolve_node_config(*again);
  ASSERT_TRUE(resolved_again.ok()) << resolved_again.error().message;
  EXPECT_EQ(resolved_again->paths.network, Network::regtest);
  EXPECT_EQ(resolved_again->paths.datadir, dir_);
  EXPECT_TRUE(resolved_again->mine);
  EXPECT_EQ(resolved_again->p2p.bootstrap, resolved->p2p.bootstrap);
  EXPECT_EQ(resolved_again->p2p.listen, resolved->p2p.listen);
  EXPECT_EQ(resolved_again->p2p.max_outbound, 5u);
  EXPECT_EQ(resolved_again->rpc_listen.to_string(), resolved->rpc_listen.to_string());
  EXPECT_EQ(resolved_again->log.overrides, resolved->log.overrides);
  EXPECT_EQ(resolved_again->log.to_stderr, resolved->log.to_stderr);
  // Printing it again gives the same values, now all from the file.
  const std::string reprinted = render_config_toml(*again, *resolved_again);
  EXPECT_EQ(reprinted.find("# source: flag"), std::string::npos);
  EXPECT_EQ(reprinted.find("# source: env"), std::string::npos);
}

TEST_F(ConfigTest, LogOptionsResolve) {
  auto plain = load({"--network", "regtest"});
  ASSERT_TRUE(plain.ok());
  auto a = resolve_node_config(*plain);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->log.to_stderr);
  EXPECT_FALSE(a->log.file.has_value());
  EXPECT_EQ(a->log.max_file_bytes, kDefaultLogMaxSizeMb * 1024 * 1024);

  auto to_file =
      load({"--network", "regtest", "--log-file", "x.log", "--log-max-size", "1", "--log-max-files", "2"});
  ASSERT_TRUE(to_file.ok());
  auto b = resolve_node_config(*to_file);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->log.to_stderr);  // a log file replaces stderr unless --log-stderr
  EXPECT_EQ(b->log.max_file_bytes, 1024u * 1024u);
  EXPECT_EQ(b->log.max_files, 2u);

  auto both = load({"--network", "regtest", "--log-file", "x.log", "--log-stderr"});
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(resolve_node_config(*both)->log.to_stderr);
  auto contradict = load({"--network", "regtest", "--log-stderr", "--no-log-stderr"});
  ASSERT_TRUE(contradict.ok());
  EXPECT_FALSE(resolve_node_config(*contradict).ok());
  auto bad_level = load({"--network", "regtest", "--log-level", "chain=loud"});
  ASSERT_TRUE(bad_level.ok());
  EXPECT_NE(resolve_node_config(*bad_level).error().message.find("unknown level 'loud'"), std::string::npos);
  EXPECT_FALSE(load({"--network", "regtest", "--log-max-size", "0"}).ok());
  EXPECT_TRUE(load({"--network", "regtest", "--log-max-size", std::to_string(kMaxLogMaxSizeMb)}).ok());
  EXPECT_FALSE(load({"--network", "regtest", "--log-max-size", std::to_string(kMaxLogMaxSizeMb + 1)}).ok());
}

}  // namespace
}  // namespace cairn
