#include "rpc/dispatcher.h"

#include <atomic>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace cairn::rpc {
namespace {

using namespace nlohmann::literals;

MethodSpec method(std::string name, MethodGroup group, std::vector<ParamSpec> params, json result_schema,
                  MethodHandler handler) {
  MethodSpec spec;
  spec.name = std::move(name);
  spec.group = group;
  spec.summary = "A test method.";
  spec.params = std::move(params);
  spec.result_name = "result";
  spec.result_schema = std::move(result_schema);
  spec.handler = std::move(handler);
  return spec;
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        registry_.add(method("chain_get_block_hash", MethodGroup::public_group,
                             {ParamSpec{"height", "", R"({"type":"integer","minimum":0})"_json, true, {}}},
                             R"({"type":"string"})"_json, [](const json& params, const CallContext&) {
                               return MethodResult{"hash-" + params["height"].dump()};
                             })));
    ASSERT_TRUE(
        registry_.add(method("test_echo", MethodGroup::public_group,
                             {ParamSpec{"value", "", json::object(), true, {}},
                              ParamSpec{"verbose", "", R"({"type":"boolean"})"_json, false, false},
                              ParamSpec{"note", "", R"({"type":"string"})"_json, false, std::nullopt}},
                             json::object(), [this](const json& params, const CallContext&) {
                               ++calls_;
                               return MethodResult{params};
                             })));
    ASSERT_TRUE(registry_.add(method(
        "node_stop", MethodGroup::admin_group,
        {ParamSpec{"delay", "", R"({"type":"integer"})"_json, false, std::nullopt}},
        R"({"type":"boolean"})"_json, [](const json&, const CallContext&) { return MethodResult{true}; })));
    ASSERT_TRUE(registry_.add(
        method("test_throw", MethodGroup::public_group, {}, json::object(),
               [](const json&, const CallContext&) -> MethodResult { throw std::runtime_error("boom"); })));
    ASSERT_TRUE(registry_.add(method("test_refuse", MethodGroup::public_group, {}, json::object(),
                                     [](const json&, const CallContext&) -> MethodResult {
                                       return RpcError{error_code::rejected, "no", json{{"why", "fee"}}};
                                     })));
    ASSERT_TRUE(
        registry_.add(method("test_wrong_result", MethodGroup::public_group, {}, R"({"type":"string"})"_json,
                             [](const json&, const CallContext&) { return MethodResult{json(5)}; })));
  }

  // The parsed response to `body`; null when there was none.
  json call(std::string_view body, bool admin = false, DispatcherOptions options = {}) const {
    Dispatcher dispatcher(registry_, options);
    CallContext context;
    context.caller = Caller{"anonymous", admin, "127.0.0.1"};
    auto response = dispatcher.handle(body, context);
    return response ? json::parse(*response) : json(nullptr);
  }

  static int code(const json& response) { return response["error"]["code"].get<int>(); }
  static std::string message(const json& response) { return response["error"]["message"].get<std::string>(); }

  Registry registry_;
  std::atomic<int> calls_{0};
};

TEST_F(DispatcherTest, ParamsByPositionAndByName) {
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"chain_get_block_hash","params":[7]})"),
            R"({"jsonrpc":"2.0","id":1,"result":"hash-7"})"_json);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":2,"method":"chain_get_block_hash","params":{"height":8}})"),
            R"({"jsonrpc":"2.0","id":2,"result":"hash-8"})"_json);
}

TEST_F(DispatcherTest, DefaultsAreFilledAndAbsentOptionalsLeftOut) {
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"test_echo","params":[{"a":1}]})")["result"],
            R"({"value":{"a":1},"verbose":false})"_json);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"test_echo","params":[1,true,"n"]})")["result"],
            R"({"value":1,"verbose":true,"note":"n"})"_json);
}

