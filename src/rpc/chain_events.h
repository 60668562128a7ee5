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

#include <cstdint>
#include <functional>

#include "chain/chain_manager.h"
#include "rpc/subscriptions.h"

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

}  // namespace cairn::rpc
