#include "net/chain_protocol.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <string_view>

#include "net/compact_block.h"
#include "util/codec.h"

namespace cairn::net {
namespace {

std::string cairn_id(Network network, std::string_view suffix) {
  std::string out = "/cairn/";
  out += network_name(network);
  out += suffix;
  return out;
}

bool known_network(uint8_t value) {
  return std::any_of(kAllNetworks.begin(), kAllNetworks.end(),
                     [value](Network n) { return static_cast<uint8_t>(n) == value; });
}

// A list of block hashes: varint count in 1..max, then the hashes.
void encode_hashes(Writer& w, const std::vector<BlockHash>& hashes) {
  w.varint(hashes.size());
  for (const auto& h : hashes) w.raw(h);
}

std::vector<BlockHash> decode_hashes(Reader& r, const char* field, size_t max) {
  std::vector<BlockHash> out;
  const size_t n = r.count(field, max);
  if (r.ok() && n == 0) r.fail(ErrorCode::decode, field, "empty list");
  for (size_t i = 0; i < n && r.ok(); ++i) {
    auto scope = r.scope(field, static_cast<int64_t>(i));
    out.push_back(r.fixed<32>("hash"));
  }
  return out;
}

}  // namespace

size_t max_block_frame(const ConsensusParams& params) {
  return static_cast<size_t>(params.limits.max_bytes) + kBlockFrameSlack;
}

size_t max_get_block_txn_frame(const ConsensusParams& params) {
  // Block hash, the count, and one index per transaction of which each takes at most the
  // varint size of the largest uint32.
  const size_t per_index = varint_size(std::numeric_limits<uint32_t>::max());
  const auto max_txs = static_cast<size_t>(params.limits.max_transactions);
  return 32 + varint_size(max_txs) + max_txs * per_index;
}

std::string status_protocol(Network network) { return cairn_id(network, "/status/1.0.0"); }
std::string headers_protocol(Network network) { return cairn_id(network, "/headers/1.0.0"); }
std::string blocks_protocol(Network network) { return cairn_id(network, "/blocks/1.0.0"); }
std::string blocktxn_protocol(Network network) { return cairn_id(network, "/blocktxn/1.0.0"); }
std::string tx_topic(Network network) { return cairn_id(network, "/tx/1"); }
std::string block_topic(Network network) { return cairn_id(network, "/block/1"); }
std::string vote_topic(Network network) { return cairn_id(network, "/vote/1"); }

// ---- status ----

Bytes encode(const StatusMessage& m) {
  assert(m.user_agent.size() <= kMaxUserAgentBytes);
  Writer w;
  w.u32(m.protocol_version);
  w.u8(static_cast<uint8_t>(m.network));
  w.raw(m.genesis);
  w.raw(m.best_hash);
  w.u64(m.best_height);
  w.raw(m.best_work.value);
  w.raw(m.finalized_hash);
  w.u64(m.finalized_height);
  w.bytes(as_bytes(m.user_agent));
  return w.take();
}

Result<StatusMessage> decode_status(ByteSpan bytes) {
  Reader r(bytes);
  StatusMessage m;
  m.protocol_version = r.u32("protocol_version");
  const uint8_t network = r.u8("network");
  if (r.ok() && !known_network(network)) {
    r.fail(ErrorCode::decode, "network", "unknown network " + std::to_string(network));
  }
  m.network = static_cast<Network>(network);
  m.genesis = r.fixed<32>("genesis");
  m.best_hash = r.fixed<32>("best_hash");
  m.best_height = r.u64("best_height");
  m.best_work.value = r.fixed<32>("best_work");
  m.finalized_hash = r.fixed<32>("finalized_hash");
  m.finalized_height = r.u64("finalized_height");
  const Bytes agent = r.bytes("user_agent", kMaxUserAgentBytes);
  m.user_agent.assign(agent.begin(), agent.end());
  return r.finish(std::move(m));
}

std::optional<std::string> incompatibility(const StatusMessage& ours, const StatusMessage& theirs) {
  if (theirs.network != ours.network) {
    std::string why = "peer is on network ";
    why += network_name(theirs.network);
    why += ", we are on ";
    why += network_name(ours.network);
    return why;
  }
  if (theirs.genesis != ours.genesis) {
    std::string why = "peer's genesis block ";
    why += theirs.genesis.hex();
    why += " is not ours (";
    why += ours.genesis.hex();
    why += ")";
    return why;
  }
  if (theirs.protocol_version < kMinChainProtocolVersion) {
    std::string why = "peer speaks chain protocol version ";
    why += std::to_string(theirs.protocol_version);
    why += ", older than the oldest we support (";
    why += std::to_string(kMinChainProtocolVersion);
    why += ")";
    return why;
  }
  return std::nullopt;
}

// ---- headers ----

Bytes encode(const GetHeaders& m) {
  assert(!m.locator.empty() && m.locator.size() <= kMaxLocatorHashes);
  Writer w;
  encode_hashes(w, m.locator);
  w.raw(m.stop);
  w.u32(m.max_count);
  return w.take();
}

Result<GetHeaders> decode_get_headers(ByteSpan bytes) {
  Reader r(bytes);
  GetHeaders m;
  m.locator = decode_hashes(r, "locator", kMaxLocatorHashes);
  m.stop = r.fixed<32>("stop");
  m.max_count = r.u32("max_count");
  if (r.ok() && m.max_count == 0) r.fail(ErrorCode::decode, "max_count", "zero");
  if (r.ok() && m.max_count > kMaxHeadersPerReply) {
    r.fail(ErrorCode::limit, "max_count",
           std::to_string(m.max_count) + " exceeds the limit of " + std::to_string(kMaxHeadersPerReply));
  }
  return r.finish(std::move(m));
}

Bytes encode(const Headers& m) {
  assert(m.headers.size() <= kMaxHeadersPerReply);
  Writer w;
  w.varint(m.headers.size());
  for (const auto& h : m.headers) encode(w, h);
  return w.take();
}

Result<Headers> decode_headers(ByteSpan bytes) {
  Reader r(bytes);
  Headers m;
  const size_t n = r.count("headers", kMaxHeadersPerReply);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    auto scope = r.scope("headers", static_cast<int64_t>(i));
    m.headers.push_back(decode_header(r));
  }
  return r.finish(std::move(m));
}

