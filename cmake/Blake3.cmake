# BLAKE3 from the official C sources that Debian's librust-blake3-dev installs, with the
# x86-64 SIMD assembly; elsewhere the portable C path (the dispatcher picks at run time).
file(GLOB BLAKE3_CANDIDATES LIST_DIRECTORIES true /usr/share/cargo/registry/blake3-*/c)
list(SORT BLAKE3_CANDIDATES COMPARE NATURAL ORDER DESCENDING)
list(GET BLAKE3_CANDIDATES 0 BLAKE3_C_DIR)
if(NOT EXISTS "${BLAKE3_C_DIR}/blake3.h")
  message(FATAL_ERROR "BLAKE3 C sources not found: install librust-blake3-dev (scripts/setup.sh)")
endif()
message(STATUS "BLAKE3 sources: ${BLAKE3_C_DIR}")

set(blake3_sources ${BLAKE3_C_DIR}/blake3.c ${BLAKE3_C_DIR}/blake3_dispatch.c ${BLAKE3_C_DIR}/blake3_portable.c)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  list(APPEND blake3_sources
    ${BLAKE3_C_DIR}/blake3_sse2_x86-64_unix.S ${BLAKE3_C_DIR}/blake3_sse41_x86-64_unix.S
    ${BLAKE3_C_DIR}/blake3_avx2_x86-64_unix.S ${BLAKE3_C_DIR}/blake3_avx512_x86-64_unix.S)
  set(blake3_defs "")
else()
  set(blake3_defs BLAKE3_NO_SSE2 BLAKE3_NO_SSE41 BLAKE3_NO_AVX2 BLAKE3_NO_AVX512)
endif()
add_library(blake3 STATIC ${blake3_sources})
target_compile_definitions(blake3 PRIVATE ${blake3_defs})
# The assembly is the reference code; no sanitizer or fuzzer instrumentation inside it.
set_source_files_properties(${blake3_sources} PROPERTIES COMPILE_OPTIONS "-fno-sanitize=all")
target_include_directories(blake3 SYSTEM PUBLIC ${BLAKE3_C_DIR})
set_target_properties(blake3 PROPERTIES POSITION_INDEPENDENT_CODE ON)
