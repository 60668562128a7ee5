// Compact blocks (BIP-152's idea, Cairn's encoding): a block announced as its header, its
// votes in full, and a 6-byte short id per transaction, so a peer whose mempool already
// holds the transactions rebuilds the block without receiving them again. Layout and rules
// in docs/chain-protocols.md "Compact blocks".
//
// Short ids: key = the first 16 bytes of hash(HashContext::compact, block hash ‖ nonce as
// 8 bytes little-endian), read as SipHash k0, k1 (little-endian); short id = SipHash-2-4 of
// the transaction's wtxid (32 bytes) & (2^48 - 1). The nonce is chosen by the sender, so
// nobody can grind transactions whose short ids collide in every peer's announcement.
//
// Reconstruction (PartialBlock) follows BIP-152: slots for every transaction, prefilled
// ones placed, the rest matched by short id against candidate transactions (the mempool);
// what stays empty is requested with GetBlockTxn; the block is accepted only if the roots
// it commits to match its header. A collision, honest or not, ends in fetching the full
// block, never in accepting a different block.
//
// The functions are pure: thread-safe. PartialBlock is thread-compatible (one per
// announcement, used by one thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "chain/mempool.h"
#include "net/siphash.h"
#include "primitives/block.h"
#include "primitives/transaction.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

inline constexpr size_t kShortIdBytes = 6;
inline constexpr uint64_t kShortIdMask = (uint64_t{1} << (8 * kShortIdBytes)) - 1;

// The low 48 bits of a SipHash-2-4 value; encoded as 6 bytes little-endian.
using ShortId = uint64_t;

// The SipHash key of a compact block's short ids.
SipHashKey short_id_key(const BlockHash& block, uint64_t nonce);
// The short id of a transaction with witness id `wtxid` under `key`.
ShortId short_id(const SipHashKey& key, const Hash256& wtxid);

// BIP-152's differential encoding of strictly ascending indexes (here and in GetBlockTxn):
// the first as is, each next one as (index - previous - 1), each a varint.
// Writes `index`; `next_min` is 0 before the first index and previous + 1 after (updated).
// REQUIRES: index >= next_min.
void encode_differential_index(Writer& w, uint64_t& next_min, uint32_t index);
// Reads the next index; an index beyond the uint32 range is an error (ErrorCode::limit).
uint32_t decode_differential_index(Reader& r, const char* field, uint64_t& next_min);

// A transaction sent in full, at its absolute index in the block. Encoded with the index
// differential as BIP-152 does (first as is, each next as index - previous - 1), so the
// indexes of a compact block are strictly ascending.
struct PrefilledTransaction {
  uint32_t index = 0;
  Transaction tx;
  bool operator==(const PrefilledTransaction&) const = default;
};

// The block has short_ids.size() + prefilled.size() transactions: the prefilled ones at
// their indexes, the short ids filling the other slots in order. Decoding refuses a total
// over kMaxBlockTransactions, more than kMaxBlockVotes votes, and prefilled indexes that
// are not strictly ascending or fall outside the block.
struct CompactBlock {
  BlockHeader header;
  uint64_t nonce = 0;
  std::vector<ShortId> short_ids;  // each at most kShortIdMask
  std::vector<PrefilledTransaction> prefilled;
  std::vector<Vote> votes;  // in full: votes are few and rarely in the receiver's pools
  bool operator==(const CompactBlock&) const = default;
};

// REQUIRES: short ids within kShortIdMask, prefilled indexes strictly ascending.
void encode(Writer& w, const CompactBlock& b);
Bytes encode(const CompactBlock& b);
Result<CompactBlock> decode_compact_block(ByteSpan bytes);

// The compact form of `block` with short ids keyed by `nonce` (the sender picks it at
// random per announcement). Prefills the coinbase (index 0) only: the receiver cannot
// have it.
CompactBlock make_compact_block(const Block& block, uint64_t nonce);

// A block being rebuilt from a compact block. Use: init(), then offer()/fill_from() with
// candidate transactions, then missing() (ask the announcer with GetBlockTxn when it is not
// empty) and finish() once with the transactions for the missing indexes.
class PartialBlock {
 public:
  // Prepares the slots. Errors:
  //   ErrorCode::verify     two short ids are equal: BIP-152 treats this as a collision,
  //                         which may be honest; fetch the full block, no penalty.
  //   any other code        the compact block is malformed (prefilled index out of the
  //                         block or not ascending, over `max_transactions` transactions,
  //                         no transactions, over kMaxBlockVotes votes): the sender is
  //                         at fault (invalid_compact_block).
  // `max_transactions`: the network's block limit (ConsensusParams::limits), which bounds
  // what a peer can make us allocate; at most kMaxBlockTransactions.
  Status init(const CompactBlock& block, size_t max_transactions = kMaxBlockTransactions);

  // Offers one candidate transaction (from the mempool, orphans, recent rejects...): if its
  // short id names an empty slot, it fills it; if a slot's short id is matched by two
  // different transactions, the slot is emptied and stays empty (requested instead), as
  // BIP-152 says. Offering the same transaction twice is harmless. REQUIRES: init() ok.
  void offer(const Transaction& tx);
  // offer() for each transaction of a page of the mempool (Mempool::entries).
  void fill_from(std::span<const MempoolEntryInfo> entries);

  // The absolute indexes of the slots still empty, ascending (GetBlockTxn::indexes).
  std::vector<uint32_t> missing() const;
  const BlockHeader& header() const { return header_; }
  const BlockHash& block_hash() const { return block_hash_; }
  size_t transaction_count() const { return slots_.size(); }

  // The block, with `missing_txs` (BlockTxn::transactions) in the slots missing() names,
  // in that order. Errors:
  //   ErrorCode::invalid_argument  missing_txs.size() != missing().size(): the peer's
  //                                BlockTxn does not fill the block (invalid_block_transactions)
  //   ErrorCode::verify            the transaction, witness or vote root differs from the
  //                                header's: a short-id collision or a bad announcement;
  //                                fetch the full block.
  // REQUIRES: init() ok; called once (it moves the slots out: a second call, or one after
  // a failed init(), is ErrorCode::invalid_argument).
  Result<Block> finish(std::vector<Transaction> missing_txs);

 private:
  enum class SlotState : uint8_t { empty, prefilled, matched, collided };
  struct Slot {
    SlotState state = SlotState::empty;
    Hash256 wtxid;  // of the matched transaction (to tell a repeat from a collision)
    std::optional<Transaction> tx;
  };

  BlockHeader header_;
  BlockHash block_hash_;
  SipHashKey key_;
  std::vector<Slot> slots_;
  std::vector<Vote> votes_;
  // Short id -> slot index, for the slots not prefilled. Only looked up, never iterated.
  std::unordered_map<ShortId, uint32_t> by_short_id_;
};

}  // namespace cairn::net
