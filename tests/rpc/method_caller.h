// Calls a Registry's methods in-process as the dispatcher would, for the method tests:
// defaults filled in, each parameter checked against its schema, a result checked against
// the method's result schema (each a test failure when violated), the caller an admin.
// Remembers which methods answered with a result, so a test can check it called them all.
// Not thread-safe.
#pragma once

#include <set>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "rpc/registry.h"
#include "rpc/schema.h"

namespace cairn::rpc::testing {

class MethodCaller {
 public:
  // REQUIRES: `registry` outlives the caller (it may still be filled after this).
  explicit MethodCaller(const Registry& registry) : registry_(registry) {}

  MethodResult call(const std::string& name, json params = json::object()) {
    const MethodSpec* spec = registry_.find(name);
    EXPECT_NE(spec, nullptr) << name;
    if (spec == nullptr) return RpcError{error_code::method_not_found, name, std::nullopt};
    for (const ParamSpec& p : spec->params) {
      if (!params.contains(p.name) && p.default_value) params[p.name] = *p.default_value;
      if (params.contains(p.name)) {
        const auto violation = schema_violation(p.schema, params[p.name], "params." + p.name);
        EXPECT_FALSE(violation) << name << ": " << *violation;
      }
    }
    MethodResult result = spec->handler(params, CallContext{Caller{"test", true, "test"}, nullptr});
    if (const json* value = std::get_if<json>(&result)) {
      const auto violation = schema_violation(spec->result_schema, *value, "result");
      EXPECT_FALSE(violation) << name << ": " << *violation << "\n" << value->dump(2);
      answered_.insert(name);
    }
    return result;
  }

  // The result; a test failure (and null) on an error.
  json ok(const std::string& name, json params = json::object()) {
    MethodResult result = call(name, std::move(params));
    if (const auto* error = std::get_if<RpcError>(&result)) {
      ADD_FAILURE() << name << ": error " << error->code << ": " << error->message;
      return nullptr;
    }
    return std::get<json>(result);
  }

  // The error; a test failure (and an empty error) on a result.
  RpcError fails(const std::string& name, json params) {
    MethodResult result = call(name, std::move(params));
    if (const auto* error = std::get_if<RpcError>(&result)) return *error;
    ADD_FAILURE() << name << " succeeded: " << std::get<json>(result).dump();
    return RpcError{};
  }

  bool answered(const std::string& name) const { return answered_.contains(name); }

 private:
  const Registry& registry_;
  std::set<std::string> answered_;
};

}  // namespace cairn::rpc::testing
