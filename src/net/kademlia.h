// The libp2p Kademlia DHT (libp2p/specs kad-dht/README.md) for peer discovery, sans-I/O:
// the routing table, the iterative FIND_NODE lookup and the answering side. Bytes of the
// wire (kad.proto) go in and out of the functions at the bottom; time is given as
// monotonic nanoseconds by the caller, randomness as an Rng. kademlia_service.h drives it.
//
//   keys       a peer's Kademlia key is SHA-256 of its peer id's multihash bytes; a
//              FIND_NODE key is SHA-256 of the request's key bytes; distance is XOR of keys,
//              compared as 256-bit big-endian numbers
//   table      bucket i holds the peers whose key shares exactly i leading bits with ours
//              (the last bucket also those sharing all 256); at most kKadBucketSize per
//              bucket, least recently seen first. A newcomer to a full bucket waits as the
//              bucket's one candidate while the caller checks the least recently seen peer:
//              if it is dead the candidate replaces it, if alive the candidate is dropped
//   lookup     FindNodeLookup: alpha requests in flight, candidates ordered by distance; it
//              ends when the k closest candidates that have not failed have all answered,
//              when nothing is left to ask, or when its query budget is spent; a request
//              unanswered after its timeout counts as failed
//   answering  FIND_NODE: the k closest peers of the table (ourselves if the key is our id);
//              PING: echoed; GET_VALUE, GET_PROVIDERS: no record or providers, only closer
//              peers; PUT_VALUE: an empty PUT_VALUE answer (not the echo that would mean
//              "stored"); ADD_PROVIDER: no answer (the spec defines none)
//
// Thread-safety: none; each object belongs to one strand or thread. The free functions are
// pure and thread-safe.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kad.pb.h"
#include "net/identity.h"
#include "net/multiaddr.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/rng.h"

namespace cairn::net {

// The spec's k (bucket size and peers per answer) and alpha (lookup concurrency).
inline constexpr size_t kKadBucketSize = 20;
inline constexpr size_t kKadAlpha = 3;
inline constexpr size_t kKadKeyBits = 256;
// Limits on what peers send us. A FIND_NODE answer of k peers with a handful of addresses
// each is about 2 KiB; js and go accept up to 4 MiB for records Cairn does not store.
inline constexpr size_t kMaxKadMessageSize = 64 * 1024;
// Peers read from one answer's closerPeers; the rest are ignored (honest peers send k).
inline constexpr size_t kMaxKadPeersPerResponse = kKadBucketSize;
// Addresses kept per peer, from answers and for the table; the rest are ignored.
inline constexpr size_t kMaxKadAddrsPerPeer = 16;
// Requests a lookup sends at most, its "steps" (a lookup among honest peers needs about
// k + alpha * log2(n) of them).
inline constexpr size_t kMaxKadLookupQueries = 100;
// Candidates a lookup remembers; the farthest beyond this are forgotten.
inline constexpr size_t kMaxKadLookupCandidates = 10 * kKadBucketSize;
// How long a lookup waits for one answer before counting the peer as failed.
inline constexpr int64_t kDefaultKadQueryTimeoutNs = 10'000'000'000;

// A 256-bit Kademlia key or distance, big-endian.
struct KadKey {
  std::array<uint8_t, 32> bytes{};

  static KadKey of_bytes(ByteSpan data);  // SHA-256(data)
  static KadKey of_peer(const PeerId& peer) { return of_bytes(peer.multihash()); }
  static KadKey random(Rng& rng);

  KadKey distance(const KadKey& other) const;
  // Leading bits this key shares with `other` (256 if equal).
  size_t common_prefix_length(const KadKey& other) const;
  auto operator<=>(const KadKey&) const = default;
};

// A peer as the DHT passes it around: its id and the addresses to dial it on.
struct KadPeer {
  PeerId id;
  std::vector<Multiaddr> addrs;
};

class RoutingTable {
 public:
  enum class AddOutcome {
    added,      // a new entry
    refreshed,  // known already: its addresses were replaced and it is now most recent
    // The bucket is full: the peer waits as its candidate; check_liveness() names the
    // peer whose liveness decides (the bucket's least recently seen).
    pending,
    rejected,  // our own id, or the bucket is full and already has a candidate
  };

  explicit RoutingTable(PeerId local, size_t bucket_size = kKadBucketSize);

  // Records that `peer` answered us (or asked us) at `now_ns`.
  AddOutcome add(KadPeer peer, int64_t now_ns);
  // The peer whose liveness decides the pending candidate of `peer`'s bucket, if any.
  std::optional<PeerId> check_liveness(const PeerId& candidate) const;
  // The outcome of that check: dead, it is removed and the candidate takes its place;
  // alive, it becomes the most recent and the candidate is dropped.
  void liveness_result(const PeerId& checked, bool alive, int64_t now_ns);
  // Removes `peer` (e.g. a request to it failed). True if it was present.
  bool remove(const PeerId& peer);

