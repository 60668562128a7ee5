// Read-only queries over the chain state, for the JSON-RPC methods and tools: a confirmed
// transaction by txid (tx_index -> block body -> the transaction and where it is), its
// Merkle inclusion proof against the header's tx_root, and the outputs, balance and
// history of an OutputLock from the address_index column, in pages.
//
// Everything here reads the best chain as the ChainManager and its store see it now:
// the tx and address indexes hold the best chain only (a disconnect erases what its block
// added). The mempool is the caller's business. docs/chain.md "Queries".
//
// Not thread-safe: call on the chain's thread (the manager's), so that the manager and
// the store it writes are read at the same tip. `store` is the manager's KvStore (or a
// reader of the same state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/chain_manager.h"
#include "crypto/merkle.h"
#include "primitives/transaction.h"
#include "storage/keys.h"
#include "storage/kv.h"

namespace cairn {

// Items of one address page when the caller does not say, and at most.
inline constexpr size_t kDefaultAddressPageLimit = 100;
inline constexpr size_t kMaxAddressPageLimit = 1'000;
// Index entries one page examines at most: a page of unspent outputs skips spent ones, and
// this bounds its work for an address with a long spent history. A page that stops here
// returns fewer items and a cursor to go on from.
inline constexpr size_t kMaxAddressEntriesScanned = 10'000;

// Whether the body and undo data of `node` were deleted by pruning.
bool body_pruned(const ChainManager& chain, const BlockNode& node);
// The Error a read of a pruned block's body gives: not_found, naming the block and the
// height from which this node keeps blocks.
Error pruned_error(const ChainManager& chain, const BlockNode& node);

// Where a transaction of the best chain is.
struct TxPosition {
  BlockHash block;
  uint64_t height = 0;
  uint32_t position = 0;       // index in the block's transactions (0: the coinbase)
  uint64_t confirmations = 0;  // 1 in the tip
  bool operator==(const TxPosition&) const = default;
};

struct ConfirmedTx {
  Transaction tx;
  TxPosition where;
};

// The tx_index entry of `txid`: nullopt when no best-chain block holds it. Needs no body.
Result<std::optional<TxPosition>> locate_transaction(const KvReader& store, const ChainManager& chain,
                                                     const Txid& txid);
// The transaction and where it is; nullopt when no best-chain block holds it; pruned_error()
// when its block's body was pruned.
Result<std::optional<ConfirmedTx>> find_transaction(const KvReader& store, const ChainManager& chain,
                                                    const Txid& txid);

// The fee a confirmed transaction paid: its inputs' values (from its block's undo data)
// less its outputs'. nullopt when no best-chain block holds it, and for a coinbase or a
// staking transaction (whose fee also counts its stake flow, which the undo data lacks);
// pruned_error() when its block's data was pruned.
Result<std::optional<Amount>> confirmed_fee(const KvReader& store, const ChainManager& chain,
                                            const Txid& txid);

// A transaction's inclusion in a block: the RFC 6962 audit path of its txid among the
// block's txids, whose root is the header's tx_root.
struct TxInclusionProof {
  Txid txid;
  TxPosition where;
  Hash256 tx_root;  // the header's
  MerkleProof proof;
};
// nullopt and errors as find_transaction.
Result<std::optional<TxInclusionProof>> transaction_proof(const KvReader& store, const ChainManager& chain,
                                                          const Txid& txid);
// Whether `proof` shows its txid at its position under its tx_root (crypto/merkle.h).
bool verify_transaction_proof(const TxInclusionProof& proof);

// Whether a coin created at `coin_height` may be spent by the block after `tip_height`
// (consensus: spend height >= coin height + maturity for a coinbase; others always).
bool coin_mature(bool coinbase, uint64_t coin_height, uint64_t tip_height, uint64_t coinbase_maturity);

// One output paid to the lock, as the address index records it.
struct AddressOutput {
  AddressKey key;
  AddressEntry entry;
};

enum class AddressFilter : uint8_t {
  all,      // every output in creation order, spent or not (history, wallet restore)
  unspent,  // only outputs not spent in the best chain
};

struct AddressPageRequest {
  OutputLock lock;
  std::optional<AddressKey> after;          // resume after this key (a previous page's `next`)
  size_t limit = kDefaultAddressPageLimit;  // 1..kMaxAddressPageLimit
  AddressFilter filter = AddressFilter::all;
  size_t max_scanned = kMaxAddressEntriesScanned;  // 1..kMaxAddressEntriesScanned
};

struct AddressPage {
  std::vector<AddressOutput> items;
  // Where the next page starts (pass as `after`); nullopt when the address has no more.
  std::optional<AddressKey> next;
};

// One page of the lock's outputs in creation order (height, txid, index). An
// invalid_argument Error for a limit or max_scanned out of range, or an `after` key of
// another lock.
Result<AddressPage> address_outputs(const KvReader& store, const AddressPageRequest& request);

// The opaque pagination cursor of an address page: the hex of the address key to resume
// after. decode_address_cursor refuses (invalid_argument) malformed cursors and cursors of
// another lock.
std::string encode_address_cursor(const AddressKey& key);
Result<AddressKey> decode_address_cursor(const OutputLock& lock, std::string_view cursor);

struct AddressBalance {
  Amount confirmed = 0;  // unspent outputs the next block may spend
  Amount immature = 0;   // unspent coinbase outputs not yet mature
  uint64_t utxo_count = 0;
  bool operator==(const AddressBalance&) const = default;
};
// Sums every unspent output of the lock in the best chain: its work grows with the
// address's history (no page limit).
Result<AddressBalance> address_balance(const KvReader& store, const OutputLock& lock, uint64_t tip_height,
                                       uint64_t coinbase_maturity);

}  // namespace cairn
