// Cairn's own request/response protocols and gossip payloads, as sans-I/O codecs: message
// structs, their canonical encodings (util/codec.h) and strict decoders. Layouts, caps and
// the order of each exchange are in docs/chain-protocols.md.
//
//   /cairn/<network>/status/1.0.0    both sides send one StatusMessage (the dialler writes
//                                    first, then reads; the listener reads, then writes)
//   /cairn/<network>/headers/1.0.0   GetHeaders -> Headers
//   /cairn/<network>/blocks/1.0.0    GetBlocks -> one frame per block, each a plain encoded
//                                    Block, in request order, stopping at the first block
//                                    the responder lacks (then it closes the stream)
//   /cairn/<network>/blocktxn/1.0.0  GetBlockTxn -> BlockTxn
//   /cairn/<network>/{tx,vote,block}/1  gossip topics: an encoded Transaction, Vote or
//                                    CompactBlock (net/compact_block.h)
//
// Every message travels in one frame: an unsigned-varint length, then the message. The
// stream code reads a frame with the protocol's cap (the kMax*FrameBytes constants and
// the max_*_frame functions below) and hands the bytes to the decoder, which refuses
// trailing bytes, non-canonical encodings and counts over the named limits.
//
// Everything here is a pure function of its arguments: thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "chain/chain_rules.h"
#include "chain/mempool.h"
#include "consensus/params.h"
#include "primitives/block.h"
#include "primitives/network.h"
#include "primitives/transaction.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

// The version this build speaks, and the oldest one it still talks to.
inline constexpr uint32_t kChainProtocolVersion = 1;
inline constexpr uint32_t kMinChainProtocolVersion = 1;

// Message limits.
inline constexpr size_t kMaxUserAgentBytes = 256;
inline constexpr size_t kMaxLocatorHashes = 64;
inline constexpr size_t kMaxHeadersPerReply = 2000;
inline constexpr size_t kMaxBlocksPerRequest = 16;
// Dense steps at the top of a locator before the steps start doubling (Bitcoin's shape).
inline constexpr size_t kLocatorDenseSteps = 10;
// A gossiped transaction over the relay size limit is refused before it is decoded.
inline constexpr size_t kMaxTxGossipBytes = kMaxStandardTxBytes;

// Frame caps: the largest valid encoding of each message (the tests encode a message of
// each size).
//   status: version 4, network 1, genesis 32, best hash 32, best height 8, best work 32,
//   finalized hash 32, finalized height 8, user agent varint(256) = 2 + 256.
inline constexpr size_t kMaxStatusFrameBytes = 4 + 1 + 32 + 32 + 8 + 32 + 32 + 8 + 2 + kMaxUserAgentBytes;
//   locator varint(64) = 1 + 64 hashes, stop 32, max_count 4.
inline constexpr size_t kMaxGetHeadersFrameBytes = 1 + kMaxLocatorHashes * 32 + 32 + 4;
//   varint(2000) = 2 + 2000 headers.
inline constexpr size_t kMaxHeadersFrameBytes = 2 + kMaxHeadersPerReply * kHeaderBytes;
//   varint(16) = 1 + 16 hashes.
inline constexpr size_t kMaxGetBlocksFrameBytes = 1 + kMaxBlocksPerRequest * 32;
// Room above the network's block size limit in a block frame, so that a block a little
// over the limit is still read and then refused by the consensus rules with the precise
// reason (invalid_block), rather than as an oversized frame.
inline constexpr size_t kBlockFrameSlack = 1024;

// One block frame of the blocks protocol, and a BlockTxn frame.
size_t max_block_frame(const ConsensusParams& params);
// A GetBlockTxn frame asking for every transaction of a maximal block.
size_t max_get_block_txn_frame(const ConsensusParams& params);

// Protocol ids and gossip topics, e.g. "/cairn/regtest/status/1.0.0", "/cairn/mainnet/tx/1".
std::string status_protocol(Network network);
std::string headers_protocol(Network network);
std::string blocks_protocol(Network network);
std::string blocktxn_protocol(Network network);
std::string tx_topic(Network network);
std::string block_topic(Network network);
std::string vote_topic(Network network);

