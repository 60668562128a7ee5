#include "node/options.h"

#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "primitives/address.h"

namespace cairn {
namespace {

Result<ResolvedNodeOptions> parse(std::vector<std::string> args) {
  CLI::App app;
  NodeOptions options;
  add_node_options(app, options);
  args.insert(args.begin(), "cairnd");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return resolve_node_options(options);
}

TEST(HostPort, ParsesNamesIpv4AndBracketedIpv6) {
  auto a = parse_host_port("127.0.0.1:8645");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8645);
  EXPECT_TRUE(a->is_loopback());
  auto b = parse_host_port("[::1]:1");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->to_string(), "[::1]:1");
  EXPECT_TRUE(b->is_loopback());
  auto c = parse_host_port("node.example:65535");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->is_loopback());
}

TEST(HostPort, RefusesBadInputWithReason) {
  EXPECT_NE(parse_host_port("127.0.0.1").error().message.find("HOST:PORT"), std::string::npos);
  EXPECT_NE(parse_host_port("::1:80").error().message.find("brackets"), std::string::npos);
  EXPECT_NE(parse_host_port("h:0").error().message.find("1 to 65535"), std::string::npos);
  EXPECT_NE(parse_host_port("h:65536").error().message.find("1 to 65535"), std::string::npos);
  EXPECT_NE(parse_host_port("h:80x").error().message.find("1 to 65535"), std::string::npos);
  EXPECT_FALSE(parse_host_port(":80").ok());
  EXPECT_FALSE(parse_host_port("[::1]80").ok());
}

TEST(NodeOptions, DefaultsArePerNetworkAndLoopback) {
  auto r = parse({"--network", "regtest", "--datadir", "/tmp/cairn-x"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->paths.network, Network::regtest);
  EXPECT_EQ(r->paths.network_datadir, std::filesystem::path("/tmp/cairn-x/regtest"));
  EXPECT_EQ(r->rpc_listen.to_string(), "127.0.0.1:" + std::to_string(default_rpc_port(Network::regtest)));
  ASSERT_EQ(r->p2p.listen.size(), 1u);
  EXPECT_EQ(r->p2p.listen[0], "/ip4/0.0.0.0/tcp/" + std::to_string(default_p2p_port(Network::regtest)));
  EXPECT_NE(default_rpc_port(Network::mainnet), default_rpc_port(Network::testnet));
}

TEST(NodeOptions, RepeatableFlagsKeepOrder) {
  auto r = parse({"--network", "regtest", "--bootstrap", "/ip4/127.0.0.1/tcp/1", "--bootstrap",
                  "/ip4/127.0.0.1/tcp/2", "--mine"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->p2p.bootstrap, (std::vector<std::string>{"/ip4/127.0.0.1/tcp/1", "/ip4/127.0.0.1/tcp/2"}));
  EXPECT_TRUE(r->mine);
}

TEST(NodeOptions, MiningPaysAnAddressOfTheNetwork) {
  // Regtest may mine to the burn lock; elsewhere the rewards need an address.
  auto regtest = parse({"--network", "regtest", "--mine"});
  ASSERT_TRUE(regtest.ok());
  EXPECT_EQ(regtest->mine_to, kBurnLock);
  EXPECT_NE(parse({"--mine"}).error().message.find("--mine-to"), std::string::npos);

  OutputLock lock;
  lock.hash.bytes[0] = 7;
  auto paid = parse({"--network", "testnet", "--mine", "--mine-to", encode_address(Network::testnet, lock)});
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->mine_to, lock);
  // Another network's address is refused, naming the flag.
  auto wrong = parse({"--network", "testnet", "--mine", "--mine-to", encode_address(Network::mainnet, lock)});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("--mine-to"), std::string::npos);
}

TEST(NodeOptions, ValidatorFilesNeedTheKeyAndDefaultIntoTheDataDir) {
  const auto key =
      std::filesystem::temp_directory_path() / ("cairn-options-key-" + std::to_string(::getpid()));
  std::ofstream(key) << "x";
  auto r = parse({"--network", "regtest", "--datadir", "/tmp/d", "--validator-key", key.string()});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->slashing_protection, std::filesystem::path("/tmp/d/regtest/slashing-protection"));
  EXPECT_TRUE(r->validator_password_file.empty());
  std::filesystem::remove(key);
  auto orphan = parse({"--validator-password-file", "/tmp/p"});
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(orphan.error().message.find("--validator-key"), std::string::npos);
}

