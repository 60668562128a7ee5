// BlockSync: the header-first block download engine (docs/sync.md, "Synchronisation").
//
// Sans-I/O: the node feeds it what peers announce and deliver, and takes back the requests
// to send and the peers to punish (take_actions()). It owns no socket, no timer and reads
// no monotonic clock: every entry point is given `now` (nanoseconds of a monotonic clock,
// util/clock.h), so tests are deterministic. The wall clock it is given is read only for
// ParentInfo::now of header checks (the same clock the ChainManager was opened with).
//
// What it does:
// - Headers ahead of the chain live in a bounded in-memory tree; each passes
//   ChainRules::check_header against its parent (in the tree or the chain's block index)
//   before it is kept. Headers are asked of every peer that claims more work than our best
//   header, or a finalized checkpoint we lack (below), with a locator from our best chain;
//   a full reply is followed by another request.
// - Blocks are downloaded for one header chain: the best header chain while it has more
//   cumulative work than the chain's tip (so a peer cannot make us download a cheap
//   branch), unless a peer claims a finalized checkpoint above ours that our chain lacks.
//   Then that peer's chain is downloaded whatever its work: the fork choice ranks the
//   justified checkpoint before work, and only the chain manager, counting the branch's
//   votes, can tell whether it wins. The hashes from the highest stored block of that
//   chain up to `window` blocks beyond it are spread across the peers whose announced
//   chain contains them, a few requests per peer at a time. Blocks that arrive out of
//   order wait in a bounded buffer and are given to ChainManager::submit_block strictly
//   parent-first.
// - A peer that holds the next block needed longer than stall_timeout while other peers
//   wait for the window to move is a staller: it is penalised, disconnected and its
//   downloads reassigned; so is a peer whose request is not answered in request_timeout.
// - After a restart, the chain's stored blocks are the starting point: nothing stored is
//   requested again; the headers beyond the tip are downloaded again.
//
// Not thread-safe: it lives on the chain's thread next to the ChainManager it drives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "chain/chain_manager.h"
#include "chain/chain_rules.h"
#include "net/chain_protocol.h"
#include "net/identity.h"
#include "net/misbehavior.h"
#include "primitives/block.h"
#include "util/clock.h"
#include "util/progress.h"
#include "util/result.h"

