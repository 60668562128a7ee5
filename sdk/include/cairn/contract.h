// The Cairn contract SDK (docs/contracts.md §9): include this one header.
//
//   #include <cairn/contract.h>
//   inline constexpr cairn::Map<cairn::Account, uint64_t> balances{"balances"};
//   CAIRN_INIT((uint64_t, supply)) { balances.set(cairn::caller(), supply); }
//   CAIRN_VIEW(balance_of, uint64_t, (cairn::Account, who)) { return balances.get(who); }
//
// A method is a WebAssembly export of type () -> () named as the method: its name is the
// selector. The macros decode the call's input as the canonical encoding of the parameters
// in order (strictly: leftovers abort), run the body, and set the return data to the
// canonical encoding of the result (nothing for void):
//
//   CAIRN_INIT(params...)              the constructor (export `init`), may receive value
//   CAIRN_METHOD(name, R, params...)   mutates state; aborts if value is sent
//   CAIRN_PAYABLE(name, R, params...)  mutates state and may receive value
//   CAIRN_VIEW(name, R, params...)     read-only: storage writes, events, transfers and
//                                      nested calls abort; aborts if value is sent
//
// with each parameter written (Type, name). Types with a comma need an alias. Method names:
// 1..64 bytes of [a-z0-9_], not starting with a digit, not `init`, not starting `cairn_`.
//
// Compiled for wasm32 the macros define the exports; compiled natively with -DCAIRN_ABI_GEN
// they register the methods and events and main() prints the ABI JSON (abi_gen.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cairn/abi.h"
#include "cairn/access.h"
#include "cairn/core.h"
#include "cairn/env.h"
#include "cairn/events.h"
#include "cairn/host.h"
#include "cairn/memory.h"
#include "cairn/pp.h"
#include "cairn/storage.h"

#ifdef CAIRN_ABI_GEN
#include "cairn/abi_gen.h"
#endif

namespace cairn {

// ---- Method plumbing (used by the macros) ------------------------------------------------

namespace detail {

enum class MethodKind { init, mutates, payable, view };

consteval bool is_method_name(const char* s, bool constructor) {
  uint32_t n = 0;
  for (; s[n] != 0; ++n) {
    char c = s[n];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  if (n < 1 || n > 64 || (s[0] >= '0' && s[0] <= '9')) return false;
  bool is_init = n == 4 && s[0] == 'i' && s[1] == 'n' && s[2] == 'i' && s[3] == 't';
  bool is_cairn =
      n >= 6 && s[0] == 'c' && s[1] == 'a' && s[2] == 'i' && s[3] == 'r' && s[4] == 'n' && s[5] == '_';
  bool is_memory =
      n == 6 && s[0] == 'm' && s[1] == 'e' && s[2] == 'm' && s[3] == 'o' && s[4] == 'r' && s[5] == 'y';
  return constructor ? is_init : !is_init && !is_cairn && !is_memory;
}

// Every method's start: refuses value unless payable, marks read-only methods, and reads
// the call's input. One function for all methods (not inlined): deploys pay per code byte.
[[gnu::noinline]] inline Reader begin(MethodKind kind) {
  if (kind == MethodKind::mutates || kind == MethodKind::view)
    require(host::value() == 0, "method is not payable");
  in_view = kind == MethodKind::view;
  uint32_t n = static_cast<uint32_t>(host::input_size());
  auto* data = static_cast<uint8_t*>(alloc(n));
  if (n != 0) host::input_copy(data);
  return Reader(data, n);
}

template <class R>
struct Returner {
  template <class F>
  static void run(F&& f) {
    Writer w;
    Codec<R>::encode(w, f());
    host::set_return(w.data(), static_cast<int32_t>(w.size()));
  }
};
template <>
struct Returner<void> {
  template <class F>
  static void run(F&& f) {
    f();
  }
};

}  // namespace detail
}  // namespace cairn

#define CAIRN_PARAM_DECL_(p) CAIRN_PARAM_DECL_2 p
#define CAIRN_PARAM_DECL_2(T, n) T n
#define CAIRN_PARAM_READ_(p) CAIRN_PARAM_READ_2 p
#define CAIRN_PARAM_READ_2(T, n) T n = ::cairn::Codec<T>::decode(cairn_input);
#define CAIRN_PARAM_NAME_(p) CAIRN_PARAM_NAME_2 p
#define CAIRN_PARAM_NAME_2(T, n) n

#ifdef CAIRN_ABI_GEN
#define CAIRN_PARAM_ABI_(p) CAIRN_PARAM_ABI_2 p
#define CAIRN_PARAM_ABI_2(T, n) ::cairn::abi_gen::param<T>(#n, false)
#define CAIRN_DEFINE_METHOD(selector, fn, kind, R, ...)                                       \
  [[maybe_unused]] static R cairn_method_##fn(CAIRN_PP_LIST(CAIRN_PARAM_DECL_, __VA_ARGS__)); \
  static ::cairn::abi_gen::MethodRegistrar cairn_method_registrar_##fn{                       \
      selector,                                                                               \
      ::cairn::abi_gen::Kind::kind,                                                           \
      ::cairn::abi_gen::output_of<R>(),                                                       \
      {CAIRN_PP_LIST(CAIRN_PARAM_ABI_, __VA_ARGS__)}};                                        \
  static R cairn_method_##fn(CAIRN_PP_LIST(CAIRN_PARAM_DECL_, __VA_ARGS__))
#else
#define CAIRN_DEFINE_METHOD(selector, fn, kind, R, ...)                                           \
  static R cairn_method_##fn(CAIRN_PP_LIST(CAIRN_PARAM_DECL_, __VA_ARGS__));                      \
  extern "C" __attribute__((export_name(selector))) void cairn_export_##fn() {                    \
    ::cairn::Reader cairn_input = ::cairn::detail::begin(::cairn::detail::MethodKind::kind);      \
    CAIRN_PP_EACH(CAIRN_PARAM_READ_, __VA_ARGS__)                                                 \
    cairn_input.finish();                                                                         \
    ::cairn::detail::Returner<R>::run(                                                            \
        [&]() -> R { return cairn_method_##fn(CAIRN_PP_LIST(CAIRN_PARAM_NAME_, __VA_ARGS__)); }); \
  }                                                                                               \
  static R cairn_method_##fn(CAIRN_PP_LIST(CAIRN_PARAM_DECL_, __VA_ARGS__))
#endif

#define CAIRN_CHECKED_METHOD(name, kind, R, ...)                                                   \
  static_assert(::cairn::detail::is_method_name(#name, false),                                     \
                "method names are 1..64 bytes of [a-z0-9_], not starting with a digit, not init, " \
                "memory or cairn_*");                                                              \
  CAIRN_DEFINE_METHOD(#name, name, kind, R __VA_OPT__(, ) __VA_ARGS__)

#define CAIRN_INIT(...) CAIRN_DEFINE_METHOD("init", init, init, void __VA_OPT__(, ) __VA_ARGS__)
#define CAIRN_METHOD(name, R, ...) CAIRN_CHECKED_METHOD(name, mutates, R __VA_OPT__(, ) __VA_ARGS__)
#define CAIRN_PAYABLE(name, R, ...) CAIRN_CHECKED_METHOD(name, payable, R __VA_OPT__(, ) __VA_ARGS__)
#define CAIRN_VIEW(name, R, ...) CAIRN_CHECKED_METHOD(name, view, R __VA_OPT__(, ) __VA_ARGS__)
