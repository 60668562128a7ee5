// The node_* and miner_* methods called the way the dispatcher calls them (validated params
// by name, from a thread other than the chain's) against a regtest node whose run() loop
// serves on its own thread; every result is checked against its method's result schema.
#include "node/node_methods.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <variant>

#include <gtest/gtest.h>
#include <unistd.h>

#include "chain/regtest_fixture.h"
#include "primitives/address.h"
#include "rpc/schema.h"
#include "support/keys.h"

namespace cairn {
namespace {

using rpc::json;

class NodeMethodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cairn-node-methods-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    stop();
    node_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Opens a node of `network` and serves it on a thread, as cairnd's main thread does.
  void start(Network network, bool mine = false) {
    ResolvedNodeOptions options;
    options.paths = ResolvedPaths{network, dir_, dir_ / std::string(network_name(network))};
    std::filesystem::create_directories(options.paths.network_datadir);
    options.mine = mine;
    options.mine_to = test::miner_lock();
    auto opened = Node::open(options);
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    node_ = std::move(*opened);
    registry_ = rpc::Registry{};
    ASSERT_TRUE(register_node_methods(registry_, *node_, sources_).ok());
    loop_ = std::thread([this] { ran_ = node_->run(stop_); });
  }

  void stop() {
    stop_ = true;
    if (loop_.joinable()) loop_.join();
    stop_ = false;
  }

  // Calls `method` with `params` and checks a result against the method's result schema.
  rpc::MethodResult call(const std::string& method, json params = json::object()) {
    const rpc::MethodSpec* spec = registry_.find(method);
    EXPECT_NE(spec, nullptr) << method;
    if (spec == nullptr) return rpc::RpcError{};
    rpc::MethodResult result =
        spec->handler(params, rpc::CallContext{rpc::Caller{"test", true, "test"}, nullptr});
    if (const json* value = std::get_if<json>(&result)) {
      const auto violation = rpc::schema_violation(spec->result_schema, *value, "result");
      EXPECT_FALSE(violation.has_value()) << method << ": " << *violation << "\n" << value->dump();
    }
    return result;
  }

  json ok(const std::string& method, json params = json::object()) {
    auto result = call(method, std::move(params));
    if (const auto* error = std::get_if<rpc::RpcError>(&result)) {
      ADD_FAILURE() << method << ": error " << error->code << ": " << error->message;
      return nullptr;
    }
    return std::get<json>(result);
  }

  rpc::RpcError error(const std::string& method, json params = json::object()) {
    auto result = call(method, std::move(params));
    if (auto* e = std::get_if<rpc::RpcError>(&result)) return *e;
    ADD_FAILURE() << method << " succeeded: " << std::get<json>(result).dump();
    return {};
  }

  std::string address() const { return encode_address(Network::regtest, test::miner_lock()); }

