#include "contracts/module_rules.h"

#include <optional>
#include <string>

#include <wabt/binary-reader-nop.h>
#include <wabt/binary-reader.h>
#include <wabt/cast.h>
#include <wabt/ir.h>

#include "contracts/host_functions.h"
#include "primitives/contract.h"

namespace cairn::contracts {
namespace {

Error refuse(std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; }

bool is_float(wabt::Type type) { return type == wabt::Type::F32 || type == wabt::Type::F64; }

bool is_float_opcode(wabt::Opcode opcode) {
  return is_float(opcode.GetResultType()) || is_float(opcode.GetParamType1()) ||
         is_float(opcode.GetParamType2()) || is_float(opcode.GetParamType3());
}

// Streams a module through wabt's binary reader and stops at the first broken rule.
// With `name_disabled`, the reader runs with more features than contracts have, only to
// name a post-MVP instruction that the strict pass could only call an unexpected opcode.
class Scanner final : public wabt::BinaryReaderNop {
 public:
  explicit Scanner(bool name_disabled) : name_disabled_(name_disabled) {}

  const std::optional<std::string>& rule_error() const { return rule_error_; }
  const std::optional<wabt::Error>& decode_error() const { return decode_error_; }

  bool OnError(const wabt::Error& error) override {
    if (!decode_error_) decode_error_ = error;
    return true;  // handled: wabt must not print it
  }

  wabt::Result BeginFunctionBody(wabt::Index index, wabt::Offset) override {
    function_ = index;
    nesting_ = 0;
    return wabt::Result::Ok;
  }
  wabt::Result EndFunctionBody(wabt::Index) override {
    function_.reset();
    return wabt::Result::Ok;
  }

  wabt::Result OnOpcode(wabt::Opcode opcode) override {
    if (is_float_opcode(opcode)) return fail("floating point instruction ", opcode.GetName());
    if (name_disabled_ && !opcode.IsEnabled(contract_features()))
      return fail("instruction of a disabled WebAssembly feature ", opcode.GetName());
    return wabt::Result::Ok;
  }

  wabt::Result OnBlockExpr(wabt::Type sig) override { return enter(sig); }
  wabt::Result OnLoopExpr(wabt::Type sig) override { return enter(sig); }
  wabt::Result OnIfExpr(wabt::Type sig) override { return enter(sig); }
  wabt::Result OnTryExpr(wabt::Type sig) override { return enter(sig); }
  wabt::Result OnEndExpr() override {
    if (nesting_ > 0) --nesting_;
    return wabt::Result::Ok;
  }

 private:
  wabt::Result enter(wabt::Type sig) {
    if (is_float(sig)) return fail("floating point block type ", sig.GetName());
    if (++nesting_ > kMaxBlockNesting)
      return fail("blocks nested ", std::to_string(nesting_) + " deep > " + std::to_string(kMaxBlockNesting));
    return wabt::Result::Ok;
  }

  wabt::Result fail(std::string_view what, std::string_view detail) {
    std::string where = function_ ? "function " + std::to_string(*function_) : std::string("initializer");
    rule_error_ = where + ": " + std::string(what) + std::string(detail);
    return wabt::Result::Error;
  }

