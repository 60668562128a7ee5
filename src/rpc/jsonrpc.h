// JSON-RPC 2.0 framing (https://www.jsonrpc.org/specification): parsing a request body (one
// request or a batch) into calls, and building response objects. Knows nothing of methods;
// the dispatcher (dispatcher.h) runs the calls.
//
// The body is refused as a whole (one error response, id null) when it is not JSON, nests
// deeper than the limit, or is an empty or oversized batch: a batch bomb costs one error,
// never one per element. Elements of a batch that are not valid requests each get an
// invalid_request error. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rpc/registry.h"

namespace cairn::rpc {

// Containers (arrays and objects) nested in a body: `[]` is depth 1, `{"params":[1]}` depth 2.
// Refused while parsing, before a deep tree is built.
inline constexpr size_t kDefaultMaxNestingDepth = 64;
// Requests in one batch.
inline constexpr size_t kDefaultMaxBatchSize = 100;
// How much of an unknown method name an error message repeats.
inline constexpr size_t kMaxEchoedNameBytes = 64;

struct ParseLimits {
  size_t max_nesting_depth = kDefaultMaxNestingDepth;
  size_t max_batch_size = kDefaultMaxBatchSize;
};

// A well-formed request.
struct Request {
  std::string method;
  json params;                // an array or an object; null when the request had none
  json id;                    // a string, number or null (echoed in the response)
  bool notification = false;  // no `id` member: the client wants no response
};

// A batch element (or single body) that is not a valid Request, and the error answering it.
// `id` is the element's id when it had a valid one, else null.
struct BadRequest {
  json id;
  RpcError error;
};

using Call = std::variant<Request, BadRequest>;

struct ParsedBody {
  bool batch = false;  // the response is an array (when any call gets a response)
  std::vector<Call> calls;
};

// The calls in `body`, or the one error answering the whole body (parse_error,
// invalid_request for an empty batch, limit_exceeded for nesting or batch size).
std::variant<ParsedBody, RpcError> parse_body(std::string_view body, const ParseLimits& limits);

json make_result_response(const json& id, json result);
json make_error_response(const json& id, const RpcError& error);
// Compact JSON text; strings that are not valid UTF-8 are repaired, never thrown on.
std::string to_text(const json& value);

}  // namespace cairn::rpc
