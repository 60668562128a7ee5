#include "rpc/jsonrpc.h"

namespace cairn::rpc {

namespace {

// nlohmann's parse errors quote the text they stopped at, which may be most of the body.
constexpr size_t kMaxParseMessageBytes = 200;

// Thrown from the parser callback to stop at the first container that nests too deep, before
// the rest of the body is read.
struct TooDeep {};

RpcError body_error(int code, std::string message) {
  return RpcError{code, std::move(message), std::nullopt};
}

std::string parse_error_message(const json::exception& e) {
  std::string message = e.what();
  // "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at line 1, ..."
  if (const auto end = message.find("] ");
      message.starts_with("[json.exception.") && end != std::string::npos) {
    message.erase(0, end + 2);
  }
  if (message.size() > kMaxParseMessageBytes) message = message.substr(0, kMaxParseMessageBytes) + "...";
  return message;
}

std::variant<json, RpcError> parse_json(std::string_view body, size_t max_depth) {
  const json::parser_callback_t refuse_deep = [max_depth](int depth, json::parse_event_t event, json&) {
    const bool opens =
        event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
    // `depth` counts the containers already open around this one.
    if (opens && static_cast<size_t>(depth) >= max_depth) throw TooDeep{};
    return true;
  };
  try {
    return json::parse(body.begin(), body.end(), refuse_deep);
  } catch (const TooDeep&) {
    return body_error(error_code::limit_exceeded,
                      "request nests arrays/objects deeper than " + std::to_string(max_depth) + " levels");
  } catch (const json::exception& e) {
    // parse_error for bad syntax, out_of_range for a number no double can hold (1e999).
    return body_error(error_code::parse_error, parse_error_message(e));
  }
}

bool valid_id(const json& id) { return id.is_string() || id.is_number() || id.is_null(); }

BadRequest invalid(const json& id, std::string message) {
  return BadRequest{id, body_error(error_code::invalid_request, std::move(message))};
}

Call parse_call(const json& element) {
  if (!element.is_object()) return invalid(nullptr, "a request must be a JSON object");
  const bool has_id = element.contains("id");
  if (has_id && !valid_id(element["id"]))
    return invalid(nullptr, "\"id\" must be a string, a number or null");
  const json id = has_id ? element["id"] : json(nullptr);
  if (!element.contains("jsonrpc") || element["jsonrpc"] != "2.0") {
    return invalid(id, "\"jsonrpc\" must be exactly \"2.0\"");
  }
  if (!element.contains("method") || !element["method"].is_string()) {
    return invalid(id, "\"method\" must be a string");
  }
  json params = element.contains("params") ? element["params"] : json(nullptr);
  if (element.contains("params") && !params.is_array() && !params.is_object()) {
    return invalid(id, "\"params\" must be an array or an object");
  }
  return Request{element["method"].get<std::string>(), std::move(params), id, !has_id};
}

}  // namespace

std::variant<ParsedBody, RpcError> parse_body(std::string_view body, const ParseLimits& limits) {
  auto parsed = parse_json(body, limits.max_nesting_depth);
  if (auto* error = std::get_if<RpcError>(&parsed)) return std::move(*error);
  const json& document = std::get<json>(parsed);

  ParsedBody out;
  if (!document.is_array()) {
    out.calls.push_back(parse_call(document));
    return out;
  }
  if (document.empty()) return body_error(error_code::invalid_request, "empty batch");
  if (document.size() > limits.max_batch_size) {
    return body_error(error_code::limit_exceeded, "batch of " + std::to_string(document.size()) +
                                                      " requests; at most " +
                                                      std::to_string(limits.max_batch_size) + " are allowed");
  }
  out.batch = true;
  out.calls.reserve(document.size());
  for (const auto& element : document) out.calls.push_back(parse_call(element));
  return out;
}

json make_result_response(const json& id, json result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json make_error_response(const json& id, const RpcError& error) {
  json object = {{"code", error.code}, {"message", error.message}};
  if (error.data) object["data"] = *error.data;
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(object)}};
}

std::string to_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace cairn::rpc
