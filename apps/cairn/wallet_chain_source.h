// wallet::ChainSource over cairnd's JSON-RPC API (docs/rpc.md): address_get_utxos and
// address_get_history followed page by page through their cursors, tx_estimate_fee,
// chain_get_info, tx_send_raw (admin: the cookie's user or an admin --rpc-user) and
// mempool_get_entry. Every error names the method and, for an unreachable node, says how
// to point `cairn` at one.
//
// Not thread-safe (RpcClient is not); the wallet calls it from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "primitives/network.h"
#include "rpc_client.h"
#include "wallet/chain_source.h"

namespace cairn::app {

// Items asked for per page of address_get_utxos / address_get_history (the API's maximum).
inline constexpr uint32_t kAddressPageLimit = 1000;
// Pages followed for one address before giving up: a node that keeps handing out cursors
// cannot keep the wallet looping (1000 pages of 1000 items is far beyond any wallet).
inline constexpr uint32_t kMaxAddressPages = 1000;

// A node that answers "busy" (-32003) or "rate limited" (-32005: anonymous clients get 200
// requests a second, docs/rpc.md) is asked again after a pause that doubles from
// kFirstRetryPause up to kMaxRetryPause, at most kMaxRetries times (about 9 s in all): a
// restore scan or the balance of a large wallet makes hundreds of calls.
inline constexpr int kMaxRetries = 8;
inline constexpr std::chrono::milliseconds kFirstRetryPause{100};
inline constexpr std::chrono::milliseconds kMaxRetryPause{2000};

class RpcChainSource final : public wallet::ChainSource {
 public:
  // `network` is the one addresses are decoded on (the node's: a mismatch is refused by
  // the node with "of another network").
  RpcChainSource(RpcClient& client, Network network) : client_(client), network_(network) {}

  Result<std::vector<wallet::Utxo>> utxos(const std::string& address) override;
  Result<std::vector<wallet::HistoryEntry>> history(const std::string& address) override;
  Result<FeeRate> estimate_fee(uint32_t target_blocks) override;
  Result<uint64_t> tip_height() override;
  Result<Txid> broadcast(const Transaction& tx) override;
  Result<bool> in_mempool(const Txid& txid) override;

 private:
  // Calls `method`, retrying while the node is busy or rate-limits us.
  CallResult call_with_retries(const std::string& method, const json& params);
  // Calls `method`; a failure becomes an Error "cairnd METHOD: ...".
  Result<json> call(const std::string& method, const json& params);
  // Every item of a paginated address method.
  Result<std::vector<json>> all_pages(const std::string& method, const std::string& address);

  RpcClient& client_;
  Network network_;
};

// Parsers of the RPC answers (pure, for tests): an Error names the missing or bad field.
Result<wallet::Utxo> parse_utxo(const json& item, const OutputLock& lock);
Result<wallet::HistoryEntry> parse_history_entry(const json& item);
// The amount at `key`: a decimal string of base units in the money range (docs/rpc.md
// "Encodings").
Result<Amount> amount_field(const json& doc, const char* key);

}  // namespace cairn::app
