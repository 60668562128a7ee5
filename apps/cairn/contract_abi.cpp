#include "contract_abi.h"

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include "primitives/address.h"
#include "util/codec.h"

namespace cairn::app {
namespace {

using json = nlohmann::json;

Error bad(std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; }

// "list<T>" -> T; nullopt for any other type.
std::optional<std::string> list_element(const std::string& type) {
  if (type.size() > 6 && type.starts_with("list<") && type.ends_with(">"))
    return type.substr(5, type.size() - 6);
  return std::nullopt;
}

struct IntType {
  int bytes;
  bool is_signed;
};

std::optional<IntType> int_type(const std::string& type) {
  if (type == "u8") return IntType{1, false};
  if (type == "u16") return IntType{2, false};
  if (type == "u32") return IntType{4, false};
  if (type == "u64") return IntType{8, false};
  if (type == "i32") return IntType{4, true};
  if (type == "i64") return IntType{8, true};
  return std::nullopt;
}

Result<std::vector<AbiParam>> parse_params(const json& list, const char* what, bool event) {
  if (!list.is_array()) return bad(std::string(what) + " is not an array");
  std::vector<AbiParam> params;
  for (const auto& item : list) {
    if (!item.is_object() || !item.contains("name") || !item.contains("type") || !item["name"].is_string() ||
        !item["type"].is_string()) {
      return bad(std::string(what) + ": each entry needs a name and a type");
    }
    AbiParam p{item["name"].get<std::string>(), item["type"].get<std::string>(), false};
    if (event) p.indexed = item.value("indexed", false);
    params.push_back(std::move(p));
  }
  return params;
}

Result<AbiMethod> parse_method(const json& item, const std::string& name) {
  if (!item.is_object()) return bad("method " + name + " is not an object");
  AbiMethod m;
  m.name = name;
  m.readonly = item.value("readonly", false);
  m.payable = item.value("payable", false);
  CAIRN_TRY(m.inputs,
            parse_params(item.value("inputs", json::array()), ("inputs of " + name).c_str(), false));
  if (item.contains("output") && item["output"].is_string()) m.output = item["output"].get<std::string>();
  return m;
}

Result<uint64_t> parse_unsigned(const json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0)
    return static_cast<uint64_t>(value.get<int64_t>());
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    uint64_t out = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return out;
  }
  return bad("expected a non-negative integer (a number or a decimal string), got " + value.dump());
}

Result<int64_t> parse_signed(const json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<int64_t>();
  if (value.is_number_unsigned() &&
      value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return static_cast<int64_t>(value.get<uint64_t>());
  }
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    int64_t out = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return out;
  }
  return bad("expected an integer (a number or a decimal string), got " + value.dump());
}

Result<Bytes> parse_hex(const json& value, const char* what) {
  if (!value.is_string())
    return bad(std::string("expected ") + what + " as a hex string, got " + value.dump());
  std::string text = value.get<std::string>();
  if (text.starts_with("0x")) text = text.substr(2);
  auto bytes = from_hex(text);
  if (!bytes) return bad(std::string(what) + ": '" + text + "' is not hex");
  return bytes;
}

