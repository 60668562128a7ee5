#include "chain/utxo_cache.h"

#include "storage/keys.h"

namespace cairn {

Result<UtxoCache::Map::iterator> UtxoCache::fetch(const OutPoint& outpoint) const {
  if (auto it = entries_.find(outpoint); it != entries_.end()) return it;
  CAIRN_TRY(auto value, store_.get(Column::utxo, utxo_key(outpoint)));
  if (!value) return entries_.end();
  CAIRN_TRY(Coin coin, decode_coin_value(*value));
  return entries_.emplace(outpoint, Entry{std::move(coin), false, false}).first;
}

Result<std::optional<Coin>> UtxoCache::get_coin(const OutPoint& outpoint) const {
  CAIRN_TRY(auto it, fetch(outpoint));
  if (it == entries_.end()) return std::optional<Coin>{};
  return it->second.coin;
}

Status UtxoCache::add_coin(const OutPoint& outpoint, const Coin& coin) {
  CAIRN_TRY(auto it, fetch(outpoint));
  if (it == entries_.end()) {
    // Nothing unspent in the store here: if spent before a flush, it can be forgotten.
    entries_.emplace(outpoint, Entry{coin, true, true});
    return {};
  }
  if (it->second.coin) {
    return Error{ErrorCode::invalid_argument, "an unspent coin already exists at " + outpoint.txid.hex() +
                                                  ":" + std::to_string(outpoint.index)};
  }
  // A spent entry not yet flushed: the store still holds the old coin, so not fresh.
  it->second.coin = coin;
  it->second.dirty = true;
  return {};
}

Result<std::optional<Coin>> UtxoCache::spend_coin(const OutPoint& outpoint) {
  CAIRN_TRY(auto it, fetch(outpoint));
  if (it == entries_.end() || !it->second.coin) return std::optional<Coin>{};
  std::optional<Coin> spent = std::move(it->second.coin);
  if (it->second.fresh) {
    entries_.erase(it);
  } else {
    it->second.coin.reset();
    it->second.dirty = true;
  }
  return spent;
}

void UtxoCache::flush_into(WriteBatch& batch) const {
  for (const auto& [outpoint, entry] : entries_) {
    if (!entry.dirty) continue;
    if (entry.coin) {
      batch.put(Column::utxo, utxo_key(outpoint), encode_coin_value(*entry.coin));
    } else {
      batch.erase(Column::utxo, utxo_key(outpoint));
    }
  }
}

void UtxoCache::mark_flushed() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!it->second.coin) {
      it = entries_.erase(it);
      continue;
    }
    it->second.dirty = false;
    it->second.fresh = false;
    ++it;
  }
  if (estimated_bytes() > max_bytes_) entries_.clear();
}

void UtxoCache::discard_changes() {
  std::erase_if(entries_, [](const auto& kv) { return kv.second.dirty; });
}

}  // namespace cairn
