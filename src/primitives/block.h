// Block headers, finality votes and blocks. Encodings in docs/consensus.md.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "primitives/transaction.h"
#include "util/codec.h"

namespace cairn {

inline constexpr uint32_t kHeaderVersion = 1;
inline constexpr size_t kHeaderBytes = 192;
inline constexpr uint8_t kVoteVersion = 1;
inline constexpr size_t kVoteBytes = 1 + 32 + 32 + 8 + 32 + 8 + 64;
// Decoder caps (consensus limits on size and weight are tighter, in the consensus layer).
inline constexpr size_t kMaxBlockTransactions = 1'000'000;
inline constexpr size_t kMaxBlockVotes = 100'000;

using BlockHash = Hash256;

struct BlockHeader {
  uint32_t version = kHeaderVersion;
  uint64_t height = 0;
  BlockHash prev;
  Hash256 tx_root;         // Merkle root over txids
  Hash256 witness_root;    // Merkle root over wtxids
  Hash256 state_root;      // LtHash root of the state after this block
  Hash256 vote_root;       // Merkle root over vote ids
  uint64_t timestamp = 0;  // Unix seconds
  uint32_t target = 0;     // compact form of the proof-of-work target
  uint64_t nonce = 0;
  bool operator==(const BlockHeader&) const = default;
};

// A finality vote: `validator` (its voting key) votes for the link source -> target.
struct Vote {
  uint8_t version = kVoteVersion;
  PublicKey validator;
  BlockHash source_hash;
  uint64_t source_epoch = 0;
  BlockHash target_hash;
  uint64_t target_epoch = 0;
  Signature signature;  // over vote_signing_message(...)
  bool operator==(const Vote&) const = default;
};

struct Block {
  BlockHeader header;
  std::vector<Transaction> transactions;
  std::vector<Vote> votes;
  bool operator==(const Block&) const = default;
};

void encode(Writer& w, const BlockHeader& h);
void encode(Writer& w, const Vote& v);
void encode(Writer& w, const Block& b);
Bytes encode(const BlockHeader& h);
Bytes encode(const Vote& v);
Bytes encode(const Block& b);

BlockHeader decode_header(Reader& r);
Vote decode_vote(Reader& r);
Block decode_block(Reader& r);
Result<BlockHeader> decode_header(ByteSpan bytes);
Result<Vote> decode_vote(ByteSpan bytes);
Result<Block> decode_block(ByteSpan bytes);

// The 192-byte header encoding in a fixed array: no allocation, for the miner's loop.
using HeaderBytes = std::array<uint8_t, kHeaderBytes>;
HeaderBytes encode_header_bytes(const BlockHeader& h);

// H("cairn v1 header", header): the block hash and proof-of-work hash. Allocation-free.
BlockHash block_hash(const BlockHeader& h);
// The id of a vote in the block's vote root (signature included).
Hash256 vote_id(const Vote& v);
// What the validator signs: H("cairn v1 vote sign", genesis ‖ the vote without signature).
Hash256 vote_signing_message(const Vote& v, const BlockHash& genesis);

// Roots as the header commits to them.
Hash256 compute_tx_root(const Block& b);
Hash256 compute_witness_root(const Block& b);
Hash256 compute_vote_root(const Block& b);

}  // namespace cairn
