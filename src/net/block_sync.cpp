#include "net/block_sync.h"

#include <algorithm>
#include <utility>

#include "consensus/block_error.h"

namespace cairn::net {

namespace {

// Headers requests in flight across all peers: one peer at a time leads the header download
// (the others would send the same headers again); a slow one is dropped by the timeout.
constexpr size_t kMaxHeadersRequestsInFlight = 1;

std::string describe(const BlockRejection& rejection) {
  std::string text = to_string(rejection.reason);
  if (!rejection.message.empty()) {
    text += ": ";
    text += rejection.message;
  }
  return text;
}

}  // namespace

BlockSync::BlockSync(ChainManager& chain, const ChainRules& rules, const Clock& wall_clock,
                     BlockSyncOptions options)
    : chain_(chain), rules_(rules), wall_clock_(wall_clock), options_(options) {
  options_.window = std::max<uint64_t>(options_.window, 1);
  options_.max_blocks_per_request = std::max<size_t>(options_.max_blocks_per_request, 1);
  options_.max_requests_per_peer = std::max<size_t>(options_.max_requests_per_peer, 1);
  options_.max_header_tree = std::max<size_t>(options_.max_header_tree, 1);
  options_.max_buffered_block_bytes = std::max<size_t>(options_.max_buffered_block_bytes, 1);
  const BlockNode& tip = chain_.tip();
  set_best(tip.hash, tip.work, tip.height(), 0);
}

// ---- Peers ----

void BlockSync::add_peer(const PeerId& peer, const PeerChainState& state, int64_t now) {
  if (stopped()) return;
  if (peers_.contains(peer)) {
    update_peer(peer, state, now);
    return;
  }
  peers_[peer].state = state;
  schedule(now);
}

void BlockSync::update_peer(const PeerId& peer, const PeerChainState& state, int64_t now) {
  if (stopped()) return;
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    add_peer(peer, state, now);
    return;
  }
  it->second.state = state;
  it->second.headers_exhausted = false;
  it->second.lacks_from.reset();
  it->second.best_known.reset();
  it->second.served_cache.reset();
  schedule(now);
}

void BlockSync::remove_peer(const PeerId& peer, int64_t now) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  for (const Request& request : it->second.requests) release_request(peer, request);
  peers_.erase(it);
  schedule(now);
}

void BlockSync::release_request(const PeerId& peer_id, const Request& request) {
  for (const BlockHash& hash : request.hashes) {
    auto flight = in_flight_.find(hash);
    if (flight != in_flight_.end() && flight->second.peer == peer_id &&
        flight->second.request_id == request.id) {
      in_flight_.erase(flight);
    }
  }
}

void BlockSync::drop_peer(const PeerId& peer_id, Misbehavior reason, std::string detail) {
  actions_.penalties.push_back(Penalty{peer_id, reason, std::move(detail)});
  auto it = peers_.find(peer_id);
  if (it == peers_.end()) return;  // gone already; the penalty still counts
  for (const Request& request : it->second.requests) release_request(peer_id, request);
  peers_.erase(it);
  actions_.disconnect.push_back(peer_id);
}

size_t BlockSync::blocks_requests(const Peer& peer) {
  return static_cast<size_t>(
      std::count_if(peer.requests.begin(), peer.requests.end(), [](const Request& r) { return !r.headers; }));
}

bool BlockSync::has_headers_request(const Peer& peer) {
  return std::any_of(peer.requests.begin(), peer.requests.end(), [](const Request& r) { return r.headers; });
}

// ---- Header tree ----

BlockSync::Known BlockSync::lookup(const BlockHash& hash) const {
  Known known;
  if (auto it = tree_.find(hash); it != tree_.end()) {
    known.entry = &it->second;
  } else {
    known.node = chain_.find(hash);
  }
  return known;
}

