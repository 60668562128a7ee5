#include "rpc/schema.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <regex>
#include <set>

#include "util/thread_annotations.h"

namespace cairn::rpc {

using json = nlohmann::json;

namespace {

const std::set<std::string, std::less<>> kKeywords = {
    "type",      "enum",     "const",    "properties", "required", "additionalProperties",
    "items",     "minItems", "maxItems", "minimum",    "maximum",  "minLength",
    "maxLength", "pattern",  "oneOf",    "anyOf",      "title",    "description",
    "examples"};
const std::set<std::string, std::less<>> kTypeNames = {"null",   "boolean", "object", "array",
                                                       "number", "integer", "string"};

// libstdc++'s default regex executor recurses once per input character, so a pattern like
// ^[0-9a-f]*$ overflows the stack on a raw block's hex. __polynomial selects its Thompson
// NFA executor instead: linear time, bounded stack, no back-references (check_schema refuses
// patterns that need them, since they fail to compile under this flag).
constexpr auto kRegexFlags = std::regex::ECMAScript | std::regex_constants::__polynomial;

// Compiling a regex costs far more than matching a parameter, and schemas are fixed at
// start-up, so compiled patterns are kept. Bounded by the number of distinct patterns in
// the registered specs.
class RegexCache {
 public:
  std::shared_ptr<const std::regex> get(const std::string& pattern) EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    auto it = cache_.find(pattern);
    if (it == cache_.end()) {
      it = cache_.emplace(pattern, std::make_shared<const std::regex>(pattern, kRegexFlags)).first;
    }
    return it->second;
  }

 private:
  Mutex mutex_;
  std::map<std::string, std::shared_ptr<const std::regex>, std::less<>> cache_ GUARDED_BY(mutex_);
};

RegexCache& regex_cache() {
  static RegexCache cache;
  return cache;
}

Error schema_error(const std::string& path, const std::string& problem) {
  return Error{ErrorCode::invalid_argument, path + ": " + problem};
}

bool is_count(const json& value) {
  return value.is_number_unsigned() || (value.is_number_integer() && value >= 0);
}

Status check_at(const json& schema, const std::string& path);

Status check_schema_list(const json& list, const std::string& path) {
  if (!list.is_array() || list.empty()) return schema_error(path, "must be a non-empty array of schemas");
  for (size_t i = 0; i < list.size(); ++i) {
    CAIRN_TRY_STATUS(check_at(list[i], path + "[" + std::to_string(i) + "]"));
  }
  return {};
}

Status check_type(const json& type, const std::string& path) {
  const json names = type.is_array() ? type : json::array({type});
  if (names.empty()) return schema_error(path, "must name at least one type");
  std::set<std::string> seen;
  for (const auto& name : names) {
    if (!name.is_string() || !kTypeNames.contains(name.get<std::string>())) {
      return schema_error(path, "unknown type " + name.dump());
    }
    if (!seen.insert(name.get<std::string>()).second) return schema_error(path, "repeats " + name.dump());
  }
  return {};
}

Status check_pattern(const json& pattern, const std::string& path) {
  if (!pattern.is_string()) return schema_error(path, "must be a string");
  try {
    regex_cache().get(pattern.get<std::string>());
  } catch (const std::regex_error& e) {
    return schema_error(path, std::string("is not a supported regex: ") + e.what());
  }
  return {};
}

Status check_properties(const json& properties, const std::string& path) {
  if (!properties.is_object()) return schema_error(path, "must be an object of schemas");
  for (const auto& [name, sub] : properties.items()) CAIRN_TRY_STATUS(check_at(sub, path + "." + name));
  return {};
}

Status check_required(const json& required, const std::string& path) {
  if (!required.is_array()) return schema_error(path, "must be an array of property names");
  std::set<std::string> seen;
  for (const auto& name : required) {
    if (!name.is_string()) return schema_error(path, "must hold strings only");
    if (!seen.insert(name.get<std::string>()).second) return schema_error(path, "repeats " + name.dump());
  }
  return {};
}

Status check_keyword(const std::string& key, const json& value, const std::string& path) {
  if (key == "type") return check_type(value, path);
  if (key == "enum") {
    if (!value.is_array() || value.empty()) return schema_error(path, "must be a non-empty array");
    return {};
  }
  if (key == "properties") return check_properties(value, path);
  if (key == "required") return check_required(value, path);
  if (key == "additionalProperties") return value.is_boolean() ? Status{} : check_at(value, path);
  if (key == "items") return check_at(value, path);
  if (key == "minItems" || key == "maxItems" || key == "minLength" || key == "maxLength") {
    return is_count(value) ? Status{} : schema_error(path, "must be a non-negative integer");
  }
  if (key == "minimum" || key == "maximum") {
    return value.is_number() ? Status{} : schema_error(path, "must be a number");
  }
  if (key == "pattern") return check_pattern(value, path);
  if (key == "oneOf" || key == "anyOf") return check_schema_list(value, path);
  if (key == "title" || key == "description") {
    return value.is_string() ? Status{} : schema_error(path, "must be a string");
  }
  if (key == "examples") return value.is_array() ? Status{} : schema_error(path, "must be an array");
  return {};  // const: any value
}

Status check_at(const json& schema, const std::string& path) {
  if (!schema.is_object()) return schema_error(path, "a schema must be a JSON object");
  for (const auto& [key, value] : schema.items()) {
    if (!kKeywords.contains(key)) return schema_error(path, "unsupported keyword '" + key + "'");
    CAIRN_TRY_STATUS(check_keyword(key, value, path + "." + key));
  }
  return {};
}

// ---- validation ----

std::string json_type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    default:
      return "unsupported value";
  }
}

