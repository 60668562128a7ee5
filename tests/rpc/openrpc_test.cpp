#include "rpc/openrpc.h"

#include <gtest/gtest.h>

#include "rpc/dispatcher.h"
#include "rpc/schema.h"

namespace cairn::rpc {
namespace {

using namespace nlohmann::literals;

MethodSpec block_hash_spec() {
  MethodSpec spec;
  spec.name = "chain_get_block_hash";
  spec.summary = "The hash of the best chain's block at a height.";
  spec.description = "Heights past the tip are not_found.";
  spec.params = {ParamSpec{"height", "A block height.", R"({"type":"integer","minimum":0})"_json, true, {}},
                 ParamSpec{"format", "hex | base64", R"({"enum":["hex","base64"]})"_json, false, "hex"}};
  spec.result_name = "hash";
  spec.result_schema = R"({"type":"string","pattern":"^[0-9a-f]{64}$"})"_json;
  spec.errors = {ErrorSpec{error_code::not_found, "no block at this height"}};
  spec.examples = {ExampleSpec{"genesis", {{"height", 0}, {"format", "hex"}}, std::string(64, 'a')}};
  spec.handler = [](const json&, const CallContext&) -> MethodResult { return std::string(64, 'a'); };
  return spec;
}

MethodSpec stop_spec() {
  MethodSpec spec;
  spec.name = "node_stop";
  spec.group = MethodGroup::admin_group;
  spec.summary = "Stops the node.";
  spec.result_name = "stopping";
  spec.result_schema = R"({"type":"boolean"})"_json;
  spec.handler = [](const json&, const CallContext&) -> MethodResult { return true; };
  return spec;
}

Registry test_registry() {
  Registry registry;
  EXPECT_TRUE(registry.add(stop_spec()));
  EXPECT_TRUE(registry.add(block_hash_spec()));
  EXPECT_TRUE(register_discover(registry, ApiInfo{"Cairn JSON-RPC API", "0.1.0"}));
  return registry;
}

TEST(OpenRpc, DocumentShape) {
  const Registry registry = test_registry();
  const json document = openrpc_document(registry, ApiInfo{"Cairn JSON-RPC API", "0.1.0"});
  EXPECT_EQ(document["openrpc"], "1.2.6");
  EXPECT_EQ(document["info"], R"({"title":"Cairn JSON-RPC API","version":"0.1.0"})"_json);
  ASSERT_EQ(document["methods"].size(), 3u);
  std::vector<std::string> names;
  for (const auto& method : document["methods"]) {
    names.push_back(method["name"]);
    EXPECT_TRUE(method.contains("x-cairn-group")) << method["name"];
    for (const char* key : {"summary", "params", "result", "errors", "examples"}) {
      EXPECT_TRUE(method.contains(key)) << method["name"] << " " << key;
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"chain_get_block_hash", "node_stop", "rpc.discover"}));

  const json& hash = document["methods"][0];
  EXPECT_EQ(hash["x-cairn-group"], "public");
  EXPECT_EQ(document["methods"][1]["x-cairn-group"], "admin");
  EXPECT_EQ(hash["description"], "Heights past the tip are not_found.");
  EXPECT_EQ(hash["params"][0],
            R"({"name":"height","required":true,"description":"A block height.",
                "schema":{"type":"integer","minimum":0}})"_json);
  EXPECT_EQ(hash["params"][1]["schema"]["default"], "hex");
  EXPECT_EQ(hash["params"][1]["required"], false);
  EXPECT_EQ(hash["result"], R"({"name":"hash","schema":{"type":"string","pattern":"^[0-9a-f]{64}$"}})"_json);
  EXPECT_EQ(hash["errors"], R"([{"code":-32000,"message":"no block at this height"}])"_json);
  EXPECT_EQ(hash["examples"][0]["params"],
            R"([{"name":"height","value":0},{"name":"format","value":"hex"}])"_json);
  EXPECT_EQ(hash["examples"][0]["result"]["name"], "hash");
  EXPECT_FALSE(document["methods"][1].contains("description"));
}

