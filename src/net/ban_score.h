// Ban scores: what misbehaving costs a peer, and the bans it leads to.
//
// Each Misbehavior reason costs the points in kBanPoints (docs/network.md "Ban scores"
// holds the same table with reasons). A peer's score decays with a half-life
// (kBanScoreHalfLifeSeconds, as Decred's dynamic ban scores do) so that a rare honest
// mistake is forgotten while a steady stream is not; when it reaches kBanThreshold, the
// peer id AND its address group are banned for kBanDurationSeconds (a new key is free, a
// new /16 is not) and the score is cleared. Bans can also be set and lifted by hand (RPC).
//
// Times are Unix seconds (util/clock.h Clock::unix_seconds), not the monotonic clock:
// bans are persisted by PeerStore and must expire at the right wall-clock time after a
// restart. Decay is integer-only and deterministic given `now`: a score halves every full
// half-life and falls linearly in between (0.5 exactly at each half-life).
//
// Bounded: at most kMaxTrackedScores scores (the lowest is forgotten first) and kMaxBans
// bans (the one expiring soonest goes first). Thread-compatible: the owner serialises calls.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/identity.h"
#include "net/misbehavior.h"

namespace cairn::net {

inline constexpr uint32_t kBanThreshold = 100;
inline constexpr int64_t kBanDurationSeconds = 24 * 60 * 60;
inline constexpr int64_t kBanScoreHalfLifeSeconds = 10 * 60;
inline constexpr size_t kMaxTrackedScores = 8192;
inline constexpr size_t kMaxBans = 8192;
inline constexpr size_t kMaxBanReasonLength = 64;
// A ban's key: a peer id's base58 text (<= kMaxPeerIdTextLength) or an address group (the
// longest is "dns:" and a 255-character name).
inline constexpr size_t kMaxBanKeyLength = 272;

// Points per reason, indexed by Misbehavior. 100 = banned at once: data no honest peer sends.
inline constexpr std::array<uint32_t, static_cast<size_t>(Misbehavior::kCount)> kBanPoints{{
    100,  // malformed_message: a conforming implementation never sends one
    100,  // oversized_message: every cap is documented and far above honest sizes
    50,   // incompatible_handshake: a later status contradicting the first
    100,  // invalid_header: costs the peer nothing to send, us validation work
    20,   // unconnecting_headers: BlockSync tolerates a few races before reporting
    100,  // non_continuous_headers: an honest reply always chains
    100,  // invalid_block
    20,   // unrequested_block: may race with an announcement
    100,  // invalid_compact_block (short-id collisions are not reported: they fall back)
    100,  // invalid_block_transactions
    10,   // invalid_transaction: policy differences between versions are possible
    20,   // invalid_vote: a bad signature or a non-validator
    10,   // rate_limit_exceeded: ten drops in a half-life ban
    5,    // stalling: slow links exist; the peer is dropped from sync anyway
}};

constexpr uint32_t ban_points(Misbehavior reason) { return kBanPoints[static_cast<size_t>(reason)]; }

struct BanTarget {
  // DO NOT CHANGE THESE VALUES: persisted in the peer store file.
  enum class Kind : uint8_t { peer = 0, group = 1 };
  Kind kind = Kind::peer;
  std::string key;  // PeerId::to_base58() or an address_group()

  static BanTarget of(const PeerId& peer) { return {Kind::peer, peer.to_base58()}; }
  static BanTarget of_group(std::string group) { return {Kind::group, std::move(group)}; }
  auto operator<=>(const BanTarget&) const = default;
};

struct Ban {
  BanTarget target;
  std::string reason;  // to_string(Misbehavior) or an operator's text; <= kMaxBanReasonLength
  int64_t until = 0;   // Unix seconds; the ban is lifted at this time
  bool operator==(const Ban&) const = default;
};

class BanScores {
 public:
  struct Verdict {
    uint32_t score = 0;   // after this report (the score that triggered a ban, which clears it)
    bool banned = false;  // the peer or its group is banned now: disconnect it
  };

  // Records `reason` against `peer` (whose address group is `group`, empty if unknown).
  Verdict add(const PeerId& peer, const std::string& group, Misbehavior reason, int64_t now);

  // The decayed score of a peer (0 if unknown).
  uint32_t score(const PeerId& peer, int64_t now) const;

  bool is_banned(const PeerId& peer, int64_t now) const;
  bool is_group_banned(std::string_view group, int64_t now) const;
  // The unexpired ban of a target, if any.
  std::optional<Ban> find_ban(const BanTarget& target, int64_t now) const;

  // Bans by hand (or restores a persisted ban); replaces an existing ban of the same target.
  // A reason over kMaxBanReasonLength is truncated. Returns false (and bans nothing) for an
  // empty key or one over kMaxBanKeyLength, or an `until` not after `now`.
  bool ban(BanTarget target, std::string reason, int64_t until, int64_t now);
  // Lifts a ban; false if there was none.
  bool unban(const BanTarget& target);
  // Unexpired bans, ordered by target (what PeerStore persists and `listbanned` shows).
  std::vector<Ban> bans(int64_t now) const;
  // Forgets expired bans and scores decayed to zero.
  void expire(int64_t now);

  size_t tracked_scores() const { return scores_.size(); }

 private:
  struct Score {
    uint64_t milli_points;  // fixed point: 1000 = one point
    int64_t at;             // the time milli_points was computed for
  };
  static uint64_t decayed(const Score& score, int64_t now);
  void forget_lowest_score(int64_t now);

  std::map<PeerId, Score> scores_;
  std::map<BanTarget, Ban> bans_;
};

}  // namespace cairn::net
