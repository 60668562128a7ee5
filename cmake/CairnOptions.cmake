# Compiler flags for Cairn's own targets (third-party code compiles without them).
add_library(cairn_flags INTERFACE)
target_compile_options(cairn_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough
  # GCC 12 reports false null dereferences inside Boost 1.74's Asio scheduler once it is
  # inlined into our coroutines; targets that run an io_context set CAIRN_USES_ASIO.
  $<$<OR:$<NOT:$<CXX_COMPILER_ID:GNU>>,$<NOT:$<BOOL:$<TARGET_PROPERTY:CAIRN_USES_ASIO>>>>:-Wnull-dereference>
  $<$<BOOL:${CAIRN_WERROR}>:-Werror>)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # Clang's thread-safety analysis checks the GUARDED_BY / REQUIRES annotations.
  target_compile_options(cairn_flags INTERFACE -Wthread-safety)
  # Boost 1.74's Asio does not detect coroutines with clang 14 + libstdc++ (DESIGN.md).
  target_compile_definitions(cairn_flags INTERFACE BOOST_ASIO_HAS_CO_AWAIT BOOST_ASIO_HAS_STD_COROUTINE)
endif()
target_compile_definitions(cairn_flags INTERFACE _GLIBCXX_ASSERTIONS)

if(CAIRN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14's -fsanitize=function cannot compile coroutines ("Cannot represent a
    # difference across sections", LLVM bug 49689).
    add_compile_options(-fno-sanitize=function)
  endif()
  add_link_options(-fsanitize=address,undefined)
endif()
if(CAIRN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CAIRN_FUZZ needs clang (libFuzzer)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