TEST(OpenRpc, DiscoverReturnsTheDocumentThroughTheDispatcher) {
  const Registry registry = test_registry();
  Dispatcher dispatcher(registry, DispatcherOptions{{}, /*check_results=*/true});
  auto response = dispatcher.handle(R"({"jsonrpc":"2.0","id":1,"method":"rpc.discover"})", CallContext{});
  ASSERT_TRUE(response);
  const json result = json::parse(*response)["result"];
  EXPECT_EQ(result, openrpc_document(registry, ApiInfo{"Cairn JSON-RPC API", "0.1.0"}));
  const MethodSpec* discover = registry.find("rpc.discover");
  ASSERT_NE(discover, nullptr);
  EXPECT_EQ(discover->group, MethodGroup::public_group);
  EXPECT_FALSE(schema_violation(discover->result_schema, result, "result"));
}

TEST(OpenRpc, DiscoverRegistersOnce) {
  Registry registry = test_registry();
  EXPECT_FALSE(register_discover(registry, ApiInfo{}));
}

TEST(OpenRpc, MarkdownIsStableAndComplete) {
  const std::string first = render_markdown(test_registry());
  EXPECT_EQ(first, render_markdown(test_registry()));
  // Registration order does not matter.
  Registry reversed;
  ASSERT_TRUE(register_discover(reversed, ApiInfo{"Cairn JSON-RPC API", "0.1.0"}));
  ASSERT_TRUE(reversed.add(block_hash_spec()));
  ASSERT_TRUE(reversed.add(stop_spec()));
  EXPECT_EQ(first, render_markdown(reversed));

  const char* const kExpected[] = {
      "# Cairn JSON-RPC API",
      "## Transport",
      "## Authentication",
      "rpc.cookie",
      "__cookie__",
      "## Errors",
      "| -32700 | `parse_error` |",
      "| -32009 | `unavailable` |",
      "## Encodings",
      "## chain\n",
      "## node\n",
      "## rpc\n",
      "### chain_get_block_hash",
      "Group: `public`.",
      "### node_stop\n\nGroup: `admin`. Stops the node.",
      "[rpc.discover](#rpcdiscover)",
      "| `format` | no (default `\"hex\"`) | `{\"enum\":[\"hex\",\"base64\"]}` | hex \\| base64 |",
      "| -32000 | no block at this height |",
      R"({"jsonrpc":"2.0","id":1,"method":"chain_get_block_hash","params":{"format":"hex","height":0}})",
      "Parameters: none.",
      // The server's behaviour and limits (server.h, jsonrpc.h, subscriptions.h).
      "| `Host` header not allowed (see \"Host and Origin\") | 403 | -32002 |",
      "| no or wrong credentials | 401, with `WWW-Authenticate: Basic realm=\"cairn\"` | -32001 |",
      "close code 1009",
      R"({"jsonrpc":"2.0","method":"node_subscription_dropped","params":{"reason":"notification queue full"}})",
      "\"method\":\"node_subscription\"",
      "--rpc-allow-origin",
      "--rpc-allow-host",
      "--rpc-tls-cert FILE --rpc-tls-key FILE",
      "--rpc-public",
      "--rpc-max-connections",
      "<datadir>/<network>/rpc.cookie",
      "hmac.new(s.encode(), sys.argv[3].encode(), \"sha256\")",
      "| HTTP request body | 1 MiB |",
      "| HTTP request header | 8 KiB |",
      "| request timeout: from a complete request to its answer | 30 s |",
      "| WebSocket queue of responses and notifications, per connection | 1024 messages |",
      "| requests in a batch | 100 |",
      "| JSON nesting depth of a body or message | 64 |",
      "| subscriptions per WebSocket connection | 32 |",
  };
  for (const char* expected : kExpected) {
    EXPECT_NE(first.find(expected), std::string::npos) << expected;
  }
  EXPECT_TRUE(first.ends_with("```\n"));
  // Sections come in this order.
  size_t at = 0;
  for (const char* section :
       {"## Transport", "### HTTP", "### WebSocket", "### Subscriptions", "## Limits", "## Authentication",
        "### Host and Origin", "### Rate limit", "## Errors", "## Encodings", "## Methods"}) {
    const size_t found = first.find(section, at);
    EXPECT_NE(found, std::string::npos) << section;
    if (found != std::string::npos) at = found;
  }
  EXPECT_EQ(first.find("\n\n\n"), std::string::npos);
}

}  // namespace
}  // namespace cairn::rpc
