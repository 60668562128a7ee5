#include "net/ban_score.h"

#include <algorithm>

namespace cairn::net {

namespace {
constexpr uint64_t kMilli = 1000;
static_assert(kBanThreshold <= 1000, "scores stay far from overflow in milli-points");
}  // namespace

uint64_t BanScores::decayed(const Score& score, int64_t now) {
  if (now <= score.at) return score.milli_points;
  const uint64_t elapsed = static_cast<uint64_t>(now) - static_cast<uint64_t>(score.at);
  const uint64_t half_life = kBanScoreHalfLifeSeconds;
  const uint64_t halvings = elapsed / half_life;
  if (halvings >= 64) return 0;
  uint64_t value = score.milli_points >> halvings;
  // Linear between halvings: 1 - x/2 for the fraction x of the next half-life.
  value -= value * (elapsed % half_life) / (2 * half_life);
  return value;
}

BanScores::Verdict BanScores::add(const PeerId& peer, const std::string& group, Misbehavior reason,
                                  int64_t now) {
  auto it = scores_.find(peer);
  if (it == scores_.end()) {
    if (scores_.size() >= kMaxTrackedScores) forget_lowest_score(now);
    it = scores_.emplace(peer, Score{0, now}).first;
  }
  Score& s = it->second;
  s.milli_points = decayed(s, now) + ban_points(reason) * kMilli;
  s.at = now;
  const auto points = static_cast<uint32_t>(s.milli_points / kMilli);
  if (points >= kBanThreshold) {
    scores_.erase(it);
    const std::string why(to_string(reason));
    ban(BanTarget::of(peer), why, now + kBanDurationSeconds, now);
    if (!group.empty()) ban(BanTarget::of_group(group), why, now + kBanDurationSeconds, now);
    return {points, true};
  }
  return {points, is_banned(peer, now) || (!group.empty() && is_group_banned(group, now))};
}

uint32_t BanScores::score(const PeerId& peer, int64_t now) const {
  const auto it = scores_.find(peer);
  return it == scores_.end() ? 0 : static_cast<uint32_t>(decayed(it->second, now) / kMilli);
}

std::optional<Ban> BanScores::find_ban(const BanTarget& target, int64_t now) const {
  const auto it = bans_.find(target);
  if (it == bans_.end() || it->second.until <= now) return std::nullopt;
  return it->second;
}

bool BanScores::is_banned(const PeerId& peer, int64_t now) const {
  return find_ban(BanTarget::of(peer), now).has_value();
}

bool BanScores::is_group_banned(std::string_view group, int64_t now) const {
  return find_ban(BanTarget::of_group(std::string(group)), now).has_value();
}

bool BanScores::ban(BanTarget target, std::string reason, int64_t until, int64_t now) {
  if (target.key.empty() || target.key.size() > kMaxBanKeyLength || until <= now) return false;
  if (reason.size() > kMaxBanReasonLength) reason.resize(kMaxBanReasonLength);
  if (!bans_.contains(target) && bans_.size() >= kMaxBans) {
    expire(now);
    if (bans_.size() >= kMaxBans) {
      // Make room by lifting the ban that would end soonest anyway.
      const auto soonest = std::min_element(bans_.begin(), bans_.end(), [](const auto& a, const auto& b) {
        return a.second.until < b.second.until;
      });
      bans_.erase(soonest);
    }
  }
  Ban entry{target, std::move(reason), until};
  bans_.insert_or_assign(std::move(target), std::move(entry));
  return true;
}

bool BanScores::unban(const BanTarget& target) { return bans_.erase(target) > 0; }

std::vector<Ban> BanScores::bans(int64_t now) const {
  std::vector<Ban> out;
  for (const auto& [target, ban] : bans_) {
    if (ban.until > now) out.push_back(ban);
  }
  return out;
}

void BanScores::expire(int64_t now) {
  std::erase_if(bans_, [now](const auto& entry) { return entry.second.until <= now; });
  std::erase_if(scores_, [now](const auto& entry) { return decayed(entry.second, now) == 0; });
}

void BanScores::forget_lowest_score(int64_t now) {
  if (scores_.empty()) return;
  const auto lowest = std::min_element(scores_.begin(), scores_.end(), [now](const auto& a, const auto& b) {
    return decayed(a.second, now) < decayed(b.second, now);
  });
  scores_.erase(lowest);
}

}  // namespace cairn::net
