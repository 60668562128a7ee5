# Building Cairn contracts (docs/contracts.md §9): C++ sources with the SDK (sdk/include)
# compiled by Debian's clang-14 for wasm32 and linked by wasm-ld-14 into <name>.wasm, and the
# same sources compiled natively with -DCAIRN_ABI_GEN into a printer whose output is
# <name>.abi.json. Plain commands, so `cairn contract build` can run the same steps.
#
#   cairn_add_contract(<name> SOURCES <file>...)
#
# makes the target contract_<name> (in `all`) producing, in the current binary
# dir, <name>.wasm and <name>.abi.json; the target's properties CAIRN_WASM and CAIRN_ABI
# hold their paths. Without clang++-14 / wasm-ld-14 CAIRN_CONTRACTS_ENABLED is OFF and the
# function does nothing.

find_program(CAIRN_WASM_CXX NAMES clang++-14 DOC "clang for --target=wasm32 and the ABI printer")
find_program(CAIRN_WASM_LD NAMES wasm-ld-14 DOC "wasm-ld (Debian package lld-14)")
if(CAIRN_WASM_CXX AND CAIRN_WASM_LD)
  set(CAIRN_CONTRACTS_ENABLED ON)
else()
  set(CAIRN_CONTRACTS_ENABLED OFF)
  message(STATUS "contracts: clang-14 or wasm-ld-14 not found; examples are not built")
endif()

set(CAIRN_SDK_INCLUDE_DIR ${CMAKE_CURRENT_LIST_DIR}/../sdk/include)
cmake_path(NORMAL_PATH CAIRN_SDK_INCLUDE_DIR)

# docs/contracts.md §4: MVP + mutable globals + sign extension; no bulk memory, reference
# types, SIMD or multi-value ABI; no libc, exceptions or RTTI. The SDK declares memcpy and
# friends, so clang's calls to them resolve inside the module.
set(CAIRN_CONTRACT_CXX_FLAGS
    --target=wasm32 -std=c++20 -Oz -nostdlib -ffreestanding -fno-exceptions -fno-rtti
    -fno-threadsafe-statics -mcpu=mvp -mmutable-globals -msign-ext -mno-bulk-memory
    -mno-reference-types -mno-simd128 -mno-multivalue -mno-nontrapping-fptoint
    -Wall -Wextra)
# --no-entry: a library of exports (the methods, marked export_name by the SDK); memory is
# exported as "memory"; 64 KiB stack; at most 32 pages (2 MiB); no name section.
set(CAIRN_CONTRACT_LD_FLAGS
    --no-entry --strip-all --gc-sections -z stack-size=65536 --max-memory=2097152)
# The native ABI printer: no warnings about a contract's code compiled for a host it never
# runs on matter here, errors do.
set(CAIRN_CONTRACT_ABI_FLAGS -std=c++20 -O0 -DCAIRN_ABI_GEN)

function(cairn_add_contract name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  if(NOT CAIRN_CONTRACTS_ENABLED)
    return()
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "cairn_add_contract(${name}): SOURCES is required")
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR})
  set(objects "")
  set(abs_sources "")
  foreach(src IN LISTS ARG_SOURCES)
    cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} OUTPUT_VARIABLE abs)
    cmake_path(GET abs STEM stem)
    set(obj ${out}/${name}.dir/${stem}.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out}/${name}.dir
      COMMAND ${CAIRN_WASM_CXX} ${CAIRN_CONTRACT_CXX_FLAGS} -I${CAIRN_SDK_INCLUDE_DIR} -MD -MF ${obj}.d
              -c ${abs} -o ${obj}
      DEPENDS ${abs}
      DEPFILE ${obj}.d
      COMMENT "Compiling contract ${name}: ${src} (wasm32)"
      VERBATIM)
    list(APPEND objects ${obj})
    list(APPEND abs_sources ${abs})
  endforeach()
  add_custom_command(
    OUTPUT ${out}/${name}.wasm
    COMMAND ${CAIRN_WASM_LD} ${CAIRN_CONTRACT_LD_FLAGS} ${objects} -o ${out}/${name}.wasm
    DEPENDS ${objects}
    COMMENT "Linking contract ${name}.wasm"
    VERBATIM)
  add_custom_command(
    OUTPUT ${out}/${name}.abi.json
    COMMAND ${CAIRN_WASM_CXX} ${CAIRN_CONTRACT_ABI_FLAGS} "-DCAIRN_CONTRACT_NAME=\"${name}\""
            -I${CAIRN_SDK_INCLUDE_DIR} -MD -MF ${out}/${name}.dir/abi.d ${abs_sources}
            -o ${out}/${name}.dir/abi_printer
    COMMAND ${out}/${name}.dir/abi_printer ${out}/${name}.abi.json
    DEPENDS ${abs_sources} ${out}/${name}.wasm
    DEPFILE ${out}/${name}.dir/abi.d
    COMMENT "Writing contract ABI ${name}.abi.json"
    VERBATIM)
  add_custom_target(contract_${name} ALL DEPENDS ${out}/${name}.wasm ${out}/${name}.abi.json)
  set_target_properties(contract_${name} PROPERTIES CAIRN_WASM ${out}/${name}.wasm CAIRN_ABI ${out}/${name}.abi.json)
endfunction()
