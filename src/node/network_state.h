// NetworkService's shared state (network_service.h), split over two files:
// network_service.cpp (lifecycle, connections, handshakes, the peer policy, bans, queries)
// and chain_relay.cpp (the chain protocols' servers and clients, the block download, gossip
// validation and relay, compact blocks). Internal to the node layer.
//
// Threads and ownership:
//   mutex     the peer table, the ban scores, the peer store and manager, the counters
//   chain thread (Node::post)  BlockSync, the gossip-received block set, the publish
//             decisions; `chain_snapshot` is written there and read anywhere under mutex
//   io threads  every coroutine; they never block on the chain thread: chain_call() posts
//             the work there and resumes on the network's executor with the result
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/ban_score.h"
#include "net/block_sync.h"
#include "net/chain_protocol.h"
#include "net/compact_block.h"
#include "net/gossipsub_service.h"
#include "net/host.h"
#include "net/kademlia_service.h"
#include "net/mdns_service.h"
#include "net/peer_manager.h"
#include "net/peer_rate_limits.h"
#include "net/peer_store.h"
#include "node/network_service.h"
#include "util/clock.h"
#include "util/rng.h"
#include "util/thread_annotations.h"

namespace cairn {

namespace asio = boost::asio;

// How long a new connection may take to complete the status handshake.
inline constexpr std::chrono::seconds kHandshakeTimeout{10};
// The longest a request waits for its peer's rate limit before it is refused.
inline constexpr std::chrono::seconds kMaxRequestDelay{5};
// How long the block download waits for a request's answer (see attach_to_chain()).
inline constexpr std::chrono::seconds kSyncRequestTimeout{25};
static_assert(kSyncRequestTimeout < net::kDefaultStreamTimeout);
// The peer loop's period: outbound dials, feelers, ban expiry, the sync tick, saving.
inline constexpr std::chrono::milliseconds kPeerLoopInterval{500};
inline constexpr std::chrono::seconds kPingInterval{60};
// How often statuses are exchanged again with ready peers after our finalized checkpoint
// moved (within the status rate limit of peer_rate_limits.h: two a minute).
inline constexpr std::chrono::seconds kStatusRefreshInterval{60};
inline constexpr std::chrono::minutes kPeerStoreSaveInterval{5};
inline constexpr std::chrono::minutes kDiscoveryInterval{5};
// Sync progress lines while blocks are being downloaded: one at least this often, and one
// whenever the percentage enters another tenth (so a fast download shows its progress too).
inline constexpr std::chrono::seconds kProgressLogInterval{10};
// Blocks remembered as received by gossip (not republished) and first-seen times kept.
inline constexpr size_t kMaxRememberedBlocks = 1024;
// Mempool entries read per page while rebuilding a compact block.
inline constexpr size_t kMempoolPageSize = 1024;

// Writes `message` as one frame (unsigned-varint length, then the bytes).
asio::awaitable<Status> write_frame(net::Stream& stream, const Bytes& message);
// Closes our side of a finished exchange.
asio::awaitable<void> finish_stream(net::Stream& stream);

// The chain as the status handshake and the sync progress describe it; refreshed on the
// chain thread after every tip change.
struct ChainSnapshot {
  BlockHash best_hash;
  uint64_t best_height = 0;
  ChainWork best_work;
  BlockHash finalized_hash;
  uint64_t finalized_height = 0;
};

struct PeerEntry {
  PeerEntry(net::ConnectionInfo connection_, std::string group_,
            std::shared_ptr<asio::steady_timer> handshake_done_)
      : connection(std::move(connection_)),
        group(std::move(group_)),
        handshake_done(std::move(handshake_done_)) {}

  net::ConnectionInfo connection;
  std::string group;
  std::optional<net::StatusMessage> status;  // set once the handshake completed
  bool feeler = false;
  // Cancelled when the handshake completes or fails: what waiters (feelers, net_connect) wait on.
  std::shared_ptr<asio::steady_timer> handshake_done;
  std::optional<int64_t> ping_ns;
  int64_t last_block_time = 0;  // unix seconds of the last new valid block it sent
  int64_t last_transaction_time = 0;
  uint64_t transactions_received = 0;
};

struct NetworkService::State : std::enable_shared_from_this<State> {
  State(Node& node, P2pOptions options);

