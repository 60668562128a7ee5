#include "rpc/openrpc.h"

#include <chrono>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "rpc/jsonrpc.h"
#include "rpc/server.h"
#include "rpc/subscriptions.h"

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
    {error_code::forbidden, "forbidden",
     "The method's group is `admin` and the caller's is not; or a `Host` or `Origin` that is not "
     "allowed (HTTP 403)."},
    {error_code::busy, "busy", "Too many requests in flight (HTTP 503)."},
    {error_code::timeout, "timeout", "The request ran past its deadline (HTTP 504)."},
    {error_code::rate_limited, "rate_limited", "The client's token bucket is empty (HTTP 429)."},
    {error_code::limit_exceeded, "limit_exceeded",
     "A batch, body, nesting or subscription limit was exceeded."},
    {error_code::pruned, "pruned",
     "The data was pruned from this node (the message names the prune height)."},
    {error_code::rejected, "rejected", "A transaction or block was refused (the message gives the reason)."},
    {error_code::unavailable, "unavailable", "Not on this network or node (e.g. mining off regtest)."},
};

constexpr const char* kPreamble = R"md(# Cairn JSON-RPC API

<!-- Generated from the method registry by render_markdown() (src/rpc/openrpc.cpp): do not
     edit by hand. tests/node/rpc_docs_test.cpp fails when this file and the node's registry
     disagree; regenerate it with
       CAIRN_UPDATE_RPC_DOCS=1 build/tests/node_tests --gtest_filter='RpcDocs.*'
     (the test then writes this file instead of comparing). -->

cairnd serves [JSON-RPC 2.0](https://www.jsonrpc.org/specification): single requests and
batches, by-position (`params` an array) or by-name (`params` an object) parameters, and
notifications (requests without `id`, which get no response). `rpc.discover` returns this
API as an [OpenRPC 1.2.6](https://spec.open-rpc.org/) document; each method's group is in its
`x-cairn-group` field.

## Transport

HTTP `POST /` and WebSocket share one port: `--rpc-listen HOST:PORT`, by default 127.0.0.1 on
the network's RPC port (mainnet 8645, testnet 18645, regtest 28645). With
`--rpc-tls-cert FILE --rpc-tls-key FILE` (PEM: the certificate chain and its private key,
both or neither) every connection is TLS (`https://`, `wss://`). Subscriptions
(`node_subscribe`) need a WebSocket. The server sends no CORS headers at all, so no web page
of another origin can read its answers.

```sh
curl -s --user "$(cat ~/.cairn/regtest/rpc.cookie)" -H 'Content-Type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"chain_get_info"}' http://127.0.0.1:28645/
```

### HTTP

A request is checked in this order; the first check that fails answers it, with a JSON-RPC
error response (`id` null) as the body:

| Check | HTTP status | Error |
|---|---|---:|
| `Host` header not allowed (see "Host and Origin") | 403 | -32002 |
| `POST` to a target other than `/` | 404 | -32600 |
| method other than `POST`, `GET` and `HEAD` (`GET` and `HEAD` serve the explorer and `/metrics`: docs/explorer.md, docs/metrics.md) | 405, with `Allow: GET, HEAD, POST` | -32600 |
| `Content-Type` not `application/json` | 415 | -32600 |
| body larger than the limit | 413 | -32006 |
| header larger than the limit | 431 | -32006 |
| malformed HTTP | 400 | -32600 |
| no or wrong credentials | 401, with `WWW-Authenticate: Basic realm="cairn"` | -32001 |
| the client's token bucket is empty (see "Rate limit") | 429 | -32005 |
| too many requests in flight | 503 | -32003 |
| the handler ran past the request timeout | 504 | -32004 |

Otherwise the answer is 200 with the JSON-RPC response (a method's error is a 200 too), or
204 with no body when the request was only notifications. Connections are kept alive
between requests until the idle timeout.

### WebSocket

The upgrade request (`GET /` with `Upgrade: websocket`) is checked like an HTTP request: the
`Host` header (403), then the `Origin` header, which must be `http://` or `https://`
followed by an allowed host, or one given with `--rpc-allow-origin` (403 before the upgrade;
a request without `Origin` is not from a browser and is accepted), then the credentials of
its `Authorization` header (401), then the WebSocket connection limit (503).

Each text message is one request or batch, answered in a text message. Rate limit, busy and
timeout come back as JSON-RPC errors (-32005, -32003, -32004) on the open connection. A
message larger than the limit closes the connection with close code 1009. Responses and
notifications share one ordered queue per connection; when it is full the subscriber gets a
last message

```json
{"jsonrpc":"2.0","method":"node_subscription_dropped","params":{"reason":"notification queue full"}}
```

and the connection is closed (after a grace period for that message): a subscriber that
cannot keep up is dropped, never buffered without bound.

### Subscriptions

`node_subscribe` with a `topic` returns a subscription id; every event of the topic is then
sent on the connection as

```json
{"jsonrpc":"2.0","method":"node_subscription","params":{"subscription":"<id>","topic":"new_heads","result":{...}}}
```

until `node_unsubscribe` with that id, or the connection closes. Topics:

- `new_heads`: every block connected to or disconnected from the best chain, in chain order.
  A connected block's `result` is its header (chain_get_header's object) with
  `"event":"connected"`; a reorganisation first sends `{"event":"disconnected","hash","height"}`
  for each block from the old tip down to the fork, then the new branch's headers, lowest
  first.
- `finalized`: each newly finalized checkpoint block's header.
- `mempool`: each transaction accepted into this node's mempool (tx_get's transaction
  object, without its location).
- `contract_events`: each contract event of a block connected to (`"event":"connected"`) or,
  in a reorganisation, disconnected from (`"event":"disconnected"`) the best chain, with the
  block, txid, position and index; the filter `{contract?, topics?}` keeps one contract's
  events and those whose topics match position by position (docs/contracts.md §8).

)md";

