#include "net/peer_store.h"

#include <algorithm>
#include <cassert>
#include <system_error>
#include <tuple>

#include "crypto/hash.h"
#include "net/address_group.h"
#include "util/codec.h"
#include "util/file.h"

namespace cairn::net {

namespace {

constexpr std::string_view kMagic = "cairnpst";
constexpr std::string_view kChecksumContext = "cairn peer store v1 checksum";
constexpr size_t kChecksumBytes = 32;

Hash256 checksum(ByteSpan bytes) { return Hasher::derive_key(kChecksumContext).update(bytes).finalize(); }

// `address` without a trailing /p2p/<peer> component; nullopt if it names another peer.
std::optional<Multiaddr> without_own_peer_id(const Multiaddr& address, const PeerId& peer) {
  const auto named = address.peer_id();
  if (!named) return address;
  if (*named != peer) return std::nullopt;
  const std::string text = address.to_string();
  auto stripped = Multiaddr::parse(std::string_view(text).substr(0, text.rfind("/p2p/")));
  if (!stripped) return std::nullopt;  // the address was only /p2p/<peer>
  return std::move(*stripped);
}

// The key by which the store evicts: the greatest goes first.
auto eviction_rank(const KnownPeer& p) { return std::tuple(p.last_success == 0, p.failures, -p.last_seen); }

void encode_peer(Writer& w, const KnownPeer& p) {
  w.bytes(p.peer.multihash());
  w.varint(p.addresses.size());
  for (const auto& a : p.addresses) w.bytes(a.to_bytes());
  w.u8(static_cast<uint8_t>(p.source));
  w.u64(static_cast<uint64_t>(p.first_seen));
  w.u64(static_cast<uint64_t>(p.last_seen));
  w.u64(static_cast<uint64_t>(p.last_success));
  w.u64(static_cast<uint64_t>(p.last_attempt));
  w.u32(p.failures);
}

std::optional<KnownPeer> decode_peer(Reader& r) {
  const Bytes multihash = r.bytes("peer", kMaxStoredPeerIdLength);
  if (!r.ok()) return std::nullopt;
  auto peer = PeerId::from_multihash(multihash);
  if (!peer) {
    r.fail(ErrorCode::decode, "peer", peer.error().message);
    return std::nullopt;
  }
  KnownPeer p{std::move(*peer), {}, PeerSource::discovery, 0, 0, 0, 0, 0};
  const size_t n = r.count("addresses", kMaxAddressesPerPeer);
  if (r.ok() && n == 0) r.fail(ErrorCode::decode, "addresses", "a peer without addresses");
  for (size_t i = 0; i < n && r.ok(); ++i) {
    auto guard = r.scope("addresses", static_cast<int64_t>(i));
    const Bytes bytes = r.bytes("address", kMaxMultiaddrLength);
    if (!r.ok()) break;
    auto address = Multiaddr::from_bytes(bytes);
    if (!address) {
      r.fail(ErrorCode::decode, "address", address.error().message);
      break;
    }
    if (address->peer_id() || !address_group(*address)) {
      r.fail(ErrorCode::decode, "address", "not a dialable address without /p2p");
      break;
    }
    if (std::find(p.addresses.begin(), p.addresses.end(), *address) != p.addresses.end()) {
      r.fail(ErrorCode::decode, "address", "duplicate");
      break;
    }
    p.addresses.push_back(std::move(*address));
  }
  const uint8_t source = r.u8("source");
  if (r.ok() && source > kMaxPeerSource) r.fail(ErrorCode::decode, "source", "unknown peer source");
  p.source = static_cast<PeerSource>(source);
  p.first_seen = static_cast<int64_t>(r.u64("first_seen"));
  p.last_seen = static_cast<int64_t>(r.u64("last_seen"));
  p.last_success = static_cast<int64_t>(r.u64("last_success"));
  p.last_attempt = static_cast<int64_t>(r.u64("last_attempt"));
  p.failures = r.u32("failures");
  if (!r.ok()) return std::nullopt;
  return p;
}

void encode_ban(Writer& w, const Ban& b) {
  w.u8(static_cast<uint8_t>(b.target.kind));
  w.bytes(as_bytes(b.target.key));
  w.bytes(as_bytes(b.reason));
  w.u64(static_cast<uint64_t>(b.until));
}

std::optional<Ban> decode_ban(Reader& r) {
  Ban b;
  const uint8_t kind = r.u8("kind");
  if (r.ok() && kind > static_cast<uint8_t>(BanTarget::Kind::group))
    r.fail(ErrorCode::decode, "kind", "unknown");
  b.target.kind = static_cast<BanTarget::Kind>(kind);
  const Bytes key = r.bytes("key", kMaxBanKeyLength);
  if (r.ok() && key.empty()) r.fail(ErrorCode::decode, "key", "empty");
  b.target.key.assign(key.begin(), key.end());
  const Bytes reason = r.bytes("reason", kMaxBanReasonLength);
  b.reason.assign(reason.begin(), reason.end());
  b.until = static_cast<int64_t>(r.u64("until"));
  if (!r.ok()) return std::nullopt;
  return b;
}

}  // namespace

std::string_view to_string(PeerSource source) {
  switch (source) {
    case PeerSource::bootstrap:
      return "bootstrap";
    case PeerSource::seed:
      return "seed";
    case PeerSource::discovery:
      return "discovery";
    case PeerSource::inbound:
      return "inbound";
    case PeerSource::manual:
      return "manual";
  }
  return "unknown";
}

PeerStore::PeerStore(size_t max_peers) : max_peers_(max_peers) { assert(max_peers >= 1); }

bool PeerStore::add(const PeerId& peer, const std::vector<Multiaddr>& addresses, PeerSource source,
                    int64_t now) {
  if (peer.multihash().size() > kMaxStoredPeerIdLength) return false;
  std::vector<Multiaddr> usable;
  for (const auto& address : addresses) {
    auto own = without_own_peer_id(address, peer);
    if (!own || !address_group(*own)) continue;
    if (std::find(usable.begin(), usable.end(), *own) == usable.end()) usable.push_back(std::move(*own));
  }
  if (usable.empty()) return false;

  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    if (peers_.size() >= max_peers_) evict_one();
    it = peers_.emplace(peer, KnownPeer{peer, {}, source, now, now, 0, 0, 0}).first;
  }
  KnownPeer& known = it->second;
  // New addresses first; the old ones after them, oldest dropped beyond the limit.
  for (auto& old : known.addresses) {
    if (std::find(usable.begin(), usable.end(), old) == usable.end()) usable.push_back(std::move(old));
  }
  if (usable.size() > kMaxAddressesPerPeer) {
    usable.erase(usable.begin() + static_cast<std::ptrdiff_t>(kMaxAddressesPerPeer), usable.end());
  }
  known.addresses = std::move(usable);
  known.last_seen = std::max(known.last_seen, now);
  return true;
}