bool has_type(const json& value, const std::string& type) {
  if (type == "integer") return value.is_number_integer();  // a JSON integer, never 1.0
  if (type == "number") return value.is_number();
  return json_type_name(value) == type;
}

// A short rendering of a value for messages: long strings and containers are elided so a
// hostile parameter cannot inflate the error response.
std::string describe(const json& value) {
  constexpr size_t kMaxShown = 40;
  if (value.is_array() || value.is_object()) return json_type_name(value);
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
  return text;
}

// JSON Schema counts string length in Unicode code points; nlohmann strings are UTF-8.
size_t code_points(const std::string& text) {
  return static_cast<size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string join_or(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

using Violation = std::optional<std::string>;

Violation at(const std::string& path, const std::string& problem) { return path + ": " + problem; }

Violation check_value(const json& schema, const json& value, const std::string& path);

Violation check_type_of(const json& type, const json& value, const std::string& path) {
  const json names = type.is_array() ? type : json::array({type});
  std::vector<std::string> expected;
  for (const auto& name : names) {
    if (has_type(value, name.get<std::string>())) return std::nullopt;
    expected.push_back(name.get<std::string>());
  }
  return at(path, "expected " + join_or(expected) + ", got " + json_type_name(value));
}

Violation check_enum(const json& options, const json& value, const std::string& path) {
  if (std::find(options.begin(), options.end(), value) != options.end()) return std::nullopt;
  std::vector<std::string> shown;
  for (const auto& option : options) shown.push_back(option.dump());
  return at(path, "expected one of " + join_or(shown) + ", got " + describe(value));
}

Violation check_string(const json& schema, const std::string& text, const std::string& path) {
  const size_t length = code_points(text);
  if (schema.contains("minLength") && length < schema["minLength"].get<size_t>()) {
    return at(path, "shorter than " + schema["minLength"].dump() + " characters");
  }
  if (schema.contains("maxLength") && length > schema["maxLength"].get<size_t>()) {
    return at(path, "longer than " + schema["maxLength"].dump() + " characters");
  }
  if (schema.contains("pattern")) {
    const auto& pattern = schema["pattern"].get_ref<const std::string&>();
    if (!std::regex_search(text, *regex_cache().get(pattern))) {
      return at(path, describe(text) + " does not match " + pattern);
    }
  }
  return std::nullopt;
}

// Compares two JSON numbers exactly across nlohmann's signed, unsigned and float kinds
// (its own operator< turns a large unsigned into a negative signed value). -1, 0 or 1.
int compare_numbers(const json& a, const json& b) {
  if (a.is_number_float() || b.is_number_float()) {
    const double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const bool a_negative = a.is_number_integer() && !a.is_number_unsigned() && a.get<int64_t>() < 0;
  const bool b_negative = b.is_number_integer() && !b.is_number_unsigned() && b.get<int64_t>() < 0;
  if (a_negative != b_negative) return a_negative ? -1 : 1;
  if (a_negative) {
    const int64_t x = a.get<int64_t>(), y = b.get<int64_t>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const uint64_t x = a.get<uint64_t>(), y = b.get<uint64_t>();
  return x < y ? -1 : (x > y ? 1 : 0);
}

Violation check_number(const json& schema, const json& value, const std::string& path) {
  if (schema.contains("minimum") && compare_numbers(value, schema["minimum"]) < 0) {
    return at(path, describe(value) + " is below the minimum " + schema["minimum"].dump());
  }
  if (schema.contains("maximum") && compare_numbers(value, schema["maximum"]) > 0) {
    return at(path, describe(value) + " is above the maximum " + schema["maximum"].dump());
  }
  return std::nullopt;
}

Violation check_array(const json& schema, const json& value, const std::string& path) {
  if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>()) {
    return at(path, "fewer than " + schema["minItems"].dump() + " items");
  }
  if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<size_t>()) {
    return at(path, "more than " + schema["maxItems"].dump() + " items");
  }
  if (schema.contains("items")) {
    for (size_t i = 0; i < value.size(); ++i) {
      if (auto v = check_value(schema["items"], value[i], path + "[" + std::to_string(i) + "]")) return v;
    }
  }
  return std::nullopt;
}

Violation check_object(const json& schema, const json& value, const std::string& path) {
  if (schema.contains("required")) {
    for (const auto& name : schema["required"]) {
      if (!value.contains(name.get<std::string>())) return at(path, "missing " + name.get<std::string>());
    }
  }
  const json no_properties = json::object();
  const json& properties = schema.contains("properties") ? schema["properties"] : no_properties;
  for (const auto& [name, member] : value.items()) {
    const std::string member_path = path + "." + name;
    if (properties.contains(name)) {
      if (auto v = check_value(properties[name], member, member_path)) return v;
      continue;
    }
    if (!schema.contains("additionalProperties")) continue;
    const json& extra = schema["additionalProperties"];
    if (extra.is_boolean()) {
      if (!extra.get<bool>()) return at(path, "unexpected member '" + name + "'");
    } else if (auto v = check_value(extra, member, member_path)) {
      return v;
    }
  }
  return std::nullopt;
}

// Why `value` fails every option of an anyOf/oneOf: when its type fits none of them, the
// types expected ("expected integer or string, got boolean"); otherwise the violation of the
// first option whose type fits.
std::string no_option_matches(const json& options, const json& value, const std::string& path) {
  std::vector<std::string> types;
  for (const auto& option : options) {
    if (option.contains("type") && check_type_of(option["type"], value, path)) {
      const json& type = option["type"];
      if (type.is_array()) {
        for (const auto& name : type) types.push_back(name.get<std::string>());
      } else {
        types.push_back(type.get<std::string>());
      }
      continue;
    }
    return *check_value(option, value, path);
  }
  return *at(path, "expected " + join_or(types) + ", got " + json_type_name(value));
}

Violation check_alternatives(const json& schema, const json& value, const std::string& path) {
  if (schema.contains("anyOf")) {
    const json& options = schema["anyOf"];
    const bool any = std::any_of(options.begin(), options.end(),
                                 [&](const json& option) { return !check_value(option, value, path); });
    if (!any) return no_option_matches(options, value, path);
  }
  if (schema.contains("oneOf")) {
    const json& options = schema["oneOf"];
    const auto matches = std::count_if(options.begin(), options.end(),
                                       [&](const json& option) { return !check_value(option, value, path); });
    if (matches == 0) return no_option_matches(options, value, path);
    if (matches > 1) return at(path, describe(value) + " matches more than one option of oneOf");
  }
  return std::nullopt;
}

Violation check_value(const json& schema, const json& value, const std::string& path) {
  if (schema.contains("type")) {
    if (auto v = check_type_of(schema["type"], value, path)) return v;
  }
  if (schema.contains("const") && value != schema["const"]) {
    return at(path, "expected " + schema["const"].dump() + ", got " + describe(value));
  }
  if (schema.contains("enum")) {
    if (auto v = check_enum(schema["enum"], value, path)) return v;
  }
  Violation v;
  if (value.is_string()) v = check_string(schema, value.get_ref<const std::string&>(), path);
  if (value.is_number()) v = check_number(schema, value, path);
  if (value.is_array()) v = check_array(schema, value, path);
  if (value.is_object()) v = check_object(schema, value, path);
  if (v) return v;
  return check_alternatives(schema, value, path);
}

}  // namespace

Status check_schema(const json& schema) { return check_at(schema, "schema"); }

std::optional<std::string> schema_violation(const json& schema, const json& value, std::string_view path) {
  return check_value(schema, value, std::string(path));
}

}  // namespace cairn::rpc
