#include "rpc/registry.h"

#include <string>

#include <gtest/gtest.h>

namespace cairn::rpc {
namespace {

MethodSpec valid_spec(std::string name = "chain_get_block_hash") {
  MethodSpec spec;
  spec.name = std::move(name);
  spec.summary = "The hash of the best chain's block at a height.";
  spec.params = {
      ParamSpec{"height", "A block height.", {{"type", "integer"}, {"minimum", 0}}, true, std::nullopt},
      ParamSpec{"verbose", "More detail.", {{"type", "boolean"}}, false, false}};
  spec.result_name = "hash";
  spec.result_schema = {{"type", "string"}, {"pattern", "^[0-9a-f]{64}$"}};
  spec.errors = {ErrorSpec{error_code::not_found, "no block at this height"}};
  spec.examples = {ExampleSpec{"genesis", {{"height", 0}}, std::string(64, '0')}};
  spec.handler = [](const json&, const CallContext&) -> MethodResult { return json(std::string(64, '0')); };
  return spec;
}

std::string add_error(MethodSpec spec) {
  Registry registry;
  auto status = registry.add(std::move(spec));
  return status ? std::string("ok") : status.error().message;
}

TEST(Registry, AddsAndFinds) {
  Registry registry;
  ASSERT_TRUE(registry.add(valid_spec()));
  const MethodSpec* found = registry.find("chain_get_block_hash");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->result_name, "hash");
  EXPECT_EQ(registry.find("chain_get_block"), nullptr);
  EXPECT_EQ(registry.find(""), nullptr);
}

TEST(Registry, MethodsAreInNameOrder) {
  Registry registry;
  for (const char* name :
       {"tx_get", "address_get_balance", "rpc.discover", "chain_get_info", "chain_get_block"}) {
    ASSERT_TRUE(registry.add(valid_spec(name)));
  }
  std::vector<std::string> names;
  for (const auto& method : registry.methods()) names.push_back(method.name);
  EXPECT_EQ(names, (std::vector<std::string>{"address_get_balance", "chain_get_block", "chain_get_info",
                                             "rpc.discover", "tx_get"}));
}

TEST(Registry, RefusesDuplicates) {
  Registry registry;
  ASSERT_TRUE(registry.add(valid_spec()));
  auto status = registry.add(valid_spec());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message, "method 'chain_get_block_hash': is already registered");
  EXPECT_EQ(status.error().code, ErrorCode::invalid_argument);
}

TEST(Registry, MethodNames) {
  EXPECT_EQ(add_error(valid_spec("chain_get")), "ok");
  EXPECT_EQ(add_error(valid_spec("net_get_peers2")), "ok");
  EXPECT_EQ(add_error(valid_spec("rpc.discover")), "ok");
  for (const char* bad : {"getblock", "Chain_get", "chain_", "_get", "chain-get", "chain.get", "rpc.other",
                          "chain_Get", "2chain_get", ""}) {
    EXPECT_EQ(
        add_error(valid_spec(bad)),
        std::string("method '") + bad + "': name is not lowercase namespace_verb_noun (e.g. chain_get_block)")
        << bad;
  }
}

TEST(Registry, ParameterRules) {
  auto spec = valid_spec();
  spec.params.push_back(ParamSpec{"count", "", {{"type", "integer"}}, true, std::nullopt});
  EXPECT_EQ(add_error(spec),
            "method 'chain_get_block_hash': required parameter 'count' follows an optional one");

  spec = valid_spec();
  spec.params[1].name = "height";
  EXPECT_EQ(add_error(spec), "method 'chain_get_block_hash': parameter 'height' repeats");

  spec = valid_spec();
  spec.params[1].name = "Verbose";
  EXPECT_EQ(add_error(spec), "method 'chain_get_block_hash': parameter 'Verbose' is not snake_case");

  spec = valid_spec();
  spec.params[0].schema = {{"type", "integer"}, {"format", "int64"}};
  EXPECT_EQ(add_error(spec),
            "method 'chain_get_block_hash': parameter 'height': schema: unsupported keyword 'format'");

  spec = valid_spec();
  spec.params[1].default_value = "yes";
  EXPECT_EQ(add_error(spec),
            "method 'chain_get_block_hash': default of parameter 'verbose' violates its schema: "
            "params.verbose: expected boolean, got string");

  spec = valid_spec();
  spec.params[0].default_value = 1;
  EXPECT_EQ(add_error(spec), "method 'chain_get_block_hash': required parameter 'height' has a default");
}

