// What the chain tells WebSocket subscribers (node_subscribe topics): a ChainListener that
// publishes every block connected to and disconnected from the best chain, in chain order,
// and each newly finalized checkpoint, to a SubscriptionHub.
//
// A reorganisation reaches `new_heads` subscribers as `{"event":"disconnected","hash","height"}`
// notices from the old tip down to the fork, then the new branch's headers (chain_json.h
// header_json) with `"event":"connected"`, lowest first.
//
// Runs where the ChainManager calls its listeners: the chain thread. The notices are built
// there (they read chain state); delivering them to the subscribers can be handed to another
// executor, which must keep their order (a strand).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "chain/chain_manager.h"
#include "primitives/network.h"
#include "rpc/subscriptions.h"
#include "storage/kv.h"

namespace cairn::rpc {

inline constexpr const char* kNewHeadsTopic = "new_heads";
inline constexpr const char* kFinalizedTopic = "finalized";
inline constexpr const char* kMempoolTopic = "mempool";

class ChainEventPublisher final : public ChainListener {
 public:
  // Runs a delivery: inline by default; the node hands deliveries to a strand so that fanning
  // out to many subscribers does not hold up the chain thread.
  using Deliver = std::function<void(std::function<void()> delivery)>;

  // `chain` and `hub` must outlive the publisher (and its pending deliveries).
  ChainEventPublisher(const ChainManager& chain, SubscriptionHub& hub, Deliver deliver = {});

  void block_disconnected(const Block& block, uint64_t height) override;
  void block_connected(const Block& block, uint64_t height) override;
  void chain_updated() override;

 private:
  void publish(const char* topic, json result);

  const ChainManager& chain_;
  SubscriptionHub& hub_;
  Deliver deliver_;
  uint64_t finalized_height_;  // the last one published (or found at start)
};

// Blocks below the tip whose events ContractEventPublisher keeps for their disconnection
// notices (a block's receipts are gone from the store once it is disconnected).
inline constexpr uint64_t kContractEventMemoryBlocks = 128;

// Publishes the `contract_events` topic (contract_methods.h): for every block connected to
// the best chain, each event of its contract transactions' receipts, in chain order, as
// {event: "connected", block_hash, height, txid, position, index} + the event
// (contract_json.h event_json), to the subscribers whose filter matches; for a
// disconnected block the same notices with event "disconnected", last event first.
//
// Disconnection notices come from memory: the events of the blocks connected within
// kContractEventMemoryBlocks of the tip (filled from the store at construction); a deeper
// reorganisation's older blocks are disconnected without notices. Chain thread only, as
// ChainEventPublisher.
class ContractEventPublisher final : public ChainListener {
 public:
  using Deliver = ChainEventPublisher::Deliver;

  // `chain`, `store` (the manager's) and `hub` must outlive the publisher and its deliveries.
  ContractEventPublisher(const ChainManager& chain, const KvReader& store, Network network,
                         SubscriptionHub& hub, Deliver deliver = {});

  void block_disconnected(const Block& block, uint64_t height) override;
  void block_connected(const Block& block, uint64_t height) override;
  void chain_updated() override {}

 private:
  struct Notice {
    Event event;
    json result;  // without "event"
  };
  struct BlockEvents {
    BlockHash hash;
    uint64_t height = 0;
    std::vector<Notice> notices;
  };
  // The notices of best-chain block `block` at `height`, from its receipts.
  std::vector<Notice> notices_of(const Block& block, uint64_t height) const;
  void publish(std::vector<Notice> notices, const char* event);

  const ChainManager& chain_;
  const KvReader& store_;
  Network network_;
  SubscriptionHub& hub_;
  Deliver deliver_;
  std::deque<BlockEvents> recent_;  // blocks with events, lowest first
};

}  // namespace cairn::rpc
