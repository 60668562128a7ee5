// `cairn`'s JSON-RPC client: one synchronous HTTP POST per call (Boost.Beast) to cairnd's
// --rpc-listen address, authenticated with HTTP Basic from the node's cookie file or a
// configured user's password file (DESIGN.md "API exposure"; docs/operations.md).
//
// Not thread-safe: one call at a time (the CLI makes one or two per run).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "node/options.h"
#include "rpc/cookie.h"
#include "util/result.h"

namespace cairn::app {

using json = nlohmann::json;

// How long one call may take, connect to last byte: miner_generate of many blocks is slow.
inline constexpr std::chrono::seconds kRpcCallTimeout{300};
// Response bodies above this are refused (a full block with its transactions fits).
inline constexpr size_t kMaxResponseBytes = size_t{64} << 20;

// The client's flags as parsed (--rpc-connect, --rpc-user, --rpc-password-file).
struct RpcClientOptions {
  std::string connect;        // HOST:PORT; empty: 127.0.0.1 on the network's RPC port
  std::string user;           // with password_file: a configured user instead of the cookie
  std::string password_file;  // first line: the password
};

// A failed call: a JSON-RPC error (with its code) or a transport/HTTP problem (without).
struct CallFailure {
  std::optional<int> rpc_code;
  std::string message;
  // "error CODE: message" for a JSON-RPC error, the message otherwise.
  std::string to_string() const;
};

using CallResult = std::variant<json, CallFailure>;

// Where to connect and as whom. The cookie is optional: without one (and without --rpc-user)
// the client calls anonymously, which a loopback node allows for public methods; `note`
// then says why there are no credentials, for the 401/forbidden message.
struct RpcEndpoint {
  HostPort server;
  std::optional<rpc::Credentials> credentials;
  std::string note;
};

// Resolves the flags: the address, and credentials from --rpc-user + --rpc-password-file
// (both or neither) or else <network datadir>/rpc.cookie. An Error names the flag.
Result<RpcEndpoint> resolve_endpoint(const RpcClientOptions& options, const ResolvedPaths& paths);

// "user:password" in base64 (RFC 4648, with padding), as HTTP Basic sends it.
std::string basic_authorization(const rpc::Credentials& credentials);

// Interprets an HTTP response to a JSON-RPC call: the result, the JSON-RPC error, or what
// the HTTP status means (401: the credentials; 403, 429, 503 ...). `note` is appended to a
// 401's message.
CallResult interpret_response(unsigned http_status, const std::string& body, const std::string& note);

class RpcClient {
 public:
  explicit RpcClient(RpcEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

  // Calls `method` with `params` (an array by position or an object by name).
  CallResult call(const std::string& method, const json& params);

  const RpcEndpoint& endpoint() const { return endpoint_; }

 private:
  RpcEndpoint endpoint_;
  unsigned next_id_ = 1;
};

}  // namespace cairn::app
