// devnet.json (devnet_state.h): the schema round trip, refusals, the port layout's bounds
// and the file's mode.
#include "devnet_state.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::app {
namespace {

DevnetState sample() {
  DevnetState state;
  state.dir = "/tmp/devnet";
  state.mnemonic = "abandon abandon art";
  state.mine_interval_ms = 2000;
  for (uint32_t i = 0; i < 2; ++i) {
    DevnetNode n;
    n.index = i;
    n.datadir = state.dir / ("node" + std::to_string(i));
    n.pid = 100 + i;
    n.p2p_port = devnet_p2p_port(29000, i);
    n.rpc_port = devnet_rpc_port(29000, i);
    n.peer_id = "12D3KooWpeer" + std::to_string(i);
    n.miner = i == 0;
    n.wallet_account = i;
    n.wallet_address = "rcairn1addr" + std::to_string(i);
    if (i == 0) n.validator = DevnetValidator{n.datadir / "validator.key", std::string(64, 'a')};
    state.nodes.push_back(n);
  }
  return state;
}

TEST(DevnetState, JsonHasTheSharedSchema) {
  const nlohmann::json doc = devnet_to_json(sample());
  EXPECT_EQ(doc["network"], "regtest");
  EXPECT_EQ(doc["dir"], "/tmp/devnet");
  EXPECT_EQ(doc["wallet_password_file"], "/tmp/devnet/wallet-password");
  const nlohmann::json& n1 = doc["nodes"][1];
  EXPECT_EQ(n1["name"], "node1");
  EXPECT_EQ(n1["p2p_port"], 29002);
  EXPECT_EQ(n1["rpc_port"], 29003);
  EXPECT_EQ(n1["rpc_url"], "http://127.0.0.1:29003/");
  EXPECT_EQ(n1["explorer_url"], "http://127.0.0.1:29003/");
  EXPECT_EQ(n1["metrics_url"], "http://127.0.0.1:29003/metrics");
  EXPECT_EQ(n1["cookie_file"], "/tmp/devnet/node1/regtest/rpc.cookie");
  EXPECT_EQ(n1["p2p_address"], "/ip4/127.0.0.1/tcp/29002/p2p/12D3KooWpeer1");
  EXPECT_EQ(n1["log_file"], "/tmp/devnet/node1/cairnd.log");
  EXPECT_TRUE(n1["validator"].is_null());
  EXPECT_EQ(n1["wallet"], (nlohmann::json{{"name", "devnet"}, {"account", 1}, {"address", "rcairn1addr1"}}));
  EXPECT_EQ(doc["nodes"][0]["validator"]["key_file"], "/tmp/devnet/node0/validator.key");
}

TEST(DevnetState, RoundTrips) {
  const DevnetState state = sample();
  auto back = devnet_from_json(devnet_to_json(state));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(devnet_to_json(*back), devnet_to_json(state));
}

TEST(DevnetState, RefusalsNameTheField) {
  nlohmann::json doc = devnet_to_json(sample());
  doc["nodes"][1].erase("rpc_port");
  auto missing = devnet_from_json(doc);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("node 1: missing or wrong field 'rpc_port'"), std::string::npos);

  doc = devnet_to_json(sample());
  doc["network"] = "mainnet";
  EXPECT_FALSE(devnet_from_json(doc));
  doc = devnet_to_json(sample());
  doc["nodes"][0]["p2p_port"] = 65536;
  EXPECT_FALSE(devnet_from_json(doc));
  doc = devnet_to_json(sample());
  doc["nodes"] = nlohmann::json::array();
  EXPECT_FALSE(devnet_from_json(doc));
}

TEST(DevnetState, PortBounds) {
  EXPECT_TRUE(check_devnet_ports(1024, 1));
  EXPECT_FALSE(check_devnet_ports(1023, 1));
  // The last node's RPC port is base + 2N - 1: 65535 fits, 65536 does not.
  EXPECT_TRUE(check_devnet_ports(65534, 1));
  EXPECT_FALSE(check_devnet_ports(65535, 1));
  EXPECT_TRUE(check_devnet_ports(65536 - 2 * kMaxDevnetNodes, kMaxDevnetNodes));
  EXPECT_FALSE(check_devnet_ports(65536 - 2 * kMaxDevnetNodes + 1, kMaxDevnetNodes));
}

TEST(DevnetState, FileIsWrittenPrivateAndReadBack) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("cairn-devnet-state-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto none = read_devnet_file(dir);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  DevnetState state = sample();
  state.dir = dir;
  ASSERT_TRUE(write_devnet_file(state));
  struct stat st {};
  ASSERT_EQ(::stat((dir / kDevnetFileName).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = read_devnet_file(dir);
  ASSERT_TRUE(back);
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ(devnet_to_json(**back), devnet_to_json(state));

  std::ofstream(dir / kDevnetFileName) << "{ not json";
  EXPECT_FALSE(read_devnet_file(dir));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn::app
