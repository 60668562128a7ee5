#include "net/compact_block.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <limits>
#include <string>
#include <utility>

namespace cairn::net {
namespace {

constexpr uint64_t kMaxIndex = std::numeric_limits<uint32_t>::max();

void write_short_id(Writer& w, ShortId id) {
  assert(id <= kShortIdMask);
  for (size_t i = 0; i < kShortIdBytes; ++i) w.u8(static_cast<uint8_t>(id >> (8 * i)));
}

ShortId read_short_id(ByteSpan six) {
  ShortId id = 0;
  for (size_t i = kShortIdBytes; i-- > 0;) id = (id << 8) | six[i];
  return id;
}

Error limit_error(const char* what, size_t n, size_t max) {
  std::string message = what;
  message += ": ";
  message += std::to_string(n);
  message += " exceeds the limit of ";
  message += std::to_string(max);
  return Error{ErrorCode::limit, std::move(message)};
}

}  // namespace

void encode_differential_index(Writer& w, uint64_t& next_min, uint32_t index) {
  assert(index >= next_min);
  w.varint(index - next_min);
  next_min = uint64_t{index} + 1;
}

uint32_t decode_differential_index(Reader& r, const char* field, uint64_t& next_min) {
  const uint64_t delta = r.varint(field);
  if (!r.ok()) return 0;
  if (next_min > kMaxIndex || delta > kMaxIndex - next_min) {
    r.fail(ErrorCode::limit, field, "index beyond the uint32 range");
    return 0;
  }
  const auto index = static_cast<uint32_t>(next_min + delta);
  next_min = uint64_t{index} + 1;
  return index;
}

SipHashKey short_id_key(const BlockHash& block, uint64_t nonce) {
  Writer w;
  w.raw(block);
  w.u64(nonce);
  const Hash256 digest = hash(HashContext::compact, w.data());
  FixedBytes<16> key;
  std::copy_n(digest.begin(), key.size(), key.bytes.begin());
  return siphash_key(key);
}

ShortId short_id(const SipHashKey& key, const Hash256& wtxid) { return siphash24(key, wtxid) & kShortIdMask; }

void encode(Writer& w, const CompactBlock& b) {
  encode(w, b.header);
  w.u64(b.nonce);
  w.varint(b.short_ids.size());
  for (ShortId id : b.short_ids) write_short_id(w, id);
  w.varint(b.prefilled.size());
  uint64_t next_min = 0;
  for (const auto& p : b.prefilled) {
    encode_differential_index(w, next_min, p.index);
    encode(w, p.tx);
  }
  w.varint(b.votes.size());
  for (const auto& v : b.votes) encode(w, v);
}

Bytes encode(const CompactBlock& b) {
  Writer w;
  encode(w, b);
  return w.take();
}

Result<CompactBlock> decode_compact_block(ByteSpan bytes) {
  Reader r(bytes);
  CompactBlock b;
  {
    auto scope = r.scope("header");
    b.header = decode_header(r);
  }
  b.nonce = r.u64("nonce");
  const size_t n_short = r.count("short_ids", kMaxBlockTransactions);
  // Taken at once: a hostile count fails here, before anything is allocated for it.
  const ByteSpan raw_ids = r.take("short_ids", n_short * kShortIdBytes);
  if (r.ok()) {
    b.short_ids.reserve(n_short);
    for (size_t i = 0; i < n_short; ++i)
      b.short_ids.push_back(read_short_id(raw_ids.subspan(i * kShortIdBytes)));
  }
  const size_t n_prefilled = r.count("prefilled", kMaxBlockTransactions - n_short);
  const size_t total = n_short + n_prefilled;
  uint64_t next_min = 0;
  for (size_t i = 0; i < n_prefilled && r.ok(); ++i) {
    auto scope = r.scope("prefilled", static_cast<int64_t>(i));
    PrefilledTransaction p;
    p.index = decode_differential_index(r, "index", next_min);
    if (r.ok() && p.index >= total) {
      r.fail(ErrorCode::decode, "index",
             "index " + std::to_string(p.index) + " outside a block of " + std::to_string(total) +
                 " transactions");
    }
    p.tx = decode_transaction(r);
    b.prefilled.push_back(std::move(p));
  }
  const size_t n_votes = r.count("votes", kMaxBlockVotes);
  for (size_t i = 0; i < n_votes && r.ok(); ++i) {
    auto scope = r.scope("votes", static_cast<int64_t>(i));
    b.votes.push_back(decode_vote(r));
  }
  return r.finish(std::move(b));
}

CompactBlock make_compact_block(const Block& block, uint64_t nonce) {
  CompactBlock out;
  out.header = block.header;
  out.nonce = nonce;
  if (!block.transactions.empty()) {
    out.prefilled.push_back(PrefilledTransaction{.index = 0, .tx = block.transactions.front()});
    const SipHashKey key = short_id_key(block_hash(block.header), nonce);
    out.short_ids.reserve(block.transactions.size() - 1);
    for (size_t i = 1; i < block.transactions.size(); ++i) {
      out.short_ids.push_back(short_id(key, wtxid(block.transactions[i])));
    }
  }
  out.votes = block.votes;
  return out;
}

// ---- PartialBlock ----

Status PartialBlock::init(const CompactBlock& block, size_t max_transactions) {
  slots_.clear();
  by_short_id_.clear();
  votes_.clear();

  const size_t limit = std::min(max_transactions, kMaxBlockTransactions);
  const size_t total = block.short_ids.size() + block.prefilled.size();
  if (total == 0) return Error{ErrorCode::invalid_argument, "compact block without transactions"};
  if (total > limit) return limit_error("compact block transactions", total, limit);
  if (block.votes.size() > kMaxBlockVotes)
    return limit_error("compact block votes", block.votes.size(), kMaxBlockVotes);
  for (size_t i = 0; i < block.prefilled.size(); ++i) {
    const uint32_t index = block.prefilled[i].index;
    if (index >= total || (i > 0 && index <= block.prefilled[i - 1].index)) {
      return Error{ErrorCode::invalid_argument, "prefilled transaction " + std::to_string(i) + " has index " +
                                                    std::to_string(index) +
                                                    ", not ascending within the block"};
    }
  }

  header_ = block.header;
  block_hash_ = cairn::block_hash(block.header);
  key_ = short_id_key(block_hash_, block.nonce);
  slots_.resize(total);
  for (const auto& p : block.prefilled) {
    slots_[p.index].state = SlotState::prefilled;
    slots_[p.index].tx = p.tx;
  }
  by_short_id_.reserve(block.short_ids.size());
  size_t next_id = 0;
  for (uint32_t i = 0; i < total; ++i) {
    if (slots_[i].state == SlotState::prefilled) continue;
    // Every slot not prefilled takes the next short id: counts add up by construction.
    const ShortId id = block.short_ids[next_id++] & kShortIdMask;
    if (!by_short_id_.emplace(id, i).second) {
      slots_.clear();
      by_short_id_.clear();
      return Error{ErrorCode::verify, "two transactions of the compact block share a short id"};
    }
  }
  votes_ = block.votes;
  return {};
}

void PartialBlock::offer(const Transaction& tx) {
  if (by_short_id_.empty()) return;
  const Hash256 id = wtxid(tx);
  const auto found = by_short_id_.find(short_id(key_, id));
  if (found == by_short_id_.end()) return;
  Slot& slot = slots_[found->second];
  switch (slot.state) {
    case SlotState::empty:
      slot.state = SlotState::matched;
      slot.wtxid = id;
      slot.tx = tx;
      return;
    case SlotState::matched:
      if (slot.wtxid == id) return;
      // Two candidates fit: neither can be trusted, ask the announcer (BIP-152).
      slot.state = SlotState::collided;
      slot.tx.reset();
      return;
    case SlotState::prefilled:  // never in by_short_id_
    case SlotState::collided:
      return;
  }
}

void PartialBlock::fill_from(std::span<const MempoolEntryInfo> entries) {
  for (const auto& entry : entries) offer(entry.tx);
}

std::vector<uint32_t> PartialBlock::missing() const {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i].tx) out.push_back(static_cast<uint32_t>(i));
  }
  return out;
}

