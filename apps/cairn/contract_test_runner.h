// `cairn contract test WASM --abi FILE --script FILE.json [--trace]`: runs a JSON script of
// steps against contracts::LocalChain in this process (the node's engine, gas schedule and
// executor) and prints each step's status, gas, decoded return value and events, and
// debug_log output; with --trace every host call with the gas before and after.
//
// Script:
//   {"steps": [
//     {"deploy": {"from": "alice", "args": [...], "value": 0, "gas": N, "salt": HEX,
//                 "admin": "alice"}},            // the deployed contract is "@contract"
//     {"call": {"from": "bob", "method": "transfer", "args": ["@alice", 5], "value": 0}},
//     {"query": {"method": "balance_of", "args": ["@alice"]}},
//     {"upgrade": {"from": "alice", "wasm": PATH}},  // default: the same WASM again
//     {"next_block": {"seconds": 120}}
//   ]}
// Any step may carry "expect": {"status": "aborted", "result": VALUE, "message": TEXT
// (a substring), "events": N}. Named accounts: "@name" in args (and "from"/"admin") is
// the key account whose hash is BLAKE3("cairn test account " ‖ name), written as an
// address; "@contract" is the deployed contract; "from" defaults to "deployer". "value" is
// in base units, "gas" defaults to 10,000,000. A step without "expect" must succeed. Exit
// status 1 when an expectation fails.
//
// Not thread-safe.
#pragma once

#include <iosfwd>

#include "contract_commands.h"
#include "primitives/network.h"

namespace cairn::app {

int run_contract_test(const ContractOptions& options, Network net, bool json, std::ostream& out,
                      std::ostream& err);

}  // namespace cairn::app
