// An in-memory wallet::ChainSource for tests: coins and history per address, a settable
// fee rate and tip height, a mempool set, and every broadcast transaction recorded. Tests
// fund addresses with add_coin, spend coins with spend, and look at what the wallet sent
// with broadcasts(). Counts of queries let tests check how far a scan looked.
//
// Not thread-safe (ChainSource implementations need not be).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "primitives/address.h"
#include "primitives/network.h"
#include "primitives/transaction.h"
#include "wallet/chain_source.h"

namespace cairn::wallet {

class FakeChainSource final : public ChainSource {
 public:
  explicit FakeChainSource(Network net = Network::regtest) : net_(net) {}

  // Pays `value` to `address` in a fresh (unique) outpoint at `height`; the coin is
  // unspent and appears in the address's history. `address` must decode on the network.
  OutPoint add_coin(const std::string& address, Amount value, uint64_t height = 1, bool coinbase = false,
                    bool mature = true) {
    auto lock = decode_address(net_, address);
    if (!lock) throw std::invalid_argument("FakeChainSource::add_coin: " + lock.error().message);
    OutPoint outpoint;
    ++next_txid_;
    for (size_t i = 0; i < 8; ++i) outpoint.txid.bytes[i] = static_cast<uint8_t>(next_txid_ >> (8 * i));
    outpoint.index = 0;
    Coin coin;
    coin.utxo = Utxo{outpoint, TxOut{value, *lock}, height, coinbase, mature};
    coin.address = address;
    coins_.push_back(std::move(coin));
    return outpoint;
  }

  // Marks a coin spent by input `input` of `by` at `height`: gone from utxos(), its
  // history entry shows the spend. Throws if the coin is unknown.
  void spend(const OutPoint& outpoint, const Txid& by, uint32_t input = 0, uint64_t height = 1) {
    for (auto& coin : coins_) {
      if (coin.utxo.outpoint == outpoint) {
        coin.spent = HistoryEntry::Spend{by, input, height};
        return;
      }
    }
    throw std::invalid_argument("FakeChainSource::spend: unknown outpoint");
  }

  // Sets whether a coin may be spent by the next block (an immature coinbase).
  void set_mature(const OutPoint& outpoint, bool mature) {
    for (auto& coin : coins_)
      if (coin.utxo.outpoint == outpoint) coin.utxo.mature = mature;
  }

  void set_fee_rate(FeeRate rate) { fee_rate_ = rate; }
  void set_tip_height(uint64_t height) { tip_height_ = height; }
  void add_to_mempool(const Txid& txid) { mempool_.insert(txid); }
  void remove_from_mempool(const Txid& txid) { mempool_.erase(txid); }
  // Makes the next broadcasts fail with `error` (nullopt: accept again).
  void refuse_broadcasts(std::optional<Error> error) { refusal_ = std::move(error); }
  // Makes utxos() and history() fail with `error` (nullopt: answer again).
  void fail_queries(std::optional<Error> error) { query_failure_ = std::move(error); }

  const std::vector<Transaction>& broadcasts() const { return broadcasts_; }
  // Number of history() calls, and the addresses asked, in order.
  size_t history_queries() const { return history_asked_.size(); }
  const std::vector<std::string>& history_asked() const { return history_asked_; }
  uint32_t last_fee_target() const { return last_fee_target_; }

  Result<std::vector<Utxo>> utxos(const std::string& address) override {
    if (query_failure_) return *query_failure_;
    std::vector<Utxo> out;
    for (const auto& coin : coins_)
      if (coin.address == address && !coin.spent) out.push_back(coin.utxo);
    return out;
  }

  Result<std::vector<HistoryEntry>> history(const std::string& address) override {
    history_asked_.push_back(address);
    if (query_failure_) return *query_failure_;
    std::vector<HistoryEntry> out;
    for (const auto& coin : coins_) {
      if (coin.address != address) continue;
      HistoryEntry entry;
      entry.outpoint = coin.utxo.outpoint;
      entry.value = coin.utxo.output.value;
      entry.height = coin.utxo.height;
      entry.coinbase = coin.utxo.coinbase;
      entry.spent = coin.spent;
      out.push_back(entry);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const HistoryEntry& a, const HistoryEntry& b) { return a.height < b.height; });
    return out;
  }

  Result<FeeRate> estimate_fee(uint32_t target_blocks) override {
    last_fee_target_ = target_blocks;
    return fee_rate_;
  }

  Result<uint64_t> tip_height() override { return tip_height_; }

  Result<Txid> broadcast(const Transaction& tx) override {
    if (refusal_) return *refusal_;
    broadcasts_.push_back(tx);
    Txid id = txid(tx);
    mempool_.insert(id);
    return id;
  }

  Result<bool> in_mempool(const Txid& id) override { return mempool_.count(id) != 0; }

 private:
  struct Coin {
    Utxo utxo;
    std::string address;
    std::optional<HistoryEntry::Spend> spent;
  };

  Network net_;
  std::vector<Coin> coins_;
  uint64_t next_txid_ = 0;
  FeeRate fee_rate_{1000};
  uint64_t tip_height_ = 100;
  std::set<Txid> mempool_;
  std::vector<Transaction> broadcasts_;
  std::optional<Error> refusal_;
  std::optional<Error> query_failure_;
  std::vector<std::string> history_asked_;
  uint32_t last_fee_target_ = 0;
};

}  // namespace cairn::wallet
