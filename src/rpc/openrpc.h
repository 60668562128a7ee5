// The API described from the method registry: the OpenRPC 1.2.6 document that `rpc.discover`
// returns (https://spec.open-rpc.org/, each method's group in an `x-cairn-group` field) and
// the Markdown of docs/rpc.md. Both are pure functions of the registry: the same registry
// always gives byte-identical output, so a test can compare docs/rpc.md with the node's.
#pragma once

#include <string>

#include "rpc/registry.h"

namespace cairn::rpc {

inline constexpr const char* kOpenRpcVersion = "1.2.6";

// The document's `info` object.
struct ApiInfo {
  std::string title = "Cairn JSON-RPC API";
  std::string version;  // the node's version
};

json openrpc_document(const Registry& registry, const ApiInfo& info);

// Adds `rpc.discover` [public], which returns openrpc_document() of `registry` as it is
// when called (so methods added afterwards are listed too). `registry` must outlive its use.
Status register_discover(Registry& registry, ApiInfo info);

// docs/rpc.md: transport, authentication, errors and encodings, then every method by
// namespace.
std::string render_markdown(const Registry& registry);

}  // namespace cairn::rpc
