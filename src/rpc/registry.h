// The method registry: every JSON-RPC method Cairn serves, described completely enough to
// validate its parameters, check its caller's group, run it, and document it (rpc.discover's
// OpenRPC document and docs/rpc.md are generated from these specs).
//
// Naming: lowercase `namespace_verb_noun` (chain_get_block), parameters in snake_case.
// Amounts are decimal strings of base units, never floating point; hashes are lowercase hex.
//
// Not thread-safe while being filled; read-only (and so shareable) once serving starts.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpc/api.h"
#include "util/result.h"

namespace cairn::rpc {

using json = nlohmann::json;

// A JSON-RPC error object: a code from api.h's error_code, a message a user can act on, and
// optional structured data.
struct RpcError {
  int code = error_code::internal_error;
  std::string message;
  std::optional<json> data;
};

// The JSON-RPC error for a Cairn Error (invalid_argument and decode -> invalid_params,
// not_found -> not_found, limit -> limit_exceeded, everything else -> internal_error).
RpcError to_rpc_error(const Error& error);

using MethodResult = std::variant<json, RpcError>;

// Runs one call. `params` is an object keyed by parameter name, already validated against
// the method's ParamSpecs (positional parameters are converted; absent optional ones that
// have a default carry it, absent ones without a default are missing from the object).
using MethodHandler = std::function<MethodResult(const json& params, const CallContext& context)>;

struct ParamSpec {
  std::string name;  // snake_case
  std::string description;
  json schema;  // the JSON Schema subset of schema.h
  bool required = true;
  std::optional<json> default_value;  // for optional parameters
};

// An error the method can return besides the generic ones (parse, invalid params, auth).
struct ErrorSpec {
  int code = 0;
  std::string message;
};

// A documented call: parameters by name and the result it returns. Tests check every
// example's params and result against the schemas.
struct ExampleSpec {
  std::string name;
  json params = json::object();
  json result;
};

struct MethodSpec {
  std::string name;
  MethodGroup group = MethodGroup::public_group;
  std::string summary;      // one line
  std::string description;  // optional; more detail
  std::vector<ParamSpec> params;
  std::string result_name;
  json result_schema;
  std::vector<ErrorSpec> errors;
  std::vector<ExampleSpec> examples;
  MethodHandler handler;
};

class Registry {
 public:
  // Adds a method. An invalid spec (a name not in `namespace_verb` form, a duplicate name, a
  // required parameter after an optional one, a schema outside schema.h's subset, an example
  // that violates the schemas) is a programming error: an Error naming the method and the
  // problem, which callers treat as fatal at start-up and tests assert on.
  Status add(MethodSpec spec);

  const MethodSpec* find(std::string_view name) const;
  // In name order (what rpc.discover and docs/rpc.md list).
  const std::vector<MethodSpec>& methods() const { return methods_; }

 private:
  std::vector<MethodSpec> methods_;
};

}  // namespace cairn::rpc
