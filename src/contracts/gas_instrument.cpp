#include "contracts/gas_instrument.h"

#include <iterator>
#include <memory>
#include <utility>

#include <wabt/cast.h>
#include <wabt/ir.h>

#include "consensus/contract_rules.h"
#include "contracts/module_rules.h"

namespace cairn::contracts {
namespace {

wabt::Var index_var(wabt::Index index) { return wabt::Var(index, wabt::Location()); }

std::unique_ptr<wabt::Expr> i32_const(uint32_t value) {
  return std::make_unique<wabt::ConstExpr>(wabt::Const::I32(value));
}
std::unique_ptr<wabt::Expr> i64_const(uint64_t value) {
  return std::make_unique<wabt::ConstExpr>(wabt::Const::I64(value));
}
std::unique_ptr<wabt::Expr> global_get(wabt::Index index) {
  return std::make_unique<wabt::GlobalGetExpr>(index_var(index));
}
std::unique_ptr<wabt::Expr> global_set(wabt::Index index) {
  return std::make_unique<wabt::GlobalSetExpr>(index_var(index));
}
std::unique_ptr<wabt::Expr> local_get(wabt::Index index) {
  return std::make_unique<wabt::LocalGetExpr>(index_var(index));
}
std::unique_ptr<wabt::Expr> call(wabt::Index function) {
  return std::make_unique<wabt::CallExpr>(index_var(function));
}
std::unique_ptr<wabt::Expr> binary(wabt::Opcode opcode) { return std::make_unique<wabt::BinaryExpr>(opcode); }
std::unique_ptr<wabt::Expr> compare(wabt::Opcode opcode) {
  return std::make_unique<wabt::CompareExpr>(opcode);
}

// The index of a function type with `sig`, appending one when the module has none.
wabt::Index ensure_type(wabt::Module& module, const wabt::FuncSignature& sig) {
  for (wabt::Index i = 0; i < module.types.size(); ++i) {
    const auto* type = wabt::dyn_cast<wabt::FuncType>(module.types[i]);
    if (type != nullptr && type->sig == sig) return i;
  }
  auto field = std::make_unique<wabt::TypeModuleField>();
  auto type = std::make_unique<wabt::FuncType>();
  type->sig = sig;
  field->type = std::move(type);
  module.AppendField(std::move(field));
  return static_cast<wabt::Index>(module.types.size() - 1);
}

wabt::FuncDeclaration declaration(wabt::Module& module, wabt::TypeVector params, wabt::TypeVector results) {
  wabt::FuncDeclaration decl;
  decl.sig.param_types = std::move(params);
  decl.sig.result_types = std::move(results);
  decl.has_func_type = true;
  decl.type_var = index_var(ensure_type(module, decl.sig));
  return decl;
}

wabt::Index append_global(wabt::Module& module, wabt::Type type, std::unique_ptr<wabt::Expr> init) {
  auto field = std::make_unique<wabt::GlobalModuleField>();
  field->global.type = type;
  field->global.mutable_ = true;
  field->global.init_expr.push_back(std::move(init));
  module.AppendField(std::move(field));
  return static_cast<wabt::Index>(module.globals.size() - 1);
}

wabt::Index append_function(wabt::Module& module, wabt::FuncDeclaration decl, wabt::ExprList body) {
  auto field = std::make_unique<wabt::FuncModuleField>();
  field->func.decl = std::move(decl);
  field->func.exprs = std::move(body);
  module.AppendField(std::move(field));
  return static_cast<wabt::Index>(module.funcs.size() - 1);
}

std::unique_ptr<wabt::Expr> if_then(wabt::ExprList then) {
  auto expr = std::make_unique<wabt::IfExpr>();
  expr->true_.exprs = std::move(then);
  return expr;
}

// charge(amount i64): if gas < amount { gas = kGasExhausted; unreachable } gas -= amount
wabt::Index append_charge(wabt::Module& module, wabt::Index gas) {
  wabt::ExprList exhausted;
  exhausted.push_back(i64_const(kGasExhausted));
  exhausted.push_back(global_set(gas));
  exhausted.push_back(std::make_unique<wabt::UnreachableExpr>());
  wabt::ExprList body;
  body.push_back(global_get(gas));
  body.push_back(local_get(0));
  body.push_back(compare(wabt::Opcode::I64LtU));
  body.push_back(if_then(std::move(exhausted)));
  body.push_back(global_get(gas));
  body.push_back(local_get(0));
  body.push_back(binary(wabt::Opcode::I64Sub));
  body.push_back(global_set(gas));
  return append_function(module, declaration(module, {wabt::Type::I64}, {}), std::move(body));
}

// grow(pages i32) -> i32: charge(kGasPerPage × u64(pages)); memory.grow(pages)
wabt::Index append_grow(wabt::Module& module, wabt::Index charge) {
  wabt::ExprList body;
  body.push_back(local_get(0));
  body.push_back(std::make_unique<wabt::ConvertExpr>(wabt::Opcode::I64ExtendI32U));
  body.push_back(i64_const(kGasPerPage));
  body.push_back(binary(wabt::Opcode::I64Mul));
  body.push_back(call(charge));
  body.push_back(local_get(0));
  body.push_back(std::make_unique<wabt::MemoryGrowExpr>(index_var(0)));
  return append_function(module, declaration(module, {wabt::Type::I32}, {wabt::Type::I32}), std::move(body));
}

uint64_t instruction_cost(const wabt::Expr& expr) {
  switch (expr.type()) {
    case wabt::ExprType::Call:
      return kGasCallInstruction;
    case wabt::ExprType::CallIndirect:
      return kGasCallIndirectInstruction;
    default:
      return kGasInstruction;
  }
}

struct Rewriter {
  bool metering;
  wabt::Index charge = 0;
  wabt::Index grow = 0;