TEST_F(DispatcherTest, IdsAreEchoed) {
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":"abc","method":"chain_get_block_hash","params":[1]})")["id"],
            "abc");
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":-5,"method":"chain_get_block_hash","params":[1]})")["id"], -5);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1.5,"method":"chain_get_block_hash","params":[1]})")["id"], 1.5);
  const json null_id = call(R"({"jsonrpc":"2.0","id":null,"method":"chain_get_block_hash","params":[1]})");
  EXPECT_TRUE(null_id.contains("id") && null_id["id"].is_null());
  EXPECT_EQ(null_id["result"], "hash-1");
}

TEST_F(DispatcherTest, NotificationsRunButGetNoResponse) {
  EXPECT_TRUE(call(R"({"jsonrpc":"2.0","method":"test_echo","params":[1]})").is_null());
  EXPECT_EQ(calls_, 1);
  // Not even an error is answered.
  EXPECT_TRUE(call(R"({"jsonrpc":"2.0","method":"no_such_method"})").is_null());
}

TEST_F(DispatcherTest, MalformedJsonIsAParseError) {
  for (const char* body : {"", "{", R"({"jsonrpc":"2.0",)", "nul", "[1,]", "{\"a\":\"\xff\"}"}) {
    const json response = call(body);
    EXPECT_EQ(code(response), error_code::parse_error) << body;
    EXPECT_TRUE(response["id"].is_null());
    EXPECT_TRUE(message(response).starts_with("parse error at line 1")) << message(response);
  }
}

TEST_F(DispatcherTest, NumbersBeyondDoubleAreAParseError) {
  const json response = call(R"({"jsonrpc":"2.0","id":1e999,"method":"test_echo","params":[1]})");
  EXPECT_EQ(code(response), error_code::parse_error);
  EXPECT_EQ(message(response), "number overflow parsing '1e999'");
}

TEST_F(DispatcherTest, ParseErrorMessagesAreBounded) {
  const std::string body = "\"" + std::string(100000, 'x');  // an unterminated string
  EXPECT_LT(message(call(body)).size(), 300u);
}

TEST_F(DispatcherTest, InvalidRequests) {
  auto invalid = [&](std::string_view body) {
    const json response = call(body);
    EXPECT_EQ(code(response), error_code::invalid_request) << body;
    return message(response);
  };
  EXPECT_EQ(invalid("5"), "a request must be a JSON object");
  EXPECT_EQ(invalid(R"({"id":1,"method":"test_echo"})"), "\"jsonrpc\" must be exactly \"2.0\"");
  EXPECT_EQ(invalid(R"({"jsonrpc":"1.0","id":1,"method":"test_echo"})"),
            "\"jsonrpc\" must be exactly \"2.0\"");
  EXPECT_EQ(invalid(R"({"jsonrpc":"2.0","id":1,"method":5})"), "\"method\" must be a string");
  EXPECT_EQ(invalid(R"({"jsonrpc":"2.0","id":1})"), "\"method\" must be a string");
  EXPECT_EQ(invalid(R"({"jsonrpc":"2.0","id":1,"method":"test_echo","params":"x"})"),
            "\"params\" must be an array or an object");
  EXPECT_EQ(invalid(R"({"jsonrpc":"2.0","id":[1],"method":"test_echo"})"),
            "\"id\" must be a string, a number or null");
  // A valid id is echoed even when the rest of the request is not.
  EXPECT_EQ(call(R"({"jsonrpc":"1.0","id":"q","method":"test_echo"})")["id"], "q");
  // An invalid request is answered even without an id: it is not a notification.
  EXPECT_TRUE(call(R"({"jsonrpc":"2.0","method":7})")["id"].is_null());
}

TEST_F(DispatcherTest, UnknownMethod) {
  const json response = call(R"({"jsonrpc":"2.0","id":1,"method":"chain_get_nothing"})");
  EXPECT_EQ(code(response), error_code::method_not_found);
  EXPECT_EQ(message(response), "unknown method 'chain_get_nothing'");
  const std::string long_name(10000, 'a');
  const std::string body = R"({"jsonrpc":"2.0","id":1,"method":")" + long_name + "\"}";
  EXPECT_EQ(message(call(body)).size(), std::string("unknown method ''").size() + kMaxEchoedNameBytes);
}