Status encode_into(Writer& w, const Abi& abi, const std::string& type, const json& value, Network net,
                   size_t depth) {
  if (depth > kMaxAbiTypeDepth) return bad("type " + type + " nests too deeply");
  if (auto it = int_type(type)) {
    uint64_t bits = 0;
    if (it->is_signed) {
      CAIRN_TRY(const int64_t v, parse_signed(value));
      if (it->bytes == 4 &&
          (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()))
        return bad(value.dump() + " is out of the range of i32");
      bits = static_cast<uint64_t>(v);
    } else {
      CAIRN_TRY(bits, parse_unsigned(value));
      if (it->bytes < 8 && bits >> (8 * it->bytes) != 0)
        return bad(value.dump() + " is out of the range of " + type);
    }
    for (int i = 0; i < it->bytes; ++i) w.u8(static_cast<uint8_t>(bits >> (8 * i)));
    return {};
  }
  if (type == "bool") {
    if (!value.is_boolean()) return bad("expected true or false, got " + value.dump());
    w.u8(value.get<bool>() ? 1 : 0);
    return {};
  }
  if (type == "string") {
    if (!value.is_string()) return bad("expected a string, got " + value.dump());
    const std::string text = value.get<std::string>();
    w.bytes(as_bytes(text));
    return {};
  }
  if (type == "bytes") {
    CAIRN_TRY(const Bytes bytes, parse_hex(value, "bytes"));
    w.bytes(bytes);
    return {};
  }
  if (type == "hash") {
    CAIRN_TRY(const Bytes bytes, parse_hex(value, "a hash"));
    if (bytes.size() != 32) return bad("a hash is 32 bytes (64 hex digits)");
    w.raw(bytes);
    return {};
  }
  if (type == "account") {
    if (!value.is_string()) return bad("expected an account as an address, got " + value.dump());
    auto account = decode_account_address(net, value.get<std::string>());
    if (!account) return bad("account '" + value.get<std::string>() + "': " + account.error().message);
    encode(w, *account);
    return {};
  }
  if (auto element = list_element(type)) {
    if (!value.is_array()) return bad("expected an array for " + type + ", got " + value.dump());
    w.varint(value.size());
    for (size_t i = 0; i < value.size(); ++i) {
      if (auto s = encode_into(w, abi, *element, value[i], net, depth + 1); !s)
        return bad("[" + std::to_string(i) + "]: " + s.error().message);
    }
    return {};
  }
  if (const AbiStruct* st = abi.find_struct(type)) {
    if (value.is_array()) {
      if (value.size() != st->fields.size())
        return bad(type + " has " + std::to_string(st->fields.size()) + " fields");
      for (size_t i = 0; i < st->fields.size(); ++i) {
        if (auto s = encode_into(w, abi, st->fields[i].type, value[i], net, depth + 1); !s)
          return bad(st->fields[i].name + ": " + s.error().message);
      }
      return {};
    }
    if (!value.is_object()) return bad("expected an object for struct " + type + ", got " + value.dump());
    for (const auto& f : st->fields) {
      if (!value.contains(f.name)) return bad(type + ": field " + f.name + " is missing");
      if (auto s = encode_into(w, abi, f.type, value[f.name], net, depth + 1); !s)
        return bad(f.name + ": " + s.error().message);
    }
    if (value.size() != st->fields.size()) return bad(type + ": unknown fields in " + value.dump());
    return {};
  }
  return bad("unknown ABI type '" + type + "'");
}

Result<json> decode_from(Reader& r, const Abi& abi, const std::string& type, Network net, size_t depth) {
  if (depth > kMaxAbiTypeDepth) return bad("type " + type + " nests too deeply");
  json out;
  if (auto it = int_type(type)) {
    uint64_t bits = 0;
    const ByteSpan raw = r.take(type.c_str(), static_cast<size_t>(it->bytes));
    for (size_t i = 0; i < raw.size(); ++i) bits |= uint64_t{raw[i]} << (8 * i);
    if (it->is_signed && it->bytes == 4) {
      out = static_cast<int32_t>(static_cast<uint32_t>(bits));
    } else if (it->is_signed) {
      out = static_cast<int64_t>(bits);
    } else {
      out = bits;
    }
  } else if (type == "bool") {
    out = r.flag("bool");
  } else if (type == "string") {
    const Bytes b = r.bytes("string", r.remaining());
    out = std::string(b.begin(), b.end());
  } else if (type == "bytes") {
    out = to_hex(r.bytes("bytes", r.remaining()));
  } else if (type == "hash") {
    out = to_hex(r.take("hash", 32));
  } else if (type == "account") {
    const Account account = decode_account(r);
    if (r.ok()) out = encode_address(net, account);
  } else if (auto element = list_element(type)) {
    const size_t n = r.count("list", r.remaining());
    out = json::array();
    for (size_t i = 0; i < n && r.ok(); ++i) {
      CAIRN_TRY(json item, decode_from(r, abi, *element, net, depth + 1));
      out.push_back(std::move(item));
    }
  } else if (const AbiStruct* st = abi.find_struct(type)) {
    out = json::object();
    for (const auto& f : st->fields) {
      CAIRN_TRY(json item, decode_from(r, abi, f.type, net, depth + 1));
      out[f.name] = std::move(item);
    }
  } else {
    return bad("unknown ABI type '" + type + "'");
  }
  if (!r.ok()) return bad("malformed " + type + ": " + r.error().message);
  return out;
}

}  // namespace

const AbiMethod* Abi::method(const std::string& wanted) const {
  for (const auto& m : methods)
    if (m.name == wanted) return &m;
  return nullptr;
}

const AbiEvent* Abi::event_by_id(const Hash256& id) const {
  for (const auto& e : events)
    if (e.id == id) return &e;
  return nullptr;
}

const AbiStruct* Abi::find_struct(const std::string& wanted) const {
  for (const auto& s : structs)
    if (s.name == wanted) return &s;
  return nullptr;
}