namespace cairn::net {

// Headers one request asks for: the wire's cap, so a reply of that size means "there are more".
inline constexpr uint32_t kSyncHeadersPerRequest = static_cast<uint32_t>(kMaxHeadersPerReply);
// Consecutive headers replies that do not connect to anything we know tolerated from one
// peer (its tip may have moved between its status and our request); one more is penalised.
inline constexpr uint32_t kMaxUnconnectingHeadersReplies = 3;

// How long a peer that failed to deliver a block is not asked for it (or above) again.
inline constexpr int64_t kLacksRetryNs = 10'000'000'000;  // 10 s

inline constexpr uint64_t kDefaultDownloadWindow = 1'024;
inline constexpr size_t kDefaultMaxRequestsPerPeer = 4;
inline constexpr int64_t kDefaultRequestTimeoutNs = 60'000'000'000;  // 60 s
inline constexpr int64_t kDefaultStallTimeoutNs = 5'000'000'000;     // 5 s
// About 350 bytes per header in memory (header, hash, work, map node): ~350 MiB when full.
inline constexpr size_t kDefaultMaxHeaderTree = 1'000'000;
inline constexpr size_t kDefaultMaxBufferedBlockBytes = 64 * 1024 * 1024;
// Progress::blocks_per_second is measured over this much recent time.
inline constexpr int64_t kSyncRateWindowNs = 60'000'000'000;

// What a peer told us about its best chain (its status message, or a later announcement).
struct PeerChainState {
  BlockHash best_hash;
  uint64_t best_height = 0;
  ChainWork best_work;
  // Its last finalized checkpoint (its latest status; height 0 without finality).
  BlockHash finalized_hash;
  uint64_t finalized_height = 0;
};

struct BlockSyncOptions {
  // Blocks downloaded at most beyond the highest stored block of the chain being fetched.
  uint64_t window = kDefaultDownloadWindow;
  // Hashes per blocks request (1..chain_protocol.h kMaxBlocksPerRequest).
  size_t max_blocks_per_request = kMaxBlocksPerRequest;
  // Blocks requests in flight per peer.
  size_t max_requests_per_peer = kDefaultMaxRequestsPerPeer;
  // A headers or blocks request not answered in full by then: the peer is penalised
  // (stalling), disconnected, and its downloads reassigned.
  int64_t request_timeout_ns = kDefaultRequestTimeoutNs;
  // The next block needed held by one peer longer than this while other peers wait for the
  // window to move: that peer is penalised (stalling) and disconnected.
  int64_t stall_timeout_ns = kDefaultStallTimeoutNs;
  // Headers kept ahead of the chain at most; further headers are ignored (nobody is
  // penalised for it), and asked for again once stored blocks left the tree half empty.
  size_t max_header_tree = kDefaultMaxHeaderTree;
  // Bytes of received blocks waiting for their parents; above it only blocks below the
  // lowest waiting one are requested (the ones that let the buffer drain).
  size_t max_buffered_block_bytes = kDefaultMaxBufferedBlockBytes;
};

class BlockSync {
 public:
  // REQUIRES: chain, rules and wall_clock outlive this object; the chain is driven on the
  // calling thread only. Invalid options (zero window, requests, or sizes) are clamped to 1.
  BlockSync(ChainManager& chain, const ChainRules& rules, const Clock& wall_clock,
            BlockSyncOptions options = {});

  // A peer finished its status exchange. Its chain state decides whether we ask it for
  // headers and which blocks it can serve. A peer already known is updated instead.
  void add_peer(const PeerId& peer, const PeerChainState& state, int64_t now);
  // The peer announced a new best chain (status again, or a block it relayed).
  void update_peer(const PeerId& peer, const PeerChainState& state, int64_t now);
  // The peer is gone: its requests are forgotten and their blocks reassigned.
  void remove_peer(const PeerId& peer, int64_t now);

  // The reply to the peer's headers request (at most one is in flight per peer).
  void on_headers(const PeerId& peer, std::vector<BlockHeader> headers, int64_t now);
  // A block the peer sent on a blocks request. A block we did not ask it for is penalised
  // (unrequested_block); an invalid one (a body not matching its header, or refused by the
  // chain for its content) is penalised (invalid_block) and the peer dropped from sync.
  void on_block(const PeerId& peer, Block block, int64_t now);
  // The request `request_id` (HeadersRequest::id or BlocksRequest::id) to `peer` ended
  // without a full answer: the stream failed or closed early (a blocks responder stops at
  // the first block it lacks). Its undelivered blocks are reassigned; the peer is not asked
  // again for blocks at or above the first one it did not deliver, nor for headers, until
  // it announces a new chain (update_peer). Unknown ids are ignored.
  void on_request_failed(const PeerId& peer, uint64_t request_id, int64_t now);
  // Timeouts, stalls and new requests. Call it regularly (e.g. every 100 ms-1 s) and after
  // a batch of events; the event handlers also schedule requests themselves.
  void tick(int64_t now);