// ---- status ----

struct StatusMessage {
  uint32_t protocol_version = kChainProtocolVersion;
  Network network = Network::regtest;  // one byte; values outside kAllNetworks do not decode
  BlockHash genesis;
  BlockHash best_hash;
  uint64_t best_height = 0;
  ChainWork best_work;  // 32 bytes big-endian
  BlockHash finalized_hash;
  uint64_t finalized_height = 0;
  std::string user_agent;  // at most kMaxUserAgentBytes; untrusted text, escape it to show it
  bool operator==(const StatusMessage&) const = default;
};

Bytes encode(const StatusMessage& m);
Result<StatusMessage> decode_status(ByteSpan bytes);

// Why we cannot talk to the peer that sent `theirs`: another network, another genesis, or
// a protocol version older than kMinChainProtocolVersion. nullopt: compatible. (A peer
// behind us or on a fork is compatible; synchronisation deals with it.)
std::optional<std::string> incompatibility(const StatusMessage& ours, const StatusMessage& theirs);

// ---- headers ----

struct GetHeaders {
  std::vector<BlockHash> locator;            // 1..kMaxLocatorHashes, newest first (build_locator)
  BlockHash stop;                            // all zero: no stop hash
  uint32_t max_count = kMaxHeadersPerReply;  // 1..kMaxHeadersPerReply
  bool operator==(const GetHeaders&) const = default;
};

struct Headers {
  std::vector<BlockHeader> headers;  // at most kMaxHeadersPerReply
  bool operator==(const Headers&) const = default;
};

Bytes encode(const GetHeaders& m);
Result<GetHeaders> decode_get_headers(ByteSpan bytes);
Bytes encode(const Headers& m);
Result<Headers> decode_headers(ByteSpan bytes);

// A block locator for the chain whose block at height h is hash_at(h), h <= tip_height:
// the tip, then kLocatorDenseSteps blocks one step apart, then steps doubling, and always
// the genesis block last; at most kMaxLocatorHashes entries. hash_at is called with
// heights in decreasing order, each once.
std::vector<BlockHash> build_locator(const std::function<BlockHash(uint64_t height)>& hash_at,
                                     uint64_t tip_height);

// ---- blocks ----

struct GetBlocks {
  std::vector<BlockHash> hashes;  // 1..kMaxBlocksPerRequest
  bool operator==(const GetBlocks&) const = default;
};

Bytes encode(const GetBlocks& m);
Result<GetBlocks> decode_get_blocks(ByteSpan bytes);
// The reply frames are plain blocks: encode(const Block&) and decode_block (primitives),
// read with the max_block_frame(params) cap.

// ---- missing transactions of a compact block ----

// Indexes are absolute in the struct and encoded differentially as BIP-152 does: the
// first as is, each next one as (index - previous - 1). So they are strictly ascending,
// and the decoder refuses a sequence that leaves the uint32 range.
struct GetBlockTxn {
  BlockHash block;
  std::vector<uint32_t> indexes;  // 1..kMaxBlockTransactions, strictly ascending
  bool operator==(const GetBlockTxn&) const = default;
};

struct BlockTxn {
  BlockHash block;
  std::vector<Transaction> transactions;  // 1..kMaxBlockTransactions, in the request's order
  bool operator==(const BlockTxn&) const = default;
};

// REQUIRES: m.indexes strictly ascending.
Bytes encode(const GetBlockTxn& m);
Result<GetBlockTxn> decode_get_block_txn(ByteSpan bytes);
Bytes encode(const BlockTxn& m);
Result<BlockTxn> decode_block_txn(ByteSpan bytes);

// ---- gossip payloads ----
// Publishing encodes with primitives' encode(const Transaction&) / encode(const Vote&) and
// compact_block.h's encode(const CompactBlock&). Receiving:

// An encoded Transaction; over kMaxTxGossipBytes is ErrorCode::limit (not a peer fault by
// itself: relay policy, not consensus).
Result<Transaction> decode_tx_gossip(ByteSpan payload);
// An encoded Vote (exactly kVoteBytes).
Result<Vote> decode_vote_gossip(ByteSpan payload);

}  // namespace cairn::net
