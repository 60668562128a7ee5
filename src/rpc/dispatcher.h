// Runs JSON-RPC request bodies against a Registry: parses them (jsonrpc.h), checks each
// method's group against the caller, binds and validates parameters, calls the handler and
// builds the response body. Sans-I/O: the server hands it a body and sends back what it
// returns.
//
// Each call of a method is timed into that method's latency histogram (the metric
// cairn_rpc_request_duration_seconds), for the methods the registry held when the
// dispatcher was built: a fixed set, so no caller can grow it with made-up names.
//
// Thread-safety: handle() and latencies() are const and may run on many threads at once,
// provided the registry is no longer being filled and the method handlers are themselves
// thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "rpc/jsonrpc.h"
#include "rpc/registry.h"
#include "util/metrics.h"

namespace cairn::rpc {

struct DispatcherOptions {
  ParseLimits limits;
  // Checks every result against its method's result schema and answers internal_error when
  // it does not match: for tests of the method implementations (it costs a validation per
  // call), off in cairnd.
  bool check_results = false;
};

class Dispatcher {
 public:
  // `registry` must outlive the dispatcher.
  explicit Dispatcher(const Registry& registry, DispatcherOptions options = {});

  // The response body for `body`, or nullopt when every call in it was a notification.
  std::optional<std::string> handle(std::string_view body, const CallContext& context) const;

  // Per method called at least once: the latency histogram of its calls (from the method
  // lookup to the result, refusals included), by method name.
  std::vector<std::pair<std::string, metrics::HistogramSnapshot>> latencies() const;

 private:
  // The response object for one call; nullopt for a notification.
  std::optional<json> run(const Call& call, const CallContext& context) const;
  MethodResult invoke(const Request& request, const CallContext& context) const;
  MethodResult call_handler(const MethodSpec& method, const json& params, const CallContext& context) const;

  const Registry& registry_;
  DispatcherOptions options_;
  // Filled in the constructor, then only observed into (the histograms are lock-free).
  std::map<std::string, std::unique_ptr<metrics::Histogram>, std::less<>> latency_;
};

// `params` as the handler receives it (registry.h MethodHandler): a request's positional
// (array) or named (object) parameters, or null when it had none, converted to an object by
// name, each validated against its schema, absent optional ones given their defaults. An
// invalid_params error names the parameter.
std::variant<json, RpcError> bind_params(const MethodSpec& method, const json& params);

}  // namespace cairn::rpc
