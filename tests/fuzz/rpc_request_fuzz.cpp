// JSON-RPC request bodies: any bytes give a response that is valid JSON-RPC 2.0 JSON (or
// none, for notifications only), for public and admin callers alike; never a crash or an
// exception.
#include <string>
#include <string_view>

#include "fuzz.h"
#include "rpc/dispatcher.h"

using namespace cairn;
using namespace cairn::rpc;

namespace {

MethodSpec method(std::string name, MethodGroup group, std::vector<ParamSpec> params) {
  MethodSpec spec;
  spec.name = std::move(name);
  spec.group = group;
  spec.summary = "fuzz";
  spec.params = std::move(params);
  spec.result_name = "result";
  spec.result_schema = json::object();
  spec.handler = [](const json& bound, const CallContext&) -> MethodResult { return bound; };
  return spec;
}

const Registry& registry() {
  static const Registry instance = [] {
    Registry r;
    const json block = json::parse(
        R"({"oneOf":[{"type":"integer","minimum":0},{"type":"string","pattern":"^[0-9a-f]{64}$"}]})");
    const json mode = json::parse(R"({"enum":["none","ids","full"]})");
    const json amount = json::parse(R"({"type":"string","pattern":"^(0|[1-9][0-9]*)$","maxLength":30})");
    const json list = json::parse(R"({"type":"array","items":{"type":"integer"},"maxItems":4})");
    FUZZ_CHECK(r.add(method("chain_get_block", MethodGroup::public_group,
                            {ParamSpec{"block", "", block, true, std::nullopt},
                             ParamSpec{"transactions", "", mode, false, json("ids")}})));
    FUZZ_CHECK(
        r.add(method("tx_send_raw", MethodGroup::admin_group,
                     {ParamSpec{"tx", "", json::parse(R"({"type":"string","pattern":"^([0-9a-f]{2})*$"})"),
                                true, std::nullopt},
                      ParamSpec{"max_fee", "", amount, false, std::nullopt},
                      ParamSpec{"outputs", "", list, false, std::nullopt}})));
    FUZZ_CHECK(r.add(method("node_get_info", MethodGroup::public_group, {})));
    return r;
  }();
  return instance;
}

void check_response(const json& response) {
  FUZZ_CHECK(response.is_object());
  FUZZ_CHECK(response.at("jsonrpc") == "2.0");
  FUZZ_CHECK(response.contains("id"));
  FUZZ_CHECK(response.contains("result") != response.contains("error"));
  if (response.contains("error")) FUZZ_CHECK(response["error"].at("code").is_number_integer());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  ParseLimits limits;
  limits.max_nesting_depth = 16;
  limits.max_batch_size = 8;
  const Dispatcher dispatcher(registry(), DispatcherOptions{limits, false});
  for (bool admin : {false, true}) {
    CallContext context;
    context.caller = Caller{"fuzz", admin, "127.0.0.1"};
    const auto text = dispatcher.handle(body, context);
    if (!text) continue;
    const json response = json::parse(*text);  // throws (and so aborts) on invalid output
    if (response.is_array()) {
      FUZZ_CHECK(!response.empty() && response.size() <= limits.max_batch_size);
      for (const auto& element : response) check_response(element);
    } else {
      check_response(response);
    }
  }
  return 0;
}