TEST_F(DispatcherTest, WrongParamsNameTheParameter) {
  auto error = [&](std::string_view params) {
    const std::string body =
        R"({"jsonrpc":"2.0","id":1,"method":"chain_get_block_hash","params":)" + std::string(params) + "}";
    const json response = call(body);
    EXPECT_EQ(code(response), error_code::invalid_params) << params;
    return message(response);
  };
  EXPECT_EQ(error(R"(["7"])"), "params.height: expected integer, got string");
  EXPECT_EQ(error(R"({"height":-1})"), "params.height: -1 is below the minimum 0");
  EXPECT_EQ(error(R"({"height":1.0})"), "params.height: expected integer, got number");
  EXPECT_EQ(error("[]"), "missing required parameter 'height'");
  EXPECT_EQ(error("{}"), "missing required parameter 'height'");
  EXPECT_EQ(error("[1,2]"), "chain_get_block_hash takes at most 1 parameters, got 2");
  EXPECT_EQ(error(R"({"height":1,"verbose":true})"),
            "unknown parameter 'verbose' (chain_get_block_hash takes: height)");
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"chain_get_block_hash"})")),
            error_code::invalid_params);
}

// Builds {"jsonrpc":"2.0","id":1,"method":"test_echo","params":[X]} where X nests `depth - 2`
// arrays, so that the whole body nests exactly `depth` containers.
std::string nested_body(size_t depth) {
  const size_t inner = depth - 2;
  return R"({"jsonrpc":"2.0","id":1,"method":"test_echo","params":[)" + std::string(inner, '[') +
         std::string(inner, ']') + "]}";
}

TEST_F(DispatcherTest, NestingDepthAtTheBoundary) {
  DispatcherOptions options;
  options.limits.max_nesting_depth = 10;
  EXPECT_TRUE(call(nested_body(10), false, options).contains("result"));
  const json refused = call(nested_body(11), false, options);
  EXPECT_EQ(code(refused), error_code::limit_exceeded);
  EXPECT_EQ(message(refused), "request nests arrays/objects deeper than 10 levels");
  EXPECT_EQ(calls_, 1);

  EXPECT_TRUE(call(nested_body(kDefaultMaxNestingDepth)).contains("result"));
  EXPECT_EQ(code(call(nested_body(kDefaultMaxNestingDepth + 1))), error_code::limit_exceeded);
}

TEST_F(DispatcherTest, DeepNestingIsRefusedBeforeTheBodyIsRead) {
  // A million unclosed brackets: refused at the first one too many, not a parse error at the end.
  const json response = call(std::string(1000000, '['));
  EXPECT_EQ(code(response), error_code::limit_exceeded);
}

std::string batch_of(size_t count) {
  std::string body = "[";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) body += ",";
    body +=
        R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"chain_get_block_hash","params":[1]})";
  }
  return body + "]";
}

TEST_F(DispatcherTest, BatchSizeAtTheBoundary) {
  DispatcherOptions options;
  options.limits.max_batch_size = 3;
  EXPECT_EQ(call(batch_of(3), false, options).size(), 3u);
  const json bomb = call(batch_of(4), false, options);
  ASSERT_TRUE(bomb.is_object()) << "a batch bomb gets one error, not one per element";
  EXPECT_EQ(code(bomb), error_code::limit_exceeded);
  EXPECT_EQ(message(bomb), "batch of 4 requests; at most 3 are allowed");

  EXPECT_EQ(call(batch_of(kDefaultMaxBatchSize)).size(), kDefaultMaxBatchSize);
  EXPECT_EQ(code(call(batch_of(kDefaultMaxBatchSize + 1))), error_code::limit_exceeded);
}

TEST_F(DispatcherTest, EmptyBatchIsOneInvalidRequest) {
  const json response = call("[]");
  ASSERT_TRUE(response.is_object());
  EXPECT_EQ(code(response), error_code::invalid_request);
  EXPECT_EQ(message(response), "empty batch");
}

