#include "rpc/chain_events.h"

#include <algorithm>
#include <utility>

#include "primitives/contract.h"
#include "rpc/chain_json.h"
#include "rpc/contract_json.h"
#include "rpc/contract_methods.h"

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

// ---- contract_events ----------------------------------------------------------------------

ContractEventPublisher::ContractEventPublisher(const ChainManager& chain, const KvReader& store,
                                               Network network, SubscriptionHub& hub, Deliver deliver)
    : chain_(chain), store_(store), network_(network), hub_(hub), deliver_(std::move(deliver)) {
  // The recent blocks' events, for the notices of their disconnection (a pruned body has
  // none to give).
  const uint64_t tip = chain_.tip().height();
  for (uint64_t h = tip >= kContractEventMemoryBlocks ? tip - kContractEventMemoryBlocks + 1 : 1; h <= tip;
       ++h) {
    const BlockNode* node = chain_.at_height(h);
    auto block = chain_.read_block(node->hash);
    if (!block) continue;
    std::vector<Notice> notices = notices_of(*block, h);
    if (!notices.empty()) recent_.push_back(BlockEvents{node->hash, h, std::move(notices)});
  }
}

std::vector<ContractEventPublisher::Notice> ContractEventPublisher::notices_of(const Block& block,
                                                                               uint64_t height) const {
  std::vector<Notice> notices;
  const std::string hash = block_hash(block.header).hex();
  for (size_t i = 0; i < block.transactions.size(); ++i) {
    const Transaction& tx = block.transactions[i];
    if (!is_contract_payload(tx.payload.kind)) continue;
    const Txid id = txid(tx);
    auto receipt = read_receipt(store_, id);
    if (!receipt || !*receipt) continue;  // a store failure stops the node; nothing to show
    for (size_t e = 0; e < (*receipt)->events.size(); ++e) {
      const Event& event = (*receipt)->events[e];
      json result = event_json(event, network_);
      result["block_hash"] = hash;
      result["height"] = height;
      result["txid"] = id.hex();
      result["position"] = i;
      result["index"] = e;
      notices.push_back(Notice{event, std::move(result)});
    }
  }
  return notices;
}

void ContractEventPublisher::publish(std::vector<Notice> notices, const char* event) {
  for (Notice& notice : notices) {
    notice.result["event"] = event;
    auto delivery = [&hub = hub_, network = network_, notice = std::move(notice)] {
      hub.publish(kContractEventsTopic, notice.result,
                  [&](const json& filter) { return contract_event_matches(filter, notice.event, network); });
    };
    if (deliver_) {
      deliver_(std::move(delivery));
    } else {
      delivery();
    }
  }
}

void ContractEventPublisher::block_connected(const Block& block, uint64_t height) {
  while (!recent_.empty() && recent_.front().height + kContractEventMemoryBlocks <= height)
    recent_.pop_front();
  std::vector<Notice> notices = notices_of(block, height);
  if (notices.empty()) return;
  recent_.push_back(BlockEvents{block_hash(block.header), height, notices});
  publish(std::move(notices), "connected");
}

void ContractEventPublisher::block_disconnected(const Block& block, uint64_t /*height*/) {
  const BlockHash hash = block_hash(block.header);
  const auto found =
      std::find_if(recent_.begin(), recent_.end(), [&](const BlockEvents& b) { return b.hash == hash; });
  if (found == recent_.end()) return;
  std::vector<Notice> notices = std::move(found->notices);
  recent_.erase(found);
  std::reverse(notices.begin(), notices.end());
  publish(std::move(notices), "disconnected");
}

}  // namespace cairn::rpc
