#include "chain/chain_queries.h"

#include <algorithm>
#include <utility>

namespace cairn {

namespace {

// The best-chain node of a tx_index entry's block.
Result<const BlockNode*> best_chain_node(const ChainManager& chain, const BlockHash& hash) {
  const BlockNode* node = chain.find(hash);
  if (node == nullptr || chain.at_height(node->height()) != node) {
    // The indexes are written in the same batch as the best chain: a mismatch is corruption.
    return Error{ErrorCode::io,
                 "tx_index points at block " + hash.hex() + ", which is not in the best chain"};
  }
  return node;
}

Result<Block> read_body(const ChainManager& chain, const BlockNode& node) {
  if (body_pruned(chain, node)) return pruned_error(chain, node);
  return chain.read_block(node.hash);
}

bool key_of_lock(const AddressKey& key, const OutputLock& lock) { return key.lock == lock; }

}  // namespace

bool body_pruned(const ChainManager& chain, const BlockNode& node) {
  return (node.status & kBlockHaveBody) == 0 && node.height() < chain.prune_height();
}

Error pruned_error(const ChainManager& chain, const BlockNode& node) {
  return Error{ErrorCode::not_found, "block " + node.hash.hex() + " at height " +
                                         std::to_string(node.height()) +
                                         " was pruned: this node keeps block data from height " +
                                         std::to_string(chain.prune_height())};
}

Result<std::optional<TxPosition>> locate_transaction(const KvReader& store, const ChainManager& chain,
                                                     const Txid& txid) {
  CAIRN_TRY(auto value, store.get(Column::tx_index, tx_index_key(txid)));
  if (!value) return std::optional<TxPosition>{};
  CAIRN_TRY(const TxLocation location, decode_tx_location(*value));
  CAIRN_TRY(const BlockNode* node, best_chain_node(chain, location.block));
  return std::optional<TxPosition>{
      TxPosition{node->hash, node->height(), location.position, chain.tip().height() - node->height() + 1}};
}

Result<std::optional<ConfirmedTx>> find_transaction(const KvReader& store, const ChainManager& chain,
                                                    const Txid& txid) {
  CAIRN_TRY(const auto where, locate_transaction(store, chain, txid));
  if (!where) return std::optional<ConfirmedTx>{};
  CAIRN_TRY(Block block, read_body(chain, *chain.find(where->block)));
  if (where->position >= block.transactions.size() ||
      cairn::txid(block.transactions[where->position]) != txid) {
    return Error{ErrorCode::io,
                 "tx_index entry of " + txid.hex() + " does not match block " + where->block.hex()};
  }
  return std::optional<ConfirmedTx>{ConfirmedTx{std::move(block.transactions[where->position]), *where}};
}

Result<std::optional<Amount>> confirmed_fee(const KvReader& store, const ChainManager& chain,
                                            const Txid& txid) {
  CAIRN_TRY(const auto where, locate_transaction(store, chain, txid));
  if (!where) return std::optional<Amount>{};
  const BlockNode& node = *chain.find(where->block);
  CAIRN_TRY(const Block block, read_body(chain, node));
  if (where->position >= block.transactions.size()) {
    return Error{ErrorCode::io,
                 "tx_index entry of " + txid.hex() + " does not match block " + where->block.hex()};
  }
  const Transaction& tx = block.transactions[where->position];
  if (tx.is_coinbase() || tx.payload.kind != PayloadKind::none) return std::optional<Amount>{};
  CAIRN_TRY(const auto undo_bytes, store.get(Column::undo, block_key(node.hash)));
  if (!undo_bytes) return pruned_error(chain, node);
  CAIRN_TRY(const BlockUndo undo, decode_block_undo(*undo_bytes));
  // The undo coins are in block order: each transaction's inputs in turn (the coinbase has none).
  size_t first = 0;
  for (size_t i = 0; i < where->position; ++i) first += block.transactions[i].inputs.size();
  if (first + tx.inputs.size() > undo.spent.size()) {
    return Error{ErrorCode::io, "the undo data of block " + node.hash.hex() + " is shorter than its inputs"};
  }
  Amount in = 0;
  for (size_t k = 0; k < tx.inputs.size(); ++k) {
    const auto sum = checked_add(in, undo.spent[first + k].output.value);
    if (!sum) return Error{ErrorCode::io, "the inputs of " + txid.hex() + " exceed the money range"};
    in = *sum;
  }
  Amount out = 0;
  for (const TxOut& o : tx.outputs) {
    const auto sum = checked_add(out, o.value);
    if (!sum) return Error{ErrorCode::io, "the outputs of " + txid.hex() + " exceed the money range"};
    out = *sum;
  }
  const auto fee = checked_sub(in, out);
  if (!fee)
    return Error{ErrorCode::io, "confirmed transaction " + txid.hex() + " spends more than its inputs"};
  return std::optional<Amount>{*fee};
}

Result<std::optional<TxInclusionProof>> transaction_proof(const KvReader& store, const ChainManager& chain,
                                                          const Txid& txid) {
  CAIRN_TRY(const auto where, locate_transaction(store, chain, txid));
  if (!where) return std::optional<TxInclusionProof>{};
  const BlockNode& node = *chain.find(where->block);
  CAIRN_TRY(const Block block, read_body(chain, node));
  std::vector<Hash256> ids;
  ids.reserve(block.transactions.size());
  for (const Transaction& tx : block.transactions) ids.push_back(cairn::txid(tx));
  if (where->position >= ids.size() || ids[where->position] != txid) {
    return Error{ErrorCode::io,
                 "tx_index entry of " + txid.hex() + " does not match block " + where->block.hex()};
  }
  CAIRN_TRY(MerkleProof proof, merkle_proof(ids, where->position));
  return std::optional<TxInclusionProof>{
      TxInclusionProof{txid, *where, node.header.tx_root, std::move(proof)}};
}

bool verify_transaction_proof(const TxInclusionProof& proof) {
  return proof.proof.index == proof.where.position &&
         verify_merkle_proof(proof.txid, proof.proof, proof.tx_root);
}

bool coin_mature(bool coinbase, uint64_t coin_height, uint64_t tip_height, uint64_t coinbase_maturity) {
  // Written without the sum coin_height + maturity, which a hostile height could overflow.
  return !coinbase || (tip_height + 1 >= coin_height && tip_height + 1 - coin_height >= coinbase_maturity);
}

Result<AddressPage> address_outputs(const KvReader& store, const AddressPageRequest& request) {
  if (request.limit == 0 || request.limit > kMaxAddressPageLimit) {
    return Error{ErrorCode::invalid_argument, "limit must be 1.." + std::to_string(kMaxAddressPageLimit) +
                                                  ", got " + std::to_string(request.limit)};
  }
  if (request.max_scanned == 0 || request.max_scanned > kMaxAddressEntriesScanned) {
    return Error{ErrorCode::invalid_argument, "max_scanned must be 1.." +
                                                  std::to_string(kMaxAddressEntriesScanned) + ", got " +
                                                  std::to_string(request.max_scanned)};
  }
  if (request.after && !key_of_lock(*request.after, request.lock)) {
    return Error{ErrorCode::invalid_argument, "the cursor belongs to another address"};
  }
  AddressPage page;
  auto it = store.iterator(Column::address_index, address_prefix(request.lock));
  if (request.after) {
    const Bytes after = address_key(*request.after);
    it->seek(after);
    if (it->valid() && std::ranges::equal(it->key(), after)) it->next();
  } else {
    it->seek_to_first();
  }
  size_t scanned = 0;
  std::optional<AddressKey> last;
  for (; it->valid(); it->next()) {
    if (page.items.size() == request.limit || scanned == request.max_scanned) {
      page.next = last;  // more entries follow
      break;
    }
    ++scanned;
    CAIRN_TRY(AddressKey key, decode_address_key(it->key()));
    CAIRN_TRY(AddressEntry entry, decode_address_entry(it->value()));
    last = key;
    if (request.filter == AddressFilter::unspent && entry.spent) continue;
    page.items.push_back(AddressOutput{std::move(key), std::move(entry)});
  }
  CAIRN_TRY_STATUS(it->status());
  return page;
}

std::string encode_address_cursor(const AddressKey& key) { return to_hex(address_key(key)); }

Result<AddressKey> decode_address_cursor(const OutputLock& lock, std::string_view cursor) {
  auto bytes = from_hex(cursor);
  if (!bytes) return Error{ErrorCode::invalid_argument, "malformed cursor: " + bytes.error().message};
  auto key = decode_address_key(*bytes);
  if (!key) return Error{ErrorCode::invalid_argument, "malformed cursor: " + key.error().message};
  if (!key_of_lock(*key, lock))
    return Error{ErrorCode::invalid_argument, "the cursor belongs to another address"};
  return std::move(*key);
}

Result<AddressBalance> address_balance(const KvReader& store, const OutputLock& lock, uint64_t tip_height,
                                       uint64_t coinbase_maturity) {
  AddressBalance balance;
  auto it = store.iterator(Column::address_index, address_prefix(lock));
  for (it->seek_to_first(); it->valid(); it->next()) {
    CAIRN_TRY(const AddressKey key, decode_address_key(it->key()));
    CAIRN_TRY(const AddressEntry entry, decode_address_entry(it->value()));
    if (entry.spent) continue;
    Amount& sum = coin_mature(entry.coinbase, key.height, tip_height, coinbase_maturity) ? balance.confirmed
                                                                                         : balance.immature;
    const auto total = checked_add(sum, entry.value);
    if (!total) return Error{ErrorCode::io, "the unspent outputs of an address exceed the money supply"};
    sum = *total;
    ++balance.utxo_count;
  }
  CAIRN_TRY_STATUS(it->status());
  return balance;
}

}  // namespace cairn
