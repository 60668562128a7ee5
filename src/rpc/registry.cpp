#include "rpc/registry.h"

#include <algorithm>
#include <regex>
#include <set>

#include "rpc/schema.h"

namespace cairn::rpc {

namespace {

// OpenRPC reserves the `rpc.` prefix for service discovery; this is the one such method.
constexpr std::string_view kDiscoverMethod = "rpc.discover";

bool valid_method_name(const std::string& name) {
  static const std::regex kMethodName("^[a-z]+_[a-z0-9_]+$");
  return name == kDiscoverMethod || std::regex_match(name, kMethodName);
}

bool valid_param_name(const std::string& name) {
  static const std::regex kParamName("^[a-z][a-z0-9_]*$");
  return std::regex_match(name, kParamName);
}

Error spec_error(const MethodSpec& spec, const std::string& problem) {
  return Error{ErrorCode::invalid_argument, "method '" + spec.name + "': " + problem};
}

Status check_param(const MethodSpec& spec, const ParamSpec& param) {
  if (!valid_param_name(param.name))
    return spec_error(spec, "parameter '" + param.name + "' is not snake_case");
  if (auto status = check_schema(param.schema); !status) {
    return spec_error(spec, "parameter '" + param.name + "': " + status.error().message);
  }
  if (param.default_value) {
    if (param.required) return spec_error(spec, "required parameter '" + param.name + "' has a default");
    if (auto v = schema_violation(param.schema, *param.default_value, "params." + param.name)) {
      return spec_error(spec, "default of parameter '" + param.name + "' violates its schema: " + *v);
    }
  }
  return {};
}

Status check_params(const MethodSpec& spec) {
  std::set<std::string> names;
  bool seen_optional = false;
  for (const auto& param : spec.params) {
    CAIRN_TRY_STATUS(check_param(spec, param));
    if (!names.insert(param.name).second) return spec_error(spec, "parameter '" + param.name + "' repeats");
    // By-position calls could not leave out an optional parameter before a required one.
    if (param.required && seen_optional) {
      return spec_error(spec, "required parameter '" + param.name + "' follows an optional one");
    }
    seen_optional = seen_optional || !param.required;
  }
  return {};
}

Status check_example(const MethodSpec& spec, const ExampleSpec& example) {
  const std::string where = "example '" + example.name + "'";
  if (example.name.empty()) return spec_error(spec, "an example has no name");
  if (!example.params.is_object()) return spec_error(spec, where + ": params must be an object by name");
  for (const auto& item : example.params.items()) {
    const std::string& name = item.key();
    const json& value = item.value();
    const auto it = std::find_if(spec.params.begin(), spec.params.end(),
                                 [&](const ParamSpec& p) { return p.name == name; });
    if (it == spec.params.end()) return spec_error(spec, where + ": unknown parameter '" + name + "'");
    if (auto v = schema_violation(it->schema, value, "params." + name))
      return spec_error(spec, where + ": " + *v);
  }
  for (const auto& param : spec.params) {
    if (param.required && !example.params.contains(param.name)) {
      return spec_error(spec, where + ": missing required parameter '" + param.name + "'");
    }
  }
  if (auto v = schema_violation(spec.result_schema, example.result, "result")) {
    return spec_error(spec, where + ": " + *v);
  }
  return {};
}

Status check_spec(const MethodSpec& spec) {
  if (!valid_method_name(spec.name)) {
    return spec_error(spec, "name is not lowercase namespace_verb_noun (e.g. chain_get_block)");
  }
  if (spec.summary.empty()) return spec_error(spec, "has no summary");
  if (!spec.handler) return spec_error(spec, "has no handler");
  CAIRN_TRY_STATUS(check_params(spec));
  if (spec.result_name.empty()) return spec_error(spec, "result has no name");
  if (auto status = check_schema(spec.result_schema); !status) {
    return spec_error(spec, "result " + status.error().message);
  }
  for (const auto& error : spec.errors) {
    if (error.message.empty())
      return spec_error(spec, "error " + std::to_string(error.code) + " has no message");
  }
  for (const auto& example : spec.examples) CAIRN_TRY_STATUS(check_example(spec, example));
  return {};
}

}  // namespace

RpcError to_rpc_error(const Error& error) {
  switch (error.code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::decode:
      return RpcError{error_code::invalid_params, error.message, std::nullopt};
    case ErrorCode::not_found:
      return RpcError{error_code::not_found, error.message, std::nullopt};
    case ErrorCode::limit:
      return RpcError{error_code::limit_exceeded, error.message, std::nullopt};
    default:
      return RpcError{error_code::internal_error, error.message, std::nullopt};
  }
}

Status Registry::add(MethodSpec spec) {
  CAIRN_TRY_STATUS(check_spec(spec));
  const auto position =
      std::lower_bound(methods_.begin(), methods_.end(), spec.name,
                       [](const MethodSpec& m, const std::string& name) { return m.name < name; });
  if (position != methods_.end() && position->name == spec.name)
    return spec_error(spec, "is already registered");
  methods_.insert(position, std::move(spec));
  return {};
}

const MethodSpec* Registry::find(std::string_view name) const {
  const auto position = std::lower_bound(methods_.begin(), methods_.end(), name,
                                         [](const MethodSpec& m, std::string_view n) { return m.name < n; });
  if (position == methods_.end() || position->name != name) return nullptr;
  return &*position;
}

}  // namespace cairn::rpc
