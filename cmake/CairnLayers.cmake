# The layers of DESIGN.md, lowest first. A layer may link only layers that come before it
# in this list; cairn_add_layer() refuses anything else at configure time, and
# tests/layering_test.py checks that #include lines obey the same order.
set(CAIRN_LAYERS util crypto primitives consensus storage contracts chain net rpc wallet node)

# cairn_add_layer(<layer> SOURCES ... [DEPS <lower layers>...] [LIBS <third-party>...]
#                 [PCH <heavy third-party headers>...])
# PCH lists headers to precompile for the layer's own sources: the heavy ones (Boost.Asio,
# Beast, RocksDB, CLI11) that many files of the layer include.
function(cairn_add_layer layer)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LIBS;PCH" ${ARGN})
  list(FIND CAIRN_LAYERS ${layer} own_level)
  if(own_level EQUAL -1)
    message(FATAL_ERROR "cairn_add_layer: '${layer}' is not a layer of DESIGN.md")
  endif()
  if(NOT ARG_SOURCES)
    # A layer whose issue has not landed yet: nothing to build, and nothing may link it.
    message(STATUS "layer ${layer}: no sources yet")
    return()
  endif()
  foreach(dep IN LISTS ARG_DEPS)
    list(FIND CAIRN_LAYERS ${dep} dep_level)
    if(dep_level EQUAL -1 OR NOT dep_level LESS own_level)
      message(FATAL_ERROR "layer '${layer}' may not depend on '${dep}': layers depend downward only (DESIGN.md)")
    endif()
  endforeach()
  add_library(cairn_${layer} STATIC ${ARG_SOURCES})
  add_library(cairn::${layer} ALIAS cairn_${layer})
  target_include_directories(cairn_${layer} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  list(TRANSFORM ARG_DEPS PREPEND cairn_ OUTPUT_VARIABLE dep_targets)
  target_link_libraries(cairn_${layer} PUBLIC ${dep_targets} ${ARG_LIBS} PRIVATE cairn_flags)
  if(ARG_PCH)
    target_precompile_headers(cairn_${layer} PRIVATE ${ARG_PCH})
  endif()
endfunction()