uint64_t BlockSync::median_time_past_after(const BlockHash& hash) const {
  std::vector<uint64_t> times;
  BlockHash cursor = hash;
  for (auto it = tree_.find(cursor); it != tree_.end() && times.size() < kMedianTimeSpan;
       it = tree_.find(cursor)) {
    times.push_back(it->second.header.timestamp);
    cursor = it->second.header.prev;
  }
  for (const BlockNode* node = chain_.find(cursor); node != nullptr && times.size() < kMedianTimeSpan;
       node = node->parent) {
    times.push_back(node->header.timestamp);
  }
  // REQUIRES (callers): `hash` is known, so at least one time was found.
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

std::vector<BlockHash> BlockSync::locator_from(const BlockHash& start) const {
  std::vector<BlockHash> locator;
  // Headers ahead of the chain: only the dense part is walked. Deeper ones are left out
  // (walking a long tree for every request would cost O(depth)); the peer then finds the
  // fork on our stored chain and may resend headers we hold, which are skipped.
  BlockHash cursor = start;
  for (auto it = tree_.find(cursor); it != tree_.end() && locator.size() < kLocatorDenseSteps;
       it = tree_.find(cursor)) {
    locator.push_back(cursor);
    cursor = it->second.header.prev;
  }
  // Continue on the best chain: from the walk's first stored ancestor on it, else the tip.
  uint64_t height = chain_.tip().height();
  if (const BlockNode* node = chain_.find(cursor)) {
    while (chain_.at_height(node->height()) != node) node = node->parent;
    height = node->height();
  }
  uint64_t step = 1;
  while (true) {
    locator.push_back(chain_.at_height(height)->hash);
    if (height == 0) break;
    if (locator.size() >= kLocatorDenseSteps) step *= 2;
    height = height > step ? height - step : 0;
    // Genesis always ends the locator, within the cap.
    if (locator.size() + 1 >= kMaxLocatorHashes) height = 0;
  }
  return locator;
}

bool BlockSync::claims_finality_lead(const Peer& peer) const {
  const uint64_t height = peer.state.finalized_height;
  if (height <= chain_.finalized_height()) return false;
  const BlockNode* ours = chain_.at_height(height);
  return ours == nullptr || ours->hash != peer.state.finalized_hash;
}

std::optional<BlockSync::Target> BlockSync::download_target() const {
  const Peer* leader = nullptr;
  std::optional<BlockHash> target;
  for (const auto& [id, peer] : peers_) {
    if (!claims_finality_lead(peer) ||
        (leader != nullptr && peer.state.finalized_height <= leader->state.finalized_height))
      continue;
    // Its announced best block, or else the best header it sent us so far.
    for (const std::optional<BlockHash>& hash : {std::optional{peer.state.best_hash}, peer.best_known}) {
      if (hash && tree_.contains(*hash)) {
        leader = &peer;
        target = *hash;
        break;
      }
    }
  }
  if (target) return Target{*target, true};
  if (best_work_ > chain_.tip().work) return Target{best_hash_, false};
  return std::nullopt;
}

bool BlockSync::wants_headers_from(const Peer& peer) const {
  // With the tree over half full, headers wait until stored blocks leave it, so that each
  // request has room for a useful part of its reply.
  if (peer.headers_exhausted || has_headers_request(peer) || tree_.size() > options_.max_header_tree / 2)
    return false;
  return wants_chain_of(peer);
}

bool BlockSync::wants_chain_of(const Peer& peer) const {
  return (peer.state.best_work > best_work_ || claims_finality_lead(peer)) &&
         !lookup(peer.state.best_hash).found();
}

void BlockSync::request_headers(const PeerId& peer_id, Peer& peer, const BlockHash& from, int64_t now) {
  const uint64_t id = next_request_id_++;
  peer.requests.push_back(Request{id, true, {}, now});
  actions_.headers.push_back(
      HeadersRequest{id, peer_id, locator_from(from), BlockHash{}, kSyncHeadersPerRequest});
}

void BlockSync::on_headers(const PeerId& peer_id, std::vector<BlockHeader> headers, int64_t now) {
  if (stopped()) return;
  auto peer_it = peers_.find(peer_id);
  if (peer_it == peers_.end()) return;
  Peer& peer = peer_it->second;
  auto request =
      std::find_if(peer.requests.begin(), peer.requests.end(), [](const Request& r) { return r.headers; });
  // Only replies are delivered here; one after its request timed out is ignored.
  if (request == peer.requests.end()) return;
  peer.requests.erase(request);

  HeadersOutcome outcome = HeadersOutcome::stopped;
  std::optional<BlockHash> last_known;
  if (auto penalty = accept_headers(peer_id, peer, headers, outcome, last_known)) {
    peer.headers_exhausted = true;
    actions_.penalties.push_back(std::move(*penalty));
  } else if (outcome == HeadersOutcome::unconnecting) {
    // Tolerated a few times: its chain may have moved since its status.
    request_headers(peer_id, peer, best_hash_, now);
  } else {
    // The peer has the headers it sent, so it serves at least the chain up to the last one
    // we know now.
    if (last_known) {
      const Known known = lookup(*last_known);
      const Known previous = peer.best_known ? lookup(*peer.best_known) : Known{};
      if (!previous.found() || known.work() > previous.work()) {
        peer.best_known = *last_known;
        peer.served_cache.reset();
      }
    }
    if (outcome == HeadersOutcome::tree_full) {
      // Asked again (by schedule()) once the tree has room.
    } else if (outcome == HeadersOutcome::stopped || headers.empty()) {
      // Nothing more to take from this reply: asked again when the peer announces a chain.
      peer.headers_exhausted = true;
    } else if (headers.size() == kSyncHeadersPerRequest) {
      request_headers(peer_id, peer, *last_known, now);
    } else if (wants_chain_of(peer)) {
      // It claimed more than it sent.
      peer.headers_exhausted = true;
    }
  }
  schedule(now);
}

std::optional<BlockSync::Penalty> BlockSync::accept_headers(const PeerId& peer_id, Peer& peer,
                                                            const std::vector<BlockHeader>& headers,
                                                            HeadersOutcome& outcome,
                                                            std::optional<BlockHash>& last_known) {
  outcome = HeadersOutcome::stopped;
  last_known.reset();
  auto penalty = [&](Misbehavior reason, std::string detail) {
    return std::optional<Penalty>{Penalty{peer_id, reason, std::move(detail)}};
  };
  if (headers.size() > kSyncHeadersPerRequest) {
    return penalty(Misbehavior::oversized_message, std::to_string(headers.size()) + " headers in one reply");
  }
  if (headers.empty()) {
    outcome = HeadersOutcome::accepted;
    return std::nullopt;
  }
  std::vector<BlockHash> hashes;
  hashes.reserve(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) {
    hashes.push_back(block_hash(headers[i]));
    if (i > 0 && headers[i].prev != hashes[i - 1]) {
      return penalty(Misbehavior::non_continuous_headers,
                     "header " + std::to_string(i) + " does not follow the one before it");
    }
  }
  if (!lookup(headers.front().prev).found() && !invalid_.contains(headers.front().prev) &&
      !abandoned_.contains(headers.front().prev)) {
    if (++peer.unconnecting_replies > kMaxUnconnectingHeadersReplies) {
      return penalty(Misbehavior::unconnecting_headers,
                     std::to_string(peer.unconnecting_replies) + " headers replies in a row do not connect");
    }
    outcome = HeadersOutcome::unconnecting;
    return std::nullopt;
  }
  peer.unconnecting_replies = 0;

  const uint64_t now_unix = static_cast<uint64_t>(std::max<int64_t>(0, wall_clock_.unix_seconds()));
  for (size_t i = 0; i < headers.size(); ++i) {
    const BlockHeader& header = headers[i];
    const BlockHash& hash = hashes[i];
    if (invalid_.contains(hash) || invalid_.contains(header.prev)) {
      return penalty(Misbehavior::invalid_header,
                     "header " + hash.hex() + " is on a branch with an invalid block");
    }
    if (abandoned_.contains(hash) || abandoned_.contains(header.prev)) return std::nullopt;
    const Known known = lookup(hash);
    if (known.found()) {
      if (known.node != nullptr && known.node->failed()) {
        return penalty(Misbehavior::invalid_header, "header " + hash.hex() + " is of an invalid block");
      }
      last_known = hash;
      continue;
    }
    // Full: further headers wait until the chain catches up (nobody's fault).
    if (tree_.size() >= options_.max_header_tree) {
      outcome = HeadersOutcome::tree_full;
      return std::nullopt;
    }
    const Known parent = lookup(header.prev);
    if (parent.node != nullptr && parent.node->failed()) {
      return penalty(Misbehavior::invalid_header, "header " + hash.hex() + " builds on an invalid block");
    }
    const ParentInfo info{header.prev, parent.header(), median_time_past_after(header.prev), now_unix};
    if (auto verdict = rules_.check_header(header, info)) {
      // A timestamp ahead of our clock may pass later: what came before it is kept.
      if (verdict->reason == BlockError::time_too_new) return std::nullopt;
      return penalty(Misbehavior::invalid_header, "header " + hash.hex() + ": " + describe(*verdict));
    }
    const auto work = parent.work().checked_add(rules_.block_work(header));
    if (!work)
      return penalty(Misbehavior::invalid_header, "header " + hash.hex() + ": cumulative work overflows");
    const HeaderEntry& entry =
        tree_.emplace(hash, HeaderEntry{header, *work, ++next_sequence_}).first->second;
    if (entry.work > best_work_) set_best(hash, entry.work, header.height, entry.sequence);
    last_known = hash;
  }
  outcome = HeadersOutcome::accepted;
  return std::nullopt;
}

void BlockSync::set_best(const BlockHash& hash, const ChainWork& work, uint64_t height, uint64_t sequence) {
  best_hash_ = hash;
  best_work_ = work;
  best_height_ = height;
  best_sequence_ = sequence;
}

void BlockSync::recompute_best() {
  const BlockNode& tip = chain_.tip();
  set_best(tip.hash, tip.work, tip.height(), 0);
  for (const auto& [hash, entry] : tree_) {
    if (entry.work > best_work_ || (entry.work == best_work_ && entry.sequence < best_sequence_)) {
      set_best(hash, entry.work, entry.header.height, entry.sequence);
    }
  }
}

void BlockSync::drop_branch(const BlockHash& hash, bool invalid) {
  (invalid ? invalid_ : abandoned_).insert(hash);
  // Every tree header descending from `hash`. Rare (a refused block), so one pass over the
  // tree in height order is good enough.
  std::vector<std::pair<uint64_t, BlockHash>> by_height;
  by_height.reserve(tree_.size());
  for (const auto& [h, entry] : tree_) by_height.emplace_back(entry.header.height, h);
  std::sort(by_height.begin(), by_height.end());
  std::set<BlockHash> dead{hash};
  for (const auto& [height, h] : by_height) {
    if (dead.contains(tree_.at(h).header.prev)) dead.insert(h);
  }
  for (const BlockHash& h : dead) {
    tree_.erase(h);
    if (auto it = buffered_.find(h); it != buffered_.end()) {
      buffered_bytes_ -= it->second.bytes;
      buffered_.erase(it);
    }
  }
  recompute_best();
  path_.clear();
  ++path_version_;
}

// ---- The download path ----

void BlockSync::refresh_path() {
  const BlockNode& tip = chain_.tip();
  if (tip.work > best_work_) set_best(tip.hash, tip.work, tip.height(), 0);
  // Stored meanwhile (by us, or by the node from gossip): out of the tree.
  while (!path_.empty()) {
    const BlockNode* node = chain_.find(path_.front());
    if (node == nullptr) break;
    if (node->failed()) {
      drop_branch(path_.front(), true);
      break;
    }
    tree_.erase(path_.front());
    path_.pop_front();
    ++path_height_;
  }
  // The best header is stored but is not the tip: the chain manager preferred a chain with
  // less work (a higher justified checkpoint). Measured against that work, the peers on the
  // chain we follow would not be asked for headers until they outgrew it.
  if (best_hash_ != tip.hash && !tree_.contains(best_hash_)) recompute_best();
  const std::optional<Target> target = download_target();
  if (!target) {
    if (!path_.empty()) ++path_version_;
    path_.clear();
    return;
  }
  path_for_finality_ = target->finality;
  std::vector<BlockHash> added;
  bool extends = false;
  BlockHash cursor = target->hash;
  while (true) {
    if (!path_.empty() && cursor == path_.back()) {
      extends = true;
      break;
    }
    auto it = tree_.find(cursor);
    if (it == tree_.end()) break;
    added.push_back(cursor);
    cursor = it->second.header.prev;
  }
  if (added.empty()) return;
  if (!extends) {
    path_.clear();
    path_height_ = tree_.at(added.back()).header.height;
  }
  path_.insert(path_.end(), added.rbegin(), added.rend());
  ++path_version_;
  if (!extends) {
    // Blocks waiting for a branch no longer downloaded.
    for (auto it = buffered_.begin(); it != buffered_.end();) {
      if (on_path(it->first)) {
        ++it;
      } else {
        buffered_bytes_ -= it->second.bytes;
        it = buffered_.erase(it);
      }
    }
  }
}

bool BlockSync::on_path(const BlockHash& hash) const {
  auto it = tree_.find(hash);
  if (it == tree_.end()) return false;
  const uint64_t height = it->second.header.height;
  return height >= path_height_ && height - path_height_ < path_.size() &&
         path_[height - path_height_] == hash;
}

uint64_t BlockSync::served_height(Peer& peer) const {
  if (path_.empty()) return 0;
  if (!peer.served_cache || peer.served_cache->first != path_version_) {
    // Its announced best block, or else the best header it sent us.
    BlockHash cursor = peer.state.best_hash;
    Known known = lookup(cursor);
    if (!known.found() && peer.best_known) {
      cursor = *peer.best_known;
      known = lookup(cursor);
    }
    // Its headers have not arrived yet: nothing is asked of it until they do.
    if (!known.found()) return 0;
    uint64_t served = 0;
    uint64_t height = known.header().height;
    const uint64_t end = path_height_ + path_.size();
    while (height >= path_height_) {
      if (height < end && path_[height - path_height_] == cursor) {
        served = height;
        break;
      }
      auto it = tree_.find(cursor);
      if (it == tree_.end()) break;  // stored and not on the path: the peer has none of it
      cursor = it->second.header.prev;
      --height;
    }
    peer.served_cache = std::pair{path_version_, served};
  }
  uint64_t served = peer.served_cache->second;
  if (peer.lacks_from) served = std::min(served, *peer.lacks_from - 1);
  return served < path_height_ ? 0 : served;
}

void BlockSync::schedule(int64_t now) {
  if (stopped()) return;
  refresh_path();

  size_t headers_in_flight = 0;
  for (const auto& [id, peer] : peers_) headers_in_flight += has_headers_request(peer) ? 1U : 0U;
  if (headers_in_flight < kMaxHeadersRequestsInFlight) {
    // The peer claiming the most work leads (ties: the lowest id).
    auto leader = peers_.end();
    for (auto it = peers_.begin(); it != peers_.end(); ++it) {
      if (wants_headers_from(it->second) &&
          (leader == peers_.end() || it->second.state.best_work > leader->second.state.best_work)) {
        leader = it;
      }
    }
    if (leader != peers_.end()) request_headers(leader->first, leader->second, best_hash_, now);
  }

  bool window_blocked = false;
  if (!path_.empty()) {
    // path_height_ - 1 is the highest stored block of the chain being downloaded.
    uint64_t limit = path_height_ - 1 + options_.window;
    if (buffered_bytes_ >= options_.max_buffered_block_bytes && !buffered_.empty()) {
      uint64_t lowest = UINT64_MAX;
      for (const auto& [hash, buffered] : buffered_) lowest = std::min(lowest, buffered.block.header.height);
      limit = std::min(limit, lowest - 1);
    }
    std::vector<std::pair<uint64_t, BlockHash>> needed;
    for (size_t i = 0; i < path_.size() && path_height_ + i <= limit; ++i) {
      if (!in_flight_.contains(path_[i]) && !buffered_.contains(path_[i]))
        needed.emplace_back(path_height_ + i, path_[i]);
    }
    std::vector<bool> taken(needed.size(), false);
    std::map<PeerId, uint64_t> served;
    for (auto& [id, peer] : peers_) served[id] = served_height(peer);

    // Rounds: each peer with a free slot takes one request of the lowest blocks it has, so
    // the blocks needed first are spread across peers.
    bool progress = true;
    while (progress) {
      progress = false;
      for (auto& [id, peer] : peers_) {
        if (blocks_requests(peer) >= options_.max_requests_per_peer) continue;
        std::vector<BlockHash> hashes;
        for (size_t i = 0; i < needed.size() && hashes.size() < options_.max_blocks_per_request; ++i) {
          if (taken[i] || needed[i].first > served[id]) continue;
          taken[i] = true;
          hashes.push_back(needed[i].second);
        }
        if (hashes.empty()) continue;
        const uint64_t request_id = next_request_id_++;
        for (const BlockHash& hash : hashes) in_flight_.insert_or_assign(hash, InFlight{id, request_id, now});
        peer.requests.push_back(Request{request_id, false, hashes, now});
        actions_.blocks.push_back(BlocksRequest{request_id, id, std::move(hashes)});
        progress = true;
      }
    }
    // A peer with a free slot and blocks beyond the limit waits for the window to move.
    for (auto& [id, peer] : peers_) {
      if (blocks_requests(peer) < options_.max_requests_per_peer && served[id] > limit) window_blocked = true;
    }
  }
  if (!window_blocked) {
    stall_since_.reset();
  } else if (!stall_since_ || stall_front_ != path_.front()) {
    stall_since_ = now;
    stall_front_ = path_.front();
  }
}

// ---- Blocks ----

void BlockSync::on_block(const PeerId& peer_id, Block block, int64_t now) {
  if (stopped()) return;
  auto peer_it = peers_.find(peer_id);
  // Late data from a peer already dropped from sync: it is being disconnected.
  if (peer_it == peers_.end()) return;
  const BlockHash hash = block_hash(block.header);
  auto flight = in_flight_.find(hash);
  if (flight == in_flight_.end() || flight->second.peer != peer_id) {
    actions_.penalties.push_back(Penalty{peer_id, Misbehavior::unrequested_block, "block " + hash.hex()});
    return;
  }
  const uint64_t request_id = flight->second.request_id;
  in_flight_.erase(flight);
  Peer& peer = peer_it->second;
  auto request = std::find_if(peer.requests.begin(), peer.requests.end(),
                              [&](const Request& r) { return r.id == request_id; });
  if (request != peer.requests.end()) {
    std::erase(request->hashes, hash);
    if (request->hashes.empty()) peer.requests.erase(request);
  }
  // A body that does not match its header's roots is not the block asked for; caught here
  // rather than when its turn comes, so that it never waits in the buffer.
  if (compute_tx_root(block) != block.header.tx_root ||
      compute_witness_root(block) != block.header.witness_root ||
      compute_vote_root(block) != block.header.vote_root) {
    drop_peer(peer_id, Misbehavior::invalid_block,
              "block " + hash.hex() + ": body does not match its header");
    schedule(now);
    return;
  }
  // Else it was asked for a branch left since, or stored meanwhile: not needed.
  if (on_path(hash) && !buffered_.contains(hash)) {
    const size_t bytes = encode(block).size();
    buffered_bytes_ += bytes;
    buffered_.emplace(hash, Buffered{std::move(block), peer_id, bytes});
    submit_ready(now);
  }
  schedule(now);
}

void BlockSync::submit_ready(int64_t now) {
  while (!stopped()) {
    refresh_path();
    if (path_.empty()) return;
    auto it = buffered_.find(path_.front());
    if (it == buffered_.end()) return;
    const BlockHash hash = it->first;
    Buffered buffered = std::move(it->second);
    buffered_.erase(it);
    buffered_bytes_ -= buffered.bytes;

    auto verdict = chain_.submit_block(buffered.block);
    if (!verdict) {
      failure_ = verdict.error();
      actions_.fatal = verdict.error();
      return;
    }
    if (!*verdict) {
      ++delivered_[buffered.supplier];
      note_stored(now);
      continue;  // refresh_path() moves past it
    }
    const BlockRejection& rejection = **verdict;
    switch (rejection.reason) {
      case BlockError::mutated:
        // Not this header's block (a peer can swap witnesses): the header stays and the
        // block is asked of someone again.
        drop_peer(buffered.supplier, Misbehavior::invalid_block,
                  "block " + hash.hex() + ": " + describe(rejection));
        return;
      case BlockError::time_too_new:
        // Our clock went back since the header passed: the block is asked for again.
        return;
      case BlockError::invalid_parent:
      case BlockError::conflicts_with_finalized:
      case BlockError::reorg_too_deep:
        // The branch cannot become the best chain, but the block is not shown invalid by
        // its own content (a failed ancestor stored earlier may have come from anyone).
        drop_branch(hash, rejection.reason == BlockError::invalid_parent);
        break;
      default:
        drop_peer(buffered.supplier, Misbehavior::invalid_block,
                  "block " + hash.hex() + ": " + describe(rejection));
        drop_branch(hash, true);
        break;
    }
  }
}

void BlockSync::on_request_failed(const PeerId& peer_id, uint64_t request_id, int64_t now) {
  if (stopped()) return;
  auto peer_it = peers_.find(peer_id);
  if (peer_it == peers_.end()) return;
  Peer& peer = peer_it->second;
  auto request = std::find_if(peer.requests.begin(), peer.requests.end(),
                              [&](const Request& r) { return r.id == request_id; });
  if (request == peer.requests.end()) return;
  if (request->headers) {
    peer.headers_exhausted = true;
  } else if (!request->hashes.empty()) {
    // A blocks responder stops at the first block it lacks.
    if (auto it = tree_.find(request->hashes.front()); it != tree_.end()) {
      const uint64_t height = it->second.header.height;
      peer.lacks_from = std::min(peer.lacks_from.value_or(height), height);
      peer.lacks_since = now;
    }
    release_request(peer_id, *request);
  }
  peer.requests.erase(request);
  schedule(now);
}

// ---- Time ----

void BlockSync::tick(int64_t now) {
  if (stopped()) return;
  std::vector<std::pair<PeerId, std::string>> timed_out;
  for (const auto& [id, peer] : peers_) {
    for (const Request& request : peer.requests) {
      if (now - request.sent_at > options_.request_timeout_ns) {
        timed_out.emplace_back(id,
                               request.headers ? "headers request timed out" : "blocks request timed out");
        break;
      }
    }
  }
  for (auto& [id, detail] : timed_out) drop_peer(id, Misbehavior::stalling, std::move(detail));
  for (auto& [id, peer] : peers_) {
    if (peer.lacks_from && now - peer.lacks_since >= kLacksRetryNs) peer.lacks_from.reset();
  }

  // The next block needed, held too long by one peer while others wait for the window.
  refresh_path();
  if (stall_since_ && now - *stall_since_ > options_.stall_timeout_ns && !path_.empty() &&
      path_.front() == stall_front_) {
    auto flight = in_flight_.find(path_.front());
    // Measured from when the holder got it, if that was after the wait began.
    if (flight != in_flight_.end() &&
        now - std::max(*stall_since_, flight->second.requested_at) > options_.stall_timeout_ns) {
      const PeerId staller = flight->second.peer;
      drop_peer(staller, Misbehavior::stalling,
                "held block " + std::to_string(path_height_) + " while the download window waited");
      stall_since_.reset();
    }
  }
  schedule(now);
}

void BlockSync::note_stored(int64_t now) {
  ++stored_total_;
  stored_rate_.record(now, stored_total_);
}

// ---- Output ----

BlockSync::Actions BlockSync::take_actions() { return std::exchange(actions_, Actions{}); }

BlockSync::Progress BlockSync::progress(int64_t now) const {
  Progress p;
  p.tip_height = chain_.tip().height();
  p.best_header_height = std::max(best_height_, p.tip_height);
  p.syncing = !path_.empty();
  if (p.syncing) {
    p.following_finality = path_for_finality_;
    p.target_height = path_height_ + path_.size() - 1;
    p.blocks_remaining = path_.size();
  }
  p.headers_in_tree = tree_.size();
  p.blocks_in_flight = in_flight_.size();
  p.buffered_blocks = buffered_.size();
  p.buffered_bytes = buffered_bytes_;
  p.peers = peers_.size();
  p.blocks_delivered = delivered_;
  p.blocks_per_second = stored_rate_.per_second(now);
  if (p.syncing) p.eta_seconds = stored_rate_.eta_seconds(now, path_.size());
  return p;
}

}  // namespace cairn::net