  std::filesystem::path dir_;
  rpc::Registry registry_;
  NodeInfoSources sources_;
  std::unique_ptr<Node> node_;
  std::atomic<bool> stop_{false};
  std::thread loop_;
  Status ran_;
};

TEST_F(NodeMethodsTest, RegistersSixMethodsInTheirGroups) {
  start(Network::regtest);
  ASSERT_EQ(registry_.methods().size(), 6u);
  EXPECT_EQ(registry_.find("node_get_info")->group, rpc::MethodGroup::public_group);
  EXPECT_EQ(registry_.find("miner_get_info")->group, rpc::MethodGroup::public_group);
  EXPECT_EQ(registry_.find("node_stop")->group, rpc::MethodGroup::admin_group);
  EXPECT_EQ(registry_.find("miner_generate")->group, rpc::MethodGroup::admin_group);
  EXPECT_EQ(registry_.find("node_get_log_levels")->group, rpc::MethodGroup::admin_group);
  EXPECT_EQ(registry_.find("node_set_log_level")->group, rpc::MethodGroup::admin_group);
  // A second registration is refused (the names are taken).
  EXPECT_FALSE(register_node_methods(registry_, *node_).ok());
}

TEST_F(NodeMethodsTest, GenerateMinesAndInfoReportsTheTip) {
  start(Network::regtest);
  const json info0 = ok("node_get_info");
  EXPECT_EQ(info0["height"], 0);
  EXPECT_EQ(info0["network"], "regtest");
  EXPECT_EQ(info0["peers"], 0);
  EXPECT_EQ(info0["sync"]["state"], "synced");
  EXPECT_EQ(info0["sync"]["progress"], kProgressScale);

  const json hashes = ok("miner_generate", {{"count", 3}, {"address", address()}});
  ASSERT_EQ(hashes.size(), 3u);
  const json info = ok("node_get_info");
  EXPECT_EQ(info["height"], 3);
  EXPECT_EQ(info["best_hash"], hashes[2]);
  EXPECT_EQ(info["user_agent"], "cairn/" + info["version"].get<std::string>());
  // The hashes are the best chain's, in order, and the coinbases pay the address.
  auto chain = node_->call([this] {
    std::vector<std::string> out;
    for (uint64_t h = 1; h <= 3; ++h) out.push_back(node_->chain().at_height(h)->hash.hex());
    auto block = node_->chain().read_block(node_->chain().tip().hash);
    return std::pair{out, block.ok() ? block->transactions[0].outputs[0].lock : OutputLock{}};
  });
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(hashes, json(chain->first));
  EXPECT_EQ(chain->second, test::miner_lock());
}

TEST_F(NodeMethodsTest, GenerateCountIsBoundedBySchema) {
  start(Network::regtest);
  const rpc::ParamSpec& count = registry_.find("miner_generate")->params.at(0);
  ASSERT_EQ(count.name, "count");
  EXPECT_FALSE(rpc::schema_violation(count.schema, 1, "count"));
  EXPECT_FALSE(rpc::schema_violation(count.schema, kMaxGenerateBlocks, "count"));
  EXPECT_TRUE(rpc::schema_violation(count.schema, kMaxGenerateBlocks + 1, "count"));
  EXPECT_TRUE(rpc::schema_violation(count.schema, 0, "count"));
}

TEST_F(NodeMethodsTest, GenerateChecksItsAddressAndNetwork) {
  start(Network::regtest);
  const auto wrong =
      error("miner_generate", {{"count", 1}, {"address", encode_address(Network::mainnet, OutputLock{})}});
  EXPECT_EQ(wrong.code, rpc::error_code::invalid_params);
  EXPECT_NE(wrong.message.find("address"), std::string::npos) << wrong.message;
  EXPECT_EQ(ok("node_get_info")["height"], 0);
  stop();
  node_.reset();

  std::filesystem::remove_all(dir_);
  start(Network::testnet);
  const auto testnet = error(
      "miner_generate", {{"count", 1}, {"address", encode_address(Network::testnet, test::miner_lock())}});
  EXPECT_EQ(testnet.code, rpc::error_code::unavailable);
  EXPECT_NE(testnet.message.find("regtest only"), std::string::npos) << testnet.message;
}

TEST_F(NodeMethodsTest, MinerInfoFollowsTheOptions) {
  start(Network::regtest);
  EXPECT_EQ(ok("miner_get_info"), (json{{"mining", false}, {"threads", 0}, {"address", nullptr}}));
  stop();
  node_.reset();
  start(Network::regtest, /*mine=*/true);
  EXPECT_EQ(ok("miner_get_info"), (json{{"mining", true}, {"threads", 1}, {"address", address()}}));
}

TEST_F(NodeMethodsTest, CallsInterleaveWithBackgroundMining) {
  start(Network::regtest, /*mine=*/true);
  // Each call is answered between miner slices while the tip keeps moving.
  uint64_t first = ok("node_get_info")["height"];
  uint64_t last = first;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (last < first + 5 && std::chrono::steady_clock::now() < deadline) {
    const auto asked = std::chrono::steady_clock::now();
    last = ok("node_get_info")["height"];
    EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(2));
  }
  EXPECT_GE(last, first + 5);
  // generate runs alongside the background miner.
  EXPECT_EQ(ok("miner_generate", {{"count", 2}, {"address", address()}}).size(), 2u);
}

TEST_F(NodeMethodsTest, NodeStopEndsRunAndLaterCallsAreRefused) {
  sources_.peer_count = [] { return uint64_t{7}; };
  sources_.best_known_height = [] { return uint64_t{4}; };
  start(Network::regtest, /*mine=*/true);
  const json info = ok("node_get_info");
  EXPECT_EQ(info["peers"], 7);
  EXPECT_EQ(ok("node_stop"), "cairnd stopping");
  loop_.join();  // returns without the stop flag
  EXPECT_TRUE(ran_.ok()) << ran_.error().to_string();
  const auto refused = error("node_get_info");
  EXPECT_EQ(refused.code, rpc::error_code::unavailable);
  EXPECT_EQ(error("miner_generate", {{"count", 1}, {"address", address()}}).code,
            rpc::error_code::unavailable);
}

TEST(SyncProgress, IsPartsPerMillionAtItsBoundaries) {
  const SyncProgress synced = sync_progress(10, 10);
  EXPECT_EQ(synced.state, "synced");
  EXPECT_EQ(synced.progress, kProgressScale);
  // A peer's lower height is no target.
  EXPECT_EQ(sync_progress(10, 3).target_height, 10u);
  EXPECT_EQ(sync_progress(10, 3).state, "synced");
  const SyncProgress start = sync_progress(0, 1);
  EXPECT_EQ(start.state, "syncing");
  EXPECT_EQ(start.progress, 0u);
  EXPECT_EQ(sync_progress(1, 2).progress, kProgressScale / 2);
  // One block short of a long chain is still below a million, never rounded up to synced.
  EXPECT_EQ(sync_progress(1'999'999, 2'000'000).progress, 999'999u);
  EXPECT_EQ(sync_progress(UINT64_MAX - 1, UINT64_MAX).progress, 999'999u);
}

}  // namespace
}  // namespace cairn