bool PeerStore::remove(const PeerId& peer) {
  // find + erase(iterator): GCC 12 warns wrongly (-Wstringop-overread) on erase(key).
  const auto it = peers_.find(peer);
  if (it == peers_.end()) return false;
  peers_.erase(it);
  return true;
}

void PeerStore::mark_attempt(const PeerId& peer, int64_t now) {
  if (auto it = peers_.find(peer); it != peers_.end()) it->second.last_attempt = now;
}

void PeerStore::mark_success(const PeerId& peer, int64_t now) {
  if (auto it = peers_.find(peer); it != peers_.end()) {
    it->second.last_success = now;
    it->second.last_seen = std::max(it->second.last_seen, now);
    it->second.failures = 0;
  }
}

void PeerStore::mark_failure(const PeerId& peer, int64_t) {
  if (auto it = peers_.find(peer); it != peers_.end() && it->second.failures < UINT32_MAX)
    ++it->second.failures;
}

const KnownPeer* PeerStore::find(const PeerId& peer) const {
  const auto it = peers_.find(peer);
  return it == peers_.end() ? nullptr : &it->second;
}

void PeerStore::set_bans(std::vector<Ban> bans) {
  std::sort(bans.begin(), bans.end(), [](const Ban& a, const Ban& b) { return a.target < b.target; });
  bans.erase(
      std::unique(bans.begin(), bans.end(), [](const Ban& a, const Ban& b) { return a.target == b.target; }),
      bans.end());
  std::erase_if(bans, [](const Ban& b) {
    return b.target.key.empty() || b.target.key.size() > kMaxBanKeyLength ||
           b.reason.size() > kMaxBanReasonLength;
  });
  if (bans.size() > kMaxBans) bans.resize(kMaxBans);
  bans_ = std::move(bans);
}

