// A read view of unspent coins: what transaction validation asks "is this outpoint unspent,
// and what is it?". Implemented by the UTXO cache over the chain state and by the mempool's
// view (chain coins plus outputs of pool transactions, minus what pool transactions spend).
#pragma once

#include <optional>

#include "primitives/coin.h"
#include "primitives/transaction.h"
#include "util/result.h"

namespace cairn {

class CoinView {
 public:
  virtual ~CoinView() = default;
  // The unspent coin at `outpoint`, nullopt when it does not exist or is spent; an Error
  // only when the view's storage failed.
  virtual Result<std::optional<Coin>> get_coin(const OutPoint& outpoint) const = 0;
};

}  // namespace cairn
