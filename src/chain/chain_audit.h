// A full consistency check of a chain state store at its tip: what an operator runs after
// a crash or a disk scare (`cairnd --check-chain`), and what the kill test runs after every
// restart of a real cairnd.
//
// It recomputes the state root from the `utxo` and `stake` columns (the LtHash of every
// coin, validator record and the finality state must give the tip header's state_root: the
// state is exactly the one the chain commits to), and
// cross-checks the indexes against it and against the best chain's stored blocks: every
// coin has its unspent address entry and every unspent address entry its coin; every
// tx_index entry points into the best chain, and every transaction of every stored block
// of the best chain is indexed at its position.
//
// Reads only; O(state + stored chain). Not thread-safe with respect to the manager: run it
// on the chain's thread, or on a store no manager is writing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chain/chain_manager.h"
#include "storage/kv.h"

namespace cairn {

struct ChainAudit {
  // The first problems found, at most kMaxProblems of them; empty when the state is sound.
  static constexpr size_t kMaxProblems = 100;

  uint64_t height = 0;
  BlockHash tip;
  uint64_t coins = 0;
  uint64_t validators = 0;  // records in the stake state (slashed tombstones included)
  uint64_t contracts = 0;
  uint64_t indexed_transactions = 0;
  uint64_t address_entries = 0;
  uint64_t blocks_checked = 0;   // best-chain blocks whose bodies were read
  uint64_t blocks_pruned = 0;    // best-chain blocks whose bodies are gone
  uint64_t replayed_blocks = 0;  // by audit_by_replay
  std::vector<std::string> problems;
  uint64_t problems_total = 0;

  bool ok() const { return problems_total == 0; }
  void problem(std::string what);
};

// An Error only when the store cannot be read; inconsistencies are ChainAudit::problems.
Result<ChainAudit> audit_chain_state(const KvReader& store, const ChainManager& manager);

// The deeper check: rebuilds the chain state from the best chain's stored blocks alone —
// each submitted again, under `rules`, to a fresh manager over an in-memory store — and
// compares the rebuilt UTXO set, indexes, stake and contract state with `store`'s, entry
// by entry.
// Needs every body (an archive node: a pruned one gets a problem saying so) and memory for
// the whole state. Adds its findings to `audit` (replayed_blocks, problems).
Status audit_by_replay(const KvReader& store, const ChainManager& manager, const ChainRules& rules,
                       ChainAudit& audit);

}  // namespace cairn