void PeerStore::evict_one() {
  const auto worst = std::max_element(peers_.begin(), peers_.end(), [](const auto& a, const auto& b) {
    return eviction_rank(a.second) < eviction_rank(b.second);
  });
  if (worst != peers_.end()) peers_.erase(worst);
}

Bytes PeerStore::encode() const {
  Writer w;
  w.raw(as_bytes(kMagic));
  w.u32(kPeerStoreVersion);
  w.varint(peers_.size());
  for (const auto& [id, peer] : peers_) encode_peer(w, peer);
  w.varint(bans_.size());
  for (const auto& ban : bans_) encode_ban(w, ban);
  const Hash256 sum = checksum(w.data());
  w.raw(sum.bytes);
  return w.take();
}

Result<PeerStore> PeerStore::decode(ByteSpan file, size_t max_peers) {
  if (file.size() < kMagic.size() + 4 + kChecksumBytes)
    return Error(ErrorCode::decode, "peer store: truncated");
  const ByteSpan body = file.first(file.size() - kChecksumBytes);
  const Hash256 sum = checksum(body);
  if (!std::equal(sum.bytes.begin(), sum.bytes.end(), file.end() - kChecksumBytes)) {
    return Error(ErrorCode::decode, "peer store: checksum mismatch (the file is damaged)");
  }
  Reader r(body);
  const ByteSpan magic = r.take("magic", kMagic.size());
  if (!std::equal(magic.begin(), magic.end(), as_bytes(kMagic).begin())) {
    return Error(ErrorCode::decode, "peer store: not a peer store file");
  }
  if (const uint32_t version = r.u32("version"); version != kPeerStoreVersion) {
    return Error(ErrorCode::decode, "peer store: version " + std::to_string(version) +
                                        " is not supported (expected " + std::to_string(kPeerStoreVersion) +
                                        ")");
  }
  PeerStore store(max_peers);
  const size_t n = r.count("peers", max_peers);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    auto guard = r.scope("peers", static_cast<int64_t>(i));
    auto peer = decode_peer(r);
    if (!peer) break;
    if (!store.peers_.empty() && !(store.peers_.rbegin()->first < peer->peer)) {
      r.fail(ErrorCode::decode, "peer", "not in strictly ascending order");
      break;
    }
    PeerId id = peer->peer;
    store.peers_.emplace_hint(store.peers_.end(), std::move(id), std::move(*peer));
  }
  const size_t m = r.count("bans", kMaxBans);
  for (size_t i = 0; i < m && r.ok(); ++i) {
    auto guard = r.scope("bans", static_cast<int64_t>(i));
    auto ban = decode_ban(r);
    if (!ban) break;
    if (!store.bans_.empty() && !(store.bans_.back().target < ban->target)) {
      r.fail(ErrorCode::decode, "ban", "not in strictly ascending order");
      break;
    }
    store.bans_.push_back(std::move(*ban));
  }
  if (auto status = r.finish(); !status) {
    return Error(status.error().code, "peer store: " + status.error().message);
  }
  return store;
}

Status PeerStore::save(const std::filesystem::path& path) const {
  const Bytes image = encode();
  return write_file_atomically(path, image, /*replace=*/true);
}

Result<PeerStore> PeerStore::load(const std::filesystem::path& path, size_t max_peers) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) {
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return Error(ErrorCode::io, "'" + path.string() + "': " + ec.message());
    }
    return PeerStore(max_peers);
  }
  CAIRN_TRY(auto bytes, read_private_file(path, kMaxPeerStoreFileBytes));
  auto store = decode(bytes, max_peers);
  if (!store) return Error(store.error().code, "'" + path.string() + "': " + store.error().message);
  return store;
}

}  // namespace cairn::net