  bool name_disabled_;
  std::optional<wabt::Index> function_;
  size_t nesting_ = 0;
  std::optional<std::string> rule_error_;
  std::optional<wabt::Error> decode_error_;
};

// The features of the naming pass: those a compiler commonly emits, which wabt decodes.
wabt::Features naming_features() {
  wabt::Features features = contract_features();
  features.enable_bulk_memory();
  features.enable_reference_types();
  features.enable_sat_float_to_int();
  features.enable_simd();
  features.enable_threads();
  features.enable_tail_call();
  features.enable_exceptions();
  return features;
}

std::string type_text(const wabt::FuncSignature& sig) {
  auto list = [](const wabt::TypeVector& types) {
    std::string out = "(";
    for (size_t i = 0; i < types.size(); ++i) {
      if (i > 0) out += ' ';
      out += types[i].GetName();
    }
    out += ')';
    return out;
  };
  return list(sig.param_types) + " -> " + list(sig.result_types);
}

const char* value_type_name(ValueType type) { return type == ValueType::i32 ? "i32" : "i64"; }

std::string host_type_text(const HostSignature& host) {
  std::string out = "(";
  for (size_t i = 0; i < host.param_count; ++i) {
    if (i > 0) out += ' ';
    out += value_type_name(host.params[i]);
  }
  out += ") -> (";
  if (host.result) out += value_type_name(*host.result);
  out += ')';
  return out;
}

bool same_type(const wabt::FuncSignature& sig, const HostSignature& host) {
  auto matches = [](wabt::Type type, ValueType expected) {
    return type == (expected == ValueType::i32 ? wabt::Type::I32 : wabt::Type::I64);
  };
  if (sig.param_types.size() != host.param_count) return false;
  for (size_t i = 0; i < host.param_count; ++i)
    if (!matches(sig.param_types[i], host.params[i])) return false;
  if (sig.result_types.size() != (host.result ? 1U : 0U)) return false;
  return !host.result || matches(sig.result_types[0], *host.result);
}

const char* import_kind_name(wabt::ExternalKind kind) {
  switch (kind) {
    case wabt::ExternalKind::Func:
      return "function";
    case wabt::ExternalKind::Table:
      return "table";
    case wabt::ExternalKind::Memory:
      return "memory";
    case wabt::ExternalKind::Global:
      return "global";
    case wabt::ExternalKind::Tag:
      return "tag";
  }
  return "unknown";
}

Status check_imports(const wabt::Module& module) {
  for (const wabt::Import* import : module.imports) {
    const std::string name = import->module_name + "." + import->field_name;
    if (import->kind() != wabt::ExternalKind::Func)
      return refuse("import " + name + ": " + import_kind_name(import->kind()) + " imports are not allowed");
    const HostSignature* host =
        import->module_name == kHostModule ? find_host_function(import->field_name) : nullptr;
    if (host == nullptr) return refuse("import " + name + " is not a host function");
    const wabt::FuncDeclaration& decl = wabt::cast<wabt::FuncImport>(import)->func.decl;
    const wabt::FuncType* type = decl.has_func_type ? module.GetFuncType(decl.type_var) : nullptr;
    const wabt::FuncSignature& sig = type != nullptr ? type->sig : decl.sig;
    if (!same_type(sig, *host))
      return refuse("import " + name + ": type " + type_text(sig) + " is not the host function's " +
                    host_type_text(*host));
  }
  return {};
}

Status check_memory(const wabt::Module& module) {
  if (module.memories.size() != 1)
    return refuse("memory: a contract defines exactly one memory, not " +
                  std::to_string(module.memories.size()));
  const wabt::Limits& limits = module.memories[0]->page_limits;
  if (limits.initial > kMaxMemoryPages)
    return refuse("memory: " + std::to_string(limits.initial) + " pages > " +
                  std::to_string(kMaxMemoryPages));
  if (limits.has_max && limits.max > kMaxMemoryPages)
    return refuse("memory: maximum " + std::to_string(limits.max) + " pages > " +
                  std::to_string(kMaxMemoryPages));
  const wabt::Export* exported = module.GetExport(kMemoryExportName);
  if (exported == nullptr || exported->kind != wabt::ExternalKind::Memory)
    return refuse("memory: not exported as \"memory\"");
  return {};
}

Status check_tables(const wabt::Module& module) {
  if (module.tables.size() > kMaxTables)
    return refuse("tables: " + std::to_string(module.tables.size()) + " > " + std::to_string(kMaxTables));
  for (const wabt::Table* table : module.tables) {
    const wabt::Limits& limits = table->elem_limits;
    if (limits.initial > kMaxTableElements)
      return refuse("table: " + std::to_string(limits.initial) + " elements > " +
                    std::to_string(kMaxTableElements));
    if (limits.has_max && limits.max > kMaxTableElements)
      return refuse("table: maximum " + std::to_string(limits.max) + " elements > " +
                    std::to_string(kMaxTableElements));
  }
  return {};
}

Status check_globals(const wabt::Module& module) {
  if (module.globals.size() > kMaxGlobals)
    return refuse("globals: " + std::to_string(module.globals.size()) + " > " + std::to_string(kMaxGlobals));
  for (size_t i = 0; i < module.globals.size(); ++i)
    if (is_float(module.globals[i]->type))
      return refuse("global " + std::to_string(i) + ": floating point type " +
                    module.globals[i]->type.GetName());
  return {};
}

Status check_types(const wabt::Module& module) {
  for (size_t i = 0; i < module.types.size(); ++i) {
    const auto* type = wabt::dyn_cast<wabt::FuncType>(module.types[i]);
    if (type == nullptr) return refuse("type " + std::to_string(i) + ": not a function type");
    const std::string where = "type " + std::to_string(i) + ": ";
    if (type->sig.param_types.size() > kMaxParams)
      return refuse(where + std::to_string(type->sig.param_types.size()) + " parameters > " +
                    std::to_string(kMaxParams));
    if (type->sig.result_types.size() > kMaxParams)
      return refuse(where + std::to_string(type->sig.result_types.size()) + " results > " +
                    std::to_string(kMaxParams));
    for (wabt::Type t : type->sig.param_types)
      if (is_float(t)) return refuse(where + "floating point parameter " + t.GetName());
    for (wabt::Type t : type->sig.result_types)
      if (is_float(t)) return refuse(where + "floating point result " + t.GetName());
  }
  return {};
}

Status check_functions(const wabt::Module& module) {
  const size_t defined = module.funcs.size() - module.num_func_imports;
  if (defined > kMaxFunctions)
    return refuse("functions: " + std::to_string(defined) + " defined > " + std::to_string(kMaxFunctions));
  for (size_t i = module.num_func_imports; i < module.funcs.size(); ++i) {
    const wabt::Func& func = *module.funcs[i];
    // Summed in 64 bits: wabt's own Index (32-bit) sum can wrap on hostile declarations.
    uint64_t locals = func.GetNumParams();
    for (const auto& [type, count] : func.local_types.decls()) {
      locals += count;
      if (is_float(type))
        return refuse("function " + std::to_string(i) + ": floating point local of type " + type.GetName());
    }
    if (locals > kMaxLocals)
      return refuse("function " + std::to_string(i) + ": " + std::to_string(locals) +
                    " locals (parameters included) > " + std::to_string(kMaxLocals));
  }
  return {};
}

Status check_exports(const wabt::Module& module) {
  if (module.exports.size() > kMaxExports)
    return refuse("exports: " + std::to_string(module.exports.size()) + " > " + std::to_string(kMaxExports));
  for (const wabt::Export* exported : module.exports)
    if (exported->name.size() > kMaxExportNameBytes)
      return refuse("export \"" + exported->name + "\": name of " + std::to_string(exported->name.size()) +
                    " bytes > " + std::to_string(kMaxExportNameBytes));
  return {};
}

}  // namespace

wabt::Features contract_features() {
  wabt::Features features;
  features.disable_exceptions();
  features.enable_mutable_globals();
  features.disable_sat_float_to_int();
  features.enable_sign_extension();
  features.disable_simd();
  features.disable_threads();
  features.disable_function_references();
  features.enable_multi_value();
  features.disable_tail_call();
  features.disable_bulk_memory();
  features.disable_reference_types();
  features.disable_annotations();
  features.disable_code_metadata();
  features.disable_gc();
  features.disable_memory64();
  features.disable_multi_memory();
  features.disable_extended_const();
  features.disable_relaxed_simd();
  return features;
}

Status scan_code(ByteSpan code) {
  if (code.size() > kMaxCodeBytes)
    return refuse("code: " + std::to_string(code.size()) + " bytes > " + std::to_string(kMaxCodeBytes));
  const wabt::ReadBinaryOptions strict_options(contract_features(), nullptr, false, true, true);
  Scanner strict(false);
  const wabt::Result read = wabt::ReadBinary(code.data(), code.size(), &strict, strict_options);
  if (strict.rule_error()) return refuse(*strict.rule_error());
  if (wabt::Succeeded(read)) return {};

  // A decoding error: if a post-MVP instruction caused it, say which.
  const wabt::ReadBinaryOptions naming_options(naming_features(), nullptr, false, true, true);
  Scanner naming(true);
  (void)wabt::ReadBinary(code.data(), code.size(), &naming, naming_options);
  if (naming.rule_error()) return refuse(*naming.rule_error());

  std::string message = "malformed module";
  if (strict.decode_error()) {
    message += " at byte " + std::to_string(strict.decode_error()->loc.offset) + ": " +
               strict.decode_error()->message;
  }
  return refuse(std::move(message));
}

Status check_module(const wabt::Module& module) {
  CAIRN_TRY_STATUS(check_imports(module));
  CAIRN_TRY_STATUS(check_memory(module));
  CAIRN_TRY_STATUS(check_tables(module));
  CAIRN_TRY_STATUS(check_globals(module));
  CAIRN_TRY_STATUS(check_types(module));
  CAIRN_TRY_STATUS(check_functions(module));
  CAIRN_TRY_STATUS(check_exports(module));
  if (module.data_segments.size() > kMaxDataSegments)
    return refuse("data segments: " + std::to_string(module.data_segments.size()) + " > " +
                  std::to_string(kMaxDataSegments));
  return {};
}

}  // namespace cairn::contracts