TEST(NodeOptions, CheckpointIsHeightColonHash) {
  const std::string hash(64, 'a');
  auto ok = parse({"--checkpoint", "1000:" + hash});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_TRUE(ok->checkpoint);
  EXPECT_EQ(ok->checkpoint->height, 1000u);
  EXPECT_EQ(ok->checkpoint->hash.hex(), hash);
  EXPECT_FALSE(parse({}).value().checkpoint);
  const std::vector<std::string> bad_values{"1000",     "x:" + hash,  "1000:abc",
                                            ":" + hash, "-1:" + hash, "1000:" + hash + "00"};
  for (const std::string& bad : bad_values) {
    auto r = parse({"--checkpoint", bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("--checkpoint"), std::string::npos);
  }
}

TEST(NodeOptions, LimitsAtTheirBoundaries) {
  EXPECT_TRUE(parse({"--mine-threads", std::to_string(kMaxMineThreads)}).ok());
  EXPECT_FALSE(parse({"--mine-threads", std::to_string(kMaxMineThreads + 1)}).ok());
  EXPECT_FALSE(parse({"--mine-threads", "0"}).ok());
  EXPECT_TRUE(parse({"--prune", "0"}).ok());
  EXPECT_TRUE(parse({"--prune", std::to_string(kMinPruneDepth)}).ok());
  auto tiny = parse({"--prune", std::to_string(kMinPruneDepth - 1)});
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.error().message.find("--prune"), std::string::npos);
}

TEST(NodeOptions, ErrorsNameTheFlag) {
  EXPECT_NE(parse({"--network", "moonnet"}).error().message.find("--network"), std::string::npos);
  EXPECT_NE(parse({"--rpc-listen", "nope"}).error().message.find("--rpc-listen"), std::string::npos);
  EXPECT_NE(parse({"--bootstrap", "127.0.0.1:1"}).error().message.find("not a multiaddr"), std::string::npos);
  EXPECT_NE(parse({"--validator-key", "/nonexistent/key"}).error().message.find("--validator-key"),
            std::string::npos);
}

constexpr const char* kUserLine =
    "alice:admin:0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a$"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

TEST(RpcOptions, LoopbackNeedsNoUsersAndRpcIsOnByDefault) {
  auto r = parse({"--network", "regtest"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->rpc.enabled);
  EXPECT_EQ(r->rpc.listen.to_string(), r->rpc_listen.to_string());
  EXPECT_TRUE(r->rpc.users.empty());
  EXPECT_FALSE(r->rpc.public_without_auth);
  EXPECT_FALSE(r->rpc.tls_cert);
  EXPECT_FALSE(parse({"--no-rpc"}).value().rpc.enabled);
}

TEST(RpcOptions, TheMetricsListenerNeedsTheRpcService) {
  auto both = parse({"--no-rpc", "--metrics-listen", "127.0.0.1:9100"});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("--metrics-listen needs the RPC service"), std::string::npos)
      << both.error().message;
  auto metrics = parse({"--metrics-listen", "127.0.0.1:9100"});
  ASSERT_TRUE(metrics.ok()) << metrics.error().message;
  EXPECT_EQ(metrics->metrics_listen->to_string(), "127.0.0.1:9100");
}

TEST(RpcOptions, ANonLoopbackListenNeedsAUser) {
  auto open = parse({"--rpc-listen", "0.0.0.0:8645"});
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find("needs --rpc-user (and --rpc-public to serve public methods without "
                                      "credentials)"),
            std::string::npos)
      << open.error().message;
  // --rpc-public alone is not authentication.
  EXPECT_FALSE(parse({"--rpc-listen", "0.0.0.0:8645", "--rpc-public"}).ok());
  auto served = parse({"--rpc-listen", "0.0.0.0:8645", "--rpc-user", kUserLine, "--rpc-public"});
  ASSERT_TRUE(served.ok()) << served.error().message;
  EXPECT_EQ(served->rpc.users, std::vector<std::string>{kUserLine});
  EXPECT_TRUE(served->rpc.public_without_auth);
  // Not serving at all needs nothing.
  EXPECT_TRUE(parse({"--rpc-listen", "0.0.0.0:8645", "--no-rpc"}).ok());
  EXPECT_TRUE(parse({"--rpc-listen", "[::1]:8645"}).ok());
}