std::vector<BlockHash> build_locator(const std::function<BlockHash(uint64_t height)>& hash_at,
                                     uint64_t tip_height) {
  std::vector<BlockHash> out;
  uint64_t height = tip_height;
  uint64_t step = 1;
  while (true) {
    out.push_back(hash_at(height));
    if (height == 0) break;
    if (out.size() == kMaxLocatorHashes - 1) {
      out.push_back(hash_at(0));
      break;
    }
    // Capped at kMaxLocatorHashes entries, step reaches at most 2^53: no overflow.
    if (out.size() > kLocatorDenseSteps) step *= 2;
    height = height > step ? height - step : 0;
  }
  return out;
}

// ---- blocks ----

Bytes encode(const GetBlocks& m) {
  assert(!m.hashes.empty() && m.hashes.size() <= kMaxBlocksPerRequest);
  Writer w;
  encode_hashes(w, m.hashes);
  return w.take();
}

Result<GetBlocks> decode_get_blocks(ByteSpan bytes) {
  Reader r(bytes);
  GetBlocks m;
  m.hashes = decode_hashes(r, "hashes", kMaxBlocksPerRequest);
  return r.finish(std::move(m));
}

// ---- missing transactions of a compact block ----

Bytes encode(const GetBlockTxn& m) {
  assert(!m.indexes.empty() && m.indexes.size() <= kMaxBlockTransactions);
  Writer w;
  w.raw(m.block);
  w.varint(m.indexes.size());
  uint64_t next_min = 0;
  for (uint32_t index : m.indexes) encode_differential_index(w, next_min, index);
  return w.take();
}

Result<GetBlockTxn> decode_get_block_txn(ByteSpan bytes) {
  Reader r(bytes);
  GetBlockTxn m;
  m.block = r.fixed<32>("block");
  const size_t n = r.count("indexes", kMaxBlockTransactions);
  if (r.ok() && n == 0) r.fail(ErrorCode::decode, "indexes", "empty list");
  uint64_t next_min = 0;
  for (size_t i = 0; i < n && r.ok(); ++i) {
    auto scope = r.scope("indexes", static_cast<int64_t>(i));
    const uint32_t index = decode_differential_index(r, "index", next_min);
    if (r.ok()) m.indexes.push_back(index);
  }
  return r.finish(std::move(m));
}

Bytes encode(const BlockTxn& m) {
  assert(!m.transactions.empty() && m.transactions.size() <= kMaxBlockTransactions);
  Writer w;
  w.raw(m.block);
  w.varint(m.transactions.size());
  for (const auto& tx : m.transactions) encode(w, tx);
  return w.take();
}

Result<BlockTxn> decode_block_txn(ByteSpan bytes) {
  Reader r(bytes);
  BlockTxn m;
  m.block = r.fixed<32>("block");
  const size_t n = r.count("transactions", kMaxBlockTransactions);
  if (r.ok() && n == 0) r.fail(ErrorCode::decode, "transactions", "empty list");
  for (size_t i = 0; i < n && r.ok(); ++i) {
    auto scope = r.scope("transactions", static_cast<int64_t>(i));
    m.transactions.push_back(decode_transaction(r));
  }
  return r.finish(std::move(m));
}

// ---- gossip payloads ----

Result<Transaction> decode_tx_gossip(ByteSpan payload) {
  if (payload.size() > kMaxTxGossipBytes) {
    return Error{ErrorCode::limit, "transaction of " + std::to_string(payload.size()) +
                                       " bytes exceeds the relay limit of " +
                                       std::to_string(kMaxTxGossipBytes)};
  }
  return decode_transaction(payload);
}

Result<Vote> decode_vote_gossip(ByteSpan payload) { return decode_vote(payload); }

}  // namespace cairn::net
