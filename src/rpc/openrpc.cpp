#include "rpc/openrpc.h"

#include <map>
#include <sstream>
#include <vector>

namespace cairn::rpc {

namespace {

constexpr const char* kDiscoverName = "rpc.discover";

json param_descriptor(const ParamSpec& param) {
  json schema = param.schema;
  // `default` is an annotation the validator never needs, so specs keep it outside the
  // schema (ParamSpec::default_value); the document shows it where OpenRPC tools look.
  if (param.default_value) schema["default"] = *param.default_value;
  json descriptor = {{"name", param.name}, {"required", param.required}, {"schema", std::move(schema)}};
  if (!param.description.empty()) descriptor["description"] = param.description;
  return descriptor;
}

json example_object(const MethodSpec& method, const ExampleSpec& example) {
  json params = json::array();
  // In the method's parameter order, as a positional call would pass them.
  for (const auto& param : method.params) {
    if (example.params.contains(param.name)) {
      params.push_back({{"name", param.name}, {"value", example.params[param.name]}});
    }
  }
  return {{"name", example.name},
          {"params", std::move(params)},
          {"result", {{"name", method.result_name}, {"value", example.result}}}};
}

json method_object(const MethodSpec& method) {
  json object = {{"name", method.name},
                 {"summary", method.summary},
                 {"paramStructure", "either"},
                 {"x-cairn-group", to_string(method.group)}};
  if (!method.description.empty()) object["description"] = method.description;
  json params = json::array();
  for (const auto& param : method.params) params.push_back(param_descriptor(param));
  object["params"] = std::move(params);
  object["result"] = {{"name", method.result_name}, {"schema", method.result_schema}};
  json errors = json::array();
  for (const auto& error : method.errors)
    errors.push_back({{"code", error.code}, {"message", error.message}});
  object["errors"] = std::move(errors);
  json examples = json::array();
  for (const auto& example : method.examples) examples.push_back(example_object(method, example));
  object["examples"] = std::move(examples);
  return object;
}

// ---- Markdown ----

struct ErrorRow {
  int code;
  const char* name;
  const char* meaning;
};

// api.h's error_code, as docs/rpc.md explains them.
const ErrorRow kErrorRows[] = {
    {error_code::parse_error, "parse_error", "The body is not JSON."},
    {error_code::invalid_request, "invalid_request", "Not a JSON-RPC 2.0 request object, or an empty batch."},
    {error_code::method_not_found, "method_not_found", "No such method."},
    {error_code::invalid_params, "invalid_params",
     "A parameter is missing, unknown or invalid (the message names it)."},
    {error_code::internal_error, "internal_error", "A bug in the node; the message says where."},
    {error_code::not_found, "not_found", "No such block, transaction, validator, ..."},
    {error_code::unauthorized, "unauthorized", "No or wrong credentials (HTTP 401)."},
    {error_code::forbidden, "forbidden", "The method's group is `admin` and the caller's is not."},
    {error_code::busy, "busy", "Too many requests in flight (HTTP 503)."},
    {error_code::timeout, "timeout", "The request ran past its deadline."},
    {error_code::rate_limited, "rate_limited", "The client's token bucket is empty (HTTP 429)."},
    {error_code::limit_exceeded, "limit_exceeded",
     "A batch, body, nesting or subscription limit was exceeded."},
    {error_code::pruned, "pruned",
     "The data was pruned from this node (the message names the prune height)."},
    {error_code::rejected, "rejected", "A transaction or block was refused (the message gives the reason)."},
    {error_code::unavailable, "unavailable", "Not on this network or node (e.g. mining off regtest)."},
};

constexpr const char* kPreamble = R"(# Cairn JSON-RPC API

<!-- Generated from the method registry by render_markdown() (src/rpc/openrpc.cpp): do not
     edit by hand. A test fails when this file and the node's registry disagree. -->

cairnd serves [JSON-RPC 2.0](https://www.jsonrpc.org/specification): single requests and
batches, by-position (`params` an array) or by-name (`params` an object) parameters, and
notifications (requests without `id`, which get no response). `rpc.discover` returns this
API as an [OpenRPC 1.2.6](https://spec.open-rpc.org/) document; each method's group is in its
`x-cairn-group` field.

## Transport

HTTP `POST` (any path) and WebSocket share one port: `--rpc-listen`, by default 127.0.0.1 on
the network's RPC port (mainnet 8645, testnet 18645, regtest 28645). Subscriptions
(`node_subscribe`) need a WebSocket. The server checks `Host` and `Origin` and sends no
wildcard CORS headers.

## Authentication

Methods are in two groups: `public` (read-only chain data) and `admin` (node control, mining,
peers, bans). Credentials are HTTP Basic:

- Loopback clients may call `public` methods without credentials.
- At start-up cairnd writes a random cookie to `<network datadir>/rpc.cookie`
  (`__cookie__:<secret>`, mode 0600); user `__cookie__` with that secret is `admin`. `cairn`
  reads it from `--datadir`.
- Configured users (`--rpc-user NAME:GROUP:SALT$HASH`, GROUP `public` or `admin`, HASH the hex
  HMAC-SHA256 of the password keyed with the hex SALT) call their group's methods.
- Listening beyond loopback needs authentication configured; `--rpc-public` also serves
  `public` methods to clients without credentials.

Wrong credentials are refused (HTTP 401) even from loopback.

## Errors

Errors carry the specification's codes and Cairn's in -32000..-32099, with a message that says
what was wrong:

| Code | Name | Meaning |
|---:|---|---|
)";

constexpr const char* kEncodings = R"(
## Encodings

- Hashes, transaction ids, public keys, raw transactions and blocks: lowercase hex strings.
- Amounts and fee rates: decimal strings of base units (`"5000000000"`), never JSON numbers.
- Heights, counts, sizes, times (unix seconds) and epochs: JSON integers.
- Addresses: bech32m strings of the node's network.
- A `block` parameter is a height (integer) or a block hash (64 hex digits).
- Lists that can be long are paginated: pass the `next_cursor` of one page as the `cursor` of
  the next (`limit` defaults to 100, at most 1000); the last page has `next_cursor` null.
)";

// Pipes inside a Markdown table cell would end the cell.
std::string table_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    if (c == '\n') {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

std::string compact(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }
std::string pretty(const json& value) { return value.dump(2, ' ', false, json::error_handler_t::replace); }

// GitHub's heading anchor: "rpc.discover" -> "rpcdiscover".
std::string anchor(const std::string& heading) {
  std::string out;
  for (char c : heading) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') out += c;
  }
  return out;
}

// "chain" for chain_get_block, "rpc" for rpc.discover.
std::string namespace_of(const std::string& method) { return method.substr(0, method.find_first_of("_.")); }

void render_params(std::ostringstream& out, const MethodSpec& method) {
  if (method.params.empty()) {
    out << "Parameters: none.\n\n";
    return;
  }
  out << "| Parameter | Required | Schema | Description |\n|---|---|---|---|\n";
  for (const auto& param : method.params) {
    std::string required = param.required ? "yes" : "no";
    if (param.default_value) required += " (default `" + compact(*param.default_value) + "`)";
    out << "| `" << param.name << "` | " << table_cell(required) << " | `"
        << table_cell(compact(param.schema)) << "` | " << table_cell(param.description) << " |\n";
  }
  out << "\n";
}

void render_examples(std::ostringstream& out, const MethodSpec& method) {
  for (const auto& example : method.examples) {
    // Written out by hand: a json object would sort "jsonrpc" after "id".
    out << "Example (" << example.name << "):\n\n```json\n"
        << R"({"jsonrpc":"2.0","id":1,"method":)" << compact(method.name) << R"(,"params":)"
        << compact(example.params) << "}\n```\n\n```json\n"
        << R"({"jsonrpc":"2.0","id":1,"result":)" << compact(example.result) << "}\n```\n\n";
  }
}

void render_method(std::ostringstream& out, const MethodSpec& method) {
  out << "### " << method.name << "\n\nGroup: `" << to_string(method.group) << "`. " << method.summary
      << "\n\n";
  if (!method.description.empty()) out << method.description << "\n\n";
  render_params(out, method);
  out << "Result `" << method.result_name << "`:\n\n```json\n" << pretty(method.result_schema) << "\n```\n\n";
  if (!method.errors.empty()) {
    out << "| Error | Meaning |\n|---:|---|\n";
    for (const auto& error : method.errors)
      out << "| " << error.code << " | " << table_cell(error.message) << " |\n";
    out << "\n";
  }
  render_examples(out, method);
}

}  // namespace

json openrpc_document(const Registry& registry, const ApiInfo& info) {
  json methods = json::array();
  for (const auto& method : registry.methods()) methods.push_back(method_object(method));
  return {{"openrpc", kOpenRpcVersion},
          {"info", {{"title", info.title}, {"version", info.version}}},
          {"methods", std::move(methods)}};
}

Status register_discover(Registry& registry, ApiInfo info) {
  MethodSpec spec;
  spec.name = kDiscoverName;
  spec.group = MethodGroup::public_group;
  spec.summary = "This API as an OpenRPC 1.2.6 document.";
  spec.description =
      "Every method with its group (x-cairn-group), parameters and result as JSON Schemas, "
      "errors and examples.";
  spec.result_name = "document";
  spec.result_schema = {{"type", "object"},
                        {"required", json::array({"openrpc", "info", "methods"})},
                        {"properties",
                         {{"openrpc", {{"const", kOpenRpcVersion}}},
                          {"info", {{"type", "object"}, {"required", json::array({"title", "version"})}}},
                          {"methods", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}};
  spec.examples = {ExampleSpec{"an empty registry",
                               json::object(),
                               {{"openrpc", kOpenRpcVersion},
                                // Not info.version: docs/rpc.md must not change with every release.
                                {"info", {{"title", info.title}, {"version", "x.y.z"}}},
                                {"methods", json::array()}}}};
  const Registry* described = &registry;
  spec.handler = [described, info](const json&, const CallContext&) -> MethodResult {
    return openrpc_document(*described, info);
  };
  return registry.add(std::move(spec));
}

std::string render_markdown(const Registry& registry) {
  std::ostringstream out;
  out << kPreamble;
  for (const auto& row : kErrorRows)
    out << "| " << row.code << " | `" << row.name << "` | " << row.meaning << " |\n";
  out << kEncodings;

  std::map<std::string, std::vector<const MethodSpec*>> by_namespace;
  for (const auto& method : registry.methods()) by_namespace[namespace_of(method.name)].push_back(&method);

  out << "\n## Methods\n\n";
  for (const auto& [name, methods] : by_namespace) {
    out << "- " << name << ":";
    for (const auto* method : methods) out << " [" << method->name << "](#" << anchor(method->name) << ")";
    out << "\n";
  }
  // The list ends in one newline and each method's section in two.
  bool first = true;
  for (const auto& [name, methods] : by_namespace) {
    out << (first ? "\n## " : "## ") << name << "\n\n";
    first = false;
    for (const auto* method : methods) render_method(out, *method);
  }
  std::string text = out.str();
  while (text.ends_with("\n\n")) text.pop_back();
  return text;
}

}  // namespace cairn::rpc
