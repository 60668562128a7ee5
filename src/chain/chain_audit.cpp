#include "chain/chain_audit.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "consensus/contract_rules.h"
#include "consensus/staking.h"
#include "crypto/lthash.h"
#include "primitives/coin.h"
#include "primitives/contract.h"
#include "primitives/staking.h"
#include "storage/keys.h"
#include "storage/memory_store.h"
#include "util/clock.h"

namespace cairn {

void ChainAudit::problem(std::string what) {
  ++problems_total;
  if (problems.size() < kMaxProblems) problems.push_back(std::move(what));
}

namespace {

std::string describe(const OutPoint& o) { return o.txid.hex() + ":" + std::to_string(o.index); }

// Adds the stake column's validator records and finality state to `state`.
Status add_stake(const KvReader& store, ChainAudit& audit, LtHash& state) {
  auto it = store.iterator(Column::stake, stake_validator_prefix());
  for (it->seek_to_first(); it->valid(); it->next()) {
    auto record = decode_validator_record(it->value());
    if (!record) {
      audit.problem("stake: undecodable validator record");
      continue;
    }
    ++audit.validators;
    state.add(validator_state_element(*record));
  }
  CAIRN_TRY_STATUS(it->status());
  CAIRN_TRY(auto finality, store.get(Column::stake, stake_finality_key()));
  if (finality) {
    auto decoded = decode_finality_state(*finality);
    if (decoded) {
      state.add(finality_state_element(*decoded));
    } else {
      audit.problem("stake: undecodable finality state");
    }
  }
  return {};
}

// Adds the contracts column's records and storage entries to `state`, checking that each
// entry belongs to a recorded contract and each record's storage_bytes is its entries'.
Status add_contracts(const KvReader& store, ChainAudit& audit, LtHash& state) {
  std::map<ContractId, uint64_t> storage_bytes;
  auto entries = store.iterator(Column::contracts, contract_storage_prefix());
  for (entries->seek_to_first(); entries->valid(); entries->next()) {
    auto key = decode_contract_storage_key(entries->key());
    if (!key) {
      audit.problem("contracts: undecodable storage key");
      continue;
    }
    state.add(storage_state_element(key->first, key->second, entries->value()));
    storage_bytes[key->first] += storage_entry_bytes(key->second.size(), entries->value().size());
  }
  CAIRN_TRY_STATUS(entries->status());
  auto records = store.iterator(Column::contracts, contract_record_prefix());
  for (records->seek_to_first(); records->valid(); records->next()) {
    const auto id = ContractId::from_span(records->key().subspan(1));
    auto record = decode_contract_record(records->value());
    if (!id || !record) {
      audit.problem("contracts: undecodable contract record");
      continue;
    }
    ++audit.contracts;
    state.add(contract_state_element(*id, *record));
    const auto stored = storage_bytes.find(*id);
    if (record->storage_bytes != (stored == storage_bytes.end() ? 0 : stored->second))
      audit.problem("contracts: storage_bytes of " + id->hex() + " differ from its entries");
    if (stored != storage_bytes.end()) storage_bytes.erase(stored);
    CAIRN_TRY(auto code, store.get(Column::contracts, contract_code_key(record->code_hash)));
    if (!code || contract_code_hash(*code) != record->code_hash)
      audit.problem("contracts: the code of " + id->hex() + " is missing or does not hash to its code hash");
  }
  CAIRN_TRY_STATUS(records->status());
  for (const auto& [id, bytes] : storage_bytes)
    audit.problem("contracts: storage entries of no contract " + id.hex());
  return {};
}

// The coins (and the stake state): their LtHash must be the tip's state root, and each needs its unspent
// address entry with the same value and coinbase flag.
Status audit_coins(const KvReader& store, const ChainManager& manager, ChainAudit& audit) {
  LtHash state;
  auto it = store.iterator(Column::utxo);
  for (it->seek_to_first(); it->valid(); it->next()) {
    auto outpoint = decode_utxo_key(it->key());
    auto coin = decode_coin_value(it->value());
    if (!outpoint || !coin) {
      audit.problem("utxo: undecodable entry");
      continue;
    }
    ++audit.coins;
    state.add(utxo_state_element(*outpoint, *coin));

    CAIRN_TRY(auto raw, store.get(Column::address_index,
                                  address_key(AddressKey{coin->output.lock, coin->height, *outpoint})));
    if (!raw) {
      audit.problem("address_index: no entry for coin " + describe(*outpoint));
      continue;
    }
    auto entry = decode_address_entry(*raw);
    if (!entry || entry->spent || entry->value != coin->output.value || entry->coinbase != coin->coinbase) {
      audit.problem("address_index: entry of coin " + describe(*outpoint) + " disagrees with the coin");
    }
  }
  CAIRN_TRY_STATUS(it->status());
  CAIRN_TRY_STATUS(add_stake(store, audit, state));
  CAIRN_TRY_STATUS(add_contracts(store, audit, state));

  const Hash256 root = manager.committed_root(state, manager.tip());
  if (root != manager.tip().header.state_root) {
    audit.problem("utxo, stake, contracts: the state hashes to " + root.hex() + ", the tip commits to " +
                  manager.tip().header.state_root.hex());
  }
  if (state != manager.state()) audit.problem("meta: the stored LtHash lanes differ from the state");
  return {};
}

// Every unspent address entry has its coin (with audit_coins: a bijection).
Status audit_address_index(const KvReader& store, ChainAudit& audit) {
  auto it = store.iterator(Column::address_index);
  uint64_t unspent = 0;
  for (it->seek_to_first(); it->valid(); it->next()) {
    ++audit.address_entries;
    auto key = decode_address_key(it->key());
    auto entry = decode_address_entry(it->value());
    if (!key || !entry) {
      audit.problem("address_index: undecodable entry");
      continue;
    }
    if (entry->spent) continue;
    ++unspent;
    CAIRN_TRY(auto coin, store.get(Column::utxo, utxo_key(key->outpoint)));
    if (!coin) audit.problem("address_index: unspent entry for " + describe(key->outpoint) + " has no coin");
  }
  CAIRN_TRY_STATUS(it->status());
  if (unspent != audit.coins) {
    audit.problem("address_index: " + std::to_string(unspent) + " unspent entries for " +
                  std::to_string(audit.coins) + " coins");
  }
  return {};
}

bool on_best_chain(const ChainManager& manager, const BlockHash& hash) {
  const BlockNode* node = manager.find(hash);
  if (node == nullptr) return false;
  const BlockNode* at = manager.at_height(node->height());
  return at != nullptr && at->hash == hash;
}

// Every tx_index entry points into the best chain, and every transaction of the best
// chain's stored blocks is indexed where it is.
Status audit_tx_index(const KvReader& store, const ChainManager& manager, ChainAudit& audit) {
  auto it = store.iterator(Column::tx_index);
  for (it->seek_to_first(); it->valid(); it->next()) {
    ++audit.indexed_transactions;
    auto location = decode_tx_location(it->value());
    if (!location) {
      audit.problem("tx_index: undecodable entry");
    } else if (!on_best_chain(manager, location->block)) {
      audit.problem("tx_index: an entry points to block " + location->block.hex() +
                    ", not on the best chain");
    }
  }
  CAIRN_TRY_STATUS(it->status());

  for (uint64_t height = 0; height <= audit.height; ++height) {
    const BlockNode* node = manager.at_height(height);
    if ((node->status & kBlockHaveBody) == 0) {
      ++audit.blocks_pruned;
      continue;
    }
    auto block = manager.read_block(node->hash);
    if (!block) {
      audit.problem("block_bodies: block " + std::to_string(height) + ": " + block.error().message);
      continue;
    }
    ++audit.blocks_checked;
    for (size_t i = 0; i < block->transactions.size(); ++i) {
      const Txid id = txid(block->transactions[i]);
      CAIRN_TRY(auto raw, store.get(Column::tx_index, tx_index_key(id)));
      std::optional<TxLocation> location;
      if (raw) {
        if (auto decoded = decode_tx_location(*raw)) location = *decoded;
      }
      if (location != TxLocation{node->hash, static_cast<uint32_t>(i)}) {
        audit.problem("tx_index: transaction " + id.hex() + " of block " + std::to_string(height) +
                      " is not indexed at its position");
      }
    }
  }
  return {};
}

// Compares one column of two stores entry by entry; the first differences become problems.
Status compare_column(const KvReader& stored, const KvReader& rebuilt, Column column, ChainAudit& audit) {
  auto a = stored.iterator(column);
  auto b = rebuilt.iterator(column);
  a->seek_to_first();
  b->seek_to_first();
  const std::string name(column_name(column));
  while (a->valid() || b->valid()) {
    const bool same_key = a->valid() && b->valid() && std::ranges::equal(a->key(), b->key());
    if (same_key && std::ranges::equal(a->value(), b->value())) {
      a->next();
      b->next();
      continue;
    }
    if (same_key) {
      audit.problem(name + ": entry " + to_hex(a->key()) + " differs from the replay's");
      a->next();
      b->next();
    } else if (!b->valid() || (a->valid() && std::ranges::lexicographical_compare(a->key(), b->key()))) {
      audit.problem(name + ": entry " + to_hex(a->key()) + " is not in the replay");
      a->next();
    } else {
      audit.problem(name + ": the replay has entry " + to_hex(b->key()) + ", the store has not");
      b->next();
    }
  }
  CAIRN_TRY_STATUS(a->status());
  return b->status();
}

}  // namespace

Status audit_by_replay(const KvReader& store, const ChainManager& manager, const ChainRules& rules,
                       ChainAudit& audit) {
  MemoryStore rebuilt;
  DirectSignatureChecker checker;
  // The blocks were accepted when they arrived; none of them is refused for its time now.
  const ManualClock clock(std::numeric_limits<int64_t>::max() / 2);
  CAIRN_TRY(auto replay, ChainManager::open(rebuilt, rules, checker, clock));
  for (uint64_t height = 1; height <= manager.tip().height(); ++height) {
    const BlockNode* node = manager.at_height(height);
    auto block = manager.read_block(node->hash);
    if (!block) {
      audit.problem("replay: block " + std::to_string(height) + ": " + block.error().message);
      return {};
    }
    CAIRN_TRY(auto verdict, replay->submit_block(*block));
    if (verdict) {
      audit.problem("replay: block " + std::to_string(height) + " is refused: " + to_string(verdict->reason) +
                    ": " + verdict->message);
      return {};
    }
    ++audit.replayed_blocks;
  }
  for (Column column :
       {Column::utxo, Column::tx_index, Column::address_index, Column::stake, Column::contracts}) {
    CAIRN_TRY_STATUS(compare_column(store, rebuilt, column, audit));
  }
  return {};
}

Result<ChainAudit> audit_chain_state(const KvReader& store, const ChainManager& manager) {
  ChainAudit audit;
  audit.height = manager.tip().height();
  audit.tip = manager.tip().hash;
  CAIRN_TRY_STATUS(audit_coins(store, manager, audit));
  CAIRN_TRY_STATUS(audit_address_index(store, audit));
  CAIRN_TRY_STATUS(audit_tx_index(store, manager, audit));
  return audit;
}

}  // namespace cairn
