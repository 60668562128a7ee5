// The peer store: the addresses this node knows (from bootstrap, seeds, Kademlia, identify,
// inbound connections) with their connection history, and the bans, persisted in one file
// of the data directory so that both survive a restart.
//
// Bounded: at most `max_peers` known peers (kMaxKnownPeers by default) with at most
// kMaxAddressesPerPeer addresses each; when a new peer arrives and the store is full, the
// worst one goes (never connected and most failures, then the least recently seen).
//
// File format (docs/network.md "Peer store file"), written atomically (temporary file,
// fsync, rename: util/file.h):
//   magic "cairnpst" (8 bytes) | version u32 (kPeerStoreVersion) | body | checksum (32 bytes)
//   body     = varint n, n x peer (strictly ascending multihash) | varint m, m x ban
//              (strictly ascending target)
//   peer     = bytes multihash | varint k, k x bytes multiaddr | u8 source | u64 first_seen |
//              u64 last_seen | u64 last_success | u64 last_attempt | u32 failures
//   ban      = u8 kind | bytes key | bytes reason | u64 until
//   checksum = BLAKE3 derive_key("cairn peer store v1 checksum") over magic..body
// util/codec.h encodings; times are Unix seconds as u64 two's complement. The decoder is
// strict (canonical: decode then encode gives the same bytes) and refuses anything else
// with an Error naming what is wrong; the node then starts with an empty store and logs it.
//
// Times are Unix seconds (util/clock.h Clock::unix_seconds): they are persisted.
// Thread-compatible: the owner serialises calls.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string_view>
#include <vector>

#include "net/ban_score.h"
#include "net/identity.h"
#include "net/multiaddr.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

inline constexpr size_t kMaxKnownPeers = 4096;
inline constexpr size_t kMaxAddressesPerPeer = 8;
inline constexpr uint32_t kPeerStoreVersion = 1;
inline constexpr std::string_view kPeerStoreFileName = "peers.dat";
// Peer ids longer than this are not stored (an identity multihash of an Ed25519 key is 38
// bytes, a sha2-256 multihash 34).
inline constexpr size_t kMaxStoredPeerIdLength = 64;
// The largest file load() reads: kMaxKnownPeers peers and kMaxBans bans, every field at its
// limit, take about 20 MiB.
inline constexpr size_t kMaxPeerStoreFileBytes = 32 * 1024 * 1024;

// Where an address came from. DO NOT CHANGE THESE VALUES: persisted.
enum class PeerSource : uint8_t {
  bootstrap = 0,  // --bootstrap
  seed = 1,       // the network's seed list
  discovery = 2,  // Kademlia, identify, gossipsub peer exchange, mDNS
  inbound = 3,    // the peer connected to us (its listen addresses from identify)
  manual = 4,     // an operator's addpeer
};
inline constexpr uint8_t kMaxPeerSource = 4;
std::string_view to_string(PeerSource source);

struct KnownPeer {
  PeerId peer;
  std::vector<Multiaddr> addresses;           // 1..kMaxAddressesPerPeer, newest first, no duplicates
  PeerSource source = PeerSource::discovery;  // where we first heard of it
  int64_t first_seen = 0;                     // Unix seconds
  int64_t last_seen = 0;                      // last time an address was announced or a connection made
  int64_t last_success = 0;                   // last completed outbound connection (0 = never)
  int64_t last_attempt = 0;                   // last outbound dial (0 = never)
  uint32_t failures = 0;                      // consecutive failed dials since the last success
  bool operator==(const KnownPeer&) const = default;
};

class PeerStore {
 public:
  explicit PeerStore(size_t max_peers = kMaxKnownPeers);

  // Adds a peer or merges addresses into a known one (new addresses go first, the oldest
  // beyond kMaxAddressesPerPeer are dropped) and updates last_seen. Addresses ending in a
  // /p2p component of another peer are skipped; one naming `peer` is stored without it.
  // Returns false if nothing usable remained (no address, or a peer id that is too long).
  bool add(const PeerId& peer, const std::vector<Multiaddr>& addresses, PeerSource source, int64_t now);
  bool remove(const PeerId& peer);

  // Connection history, as the peer manager reports it. Unknown peers are ignored.
  void mark_attempt(const PeerId& peer, int64_t now);
  void mark_success(const PeerId& peer, int64_t now);  // also clears failures
  void mark_failure(const PeerId& peer, int64_t now);

  const KnownPeer* find(const PeerId& peer) const;
  const std::map<PeerId, KnownPeer>& peers() const { return peers_; }
  size_t size() const { return peers_.size(); }
  size_t max_peers() const { return max_peers_; }

  // The bans to persist (BanScores::bans()); replaced as a whole.
  void set_bans(std::vector<Ban> bans);
  const std::vector<Ban>& bans() const { return bans_; }

  // The file image described above.
  Bytes encode() const;
  // Refuses a file holding more than `max_peers` peers.
  static Result<PeerStore> decode(ByteSpan file, size_t max_peers = kMaxKnownPeers);

  // Writes the store to `path` atomically (mode 0600).
  Status save(const std::filesystem::path& path) const;
  // Reads the store from `path`; a missing file gives an empty store, a corrupt or
  // unreadable one an Error naming the file.
  static Result<PeerStore> load(const std::filesystem::path& path, size_t max_peers = kMaxKnownPeers);

 private:
  void evict_one();

  size_t max_peers_;
  std::map<PeerId, KnownPeer> peers_;
  std::vector<Ban> bans_;  // sorted by target, unique targets
};

}  // namespace cairn::net