TEST(RpcOptions, UserLinesAreCheckedForShape) {
  auto two = parse({"--rpc-user", kUserLine, "--rpc-user",
                    "bob:public:0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a$"
                    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"});
  ASSERT_TRUE(two.ok()) << two.error().message;
  EXPECT_EQ(two->rpc.users.size(), 2u);
  const std::vector<std::string> bad_lines{"alice",          "alice:admin",    ":admin:a$b",
                                           "alice:root:a$b", "alice:admin:ab", "alice:admin:$ab",
                                           "alice:admin:ab$"};
  for (const std::string& bad : bad_lines) {
    auto r = parse({"--rpc-user", bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("--rpc-user"), std::string::npos) << r.error().message;
  }
}

TEST(RpcOptions, OriginsNeedASchemeAndConnectionCapsAreBounded) {
  auto ok = parse({"--rpc-allow-origin", "https://explorer.example.org", "--rpc-max-connections", "2000",
                   "--rpc-max-websockets", "1500", "--rpc-max-in-flight", "512"});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->rpc.allow_origins, std::vector<std::string>{"https://explorer.example.org"});
  EXPECT_EQ(ok->rpc.max_connections, size_t{2000});
  EXPECT_EQ(ok->rpc.max_websockets, size_t{1500});
  EXPECT_EQ(ok->rpc.max_in_flight, size_t{512});
  EXPECT_EQ(parse({}).value().rpc.max_connections, kDefaultRpcMaxConnections);  // the server's default
  auto bad = parse({"--rpc-allow-origin", "explorer.example.org"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("--rpc-allow-origin"), std::string::npos);
}

TEST(RpcOptions, TlsNeedsBothFilesAndHostsAreNames) {
  const auto cert =
      std::filesystem::temp_directory_path() / ("cairn-options-cert-" + std::to_string(::getpid()));
  std::ofstream(cert) << "x";
  auto both = parse({"--rpc-tls-cert", cert.string(), "--rpc-tls-key", cert.string()});
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_EQ(both->rpc.tls_cert, cert);
  EXPECT_EQ(both->rpc.tls_key, cert);
  EXPECT_NE(parse({"--rpc-tls-cert", cert.string()}).error().message.find("both or neither"),
            std::string::npos);
  EXPECT_NE(parse({"--rpc-tls-key", cert.string()}).error().message.find("both or neither"),
            std::string::npos);
  auto missing = parse({"--rpc-tls-cert", cert.string(), "--rpc-tls-key", "/nonexistent/key.pem"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("--rpc-tls-key"), std::string::npos);
  std::filesystem::remove(cert);

  auto hosts = parse({"--rpc-allow-host", "node.example.org", "--rpc-allow-host", "node.example.org:8645"});
  ASSERT_TRUE(hosts.ok()) << hosts.error().message;
  EXPECT_EQ(hosts->rpc.allow_hosts.size(), 2u);
  EXPECT_NE(parse({"--rpc-allow-host", "http://x"}).error().message.find("--rpc-allow-host"),
            std::string::npos);
}

TEST(NodeOptions, ConfigFileIsReadAndFlagsOverrideIt) {
  const auto path =
      std::filesystem::temp_directory_path() / ("cairn-options-test-" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream f(path);
    f << "network = \"testnet\"\nrpc-listen = \"127.0.0.1:9000\"\n";
  }
  // The file is read by load_node_config (tests/node/config_test.cpp has the rest).
  const EnvLookup no_env = [](const std::string&) { return std::optional<std::string>(); };
  auto from_file = load_node_config({"--config", path.string()}, no_env);
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  auto resolved = resolve_node_config(*from_file);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->paths.network, Network::testnet);
  EXPECT_EQ(resolved->rpc_listen.port, 9000);
  auto overridden = load_node_config({"--config", path.string(), "--rpc-listen", "127.0.0.1:9001"}, no_env);
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(resolve_node_config(*overridden)->rpc_listen.port, 9001);
  std::filesystem::remove(path);
}

TEST(NodeOptions, PeerLimitsHaveDefaultsAndBounds) {
  auto defaults = parse({"--network", "regtest"});
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_TRUE(defaults->p2p.enabled);
  EXPECT_EQ(defaults->p2p.max_inbound, kDefaultP2pMaxInbound);
  EXPECT_EQ(defaults->p2p.max_outbound, kDefaultP2pMaxOutbound);
  EXPECT_FALSE(defaults->p2p.mdns);

  auto set =
      parse({"--network", "regtest", "--max-inbound", "3", "--max-outbound", "2", "--mdns", "--no-p2p"});
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->p2p.max_inbound, 3u);
  EXPECT_EQ(set->p2p.max_outbound, 2u);
  EXPECT_TRUE(set->p2p.mdns);
  EXPECT_FALSE(set->p2p.enabled);

  auto paced = parse({"--network", "regtest", "--mine", "--mine-interval", "2000"});
  ASSERT_TRUE(paced.ok()) << paced.error().message;
  EXPECT_EQ(paced->mine_interval_ms, 2000u);
  EXPECT_THROW(
      (void)parse({"--network", "regtest", "--mine-interval", std::to_string(kMaxMineIntervalMs + 1)}),
      CLI::ValidationError);
  EXPECT_THROW((void)parse({"--network", "regtest", "--max-inbound", std::to_string(kMaxP2pConnections + 1)}),
               CLI::ValidationError);
  EXPECT_TRUE(parse({"--network", "regtest", "--max-outbound", std::to_string(kMaxP2pConnections)}).ok());
}

}  // namespace
}  // namespace cairn