TEST(Registry, ResultAndDocumentation) {
  auto spec = valid_spec();
  spec.result_schema = {{"type", "string"}, {"format", "hex"}};
  EXPECT_EQ(add_error(spec), "method 'chain_get_block_hash': result schema: unsupported keyword 'format'");

  spec = valid_spec();
  spec.result_name.clear();
  EXPECT_EQ(add_error(spec), "method 'chain_get_block_hash': result has no name");

  spec = valid_spec();
  spec.summary.clear();
  EXPECT_EQ(add_error(spec), "method 'chain_get_block_hash': has no summary");

  spec = valid_spec();
  spec.handler = nullptr;
  EXPECT_EQ(add_error(spec), "method 'chain_get_block_hash': has no handler");

  spec = valid_spec();
  spec.errors.push_back(ErrorSpec{error_code::pruned, ""});
  EXPECT_EQ(add_error(spec), "method 'chain_get_block_hash': error -32007 has no message");
}

TEST(Registry, ExamplesAreValidated) {
  auto spec = valid_spec();
  spec.examples[0].params = {{"height", -1}};
  EXPECT_EQ(add_error(spec),
            "method 'chain_get_block_hash': example 'genesis': params.height: -1 is below the minimum 0");

  spec = valid_spec();
  spec.examples[0].params = json::object();
  EXPECT_EQ(add_error(spec),
            "method 'chain_get_block_hash': example 'genesis': missing required parameter 'height'");

  spec = valid_spec();
  spec.examples[0].params = {{"height", 0}, {"depth", 1}};
  EXPECT_EQ(add_error(spec), "method 'chain_get_block_hash': example 'genesis': unknown parameter 'depth'");

  spec = valid_spec();
  spec.examples[0].params = json::array({0});
  EXPECT_EQ(add_error(spec),
            "method 'chain_get_block_hash': example 'genesis': params must be an object by name");

  spec = valid_spec();
  spec.examples[0].result = "00";
  EXPECT_EQ(add_error(spec),
            "method 'chain_get_block_hash': example 'genesis': result: \"00\" does not match ^[0-9a-f]{64}$");

  spec = valid_spec();
  spec.examples[0].name.clear();
  EXPECT_EQ(add_error(spec), "method 'chain_get_block_hash': an example has no name");
}

TEST(Registry, FailedAddLeavesTheRegistryUnchanged) {
  Registry registry;
  auto spec = valid_spec();
  spec.summary.clear();
  EXPECT_FALSE(registry.add(spec));
  EXPECT_TRUE(registry.methods().empty());
}

TEST(ToRpcError, MapsCategories) {
  EXPECT_EQ(to_rpc_error(Error{ErrorCode::invalid_argument, "bad"}).code, error_code::invalid_params);
  EXPECT_EQ(to_rpc_error(Error{ErrorCode::decode, "bad"}).code, error_code::invalid_params);
  EXPECT_EQ(to_rpc_error(Error{ErrorCode::not_found, "none"}).code, error_code::not_found);
  EXPECT_EQ(to_rpc_error(Error{ErrorCode::limit, "big"}).code, error_code::limit_exceeded);
  EXPECT_EQ(to_rpc_error(Error{ErrorCode::io, "disk"}).code, error_code::internal_error);
  EXPECT_EQ(to_rpc_error(Error{ErrorCode::verify, "sig"}).code, error_code::internal_error);
  const RpcError error = to_rpc_error(Error{ErrorCode::not_found, "no block 5"});
  EXPECT_EQ(error.message, "no block 5");
  EXPECT_FALSE(error.data);
}

}  // namespace
}  // namespace cairn::rpc
