// What the chain tells WebSocket subscribers (node_subscribe topics): a ChainListener that
// publishes every block connected to and disconnected from the best chain, in chain order,
// and each newly finalized checkpoint, to a SubscriptionHub.
//
// A reorganisation reaches `new_heads` subscribers as `{"event":"disconnected","hash","height"}`
// notices from the old tip down to the fork, then the new branch's headers (chain_json.h
// header_json) with `"event":"connected"`, lowest first.
//
// Runs where the ChainManager calls its listeners: the chain thread.
#pragma once

#include <cstdint>

#include "chain/chain_manager.h"
#include "rpc/subscriptions.h"

namespace cairn::rpc {

inline constexpr const char* kNewHeadsTopic = "new_heads";
inline constexpr const char* kFinalizedTopic = "finalized";
inline constexpr const char* kMempoolTopic = "mempool";

class ChainEventPublisher final : public ChainListener {
 public:
  // Both must outlive the publisher.
  ChainEventPublisher(const ChainManager& chain, SubscriptionHub& hub);

  void block_disconnected(const Block& block, uint64_t height) override;
  void block_connected(const Block& block, uint64_t height) override;
  void chain_updated() override;

 private:
  const ChainManager& chain_;
  SubscriptionHub& hub_;
  uint64_t finalized_height_;  // the last one published (or found at start)
};

}  // namespace cairn::rpc
