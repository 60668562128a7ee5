// The UTXO cache: a CoinView over the store's utxo column with the coins read or changed
// kept in memory, in the manner of Bitcoin Core's CCoinsViewCache.
//
// Each entry carries two flags:
//   dirty  the entry differs from the store (a new coin, or a spent one: coin == nullopt)
//   fresh  the store has no unspent coin at this outpoint, so spending the entry can just
//          forget it: a coin created and spent before a flush never touches the store.
// Invariant: the view is the store's utxo column with the dirty entries applied. So
// discard_changes() (drop the dirty entries) returns the view to the store's contents,
// which is how a block that fails validation half-way is undone.
//
// flush_into() writes the dirty entries into a caller's WriteBatch, so that the UTXO
// changes of a block commit atomically with its undo data, indexes and tip; once that
// batch is written the caller calls mark_flushed(). The memory bound applies there: when
// the estimate exceeds max_bytes, the clean entries are dropped (they are re-read on
// demand). Dirty entries are never dropped; between flushes they are one block's changes,
// bounded by the consensus block size.
//
// Not thread-safe: owned by the chain manager's thread.
#pragma once

#include <cstddef>
#include <map>
#include <optional>

#include "chain/coin_view.h"
#include "storage/kv.h"

namespace cairn {

class UtxoCache final : public CoinView {
 public:
  static constexpr size_t kDefaultMaxBytes = size_t{256} << 20;
  // A map node's links and colour plus allocator overhead, besides its key and value.
  static constexpr size_t kNodeOverheadBytes = 48;

  // REQUIRES: `store` outlives the cache.
  explicit UtxoCache(const KvReader& store, size_t max_bytes = kDefaultMaxBytes)
      : store_(store), max_bytes_(max_bytes) {}

  // Reads through to the store and keeps what it found.
  Result<std::optional<Coin>> get_coin(const OutPoint& outpoint) const override;

  // Adds an unspent coin. An Error (invalid_argument) if an unspent coin is already at
  // `outpoint`: overwriting it would destroy money.
  Status add_coin(const OutPoint& outpoint, const Coin& coin);
  // Spends the coin at `outpoint` and returns it; nullopt if there is no unspent coin.
  Result<std::optional<Coin>> spend_coin(const OutPoint& outpoint);

  // Puts and erases for every dirty entry, into `batch`.
  void flush_into(WriteBatch& batch) const;
  // After the batch of flush_into() was written: every entry is clean and not fresh, spent
  // entries are forgotten, and clean entries are dropped if over the size bound.
  void mark_flushed();
  // Forgets every dirty entry: the view is the store again.
  void discard_changes();

  // Coins are fixed-size (a lock is a kind and a hash), so every entry costs the same.
  size_t estimated_bytes() const { return entries_.size() * kEntryBytes; }
  size_t max_bytes() const { return max_bytes_; }

 private:
  struct Entry {
    std::optional<Coin> coin;  // nullopt: spent
    bool dirty = false;
    bool fresh = false;
  };
  using Map = std::map<OutPoint, Entry>;
  static constexpr size_t kEntryBytes = sizeof(Map::value_type) + kNodeOverheadBytes;

  // The entry for `outpoint`, read from the store if not cached; end() if the store has none.
  Result<Map::iterator> fetch(const OutPoint& outpoint) const;

  const KvReader& store_;
  size_t max_bytes_;
  mutable Map entries_;  // reads fill it, so it changes in const get_coin()
};

}  // namespace cairn