  struct HeadersRequest {
    uint64_t id = 0;
    PeerId peer;
    std::vector<BlockHash> locator;  // 1..kMaxLocatorHashes, ours best first, genesis last
    BlockHash stop;                  // all-zero: no stop hash
    uint32_t max_count = kSyncHeadersPerRequest;
  };
  struct BlocksRequest {
    uint64_t id = 0;
    PeerId peer;
    std::vector<BlockHash> hashes;  // in height order; the replies come in this order
  };
  struct Penalty {
    PeerId peer;
    Misbehavior reason;
    std::string detail;
  };
  struct Actions {
    std::vector<HeadersRequest> headers;
    std::vector<BlocksRequest> blocks;
    std::vector<Penalty> penalties;
    // Peers to disconnect (stallers, timed-out peers, suppliers of invalid blocks); already
    // removed from sync.
    std::vector<PeerId> disconnect;
    // submit_block failed with a store error: BlockSync stops (every later call does
    // nothing) and the node must stop (kv.h: the store must be reopened).
    std::optional<Error> fatal;
  };
  // What accumulated since the last call; the caller sends the requests and applies the rest.
  Actions take_actions();

  struct Progress {
    uint64_t tip_height = 0;
    uint64_t best_header_height = 0;
    // Blocks of the download target remain to be downloaded and stored.
    bool syncing = false;
    // The target is a peer's chain with a finalized checkpoint ours lacks, not the best
    // header by work (docs/sync.md "Finality"): tip and best header then say little, the
    // target's height and the blocks left to it say what is happening.
    bool following_finality = false;
    uint64_t target_height = 0;     // when syncing
    uint64_t blocks_remaining = 0;  // tree headers of the target's chain not yet stored
    // Blocks stored per second over the last kSyncRateWindowNs.
    double blocks_per_second = 0;
    // Remaining blocks / rate, when syncing at a non-zero rate.
    std::optional<int64_t> eta_seconds;
    size_t headers_in_tree = 0;
    size_t blocks_in_flight = 0;
    size_t buffered_blocks = 0;
    size_t buffered_bytes = 0;
    size_t peers = 0;
    // Blocks each peer delivered that were stored, since this object was created.
    std::map<PeerId, uint64_t> blocks_delivered;
  };
  Progress progress(int64_t now) const;

 private:
  // A header ahead of the chain (not in the block index).
  struct HeaderEntry {
    BlockHeader header;
    ChainWork work;         // cumulative
    uint64_t sequence = 0;  // order of arrival: ties in work go to the first seen
  };
  struct Request {
    uint64_t id = 0;
    bool headers = false;
    std::vector<BlockHash> hashes;  // blocks still undelivered, in order
    int64_t sent_at = 0;
  };
  struct Peer {
    PeerChainState state;
    std::vector<Request> requests;  // blocks requests and at most one headers request
    uint32_t unconnecting_replies = 0;
    // No headers request until the peer announces a new chain.
    bool headers_exhausted = false;
    // The peer failed to deliver the block at this height: not asked at or above it until
    // it announces a new chain or kLacksRetryNs pass (the failure may have been transient:
    // a stream error, a busy server).
    std::optional<uint64_t> lacks_from;
    int64_t lacks_since = 0;
    // The header with the most work the peer sent us (it has that chain).
    std::optional<BlockHash> best_known;
    // served_height() for a path version.
    std::optional<std::pair<uint64_t, uint64_t>> served_cache;
  };
  struct InFlight {
    PeerId peer;
    uint64_t request_id = 0;
    int64_t requested_at = 0;
  };
  struct Buffered {
    Block block;
    PeerId supplier;
    size_t bytes = 0;
  };
  // Where a known hash lives.
  struct Known {
    const HeaderEntry* entry = nullptr;  // in the tree
    const BlockNode* node = nullptr;     // in the block index
    bool found() const { return entry != nullptr || node != nullptr; }
    const BlockHeader& header() const { return entry != nullptr ? entry->header : node->header; }
    const ChainWork& work() const { return entry != nullptr ? entry->work : node->work; }
  };
  enum class HeadersOutcome { accepted, stopped, tree_full, unconnecting };

