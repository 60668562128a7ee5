// Helpers for fuzz targets. A target's contract: never crash, never leak, and for decoders
// decode -> encode -> decode must reproduce the input bytes exactly (canonical encoding).
#pragma once

#include <cstdio>
#include <cstdlib>

// An always-on check (fuzz builds may define NDEBUG).
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)
