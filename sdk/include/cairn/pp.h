// Preprocessor helpers for the method and event macros (contract.h, events.h): apply a
// macro to each of up to 12 parenthesised parameters, as statements or as a comma list.
#pragma once

#define CAIRN_PP_CAT(a, b) CAIRN_PP_CAT_(a, b)
#define CAIRN_PP_CAT_(a, b) a##b

#define CAIRN_PP_NARGS(...) \
  CAIRN_PP_NARGS_(__VA_ARGS__ __VA_OPT__(, ) 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define CAIRN_PP_NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, N, ...) N

// CAIRN_PP_EACH(M, a, b) -> M(a) M(b)
#define CAIRN_PP_EACH(M, ...) \
  CAIRN_PP_CAT(CAIRN_PP_EACH_, CAIRN_PP_NARGS(__VA_ARGS__))(M __VA_OPT__(, ) __VA_ARGS__)
#define CAIRN_PP_EACH_0(M)
#define CAIRN_PP_EACH_1(M, a) M(a)
#define CAIRN_PP_EACH_2(M, a, ...) M(a) CAIRN_PP_EACH_1(M, __VA_ARGS__)
#define CAIRN_PP_EACH_3(M, a, ...) M(a) CAIRN_PP_EACH_2(M, __VA_ARGS__)
#define CAIRN_PP_EACH_4(M, a, ...) M(a) CAIRN_PP_EACH_3(M, __VA_ARGS__)
#define CAIRN_PP_EACH_5(M, a, ...) M(a) CAIRN_PP_EACH_4(M, __VA_ARGS__)
#define CAIRN_PP_EACH_6(M, a, ...) M(a) CAIRN_PP_EACH_5(M, __VA_ARGS__)
#define CAIRN_PP_EACH_7(M, a, ...) M(a) CAIRN_PP_EACH_6(M, __VA_ARGS__)
#define CAIRN_PP_EACH_8(M, a, ...) M(a) CAIRN_PP_EACH_7(M, __VA_ARGS__)
#define CAIRN_PP_EACH_9(M, a, ...) M(a) CAIRN_PP_EACH_8(M, __VA_ARGS__)
#define CAIRN_PP_EACH_10(M, a, ...) M(a) CAIRN_PP_EACH_9(M, __VA_ARGS__)
#define CAIRN_PP_EACH_11(M, a, ...) M(a) CAIRN_PP_EACH_10(M, __VA_ARGS__)
#define CAIRN_PP_EACH_12(M, a, ...) M(a) CAIRN_PP_EACH_11(M, __VA_ARGS__)

// CAIRN_PP_LIST(M, a, b) -> M(a), M(b)
#define CAIRN_PP_LIST(M, ...) \
  CAIRN_PP_CAT(CAIRN_PP_LIST_, CAIRN_PP_NARGS(__VA_ARGS__))(M __VA_OPT__(, ) __VA_ARGS__)
#define CAIRN_PP_LIST_0(M)
#define CAIRN_PP_LIST_1(M, a) M(a)
#define CAIRN_PP_LIST_2(M, a, ...) M(a), CAIRN_PP_LIST_1(M, __VA_ARGS__)
#define CAIRN_PP_LIST_3(M, a, ...) M(a), CAIRN_PP_LIST_2(M, __VA_ARGS__)
#define CAIRN_PP_LIST_4(M, a, ...) M(a), CAIRN_PP_LIST_3(M, __VA_ARGS__)
#define CAIRN_PP_LIST_5(M, a, ...) M(a), CAIRN_PP_LIST_4(M, __VA_ARGS__)
#define CAIRN_PP_LIST_6(M, a, ...) M(a), CAIRN_PP_LIST_5(M, __VA_ARGS__)
#define CAIRN_PP_LIST_7(M, a, ...) M(a), CAIRN_PP_LIST_6(M, __VA_ARGS__)
#define CAIRN_PP_LIST_8(M, a, ...) M(a), CAIRN_PP_LIST_7(M, __VA_ARGS__)
#define CAIRN_PP_LIST_9(M, a, ...) M(a), CAIRN_PP_LIST_8(M, __VA_ARGS__)
#define CAIRN_PP_LIST_10(M, a, ...) M(a), CAIRN_PP_LIST_9(M, __VA_ARGS__)
#define CAIRN_PP_LIST_11(M, a, ...) M(a), CAIRN_PP_LIST_10(M, __VA_ARGS__)
#define CAIRN_PP_LIST_12(M, a, ...) M(a), CAIRN_PP_LIST_11(M, __VA_ARGS__)