Result<Block> PartialBlock::finish(std::vector<Transaction> missing_txs) {
  // Not a valid state for a caller that checked init(), but an empty block must never come
  // out of a failed or finished PartialBlock.
  if (slots_.empty()) return Error{ErrorCode::invalid_argument, "no compact block to finish"};
  const size_t empty =
      static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return !s.tx; }));
  if (missing_txs.size() != empty) {
    return Error{ErrorCode::invalid_argument, std::to_string(missing_txs.size()) + " transactions for " +
                                                  std::to_string(empty) + " missing ones"};
  }
  Block block;
  block.header = header_;
  block.transactions.reserve(slots_.size());
  size_t next_missing = 0;
  for (auto& slot : slots_) {
    block.transactions.push_back(slot.tx ? std::move(*slot.tx) : std::move(missing_txs[next_missing++]));
  }
  block.votes = std::move(votes_);
  slots_.clear();
  by_short_id_.clear();
  votes_.clear();

  if (compute_tx_root(block) != header_.tx_root) {
    return Error{ErrorCode::verify, "rebuilt block's transaction root differs from its header's"};
  }
  if (compute_witness_root(block) != header_.witness_root) {
    return Error{ErrorCode::verify, "rebuilt block's witness root differs from its header's"};
  }
  if (compute_vote_root(block) != header_.vote_root) {
    return Error{ErrorCode::verify, "compact block's vote root differs from its header's"};
  }
  return block;
}

}  // namespace cairn::net