  bool contains(const PeerId& peer) const;
  std::optional<KadPeer> find(const PeerId& peer) const;
  // Up to `count` peers, closest to `key` first.
  std::vector<KadPeer> closest(const KadKey& key, size_t count) const;
  size_t size() const;
  size_t bucket_size(size_t index) const { return buckets_.at(index).entries.size(); }
  size_t bucket_index(const PeerId& peer) const;
  const PeerId& local() const { return local_; }

 private:
  struct Entry {
    KadPeer peer;
    KadKey key;
    int64_t last_seen_ns;
  };
  struct Bucket {
    std::vector<Entry> entries;  // least recently seen first
    std::optional<Entry> candidate;
  };

  PeerId local_;
  KadKey local_key_;
  size_t capacity_;
  std::array<Bucket, kKadKeyBits> buckets_;
};

struct LookupOptions {
  size_t k = kKadBucketSize;
  size_t alpha = kKadAlpha;
  size_t max_queries = kMaxKadLookupQueries;
  int64_t query_timeout_ns = kDefaultKadQueryTimeoutNs;
};

// One iterative FIND_NODE lookup. The caller sends a request to each peer next_queries()
// returns, reports each outcome, calls expire() when next_deadline() passes, and stops
// when done().
class FindNodeLookup {
 public:
  // `key` is the FIND_NODE key (a peer id's multihash for a peer lookup); `local` is never
  // queried. `seeds` are the first candidates (the table's closest).
  FindNodeLookup(Bytes key, PeerId local, std::vector<KadPeer> seeds, LookupOptions options = {});

  const Bytes& key() const { return key_; }
  // Peers to ask now; each is in flight from `now_ns` until answered, failed or expired.
  std::vector<KadPeer> next_queries(int64_t now_ns);
  // `from` answered with `closer` (at most kMaxKadPeersPerResponse are read).
  void on_response(const PeerId& from, const std::vector<KadPeer>& closer);
  void on_failure(const PeerId& from);
  // Fails every request in flight since before `now_ns - timeout`.
  void expire(int64_t now_ns);
  std::optional<int64_t> next_deadline() const;

  bool done() const;
  size_t queries_sent() const { return queries_sent_; }
  // The closest peers that answered, at most k, closest first.
  std::vector<KadPeer> closest_answered() const;
  // What the lookup learned about `peer` (its addresses), if it appeared at all.
  std::optional<KadPeer> seen(const PeerId& peer) const;

 private:
  enum class State { waiting, in_flight, answered, failed };
  struct Candidate {
    KadPeer peer;
    State state = State::waiting;
    int64_t sent_ns = 0;
  };

  void add_candidate(const KadPeer& peer);
  size_t in_flight() const;

  Bytes key_;
  KadKey target_;
  PeerId local_;
  LookupOptions options_;
  // By distance to the target: the map keeps candidates ordered, closest first.
  std::map<KadKey, Candidate> candidates_;
  size_t queries_sent_ = 0;
};

// What the answering side needs to know.
struct KadAnswerContext {
  const RoutingTable& table;
  // Our own addresses, for a FIND_NODE of our own id.
  std::vector<Multiaddr> local_addrs;
  const PeerId& requester;  // left out of closerPeers
};

// A peer for the wire; at most kMaxKadAddrsPerPeer addresses.
kadpb::Message::Peer encode_kad_peer(const KadPeer& peer);
// A peer from the wire: the id must parse; addresses that do not are skipped, and at most
// kMaxKadAddrsPerPeer are kept.
Result<KadPeer> decode_kad_peer(const kadpb::Message::Peer& peer);
// The closerPeers of an answer that decode, at most kMaxKadPeersPerResponse of them.
std::vector<KadPeer> decode_closer_peers(const kadpb::Message& message);

// Parses one message (without its length prefix); Error if oversized or malformed.
Result<kadpb::Message> decode_kad_message(ByteSpan body);
// `message` serialised behind its uvarint length.
Bytes frame_kad_message(const kadpb::Message& message);

// A FIND_NODE request for `key`.
kadpb::Message make_find_node(ByteSpan key);
kadpb::Message make_kad_ping();
// The answer to `request`; nullopt when the spec defines none (ADD_PROVIDER); Error for a
// type the spec does not define.
Result<std::optional<kadpb::Message>> answer_kad_request(const kadpb::Message& request,
                                                         const KadAnswerContext& context);

}  // namespace cairn::net
