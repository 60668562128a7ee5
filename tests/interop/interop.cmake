# libp2p interop against js-libp2p (tests/interop/): Cairn and a js-libp2p peer, started by
# the test as a Node.js child process, dial each other on 127.0.0.1, ping and identify.
# Needs Node.js >= 20 and `npm ci` in tests/interop; the test exits 77 (skipped) without them.
find_program(CAIRN_NODE node)
if(CAIRN_NODE)
  set(cairn_interop_node "${CAIRN_NODE}")
else()
  set(cairn_interop_node "")
endif()

add_executable(libp2p_interop_tests ${CMAKE_CURRENT_LIST_DIR}/libp2p_interop_test.cpp)
target_link_libraries(libp2p_interop_tests PRIVATE cairn::net cairn_test_support GTest::gtest
                      nlohmann_json::nlohmann_json cairn_flags)
target_compile_definitions(libp2p_interop_tests PRIVATE CAIRN_INTEROP_DIR="${CMAKE_CURRENT_LIST_DIR}"
                           CAIRN_NODE_EXECUTABLE="${cairn_interop_node}")
set_target_properties(libp2p_interop_tests PROPERTIES CAIRN_USES_ASIO ON)  # see cmake/CairnOptions.cmake
add_test(NAME interop.libp2p COMMAND libp2p_interop_tests)
set_tests_properties(interop.libp2p PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 180)

# mDNS discovery against js-libp2p's @libp2p/mdns (tests/interop/js_mdns.mjs), both ways, over
# multicast in a private network namespace; mdns_multicast_tests is defined in
# tests/CMakeLists.txt. Skipped (77) without namespaces, Node.js or node_modules.
add_test(NAME interop.mdns
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/../net/run_in_netns.sh $<TARGET_FILE:mdns_multicast_tests>
                 --gtest_filter=MdnsJs.*)
set_tests_properties(interop.mdns PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 120)