Result<Abi> parse_abi(const json& doc) {
  if (!doc.is_object()) return bad("the ABI is not a JSON object");
  if (doc.value("abi_version", 0) != 1) return bad("abi_version is not 1");
  Abi abi;
  abi.name = doc.value("name", "");
  if (doc.contains("constructor") && doc["constructor"].is_object()) {
    CAIRN_TRY(abi.constructor, parse_method(doc["constructor"], "init"));
    abi.constructor->payable = true;
  }
  if (!doc.contains("methods") || !doc["methods"].is_array()) return bad("methods is missing");
  for (const auto& item : doc["methods"]) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string())
      return bad("a method has no name");
    CAIRN_TRY(AbiMethod m, parse_method(item, item["name"].get<std::string>()));
    abi.methods.push_back(std::move(m));
  }
  for (const auto& item : doc.value("events", json::array())) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string())
      return bad("an event has no name");
    AbiEvent e;
    e.name = item["name"].get<std::string>();
    e.id = blake3(as_bytes(e.name));
    if (item.contains("id") && item["id"].is_string() && item["id"].get<std::string>() != e.id.hex())
      return bad("event " + e.name + ": its id is not the BLAKE3 of its name");
    CAIRN_TRY(e.fields,
              parse_params(item.value("fields", json::array()), ("fields of " + e.name).c_str(), true));
    abi.events.push_back(std::move(e));
  }
  for (const auto& item : doc.value("structs", json::array())) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string())
      return bad("a struct has no name");
    AbiStruct s;
    s.name = item["name"].get<std::string>();
    CAIRN_TRY(s.fields,
              parse_params(item.value("fields", json::array()), ("fields of " + s.name).c_str(), false));
    abi.structs.push_back(std::move(s));
  }
  return abi;
}

Result<Abi> load_abi(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{ErrorCode::io, "cannot read the ABI '" + path + "'"};
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad("the ABI '" + path + "' is not JSON");
  auto abi = parse_abi(doc);
  if (!abi) return bad("the ABI '" + path + "': " + abi.error().message);
  return abi;
}

Result<Bytes> encode_value(const Abi& abi, const std::string& type, const json& value, Network net) {
  Writer w;
  CAIRN_TRY_STATUS(encode_into(w, abi, type, value, net, 0));
  return w.take();
}

Result<Bytes> encode_args(const Abi& abi, const std::vector<AbiParam>& inputs, const json& args,
                          Network net) {
  json list = args.is_null() ? json::array() : args;
  if (list.is_object()) {
    json ordered = json::array();
    for (const auto& p : inputs) {
      if (!list.contains(p.name)) return bad("argument " + p.name + " is missing");
      ordered.push_back(list[p.name]);
    }
    if (list.size() != inputs.size()) return bad("unknown argument names in " + args.dump());
    list = std::move(ordered);
  }
  if (!list.is_array()) return bad("--args must be a JSON array (or an object by parameter name)");
  if (list.size() != inputs.size()) {
    return bad("expected " + std::to_string(inputs.size()) + " arguments, got " +
               std::to_string(list.size()));
  }
  Writer w;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (auto s = encode_into(w, abi, inputs[i].type, list[i], net, 0); !s)
      return bad("argument " + inputs[i].name + " (" + inputs[i].type + "): " + s.error().message);
  }
  return w.take();
}

Result<json> decode_value(const Abi& abi, const std::string& type, ByteSpan data, Network net) {
  Reader r(data);
  CAIRN_TRY(json out, decode_from(r, abi, type, net, 0));
  if (auto s = r.finish(); !s) return bad(type + ": " + s.error().message);
  return out;
}

Result<json> decode_output(const Abi& abi, const AbiMethod& method, ByteSpan data, Network net) {
  if (!method.output) {
    if (!data.empty()) return bad(method.name + " returns nothing, but the return data has bytes");
    return json(nullptr);
  }
  return decode_value(abi, *method.output, data, net);
}

Result<std::optional<json>> decode_event(const Abi& abi, const std::vector<Hash256>& topics, ByteSpan data,
                                         Network net) {
  if (topics.empty()) return std::optional<json>();
  const AbiEvent* e = abi.event_by_id(topics[0]);
  if (e == nullptr) return std::optional<json>();
  Reader r(data);
  json fields = json::object();
  for (const auto& f : e->fields) {
    auto value = decode_from(r, abi, f.type, net, 0);
    if (!value) return bad("event " + e->name + ", field " + f.name + ": " + value.error().message);
    fields[f.name] = std::move(*value);
  }
  if (auto s = r.finish(); !s) return bad("event " + e->name + ": " + s.error().message);
  return std::optional<json>(json{{"name", e->name}, {"fields", fields}});
}

std::string method_signature(const AbiMethod& method) {
  std::string text = method.name + "(";
  for (size_t i = 0; i < method.inputs.size(); ++i) {
    if (i > 0) text += ", ";
    text += method.inputs[i].name + ": " + method.inputs[i].type;
  }
  text += ")";
  if (method.output) text += " -> " + *method.output;
  if (method.readonly) text += " [view]";
  if (method.payable) text += " [payable]";
  return text;
}

}  // namespace cairn::app
