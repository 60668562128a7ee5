// What the wallet asks of a node: an address's coins and history (cairnd's address
// index), a fee estimate, the tip height, and broadcasting. `cairn` implements it over
// JSON-RPC (apps/cairn); tests implement it in memory. The wallet layer itself does no
// network I/O, so everything above it is testable without a node.
//
// Implementations need not be thread-safe: the wallet calls them from one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/fee_rate.h"
#include "primitives/transaction.h"
#include "util/result.h"

namespace cairn::wallet {

// An unspent output of the best chain (address_get_utxos).
struct Utxo {
  OutPoint outpoint;
  TxOut output;
  uint64_t height = 0;  // of the block that created it
  bool coinbase = false;
  bool mature = true;  // whether the next block may spend it
};

// One output paid to an address, and who spent it (address_get_history).
struct HistoryEntry {
  OutPoint outpoint;
  Amount value = 0;
  uint64_t height = 0;
  bool coinbase = false;
  struct Spend {
    Txid txid;
    uint32_t input = 0;
    uint64_t height = 0;
  };
  std::optional<Spend> spent;
};

class ChainSource {
 public:
  virtual ~ChainSource() = default;
  // Every unspent output paid to `address` (all pages).
  virtual Result<std::vector<Utxo>> utxos(const std::string& address) = 0;
  // Every output ever paid to `address`, oldest first (all pages).
  virtual Result<std::vector<HistoryEntry>> history(const std::string& address) = 0;
  // A fee rate likely to confirm within `target_blocks` (tx_estimate_fee).
  virtual Result<FeeRate> estimate_fee(uint32_t target_blocks) = 0;
  virtual Result<uint64_t> tip_height() = 0;
  // Offers `tx` to the node's mempool (tx_send_raw); its txid, or the node's refusal.
  virtual Result<Txid> broadcast(const Transaction& tx) = 0;
  // Whether `txid` is in the node's mempool (pending spends are forgotten once neither
  // there nor confirmed).
  virtual Result<bool> in_mempool(const Txid& txid) = 0;
};

}  // namespace cairn::wallet
