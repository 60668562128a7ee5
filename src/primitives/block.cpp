#include "primitives/block.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "crypto/merkle.h"

namespace cairn {
namespace {

// Everything the validator signs: the vote without its signature.
void encode_unsigned_vote(Writer& w, const Vote& v) {
  w.u8(v.version);
  w.raw(v.validator);
  w.raw(v.source_hash);
  w.u64(v.source_epoch);
  w.raw(v.target_hash);
  w.u64(v.target_epoch);
}

template <class T, class Id>
Hash256 root_of(const std::vector<T>& items, Id id) {
  std::vector<Hash256> ids;
  ids.reserve(items.size());
  for (const auto& item : items) ids.push_back(id(item));
  return merkle_root(ids);
}

}  // namespace

void encode(Writer& w, const BlockHeader& h) {
  [[maybe_unused]] const size_t start = w.size();
  w.u32(h.version);
  w.u64(h.height);
  w.raw(h.prev);
  w.raw(h.tx_root);
  w.raw(h.witness_root);
  w.raw(h.state_root);
  w.raw(h.vote_root);
  w.u64(h.timestamp);
  w.u32(h.target);
  w.u64(h.nonce);
  assert(w.size() - start == kHeaderBytes);
}

void encode(Writer& w, const Vote& v) {
  [[maybe_unused]] const size_t start = w.size();
  encode_unsigned_vote(w, v);
  w.raw(v.signature);
  assert(w.size() - start == kVoteBytes);
}

void encode(Writer& w, const Block& b) {
  encode(w, b.header);
  w.varint(b.transactions.size());
  for (const auto& tx : b.transactions) encode(w, tx);
  w.varint(b.votes.size());
  for (const auto& v : b.votes) encode(w, v);
}

Bytes encode(const BlockHeader& h) {
  Writer w;
  encode(w, h);
  return w.take();
}

Bytes encode(const Vote& v) {
  Writer w;
  encode(w, v);
  return w.take();
}

Bytes encode(const Block& b) {
  Writer w;
  encode(w, b);
  return w.take();
}

BlockHeader decode_header(Reader& r) {
  BlockHeader h;
  h.version = r.u32("version");
  if (r.ok() && h.version != kHeaderVersion) {
    r.fail(ErrorCode::decode, "version", "unknown header version " + std::to_string(h.version));
    return h;
  }
  h.height = r.u64("height");
  h.prev = r.fixed<32>("prev");
  h.tx_root = r.fixed<32>("tx_root");
  h.witness_root = r.fixed<32>("witness_root");
  h.state_root = r.fixed<32>("state_root");
  h.vote_root = r.fixed<32>("vote_root");
  h.timestamp = r.u64("timestamp");
  h.target = r.u32("target");
  h.nonce = r.u64("nonce");
  return h;
}

Vote decode_vote(Reader& r) {
  Vote v;
  v.version = r.u8("version");
  if (r.ok() && v.version != kVoteVersion) {
    r.fail(ErrorCode::decode, "version", "unknown vote version " + std::to_string(v.version));
    return v;
  }
  v.validator = r.fixed<32>("validator");
  v.source_hash = r.fixed<32>("source_hash");
  v.source_epoch = r.u64("source_epoch");
  v.target_hash = r.fixed<32>("target_hash");
  v.target_epoch = r.u64("target_epoch");
  v.signature = r.fixed<64>("signature");
  return v;
}

Block decode_block(Reader& r) {
  Block b;
  {
    auto scope = r.scope("header");
    b.header = decode_header(r);
  }
  // Loops stop at the first error: a hostile count must not cost a pass over empty elements.
  const size_t n_txs = r.count("transactions", kMaxBlockTransactions);
  for (size_t i = 0; i < n_txs && r.ok(); ++i) {
    auto scope = r.scope("transactions", static_cast<int64_t>(i));
    b.transactions.push_back(decode_transaction(r));
  }
  const size_t n_votes = r.count("votes", kMaxBlockVotes);
  for (size_t i = 0; i < n_votes && r.ok(); ++i) {
    auto scope = r.scope("votes", static_cast<int64_t>(i));
    b.votes.push_back(decode_vote(r));
  }
  return b;
}

Result<BlockHeader> decode_header(ByteSpan bytes) {
  Reader r(bytes);
  BlockHeader h = decode_header(r);
  return r.finish(h);
}

Result<Vote> decode_vote(ByteSpan bytes) {
  Reader r(bytes);
  Vote v = decode_vote(r);
  return r.finish(v);
}

Result<Block> decode_block(ByteSpan bytes) {
  Reader r(bytes);
  Block b = decode_block(r);
  return r.finish(std::move(b));
}

namespace {

// Little-endian, as the codec writes integers (util/codec.h).
template <class T>
uint8_t* put_le(uint8_t* out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) *out++ = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

uint8_t* put_raw(uint8_t* out, const Hash256& h) { return std::copy(h.begin(), h.end(), out); }

}  // namespace

// The same bytes as encode(Writer&, const BlockHeader&); tests/consensus/pow_test.cpp compares them.
HeaderBytes encode_header_bytes(const BlockHeader& h) {
  HeaderBytes out;
  uint8_t* p = out.data();
  p = put_le(p, h.version);
  p = put_le(p, h.height);
  p = put_raw(p, h.prev);
  p = put_raw(p, h.tx_root);
  p = put_raw(p, h.witness_root);
  p = put_raw(p, h.state_root);
  p = put_raw(p, h.vote_root);
  p = put_le(p, h.timestamp);
  p = put_le(p, h.target);
  p = put_le(p, h.nonce);
  assert(p == out.data() + out.size());
  return out;
}

BlockHash block_hash(const BlockHeader& h) { return hash(HashContext::header, encode_header_bytes(h)); }

Hash256 vote_id(const Vote& v) { return hash(HashContext::vote, encode(v)); }

Hash256 vote_signing_message(const Vote& v, const BlockHash& genesis) {
  Writer w;
  w.raw(genesis);
  encode_unsigned_vote(w, v);
  return hash(HashContext::vote_sign, w.data());
}

Hash256 compute_tx_root(const Block& b) { return root_of(b.transactions, txid); }

Hash256 compute_witness_root(const Block& b) { return root_of(b.transactions, wtxid); }

Hash256 compute_vote_root(const Block& b) { return root_of(b.votes, vote_id); }

}  // namespace cairn
