#pragma once

#include <iosfwd>

#include "primitives/network.h"

namespace cairn::app {

// Walks through Cairn's formats end to end: two wallets' keys, a chain-start block whose
// coinbase pays Alice, a transaction from Alice to Bob and to a 2-of-2 multisig lock,
// signed per input and verified by the consensus lock evaluator, a block that includes it
// with its tx, witness, vote and state roots, and a tampered copy that fails to verify.
// Returns the process exit status.
int run_demo(Network net, bool json, std::ostream& out, std::ostream& err);

}  // namespace cairn::app
