// A simulated network for BlockSync tests: peers that serve blocks from prepared chains,
// answering the requests BlockSync emits, with simulated time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "chain/chain_manager.h"
#include "net/block_sync.h"
#include "support/keys.h"

namespace cairn::test {

// A chain of blocks by height (0: genesis) with their cumulative work.
struct SimChain {
  std::vector<Block> blocks;
  std::vector<ChainWork> work;
  std::map<BlockHash, uint64_t> heights;

  void push(Block block, const ChainWork& cumulative) {
    heights.emplace(block_hash(block.header), blocks.size());
    blocks.push_back(std::move(block));
    work.push_back(cumulative);
  }
  uint64_t tip_height() const { return blocks.size() - 1; }
  BlockHash hash_at(uint64_t height) const { return block_hash(blocks.at(height).header); }
  // The first `height` + 1 blocks.
  SimChain prefix(uint64_t height) const {
    SimChain out;
    for (uint64_t h = 0; h <= height; ++h) out.push(blocks.at(h), work.at(h));
    return out;
  }
  net::PeerChainState state() const {
    net::PeerChainState state;
    state.best_hash = hash_at(tip_height());
    state.best_height = tip_height();
    state.best_work = work.back();
    return state;
  }
};

inline net::PeerId sim_peer_id(size_t index) {
  return net::PeerId::from_public_key(test_key(index).public_key());
}

struct SimPeer {
  SimChain chain;
  // Holds every blocks request without answering (a staller).
  bool stalls = false;
  // Answers nothing at all.
  bool silent = false;
  // Blocks above this height are missing (the reply stops there).
  std::optional<uint64_t> serves_up_to;
  // Bodies served instead of the real ones, by height.
  std::map<uint64_t, Block> replaced;
};

class SimNetwork {
 public:
  SimNetwork(ChainManager& chain, const ChainRules& rules, const Clock& wall_clock,
             net::BlockSyncOptions options = {})
      : sync(chain, rules, wall_clock, options), chain_(chain) {}

  void connect(const net::PeerId& id, SimPeer peer) {
    const net::PeerChainState state = peer.chain.state();
    peers.insert_or_assign(id, std::move(peer));
    sync.add_peer(id, state, now);
  }

  // Delivers actions and answers until BlockSync has nothing more to say.
  void pump() {
    for (int round = 0; round < 100'000; ++round) {
      net::BlockSync::Actions actions = sync.take_actions();
      if (observer) observer(actions);
      if (actions.fatal) fatal = actions.fatal;
      if (actions.headers.empty() && actions.blocks.empty() && actions.penalties.empty() &&
          actions.disconnect.empty()) {
        return;
      }
      for (const auto& request : actions.headers) {
        headers_requests.push_back(request);
        answer_headers(request);
      }
      for (const auto& request : actions.blocks) blocks_requests.push_back(request);
      // Latest first, so that blocks arrive out of order and wait for their parents.
      for (auto it = actions.blocks.rbegin(); it != actions.blocks.rend(); ++it) answer_blocks(*it);
      for (const auto& penalty : actions.penalties) {
        penalties.push_back(penalty);
        if (disconnect_on_penalty) disconnect(penalty.peer);
      }
      for (const auto& peer : actions.disconnect) {
        disconnected.push_back(peer);
        disconnect(peer);
      }
    }
    ADD_FAILURE() << "BlockSync never went quiet";
  }

  // Pumps and ticks in steps of `step_ns` until `done` or `max_ns` of simulated time.
  bool run_until(const std::function<bool()>& done, int64_t max_ns = 600'000'000'000,
                 int64_t step_ns = 100'000'000) {
    const int64_t end = now + max_ns;
    while (true) {
      pump();
      if (done()) return true;
      if (now >= end || fatal) return false;
      now += step_ns;
      sync.tick(now);
    }
  }

  uint64_t tip_height() const { return chain_.tip().height(); }

  // Heights requested of `peer` (with repetitions), from the chain of `reference`.
  std::vector<uint64_t> requested_heights(const net::PeerId& peer, const SimChain& reference) const {
    std::vector<uint64_t> out;
    for (const auto& request : blocks_requests) {
      if (request.peer != peer) continue;
      for (const auto& hash : request.hashes) out.push_back(reference.heights.at(hash));
    }
    return out;
  }

  size_t penalties_of(const net::PeerId& peer, net::Misbehavior reason) const {
    size_t n = 0;
    for (const auto& p : penalties) n += (p.peer == peer && p.reason == reason) ? 1U : 0U;
    return n;
  }

  net::BlockSync sync;
  std::map<net::PeerId, SimPeer> peers;
  int64_t now = 0;
  bool disconnect_on_penalty = false;
  std::function<void(const net::BlockSync::Actions&)> observer;
  std::vector<net::BlockSync::HeadersRequest> headers_requests;
  std::vector<net::BlockSync::BlocksRequest> blocks_requests;
  std::vector<net::BlockSync::BlocksRequest> held;
  std::vector<net::BlockSync::Penalty> penalties;
  std::vector<net::PeerId> disconnected;
  std::optional<Error> fatal;

 private:
  void disconnect(const net::PeerId& peer) {
    // find + erase(iterator): erase(key) trips GCC 12's -Wstringop-overread on PeerId.
    if (auto it = peers.find(peer); it != peers.end()) peers.erase(it);
    sync.remove_peer(peer, now);
  }

  void answer_headers(const net::BlockSync::HeadersRequest& request) {
    auto it = peers.find(request.peer);
    if (it == peers.end() || it->second.silent) return;
    const SimChain& chain = it->second.chain;
    uint64_t start = 0;
    for (const auto& hash : request.locator) {
      if (auto known = chain.heights.find(hash); known != chain.heights.end()) {
        start = known->second + 1;
        break;
      }
    }
    std::vector<BlockHeader> headers;
    for (uint64_t h = start; h <= chain.tip_height() && headers.size() < request.max_count; ++h) {
      headers.push_back(chain.blocks[h].header);
    }
    sync.on_headers(request.peer, std::move(headers), now);
  }

  void answer_blocks(const net::BlockSync::BlocksRequest& request) {
    auto it = peers.find(request.peer);
    if (it == peers.end() || it->second.silent) return;
    if (it->second.stalls) {
      held.push_back(request);
      return;
    }
    for (const auto& hash : request.hashes) {
      // The peer may be gone after an earlier block of this request (a penalty).
      auto peer = peers.find(request.peer);
      if (peer == peers.end()) return;
      const SimPeer& sim = peer->second;
      auto known = sim.chain.heights.find(hash);
      if (known == sim.chain.heights.end() || (sim.serves_up_to && known->second > *sim.serves_up_to)) {
        sync.on_request_failed(request.peer, request.id, now);
        return;
      }
      auto replaced = sim.replaced.find(known->second);
      sync.on_block(request.peer,
                    replaced != sim.replaced.end() ? replaced->second : sim.chain.blocks[known->second], now);
    }
  }

  ChainManager& chain_;
};

}  // namespace cairn::test