  // ---- network_service.cpp ----
  Status open();  // key, peer store, host, services, listeners
  void shut_down();
  void log(const std::string& message) const;
  int64_t now_ns() const { return clock.monotonic_nanos(); }
  int64_t now_unix() const { return clock.unix_seconds(); }
  net::StatusMessage our_status() const EXCLUDES(mutex);
  void on_connected(const net::ConnectionInfo& info) EXCLUDES(mutex);
  void on_disconnected(const net::ConnectionInfo& info, const std::string& reason) EXCLUDES(mutex);
  std::optional<std::string> admit_inbound(const asio::ip::address& ip) EXCLUDES(mutex);
  std::optional<std::string> admit_peer(const net::PeerId& peer, const asio::ip::address& ip) EXCLUDES(mutex);
  std::optional<net::PeerId> select_inbound_to_evict(std::vector<net::ConnectionInfo> inbound)
      EXCLUDES(mutex);
  // The dialler's side of a status exchange: ours out, the peer's back and decoded (a
  // malformed one is penalised). Errors say what failed.
  asio::awaitable<Result<net::StatusMessage>> exchange_status(net::PeerId peer);
  asio::awaitable<void> handshake_outbound(net::PeerId peer);
  // Exchanges statuses again with a ready peer, so that each side learns the other's
  // progress (its finalized checkpoint above all: docs/sync.md "Finality").
  asio::awaitable<void> refresh_status(net::PeerId peer);
  void refresh_statuses() EXCLUDES(mutex);                       // refresh_status() with every ready peer
  std::vector<net::PeerId> ready_peers() const EXCLUDES(mutex);  // handshake completed
  asio::awaitable<void> serve_status(net::Stream stream);
  // Records a peer's status, the first or a later one; false (and the peer disconnected)
  // when it is incompatible or contradicts the first.
  bool handshake_completed(const net::PeerId& peer, const net::StatusMessage& status) EXCLUDES(mutex);
  void handshake_failed(const net::PeerId& peer, const std::string& reason) EXCLUDES(mutex);
  asio::awaitable<void> watch_handshake(net::PeerId peer, std::shared_ptr<asio::steady_timer> done);
  // Waits (bounded) until `peer` completed its handshake; whether it did.
  asio::awaitable<bool> await_handshake(net::PeerId peer);
  asio::awaitable<Result<net::PeerId>> dial(net::DialCandidate candidate);
  asio::awaitable<void> peer_loop();
  void peer_loop_step() EXCLUDES(mutex);
  asio::awaitable<void> ping_peers();
  asio::awaitable<void> discover();
  void learn_addresses(const net::PeerId& peer, const std::vector<net::Multiaddr>& addresses,
                       net::PeerSource source) EXCLUDES(mutex);
  void save_peer_store() EXCLUDES(mutex);
  // Reports misbehaviour: counted, scored, and the peer (and its group) banned at the threshold.
  void misbehaved(const net::PeerId& peer, net::Misbehavior reason, const std::string& detail)
      EXCLUDES(mutex);
  // A gossip message against the sender's token bucket of `kind`: false (dropped and
  // counted, no penalty: an honest relay forwards bursts too) when it is empty.
  bool admit_gossip(const net::PeerId& peer, net::ProtocolKind kind);
  // A request against the peer's token bucket: waits for the tokens (so a fast honest peer
  // is slowed down, not refused), up to kMaxRequestDelay; past that the request is dropped
  // and the peer penalised (rate_limit_exceeded). Whether to serve it.
  asio::awaitable<bool> pace(net::PeerId peer, net::ProtocolKind kind, uint32_t cost = 1);
  void count_message(const std::string& protocol, bool inbound);

  // ---- chain_relay.cpp ----
  // Everything that must run on the chain thread once before Node::run().
  void attach_to_chain();
  void register_protocols();
  asio::awaitable<void> serve_headers(net::Stream stream);
  asio::awaitable<void> serve_blocks(net::Stream stream);
  asio::awaitable<void> serve_blocktxn(net::Stream stream);
  // Chain thread: the sync engine's requests and verdicts carried out.
  void drive_sync();
  // One request and its one-frame reply on a new stream to `peer`, both counted.
  asio::awaitable<Result<Bytes>> request_one(net::PeerId peer, const std::string& protocol, Bytes message,
                                             size_t reply_cap);
  asio::awaitable<void> fetch_headers(net::BlockSync::HeadersRequest request);
  asio::awaitable<void> fetch_blocks(net::BlockSync::BlocksRequest request);
  // A peer's first or a later status: the block download learns its chain.
  void sync_peer_status(const net::PeerId& peer, const net::StatusMessage& status);
  void sync_peer_removed(const net::PeerId& peer);
  void sync_tick();
  // Gossip.
  asio::awaitable<Status> start_gossip();
  net::ValidationResult validate_tx(const net::MessageId& id, const net::pb::Message& message,
                                    const net::PeerId& source);
  net::ValidationResult validate_vote(const net::MessageId& id, const net::pb::Message& message,
                                      const net::PeerId& source);
  net::ValidationResult validate_block(const net::MessageId& id, const net::pb::Message& message,
                                       const net::PeerId& source);
  // Publishes on `topic` (from any thread); counts a success in `published_count` if given.
  void publish(std::string topic, Bytes data, std::atomic<uint64_t>* published_count = nullptr);
  // Chain thread: a compact block announcement, and the ways to complete it.
  void on_compact_block(const net::PeerId& peer, const net::MessageId& id, net::CompactBlock compact);
  asio::awaitable<void> fetch_block_transactions(net::PeerId peer,
                                                 std::shared_ptr<net::PartialBlock> partial);
  asio::awaitable<void> fetch_full_block(net::PeerId peer, BlockHash hash);
  void submit_relayed_block(const net::PeerId& peer, const Block& block);
  void note_block_announced(const BlockHash& hash);
  void refresh_chain_snapshot();
  // Chain thread, after a tip change: publishes the tip as a compact block unless it came
  // by gossip (the router forwarded it) or the node is still catching up.
  void announce_tip();
  void log_sync_progress(const net::BlockSync::Progress& progress);

