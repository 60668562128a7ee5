#include "rpc/chain_events.h"

#include <utility>

#include "rpc/chain_json.h"

namespace cairn::rpc {

ChainEventPublisher::ChainEventPublisher(const ChainManager& chain, SubscriptionHub& hub, Deliver deliver)
    : chain_(chain), hub_(hub), deliver_(std::move(deliver)), finalized_height_(chain.finalized_height()) {}

void ChainEventPublisher::publish(const char* topic, json result) {
  if (!deliver_) {
    hub_.publish(topic, result);
    return;
  }
  deliver_([&hub = hub_, topic, result = std::move(result)] { hub.publish(topic, result); });
}

void ChainEventPublisher::block_disconnected(const Block& block, uint64_t height) {
  publish(kNewHeadsTopic,
          json{{"event", "disconnected"}, {"hash", block_hash(block.header).hex()}, {"height", height}});
}

void ChainEventPublisher::block_connected(const Block& block, uint64_t /*height: the node's*/) {
  // A connected block is always in the index; its node carries what header_json shows.
  const BlockNode* node = chain_.find(block_hash(block.header));
  if (node == nullptr) return;
  json head = header_json(chain_, *node);
  head["event"] = "connected";
  publish(kNewHeadsTopic, std::move(head));
}

void ChainEventPublisher::chain_updated() {
  const uint64_t finalized = chain_.finalized_height();
  if (finalized <= finalized_height_) return;
  finalized_height_ = finalized;
  if (const BlockNode* node = chain_.at_height(finalized))
    hub_.publish(kFinalizedTopic, header_json(chain_, *node));
}

}  // namespace cairn::rpc
