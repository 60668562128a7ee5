// A coin: an unspent output with the facts about its creation that spending rules need,
// and its element in the state commitment (crypto/lthash.h).
#pragma once

#include <cstdint>

#include "primitives/transaction.h"
#include "util/codec.h"

namespace cairn {

struct Coin {
  TxOut output;
  uint64_t height = 0;    // height of the block that created it
  bool coinbase = false;  // created by a coinbase (subject to maturity)
  bool operator==(const Coin&) const = default;
};

// DO NOT CHANGE THESE VALUES: the first byte of every state element (docs/consensus.md §12).
enum class StateElementKind : uint8_t {
  utxo = 1,
  validator = 2,         // a validator record (primitives/staking.h)
  finality = 3,          // the finality state (consensus/staking.h)
  contract = 4,          // a contract record (primitives/contract.h)
  contract_storage = 5,  // one storage entry of a contract
};

void encode(Writer& w, const Coin& coin);
Coin decode_coin(Reader& r);

// The bytes the state root commits to for one unspent output:
//   kind u8 (= 1) ‖ OutPoint ‖ TxOut ‖ height u64 ‖ coinbase u8
Bytes utxo_state_element(const OutPoint& outpoint, const Coin& coin);

}  // namespace cairn
