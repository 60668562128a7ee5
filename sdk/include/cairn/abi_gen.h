// The ABI printer (docs/contracts.md §10): when a contract's source is compiled natively
// with -DCAIRN_ABI_GEN (and -DCAIRN_CONTRACT_NAME="<name>"), the method and event macros
// register what they declare here, in source order, and main() writes the ABI JSON to the
// file named by its first argument (standard output without one). Nothing of the contract runs. Only included
// in that build.
#pragma once

#ifndef CAIRN_ABI_GEN
#error "abi_gen.h is only for the native ABI printer (-DCAIRN_ABI_GEN)"
#endif

#include <string>
#include <vector>

#include <stdio.h>

#include "cairn/abi.h"
#include "cairn/core.h"

#ifndef CAIRN_CONTRACT_NAME
#define CAIRN_CONTRACT_NAME "contract"
#endif

namespace cairn::abi_gen {

using NameFn = void (*)(TypeName&);

struct Param {
  const char* name;
  NameFn type;
  bool indexed = false;
};

template <class T>
Param param(const char* name, bool indexed) {
  return Param{name, &Codec<T>::name, indexed};
}

enum class Kind { init, mutates, payable, view };

struct Method {
  const char* name;
  Kind kind;
  NameFn output;  // nullptr: no return data
  std::vector<Param> inputs;
};

struct Event {
  const char* name;
  std::vector<Param> fields;
};

struct Struct {
  const char* name;
  std::vector<Param> fields;
};

struct Registry {
  std::vector<Method> methods;
  std::vector<Event> events;
  std::vector<Struct> structs;
  static Registry& get() {
    static Registry r;
    return r;
  }
};

template <class R>
constexpr NameFn output_of() {
  return &Codec<R>::name;
}
template <>
constexpr NameFn output_of<void>() {
  return nullptr;
}

struct MethodRegistrar {
  MethodRegistrar(const char* name, Kind kind, NameFn output, std::vector<Param> inputs) {
    Registry::get().methods.push_back(Method{name, kind, output, std::move(inputs)});
  }
};

struct EventRegistrar {
  EventRegistrar(const char* name, std::vector<Param> fields) {
    Registry::get().events.push_back(Event{name, std::move(fields)});
  }
};

struct StructRegistrar {
  StructRegistrar(const char* name, std::vector<Param> fields) {
    Registry::get().structs.push_back(Struct{name, std::move(fields)});
  }
};

inline std::string type_name(NameFn fn) {
  TypeName n;
  fn(n);
  return std::string(n.text, n.size);
}

// Names are [A-Za-z0-9_] (checked by the macros), so they need no JSON escaping.
inline std::string params_json(const std::vector<Param>& params, bool with_indexed) {
  std::string out = "[";
  for (size_t i = 0; i < params.size(); ++i) {
    if (i != 0) out += ", ";
    out += "{\"name\": \"";
    out += params[i].name;
    out += "\", \"type\": \"";
    out += type_name(params[i].type);
    out += "\"";
    if (with_indexed) out += params[i].indexed ? ", \"indexed\": true" : ", \"indexed\": false";
    out += "}";
  }
  return out + "]";
}

inline std::string hex(const Hash& h) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : h.bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

inline std::string print() {
  const Registry& r = Registry::get();
  std::string out = "{\n  \"abi_version\": 1,\n  \"name\": \"" CAIRN_CONTRACT_NAME "\",\n  \"constructor\": ";
  const Method* ctor = nullptr;
  for (const Method& m : r.methods)
    if (m.kind == Kind::init) ctor = &m;
  if (ctor != nullptr) {
    out += "{\"inputs\": " + params_json(ctor->inputs, false) + ", \"payable\": true}";
  } else {
    out += "null";
  }
  out += ",\n  \"methods\": [";
  bool first = true;
  for (const Method& m : r.methods) {
    if (m.kind == Kind::init) continue;
    out += first ? "\n    " : ",\n    ";
    first = false;
    out += "{\"name\": \"";
    out += m.name;
    out += "\", \"readonly\": ";
    out += m.kind == Kind::view ? "true" : "false";
    out += ", \"payable\": ";
    out += m.kind == Kind::payable ? "true" : "false";
    out += ", \"inputs\": " + params_json(m.inputs, false) + ", \"output\": ";
    out += m.output != nullptr ? "\"" + type_name(m.output) + "\"" : std::string("null");
    out += "}";
  }
  out += first ? "],\n  \"events\": [" : "\n  ],\n  \"events\": [";
  first = true;
  for (const Event& e : r.events) {
    out += first ? "\n    " : ",\n    ";
    first = false;
    out += "{\"name\": \"";
    out += e.name;
    out += "\", \"id\": \"" + hex(blake3_short(e.name, detail::cstr_len(e.name))) + "\", \"fields\": ";
    out += params_json(e.fields, true) + "}";
  }
  out += first ? "],\n  \"structs\": [" : "\n  ],\n  \"structs\": [";
  first = true;
  for (const Struct& s : r.structs) {
    out += first ? "\n    " : ",\n    ";
    first = false;
    out += "{\"name\": \"";
    out += s.name;
    out += "\", \"fields\": " + params_json(s.fields, false) + "}";
  }
  out += first ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

// Writes the ABI JSON to `path`, or to standard output without one; 0 on success.
inline int write(const char* path) {
  std::string text = print();
  FILE* f = path != nullptr ? fopen(path, "wb") : stdout;
  if (f == nullptr) return 1;
  bool ok = fwrite(text.data(), 1, text.size(), f) == text.size();
  if (path != nullptr) ok = fclose(f) == 0 && ok;
  return ok ? 0 : 1;
}

}  // namespace cairn::abi_gen

// Weak: a contract of several sources includes the SDK in each of them.
__attribute__((weak)) int main(int argc, char** argv) {
  return cairn::abi_gen::write(argc > 1 ? argv[1] : nullptr);
}