  void insert_charge(wabt::ExprList& list, wabt::ExprList::iterator at, uint64_t cost) const {
    list.insert(at, i64_const(cost));
    list.insert(at, call(charge));
  }

  // Replaces *it by `with`; returns the new element's position.
  static wabt::ExprList::iterator replace(wabt::ExprList& list, wabt::ExprList::iterator it,
                                          std::unique_ptr<wabt::Expr> with) {
    auto fresh = list.insert(it, std::move(with));
    list.extract(it);
    return fresh;
  }

  // Instruments one instruction sequence (a function body, or the body of a block, loop,
  // if or else) `labels` labels deep inside the function's wrapper block.
  void rewrite(wabt::ExprList& list, wabt::Index labels) const {
    auto segment = list.begin();
    uint64_t cost = 0;
    for (auto it = list.begin(); it != list.end(); ++it) {
      cost += instruction_cost(*it);
      bool ends_segment = false;
      switch (it->type()) {
        case wabt::ExprType::Block:
          rewrite(wabt::cast<wabt::BlockExpr>(&*it)->block.exprs, labels + 1);
          ends_segment = true;
          break;
        case wabt::ExprType::Loop:
          rewrite(wabt::cast<wabt::LoopExpr>(&*it)->block.exprs, labels + 1);
          ends_segment = true;
          break;
        case wabt::ExprType::If: {
          auto* expr = wabt::cast<wabt::IfExpr>(&*it);
          rewrite(expr->true_.exprs, labels + 1);
          rewrite(expr->false_, labels + 1);
          ends_segment = true;
          break;
        }
        case wabt::ExprType::Br:
        case wabt::ExprType::BrIf:
        case wabt::ExprType::BrTable:
        case wabt::ExprType::Unreachable:
          ends_segment = true;
          break;
        case wabt::ExprType::Return: {
          // To the wrapper block, whose end counts the frame out.
          const bool starts = segment == it;
          it = replace(list, it, std::make_unique<wabt::BrExpr>(index_var(labels)));
          if (starts) segment = it;
          ends_segment = true;
          break;
        }
        case wabt::ExprType::MemoryGrow:
          if (metering) {
            const bool starts = segment == it;
            it = replace(list, it, call(grow));
            if (starts) segment = it;
          }
          break;
        default:
          break;
      }
      if (ends_segment) {
        if (metering && cost > 0) insert_charge(list, segment, cost);
        cost = 0;
        segment = std::next(it);
      }
    }
    if (metering && cost > 0) insert_charge(list, segment, cost);
  }

  // depth check and count-in; the body in a block; count-out.
  static void wrap(wabt::Module& module, wabt::Func& func, wabt::Index depth) {
    auto block = std::make_unique<wabt::BlockExpr>();
    const wabt::TypeVector& results = func.decl.sig.result_types;
    if (results.size() <= 1)
      block->block.decl.sig.result_types = results;
    else
      block->block.decl = declaration(module, {}, results);
    block->block.exprs.swap(func.exprs);

    wabt::ExprList exhausted;
    exhausted.push_back(i32_const(kDepthExhausted));
    exhausted.push_back(global_set(depth));
    exhausted.push_back(std::make_unique<wabt::UnreachableExpr>());
    wabt::ExprList& body = func.exprs;
    body.push_back(global_get(depth));
    body.push_back(i32_const(kMaxCallDepth));
    body.push_back(compare(wabt::Opcode::I32GeU));
    body.push_back(if_then(std::move(exhausted)));
    body.push_back(global_get(depth));
    body.push_back(i32_const(1));
    body.push_back(binary(wabt::Opcode::I32Add));
    body.push_back(global_set(depth));
    body.push_back(std::move(block));
    body.push_back(global_get(depth));
    body.push_back(i32_const(1));
    body.push_back(binary(wabt::Opcode::I32Sub));
    body.push_back(global_set(depth));
  }
};

}  // namespace

Instrumentation instrument_module(wabt::Module& module, bool metering) {
  wabt::Limits& pages = module.memories.at(0)->page_limits;
  if (!pages.has_max) {
    pages.has_max = true;
    pages.max = kMaxMemoryPages;
  }

  const size_t original_functions = module.funcs.size();
  Instrumentation result;
  result.gas_global = append_global(module, wabt::Type::I64, i64_const(0));
  result.depth_global = append_global(module, wabt::Type::I32, i32_const(0));

  Rewriter rewriter{metering};
  if (metering) {
    rewriter.charge = append_charge(module, result.gas_global);
    rewriter.grow = append_grow(module, rewriter.charge);
  }
  for (size_t i = module.num_func_imports; i < original_functions; ++i) {
    wabt::Func& func = *module.funcs[i];
    rewriter.rewrite(func.exprs, 0);
    Rewriter::wrap(module, func, result.depth_global);
  }
  return result;
}

}  // namespace cairn::contracts
