// The peer manager: which addresses to dial and which inbound peer to let go, as policy
// without I/O. The node asks it for dial candidates, dials them, and reports back; the
// host asks it which inbound connection to evict when inbound slots are full.
//
// Outbound (Bitcoin Core's shape): up to `max_outbound` full-relay connections, each to a
// different address group, chosen at random (the Rng is injected) among the eligible known
// peers, preferring those that connected recently, then those that ever did, then new ones.
// A peer is eligible when it is not banned (peer id or group), not connected or being
// dialled, and its retry backoff has passed: kMinRetrySeconds after any attempt, doubling
// from kRetryBackoffBaseSeconds per consecutive failure up to kMaxRetryBackoffSeconds. A
// peer that never connected is forgotten after kForgetAfterFailures failed dials.
// Feelers: every `feeler_interval` one short connection to a peer that never connected, to
// learn whether it is reachable (the node disconnects once the handshake completes).
// Bootstrap: the --bootstrap addresses, then the network's seeds, are tried first while
// the store holds no peer that ever connected, and otherwise whenever no known peer is
// eligible; they need not name a peer id (the dial learns it) and have the same backoff.
//
// Inbound slots cannot take outbound ones: the host caps inbound and outbound connections
// separately (HostOptions), so a flood of inbound peers never displaces our own choices.
//
// Times are Unix seconds (the peer store persists them). Thread-compatible: the owner
// serialises calls (the node runs it on one strand).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "net/ban_score.h"
#include "net/identity.h"
#include "net/multiaddr.h"
#include "net/peer_store.h"
#include "util/rng.h"

namespace cairn::net {

inline constexpr size_t kDefaultOutboundFullRelay = 8;
inline constexpr int64_t kFeelerIntervalSeconds = 2 * 60;
inline constexpr int64_t kMinRetrySeconds = 60;
inline constexpr int64_t kRetryBackoffBaseSeconds = 60;
inline constexpr int64_t kMaxRetryBackoffSeconds = 4 * 60 * 60;
inline constexpr uint32_t kForgetAfterFailures = 10;
// A success within this counts as recent (first choice for outbound).
inline constexpr int64_t kRecentSuccessSeconds = 7 * 24 * 60 * 60;
// Limits on the option lists.
inline constexpr size_t kMaxBootstrapAddresses = 64;

// Eviction protections (Bitcoin Core's SelectNodeToEvict, net_processing's numbers).
inline constexpr size_t kEvictionProtectByPing = 4;
inline constexpr size_t kEvictionProtectByBlocks = 4;
inline constexpr size_t kEvictionProtectByTransactions = 4;

struct PeerManagerOptions {
  size_t max_outbound = kDefaultOutboundFullRelay;
  int64_t feeler_interval = kFeelerIntervalSeconds;  // seconds; 0 disables feelers
  std::vector<Multiaddr> bootstrap;                  // --bootstrap, in order; at most kMaxBootstrapAddresses
  std::vector<Multiaddr> seeds;  // the network's seed list; at most kMaxBootstrapAddresses
};

// The seconds a peer waits after its last attempt before it is dialled again.
int64_t retry_delay(uint32_t failures);

struct DialCandidate {
  std::optional<PeerId> peer;  // absent for a bootstrap or seed address without /p2p
  Multiaddr address;           // ends in /p2p/<peer> when the peer is known
  std::string group;
  bool feeler = false;     // disconnect once the handshake completes
  bool bootstrap = false;  // from PeerManagerOptions::bootstrap or seeds
};

class PeerManager {
 public:
  // Keeps references: `store` and `bans` must outlive the manager. Addresses beyond
  // kMaxBootstrapAddresses, and those without a host, are ignored.
  PeerManager(PeerStore& store, const BanScores& bans, PeerManagerOptions options);

  // How many more outbound full-relay connections to open.
  size_t outbound_wanted(size_t outbound_connected) const;

  // `used_groups`: the groups of our outbound connections and of dials in progress;
  // `busy`: peers connected (either direction) or being dialled.
  std::optional<DialCandidate> select_outbound(const std::set<std::string>& used_groups,
                                               const std::set<PeerId>& busy, int64_t now, Rng& rng) const;
  // A feeler candidate when one is due (then the next is due `feeler_interval` later,
  // whether or not a candidate was found); nullopt otherwise.
  std::optional<DialCandidate> select_feeler(const std::set<std::string>& used_groups,
                                             const std::set<PeerId>& busy, int64_t now, Rng& rng);

  // Dial outcomes. `peer` in on_dial_succeeded is who answered (a bootstrap address without
  // /p2p learns it here; it is then remembered in the store with source bootstrap).
  void on_dial_started(const DialCandidate& candidate, int64_t now);
  void on_dial_succeeded(const DialCandidate& candidate, const PeerId& peer, int64_t now);
  void on_dial_failed(const DialCandidate& candidate, int64_t now);

 private:
  struct BootstrapEntry {
    Multiaddr address;
    std::string group;
    PeerSource source;
    int64_t last_attempt = 0;
    uint32_t failures = 0;
    std::optional<PeerId> answered;  // who answered the last successful dial
  };
  bool eligible(const KnownPeer& peer, const std::string& group, const std::set<std::string>& used_groups,
                const std::set<PeerId>& busy, int64_t now) const;
  std::optional<DialCandidate> select_bootstrap(const std::set<std::string>& used_groups,
                                                const std::set<PeerId>& busy, int64_t now) const;
  BootstrapEntry* find_bootstrap(const Multiaddr& address);

  PeerStore& store_;
  const BanScores& bans_;
  size_t max_outbound_;
  int64_t feeler_interval_;
  std::vector<BootstrapEntry> bootstrap_;  // --bootstrap first, then seeds
  int64_t next_feeler_ = 0;
};

// What the host knows of an inbound connection when it must choose one to close.
struct InboundCandidate {
  PeerId peer;
  std::string group;
  int64_t connected_since = 0;        // any clock, the same for all candidates
  int64_t min_ping_ns = INT64_MAX;    // INT64_MAX when not measured
  int64_t last_block_time = 0;        // last new valid block from it (0 = never)
  int64_t last_transaction_time = 0;  // last new valid transaction from it (0 = never)
  uint32_t ban_score = 0;             // BanScores::score
};

// Bitcoin Core's eviction: protect the kEvictionProtectByPing lowest (measured) pings, the
// kEvictionProtectByTransactions and kEvictionProtectByBlocks most recent transaction and
// block suppliers (only peers that supplied one), then the longest-connected half of the rest; among the
// remaining candidates take the group with the most connections (ties: the youngest connection) and evict its
// highest ban score, then its youngest. nullopt when everyone is protected. Deterministic: ties are broken by
// peer id.
std::optional<PeerId> select_inbound_to_evict(std::vector<InboundCandidate> candidates);

}  // namespace cairn::net
