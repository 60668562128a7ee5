#include "rpc/dispatcher.h"

#include <algorithm>
#include <chrono>
#include <exception>

#include "rpc/schema.h"

namespace cairn::rpc {

namespace {

RpcError invalid_params(std::string message) {
  return RpcError{error_code::invalid_params, std::move(message), std::nullopt};
}

std::string parameter_names(const MethodSpec& method) {
  if (method.params.empty()) return "none";
  std::string names;
  for (const auto& param : method.params) names += (names.empty() ? "" : ", ") + param.name;
  return names;
}

std::variant<json, RpcError> by_name(const MethodSpec& method, const json& params) {
  if (params.is_null()) return json::object();
  if (params.is_object()) {
    for (const auto& item : params.items()) {
      const std::string& name = item.key();
      const bool known = std::any_of(method.params.begin(), method.params.end(),
                                     [&](const ParamSpec& p) { return p.name == name; });
      if (!known) {
        return invalid_params("unknown parameter '" + name.substr(0, kMaxEchoedNameBytes) + "' (" +
                              method.name + " takes: " + parameter_names(method) + ")");
      }
    }
    return params;
  }
  if (params.size() > method.params.size()) {
    return invalid_params(method.name + " takes at most " + std::to_string(method.params.size()) +
                          " parameters, got " + std::to_string(params.size()));
  }
  json named = json::object();
  for (size_t i = 0; i < params.size(); ++i) named[method.params[i].name] = params[i];
  return named;
}

// A name for the caller in messages; an anonymous one is named by its address.
std::string describe(const Caller& caller) {
  return caller.name == caller.client || caller.client.empty()
             ? "'" + caller.name + "'"
             : "'" + caller.name + "' (" + caller.client + ")";
}

}  // namespace

std::variant<json, RpcError> bind_params(const MethodSpec& method, const json& params) {
  auto named = by_name(method, params);
  if (auto* error = std::get_if<RpcError>(&named)) return std::move(*error);
  json& bound = std::get<json>(named);
  for (const auto& param : method.params) {
    if (!bound.contains(param.name)) {
      if (param.required) return invalid_params("missing required parameter '" + param.name + "'");
      if (param.default_value) bound[param.name] = *param.default_value;
      continue;
    }
    if (auto violation = schema_violation(param.schema, bound[param.name], "params." + param.name)) {
      return invalid_params(*violation);
    }
  }
  return std::move(bound);
}

Dispatcher::Dispatcher(const Registry& registry, DispatcherOptions options)
    : registry_(registry), options_(options) {
  for (const MethodSpec& method : registry_.methods()) {
    latency_.emplace(method.name, std::make_unique<metrics::Histogram>(metrics::default_seconds_buckets()));
  }
}

std::vector<std::pair<std::string, metrics::HistogramSnapshot>> Dispatcher::latencies() const {
  std::vector<std::pair<std::string, metrics::HistogramSnapshot>> out;
  for (const auto& [name, histogram] : latency_) {
    metrics::HistogramSnapshot snapshot = histogram->snapshot();
    if (snapshot.count > 0) out.emplace_back(name, std::move(snapshot));
  }
  return out;
}

std::optional<std::string> Dispatcher::handle(std::string_view body, const CallContext& context) const {
  auto parsed = parse_body(body, options_.limits);
  if (const auto* error = std::get_if<RpcError>(&parsed))
    return to_text(make_error_response(nullptr, *error));
  const ParsedBody& calls = std::get<ParsedBody>(parsed);

  json responses = json::array();
  for (const auto& call : calls.calls) {
    if (auto response = run(call, context)) responses.push_back(std::move(*response));
  }
  if (responses.empty()) return std::nullopt;
  return to_text(calls.batch ? responses : responses[0]);
}

std::optional<json> Dispatcher::run(const Call& call, const CallContext& context) const {
  if (const auto* bad = std::get_if<BadRequest>(&call)) return make_error_response(bad->id, bad->error);
  const Request& request = std::get<Request>(call);
  const auto started = std::chrono::steady_clock::now();
  MethodResult result = invoke(request, context);
  if (auto it = latency_.find(request.method); it != latency_.end()) {
    it->second->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  // A notification is run, but even its errors are not answered (JSON-RPC 2.0 section 4.1).
  if (request.notification) return std::nullopt;
  if (auto* error = std::get_if<RpcError>(&result)) return make_error_response(request.id, *error);
  return make_result_response(request.id, std::move(std::get<json>(result)));
}

MethodResult Dispatcher::invoke(const Request& request, const CallContext& context) const {
  const MethodSpec* method = registry_.find(request.method);
  if (method == nullptr) {
    return RpcError{error_code::method_not_found,
                    "unknown method '" + request.method.substr(0, kMaxEchoedNameBytes) + "'", std::nullopt};
  }
  // The group is checked before the parameters so that a caller learns nothing about an
  // admin method's parameters.
  if (method->group == MethodGroup::admin_group && !context.caller.admin) {
    return RpcError{
        error_code::forbidden,
        method->name + " needs the admin group; caller " + describe(context.caller) + " has public only",
        std::nullopt};
  }
  auto params = bind_params(*method, request.params);
  if (auto* error = std::get_if<RpcError>(&params)) return std::move(*error);
  return call_handler(*method, std::get<json>(params), context);
}

MethodResult Dispatcher::call_handler(const MethodSpec& method, const json& params,
                                      const CallContext& context) const {
  MethodResult result;
  // A throwing handler is a bug in that method; it fails the call, never the server.
  try {
    result = method.handler(params, context);
  } catch (const std::exception& e) {
    return RpcError{error_code::internal_error, method.name + " failed: " + e.what(), std::nullopt};
  } catch (...) {
    return RpcError{error_code::internal_error, method.name + " failed", std::nullopt};
  }
  if (options_.check_results) {
    if (const auto* value = std::get_if<json>(&result)) {
      if (auto violation = schema_violation(method.result_schema, *value, "result")) {
        return RpcError{error_code::internal_error,
                        method.name + " returned an invalid result: " + *violation, std::nullopt};
      }
    }
  }
  return result;
}

}  // namespace cairn::rpc
