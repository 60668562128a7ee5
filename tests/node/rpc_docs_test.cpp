// docs/rpc.md is render_markdown() of the registry cairnd serves (NodeMethods over a regtest
// node), byte for byte: a method, parameter, schema, example or server limit that changes
// without the docs fails here. With CAIRN_UPDATE_RPC_DOCS=1 in the environment the test
// writes docs/rpc.md instead of comparing (then review the diff). Also: rpc.discover over
// the full registry describes every method with its group, and every address an example
// shows is a valid regtest address.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "node/node.h"
#include "node/rpc_service.h"
#include "primitives/address.h"
#include "rpc/chain_json.h"
#include "rpc/openrpc.h"
#include "rpc/schema.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

using rpc::json;

constexpr const char* kUpdateVariable = "CAIRN_UPDATE_RPC_DOCS";

std::filesystem::path docs_file() {
  return std::filesystem::path(CAIRN_TESTS_DIR) / ".." / "docs" / "rpc.md";
}

bool update_requested() {
  const char* value = std::getenv(kUpdateVariable);
  return value != nullptr && std::string(value) == "1";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// "line N: expected ... / got ..." of the first line where `a` and `b` differ.
std::string first_difference(const std::string& expected, const std::string& actual) {
  std::istringstream e(expected);
  std::istringstream a(actual);
  std::string el;
  std::string al;
  for (size_t line = 1;; ++line) {
    const bool more_e = static_cast<bool>(std::getline(e, el));
    const bool more_a = static_cast<bool>(std::getline(a, al));
    if (!more_e && !more_a) return "the files differ only in line endings";
    if (!more_e || !more_a || el != al) {
      std::ostringstream out;
      out << "first difference at line " << line << ":\n  generated: " << (more_e ? el : "<end of text>")
          << "\n  docs/rpc.md: " << (more_a ? al : "<end of file>");
      return out.str();
    }
  }
}

class RpcDocs : public ::testing::Test {
 protected:
  void SetUp() override {
    ResolvedNodeOptions options;
    options.paths = ResolvedPaths{Network::regtest, dir_.path(), dir_.path() / "regtest"};
    std::filesystem::create_directories(options.paths.network_datadir);
    auto opened = Node::open(options);
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    node_ = std::move(*opened);
    auto methods = NodeMethods::create(*node_);
    ASSERT_TRUE(methods.ok()) << methods.error().to_string();
    methods_ = std::move(*methods);
  }
  void TearDown() override {
    // As RpcService: the methods go before the node they serve.
    methods_.reset();
    node_.reset();
  }

  TempDir dir_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<NodeMethods> methods_;
};

TEST_F(RpcDocs, DocsMatchTheNodesRegistry) {
  const std::string generated = rpc::render_markdown(methods_->registry());
  const std::filesystem::path file = docs_file();
  if (update_requested()) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << generated;
    out.close();
    ASSERT_TRUE(out.good()) << "cannot write " << file;
    std::cerr << "wrote " << std::filesystem::weakly_canonical(file) << "\n";
  }
  const std::string current = read_file(file);
  EXPECT_TRUE(current == generated)
      << "docs/rpc.md does not match the node's method registry (" << first_difference(generated, current)
      << ").\nRegenerate it with\n  " << kUpdateVariable
      << "=1 build/tests/node_tests --gtest_filter='RpcDocs.*'\nand review the diff.";
}

// The rate limit lives in the node layer; the text in the docs must say what it does.
TEST_F(RpcDocs, DocsStateTheNodesRateLimit) {
  std::ostringstream expected;
  expected << "token bucket of " << kRpcRatePerSecond << " requests per second with a burst of "
           << kRpcRateBurst;
  EXPECT_NE(rpc::render_markdown(methods_->registry()).find(expected.str()), std::string::npos)
      << expected.str();
}

TEST_F(RpcDocs, DiscoverDescribesEveryMethodWithItsGroup) {
  const rpc::Registry& registry = methods_->registry();
  const rpc::MethodSpec* discover = registry.find("rpc.discover");
  ASSERT_NE(discover, nullptr);
  const rpc::MethodResult result =
      discover->handler(json::object(), rpc::CallContext{rpc::Caller{"test", false, "test"}, nullptr});
  ASSERT_TRUE(std::holds_alternative<json>(result));
  const json& document = std::get<json>(result);
  EXPECT_FALSE(rpc::schema_violation(discover->result_schema, document, "result"));
  EXPECT_EQ(document["openrpc"], rpc::kOpenRpcVersion);

  std::set<std::string> documented;
  for (const json& method : document["methods"]) {
    const std::string name = method.value("name", "");
    documented.insert(name);
    ASSERT_TRUE(method.contains("x-cairn-group")) << name;
    const rpc::MethodSpec* spec = registry.find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(method["x-cairn-group"], rpc::to_string(spec->group)) << name;
  }
  EXPECT_EQ(documented.size(), registry.methods().size());
  // Every namespace of the plan that has landed, admin ones included.
  for (const char* name :
       {"chain_get_info", "tx_send_raw", "address_get_balance", "mempool_get_entry", "finality_get_status",
        "node_get_info", "miner_generate", "node_subscribe", "rpc.discover"}) {
    EXPECT_TRUE(documented.contains(name)) << name;
  }
}

// Every string of `value` (recursively) that looks like an address of some network.
void collect_addresses(const json& value, std::vector<std::string>& out) {
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    for (const Network net : kAllNetworks) {
      std::string prefix(address_hrp(net));
      prefix.push_back('1');
      if (text.starts_with(prefix)) {
        out.push_back(text);
        break;
      }
    }
    return;
  }
  if (value.is_structured()) {
    for (const json& item : value) collect_addresses(item, out);
  }
}

TEST_F(RpcDocs, ExampleAddressesAreValidRegtestAddresses) {
  ASSERT_TRUE(decode_address(Network::regtest, rpc::kExampleAddress).ok());
  std::set<std::string> with_addresses;
  for (const rpc::MethodSpec& method : methods_->registry().methods()) {
    for (const rpc::ExampleSpec& example : method.examples) {
      std::vector<std::string> addresses;
      collect_addresses(example.params, addresses);
      collect_addresses(example.result, addresses);
      for (const std::string& address : addresses) {
        const auto decoded = decode_account_address(Network::regtest, address);
        EXPECT_TRUE(decoded.ok()) << method.name << " example '" << example.name << "': " << address << ": "
                                  << (decoded ? "" : decoded.error().message);
        // Contracts have their own addresses; every other example pays the one address.
        if (decoded && decoded->kind != AccountKind::contract) {
          EXPECT_EQ(address, rpc::kExampleAddress) << method.name;
        }
      }
      if (!addresses.empty()) with_addresses.insert(method.name);
    }
  }
  for (const char* name :
       {"address_get_balance", "tx_get", "staking_get_validator", "miner_generate", "miner_get_info"}) {
    EXPECT_TRUE(with_addresses.contains(name)) << name;
  }
}

}  // namespace
}  // namespace cairn
