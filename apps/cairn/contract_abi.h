// A contract's ABI (docs/contracts.md §10) as `cairn contract` uses it: the ABI JSON a
// build writes, arguments encoded from JSON values with the canonical encoding, and return
// data and events decoded back to JSON.
//
// JSON values: integers as numbers or decimal strings (u64 beyond 2^53 should be strings
// for other tools, `cairn` reads both), bool as true/false, string as a string, bytes and
// hash as hex, account as an address of the network (key, lock or contract), list<T> as an
// array, a struct as an object with its field names (or an array in field order). Decoding
// gives the same forms (integers as numbers).
//
// Values only: thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "primitives/contract.h"
#include "primitives/network.h"
#include "util/result.h"

namespace cairn::app {

// Nesting of list and struct types the tools follow (the SDK's structs are shallow).
inline constexpr size_t kMaxAbiTypeDepth = 16;

struct AbiParam {
  std::string name;
  std::string type;
  bool indexed = false;  // event fields
};

struct AbiMethod {
  std::string name;
  bool readonly = false;
  bool payable = false;
  std::vector<AbiParam> inputs;
  std::optional<std::string> output;  // nullopt: no return data
};

struct AbiEvent {
  std::string name;
  Hash256 id;  // topic 0
  std::vector<AbiParam> fields;
};

struct AbiStruct {
  std::string name;
  std::vector<AbiParam> fields;
};

struct Abi {
  std::string name;
  std::optional<AbiMethod> constructor;  // name "init"
  std::vector<AbiMethod> methods;
  std::vector<AbiEvent> events;
  std::vector<AbiStruct> structs;

  const AbiMethod* method(const std::string& name) const;
  const AbiEvent* event_by_id(const Hash256& id) const;
  const AbiStruct* find_struct(const std::string& name) const;
};

// Parses an ABI JSON document (abi_version 1); an Error names the bad field.
Result<Abi> parse_abi(const nlohmann::json& doc);
// Reads and parses an ABI file.
Result<Abi> load_abi(const std::string& path);

// The canonical encoding of `value` as `type`.
Result<Bytes> encode_value(const Abi& abi, const std::string& type, const nlohmann::json& value, Network net);
// A call's input: the arguments (a JSON array in parameter order, or an object by name)
// encoded in order. Errors name the parameter.
Result<Bytes> encode_args(const Abi& abi, const std::vector<AbiParam>& inputs, const nlohmann::json& args,
                          Network net);
// Decodes exactly one value of `type` from `data` (strict: no bytes left over).
Result<nlohmann::json> decode_value(const Abi& abi, const std::string& type, ByteSpan data, Network net);
// Decodes a method's return data (null for a method without output).
Result<nlohmann::json> decode_output(const Abi& abi, const AbiMethod& method, ByteSpan data, Network net);
// Decodes an event by its topic 0: {"name", "fields": {...}}; nullopt when the ABI has no
// event with that id; an Error when its data does not decode as the ABI says.
Result<std::optional<nlohmann::json>> decode_event(const Abi& abi, const std::vector<Hash256>& topics,
                                                   ByteSpan data, Network net);

// A method's signature as text: "transfer(to: account, amount: u64) -> bool [view]".
std::string method_signature(const AbiMethod& method);

}  // namespace cairn::app