constexpr const char* kAuthentication = R"md(
## Authentication

Methods are in two groups: `public` (read-only chain data) and `admin` (node control, mining,
peers, bans). Credentials are HTTP Basic (`Authorization: Basic base64(user:password)`):

- Loopback clients may call `public` methods without credentials.
- At start-up cairnd writes a random cookie to `<datadir>/<network>/rpc.cookie` (by default
  `~/.cairn/regtest/rpc.cookie` on regtest; one line `__cookie__:<64 hex digits>`, mode 0600)
  and removes it at shutdown. User `__cookie__` with that secret is `admin`: whoever can
  read the data directory controls the node. `cairn` reads it from `--datadir`.
- Configured users: `--rpc-user NAME:GROUP:SALT$HASH` (repeatable, or `rpc-user = [...]` in
  the `--config` file), GROUP `public` or `admin`, SALT 32 lowercase hex digits, HASH the 64
  lowercase hex digits of HMAC-SHA256 keyed with the SALT's hex text over the password
  (Bitcoin Core's rpcauth scheme; the node never stores a password). To make a line,
  `cairn key rpc-user alice --admin` asks for the password (or reads `--password-file`) and
  prints the flag to pass; without `cairn`, in Python:

  ```sh
  python3 -c 'import hmac, secrets, sys; s = secrets.token_hex(16); print(sys.argv[1] + ":" + sys.argv[2] + ":" + s + "$" + hmac.new(s.encode(), sys.argv[3].encode(), "sha256").hexdigest())' alice admin 'the password'
  ```

  `cairn --rpc-user alice --rpc-password-file FILE` then authenticates as alice.
- Listening beyond loopback is refused unless a `--rpc-user` is configured; `--rpc-public`
  also serves `public` methods to clients without credentials there.

Credentials that are present but wrong are refused (HTTP 401) even from loopback, so a
client learns its mistake.

### Host and Origin

The `Host` header must be `localhost`, `127.0.0.1` or `[::1]` (any port), the listen address
with its port, or a value given with `--rpc-allow-host` (repeatable, e.g.
`node.example.org:8645` behind a proxy); anything else is 403, which defeats DNS rebinding.
WebSocket `Origin`s are checked as above; `--rpc-allow-origin` (repeatable, e.g.
`https://explorer.example.org`) admits a page of another origin.

### Rate limit

Each client has a token bucket of 200 requests per second with a burst of 400: each HTTP
request or WebSocket message takes one token (a batch is one), and an empty bucket answers
429 / -32005. A client is its user name, or its IP address when anonymous; the cookie user
(the local operator's own tools) is not limited.
)md";

constexpr const char* kErrorsHeader = R"(
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

// "1 MiB", "8 KiB", "100 bytes".
std::string bytes_text(size_t bytes) {
  constexpr size_t kKiB = 1024;
  if (bytes >= kKiB * kKiB && bytes % (kKiB * kKiB) == 0)
    return std::to_string(bytes / (kKiB * kKiB)) + " MiB";
  if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// "30 s", "250 ms".
std::string duration_text(std::chrono::milliseconds duration) {
  if (duration.count() % 1000 == 0) return std::to_string(duration.count() / 1000) + " s";
  return std::to_string(duration.count()) + " ms";
}

// The server's and the dispatcher's defaults (server.h, jsonrpc.h, subscriptions.h), so
// that docs/rpc.md changes with them.
void render_limits(std::ostringstream& out) {
  const std::pair<const char*, std::string> rows[] = {
      {"HTTP request body", bytes_text(kDefaultMaxBodyBytes)},
      {"HTTP request header", bytes_text(kDefaultMaxHeaderBytes)},
      {"connections, HTTP and WebSocket together (`--rpc-max-connections`); beyond it a new "
       "connection is closed at once",
       std::to_string(kDefaultMaxConnections)},
      {"WebSocket connections (`--rpc-max-websockets`)", std::to_string(kDefaultMaxWebSocketConnections)},
      {"requests being handled at once, across the server", std::to_string(kDefaultMaxInFlight)},
      {"request timeout: from a complete request to its answer", duration_text(kDefaultRequestTimeout)},
      {"header timeout: from the first byte to the end of the header", duration_text(kDefaultHeaderTimeout)},
      {"body timeout", duration_text(kDefaultBodyTimeout)},
      {"idle timeout: between requests or WebSocket messages", duration_text(kDefaultIdleTimeout)},
      {"WebSocket message", bytes_text(kDefaultMaxWebSocketMessageBytes)},
      {"WebSocket queue of responses and notifications, per connection",
       std::to_string(kDefaultWebSocketQueueMessages) + " messages"},
      {"grace for a dropped subscriber's last message", duration_text(kDefaultDropGrace)},
      {"wait for open connections at shutdown", duration_text(kDefaultStopTimeout)},
      {"JSON nesting depth of a body or message", std::to_string(kDefaultMaxNestingDepth)},
      {"requests in a batch", std::to_string(kDefaultMaxBatchSize)},
      {"subscriptions per WebSocket connection", std::to_string(kMaxSubscriptionsPerSink)},
  };
  out << "## Limits\n\nEvery read has a timeout, every message a size cap and every queue a bound; "
         "the two connection limits are flags, the others fixed:\n\n| Limit | Default |\n|---|---:|\n";
  for (const auto& [limit, value] : rows) out << "| " << limit << " | " << value << " |\n";
}

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
  render_limits(out);
  out << kAuthentication << kErrorsHeader;
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
