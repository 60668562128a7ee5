// cairnd's peer-to-peer network (docs/network.md, docs/chain-protocols.md, docs/sync.md):
// the libp2p host on --p2p-listen under the node key, Cairn's request/response protocols
// (status, headers, blocks, blocktxn), gossip of transactions, finality votes and compact
// blocks, header-first block download (net/block_sync.h), and the peer policy: the peer
// store, ban scores by peer and address group, per-peer rate limits, outbound selection
// across address groups, inbound eviction, feelers, bootstrap and discovery (Kademlia,
// optionally mDNS).
//
// Threads: the network does its I/O on kNetworkThreads threads of its own io_context. The
// chain state keeps its one owner, the chain thread: the block download engine lives there,
// and everything that reads or changes chain state (headers and blocks served, blocks,
// transactions and votes received) is posted there with Node::post(). A network thread
// never blocks on the chain thread, so a slow block cannot stall the connections. Peer
// bookkeeping (handshakes, scores, counters) is behind one mutex.
//
// Lifecycle: start() after Node::open() and before Node::run() (it registers chain
// listeners and observers, on the thread that opened the node); stop() after run()
// returned and before the node is destroyed: it closes every connection and saves the peer
// store. The queries below are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/node.h"
#include "node/options.h"
#include "util/result.h"

namespace cairn {

// I/O threads of the network's io_context.
inline constexpr size_t kNetworkThreads = 2;

// One connected peer as `cairn peers` and net_get_peers show it.
struct PeerView {
  std::string peer_id;
  std::string address;    // the remote multiaddr
  std::string direction;  // "inbound" or "outbound"
  std::string user_agent;
  bool handshaken = false;  // the status handshake completed
  uint64_t best_height = 0;
  std::string best_hash;
  int64_t connected_seconds = 0;
  std::optional<int64_t> ping_micros;
  uint32_t ban_score = 0;  // decayed points (banned at 100)
  uint64_t blocks_delivered = 0;
  uint64_t transactions_received = 0;
};

// One ban: of a peer id or of an address group.
struct BanView {
  std::string target;  // a peer id, or an address group
  std::string kind;    // "peer" or "group"
  std::string reason;
  int64_t banned_at_unix = 0;
  int64_t expires_unix = 0;
};

struct TrafficView {
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
};

// Counters since start, for net_get_stats and the metrics of issue [I].
struct NetworkStats {
  std::map<std::string, TrafficView> protocols;  // by protocol id or gossip topic
  uint64_t peers_inbound = 0;
  uint64_t peers_outbound = 0;
  uint64_t compact_blocks_received = 0;
  uint64_t compact_blocks_reconstructed = 0;  // rebuilt from the mempool alone
  uint64_t compact_blocks_with_blocktxn = 0;  // needed a blocktxn round trip
  uint64_t compact_blocks_full_fallback = 0;  // fetched whole after all
  uint64_t blocktxn_requests = 0;
  uint64_t blocks_relayed = 0;  // compact blocks we published
  // Time from a block's first announcement to its connection, over the last blocks.
  std::optional<int64_t> last_block_propagation_micros;
  std::map<std::string, uint64_t> misbehavior;  // events by reason
  uint64_t bans = 0;
  std::map<std::string, uint64_t> rate_limited;  // dropped messages by protocol kind
};

// Where the tip stands against the best chain known from peers.
struct NetworkSyncStatus {
  uint64_t height = 0;
  uint64_t best_header_height = 0;
  bool syncing = false;
  double blocks_per_second = 0;
  std::optional<int64_t> eta_seconds;
};

class NetworkService {
 public:
  // Loads (or creates) the node key and the peer store, listens on options.listen, and
  // starts dialling the bootstrap peers. An Error naming the address or file on failure.
  static Result<std::unique_ptr<NetworkService>> start(Node& node, const P2pOptions& options);
  ~NetworkService();
  NetworkService(const NetworkService&) = delete;
  NetworkService& operator=(const NetworkService&) = delete;

  std::string peer_id() const;
  // The bound listen addresses (with the actual ports), each ending in /p2p/<peer id>.
  std::vector<std::string> listen_addresses() const;
  std::vector<PeerView> peers() const;
  size_t peer_count() const;
  std::vector<BanView> bans() const;
  NetworkStats stats() const;
  NetworkSyncStatus sync_status() const;

  // Dials `address` (a multiaddr with /p2p/<id>) and waits (bounded) for the status
  // handshake; the peer id. An Error with the reason (bad address, refused, incompatible).
  Result<std::string> connect(const std::string& address);
  // Closes the connection to `peer_id`; an Error when not connected.
  Status disconnect(const std::string& peer_id);
  // Bans a peer id or an address group (an IP address names its group) for the ban
  // duration, closing matching connections; lifts a ban. Errors for unknown targets.
  Status ban(const std::string& target, const std::string& reason);
  Status unban(const std::string& target);

  // Closes every connection, stops the threads and saves the peer store. Idempotent.
  void stop();

  struct State;  // network_service.cpp

 private:
  explicit NetworkService(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace cairn