TEST_F(DispatcherTest, MixedBatch) {
  const json response = call(R"([
    {"jsonrpc":"2.0","id":1,"method":"chain_get_block_hash","params":[3]},
    {"jsonrpc":"2.0","method":"test_echo","params":[1]},
    {"jsonrpc":"2.0","id":2,"method":"no_such_method"},
    5,
    {"jsonrpc":"2.0","id":3,"method":"node_stop"},
    {"jsonrpc":"2.0","method":"no_such_method"}
  ])");
  ASSERT_TRUE(response.is_array());
  ASSERT_EQ(response.size(), 4u);
  EXPECT_EQ(response[0], R"({"jsonrpc":"2.0","id":1,"result":"hash-3"})"_json);
  EXPECT_EQ(response[1]["id"], 2);
  EXPECT_EQ(code(response[1]), error_code::method_not_found);
  EXPECT_TRUE(response[2]["id"].is_null());
  EXPECT_EQ(code(response[2]), error_code::invalid_request);
  EXPECT_EQ(code(response[3]), error_code::forbidden);
  EXPECT_EQ(calls_, 1);
}

TEST_F(DispatcherTest, BatchOfNotificationsHasNoResponse) {
  EXPECT_TRUE(call(R"([{"jsonrpc":"2.0","method":"test_echo","params":[1]},
                       {"jsonrpc":"2.0","method":"test_echo","params":[2]}])")
                  .is_null());
  EXPECT_EQ(calls_, 2);
}

TEST_F(DispatcherTest, AdminMethodsNeedTheAdminGroup) {
  const json refused = call(R"({"jsonrpc":"2.0","id":1,"method":"node_stop"})");
  EXPECT_EQ(code(refused), error_code::forbidden);
  EXPECT_EQ(message(refused),
            "node_stop needs the admin group; caller 'anonymous' (127.0.0.1) has public only");
  // The group is checked before the parameters.
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"node_stop","params":{"bogus":1}})")),
            error_code::forbidden);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"node_stop"})", /*admin=*/true)["result"], true);
  // Public methods serve admins too.
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"chain_get_block_hash","params":[0]})", true)["result"],
            "hash-0");
}

TEST_F(DispatcherTest, ThrowingHandlerIsAnInternalError) {
  const json response = call(R"([{"jsonrpc":"2.0","id":1,"method":"test_throw"},
                                 {"jsonrpc":"2.0","id":2,"method":"chain_get_block_hash","params":[2]}])");
  EXPECT_EQ(code(response[0]), error_code::internal_error);
  EXPECT_EQ(message(response[0]), "test_throw failed: boom");
  EXPECT_EQ(response[1]["result"], "hash-2");
}

TEST_F(DispatcherTest, HandlerErrorsPassThrough) {
  const json response = call(R"({"jsonrpc":"2.0","id":1,"method":"test_refuse"})");
  EXPECT_EQ(response["error"], R"({"code":-32008,"message":"no","data":{"why":"fee"}})"_json);
}

TEST_F(DispatcherTest, ResultsCheckedWhenAsked) {
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"test_wrong_result"})")["result"], 5);
  DispatcherOptions options;
  options.check_results = true;
  const json response = call(R"({"jsonrpc":"2.0","id":1,"method":"test_wrong_result"})", false, options);
  EXPECT_EQ(code(response), error_code::internal_error);
  EXPECT_EQ(message(response),
            "test_wrong_result returned an invalid result: result: expected string, got integer");
}

TEST_F(DispatcherTest, BindParamsDirectly) {
  const MethodSpec* echo = registry_.find("test_echo");
  ASSERT_NE(echo, nullptr);
  auto bound = bind_params(*echo, R"({"value":null})"_json);
  ASSERT_TRUE(std::holds_alternative<json>(bound));
  EXPECT_EQ(std::get<json>(bound), R"({"value":null,"verbose":false})"_json);
  EXPECT_TRUE(std::holds_alternative<RpcError>(bind_params(*echo, nullptr)));
}

}  // namespace
}  // namespace cairn::rpc