  Known lookup(const BlockHash& hash) const;
  uint64_t median_time_past_after(const BlockHash& hash) const;
  std::vector<BlockHash> locator_from(const BlockHash& start) const;
  static size_t blocks_requests(const Peer& peer);
  static bool has_headers_request(const Peer& peer);
  // The peer's finalized checkpoint is above ours and not on our best chain: its chain
  // may be the one the fork choice prefers, whatever its work.
  bool claims_finality_lead(const Peer& peer) const;
  // The header whose chain is downloaded: the best chain of the peer claiming the highest
  // finalized checkpoint we lack, once its headers are in the tree (finality: true); else
  // the best header while it has more work than the tip; else none.
  struct Target {
    BlockHash hash;
    bool finality = false;
  };
  std::optional<Target> download_target() const;
  bool wants_headers_from(const Peer& peer) const;
  // The peer claims a chain worth fetching (more work than our best header, or a finality
  // lead) whose best block we do not know yet.
  bool wants_chain_of(const Peer& peer) const;
  void request_headers(const PeerId& peer_id, Peer& peer, const BlockHash& from, int64_t now);
  // Checks and adds the headers of a reply; the penalty when the peer misbehaved. The last
  // header of the reply that is known afterwards in `last_known`.
  std::optional<Penalty> accept_headers(const PeerId& peer_id, Peer& peer,
                                        const std::vector<BlockHeader>& headers, HeadersOutcome& outcome,
                                        std::optional<BlockHash>& last_known);
  void set_best(const BlockHash& hash, const ChainWork& work, uint64_t height, uint64_t sequence);
  void recompute_best();
  // Forgets the tree headers from `hash` up. `invalid`: later headers on it are penalised;
  // otherwise (a branch that cannot win for other reasons) they are ignored.
  void drop_branch(const BlockHash& hash, bool invalid);
  void refresh_path();
  bool on_path(const BlockHash& hash) const;
  // The highest path height the peer's chain contains (0 when it holds none of the path).
  uint64_t served_height(Peer& peer) const;
  void schedule(int64_t now);
  void submit_ready(int64_t now);
  void release_request(const PeerId& peer_id, const Request& request);
  void drop_peer(const PeerId& peer_id, Misbehavior reason, std::string detail);
  void note_stored(int64_t now);
  bool stopped() const { return failure_.has_value(); }

  ChainManager& chain_;
  const ChainRules& rules_;
  const Clock& wall_clock_;
  BlockSyncOptions options_;

  std::map<BlockHash, HeaderEntry> tree_;
  uint64_t next_sequence_ = 0;
  // Blocks found invalid (and their tree descendants' roots), and branches given up
  // without a fault (conflicting with finality, too deep to reorganise to).
  std::set<BlockHash> invalid_;
  std::set<BlockHash> abandoned_;
  // The best header known (tree or index) by cumulative work; the first seen on ties
  // (sequence 0: the chain's tip).
  BlockHash best_hash_;
  ChainWork best_work_;
  uint64_t best_height_ = 0;
  uint64_t best_sequence_ = 0;
  // The tree headers from download_target()'s first unstored ancestor up to it, in height
  // order: what is downloaded. path_height_ is the height of path_.front().
  std::deque<BlockHash> path_;
  uint64_t path_height_ = 0;
  uint64_t path_version_ = 0;       // changes whenever path_ does but for its front
  bool path_for_finality_ = false;  // path_ leads to a Target with finality set
  // Since when a peer with free slots has waited for the window to move past path_.front()
  // (stall_front_); unset when nobody waits.
  std::optional<int64_t> stall_since_;
  BlockHash stall_front_;

  std::map<PeerId, Peer> peers_;
  std::map<BlockHash, InFlight> in_flight_;
  std::map<BlockHash, Buffered> buffered_;
  size_t buffered_bytes_ = 0;
  uint64_t next_request_id_ = 1;
  Actions actions_;
  std::optional<Error> failure_;

  std::map<PeerId, uint64_t> delivered_;
  uint64_t stored_total_ = 0;
  RateWindow stored_rate_{kSyncRateWindowNs};  // of stored_total_
};

}  // namespace cairn::net