  Node& node;
  const P2pOptions options;
  const Network network;
  const ConsensusParams& params;
  const std::filesystem::path peer_store_path;
  SystemClock clock;
  OsRng rng;

  // Protocol ids and topics of this network.
  const std::string status_id, headers_id, blocks_id, blocktxn_id, tx_topic, block_topic, vote_topic;

  // Owned through a pointer so that shut_down() can destroy it once its threads are joined:
  // its unfinished handlers (coroutine frames) hold references to this state and to the
  // host, which would otherwise never be released.
  std::unique_ptr<asio::io_context> io_owner = std::make_unique<asio::io_context>();
  asio::io_context& io = *io_owner;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::shared_ptr<net::Host> host;
  std::shared_ptr<net::GossipsubService> gossip;
  std::shared_ptr<net::KademliaService> kad;
  std::shared_ptr<net::MdnsService> mdns;
  // Set by shut_down(): no new work is started, and the queries answer empty.
  std::atomic<bool> stopping{false};
  net::PeerRateLimits limits;

  mutable Mutex mutex;
  std::map<net::PeerId, PeerEntry> peers GUARDED_BY(mutex);
  std::set<net::PeerId> dialling GUARDED_BY(mutex);
  std::set<std::string> dialling_groups GUARDED_BY(mutex);
  net::BanScores bans GUARDED_BY(mutex);
  net::PeerStore store GUARDED_BY(mutex);
  std::unique_ptr<net::PeerManager> manager GUARDED_BY(mutex);
  bool store_dirty GUARDED_BY(mutex) = false;
  ChainSnapshot chain_snapshot GUARDED_BY(mutex);
  net::BlockSync::Progress sync_progress GUARDED_BY(mutex);
  std::map<std::string, TrafficView> messages GUARDED_BY(mutex);  // message counts by protocol
  std::map<std::string, uint64_t> misbehavior_counts GUARDED_BY(mutex);
  uint64_t bans_imposed GUARDED_BY(mutex) = 0;
  std::optional<int64_t> last_propagation_micros GUARDED_BY(mutex);

  std::atomic<uint64_t> compact_received{0};
  std::atomic<uint64_t> compact_reconstructed{0};
  std::atomic<uint64_t> compact_with_blocktxn{0};
  std::atomic<uint64_t> compact_full_fallback{0};
  std::atomic<uint64_t> blocktxn_requests{0};
  std::atomic<uint64_t> blocks_relayed{0};

  // Chain thread only.
  std::unique_ptr<net::BlockSync> sync;
  class ChainEvents;
  std::unique_ptr<ChainEvents> chain_events;
  std::set<BlockHash> gossip_blocks;  // received as compact blocks: the router forwards them
  std::deque<BlockHash> gossip_blocks_order;
  std::map<BlockHash, int64_t> announced_at;  // monotonic ns of the first announcement
  std::deque<BlockHash> announced_order;
  bool relaying = false;  // a gossip message is being validated: its router forwards it
  int64_t last_progress_log = 0;
  uint64_t last_progress_tenth = 0;  // of the last progress line
};

// Tells the network about tip changes on the chain thread: the status snapshot, and the
// compact block of a new tip nobody relayed to us.
class NetworkService::State::ChainEvents final : public ChainListener {
 public:
  explicit ChainEvents(State& state) : state_(state) {}
  void block_disconnected(const Block&, uint64_t) override {}
  void block_connected(const Block&, uint64_t) override {}
  void chain_updated() override {
    state_.refresh_chain_snapshot();
    state_.announce_tip();
  }

 private:
  State& state_;
};

}  // namespace cairn
