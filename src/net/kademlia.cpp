#include "net/kademlia.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <iterator>

#include "net/multiformats.h"
#include "net/noise_crypto.h"

namespace cairn::net {

// ---- keys -----------------------------------------------------------------------------------

KadKey KadKey::of_bytes(ByteSpan data) {
  const Sha256Digest digest = sha256(data);
  KadKey key;
  std::copy(digest.data(), digest.data() + Sha256Digest::size(), key.bytes.begin());
  return key;
}

KadKey KadKey::random(Rng& rng) {
  KadKey key;
  rng.fill(key.bytes);
  return key;
}

KadKey KadKey::distance(const KadKey& other) const {
  KadKey out;
  for (size_t i = 0; i < bytes.size(); ++i) out.bytes[i] = static_cast<uint8_t>(bytes[i] ^ other.bytes[i]);
  return out;
}

size_t KadKey::common_prefix_length(const KadKey& other) const {
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto x = static_cast<uint8_t>(bytes[i] ^ other.bytes[i]);
    if (x != 0) return i * 8 + static_cast<size_t>(std::countl_zero(x));
  }
  return kKadKeyBits;
}

namespace {

void cap_addresses(std::vector<Multiaddr>& addrs) {
  if (addrs.size() > kMaxKadAddrsPerPeer) {
    addrs.erase(addrs.begin() + static_cast<std::ptrdiff_t>(kMaxKadAddrsPerPeer), addrs.end());
  }
}

}  // namespace

// ---- routing table --------------------------------------------------------------------------

RoutingTable::RoutingTable(PeerId local, size_t bucket_size)
    : local_(std::move(local)), local_key_(KadKey::of_peer(local_)), capacity_(bucket_size) {
  assert(capacity_ > 0);
}

size_t RoutingTable::bucket_index(const PeerId& peer) const {
  return std::min(local_key_.common_prefix_length(KadKey::of_peer(peer)), kKadKeyBits - 1);
}

RoutingTable::AddOutcome RoutingTable::add(KadPeer peer, int64_t now_ns) {
  if (peer.id == local_) return AddOutcome::rejected;
  cap_addresses(peer.addrs);
  Bucket& bucket = buckets_[bucket_index(peer.id)];
  auto known = std::find_if(bucket.entries.begin(), bucket.entries.end(),
                            [&](const Entry& e) { return e.peer.id == peer.id; });
  if (known != bucket.entries.end()) {
    Entry entry = std::move(*known);
    bucket.entries.erase(known);
    if (!peer.addrs.empty()) entry.peer.addrs = std::move(peer.addrs);
    entry.last_seen_ns = now_ns;
    bucket.entries.push_back(std::move(entry));
    return AddOutcome::refreshed;
  }
  const KadKey key = KadKey::of_peer(peer.id);
  if (bucket.entries.size() < capacity_) {
    bucket.entries.push_back(Entry{std::move(peer), key, now_ns});
    return AddOutcome::added;
  }
  if (bucket.candidate && bucket.candidate->peer.id != peer.id) return AddOutcome::rejected;
  bucket.candidate = Entry{std::move(peer), key, now_ns};
  return AddOutcome::pending;
}

std::optional<PeerId> RoutingTable::check_liveness(const PeerId& candidate) const {
  const Bucket& bucket = buckets_[bucket_index(candidate)];
  if (!bucket.candidate || bucket.candidate->peer.id != candidate || bucket.entries.empty())
    return std::nullopt;
  return bucket.entries.front().peer.id;
}

void RoutingTable::liveness_result(const PeerId& checked, bool alive, int64_t now_ns) {
  Bucket& bucket = buckets_[bucket_index(checked)];
  auto it = std::find_if(bucket.entries.begin(), bucket.entries.end(),
                         [&](const Entry& e) { return e.peer.id == checked; });
  if (it == bucket.entries.end()) return;
  Entry entry = std::move(*it);
  bucket.entries.erase(it);
  if (alive) {
    entry.last_seen_ns = now_ns;
    bucket.entries.push_back(std::move(entry));
    bucket.candidate.reset();
    return;
  }
  if (bucket.candidate) {
    bucket.entries.push_back(std::move(*bucket.candidate));
    bucket.candidate.reset();
  }
}

bool RoutingTable::remove(const PeerId& peer) {
  Bucket& bucket = buckets_[bucket_index(peer)];
  auto it = std::find_if(bucket.entries.begin(), bucket.entries.end(),
                         [&](const Entry& e) { return e.peer.id == peer; });
  if (it == bucket.entries.end()) return false;
  bucket.entries.erase(it);
  // A waiting candidate fills the free place at once.
  if (bucket.candidate) {
    bucket.entries.push_back(std::move(*bucket.candidate));
    bucket.candidate.reset();
  }
  return true;
}

bool RoutingTable::contains(const PeerId& peer) const { return find(peer).has_value(); }

std::optional<KadPeer> RoutingTable::find(const PeerId& peer) const {
  const Bucket& bucket = buckets_[bucket_index(peer)];
  for (const Entry& e : bucket.entries) {
    if (e.peer.id == peer) return e.peer;
  }
  return std::nullopt;
}

std::vector<KadPeer> RoutingTable::closest(const KadKey& key, size_t count) const {
  std::vector<std::pair<KadKey, const Entry*>> all;
  for (const Bucket& bucket : buckets_) {
    for (const Entry& e : bucket.entries) all.emplace_back(e.key.distance(key), &e);
  }
  const size_t n = std::min(count, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<KadPeer> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(all[i].second->peer);
  return out;
}

size_t RoutingTable::size() const {
  size_t n = 0;
  for (const Bucket& bucket : buckets_) n += bucket.entries.size();
  return n;
}

// ---- lookup ---------------------------------------------------------------------------------

FindNodeLookup::FindNodeLookup(Bytes key, PeerId local, std::vector<KadPeer> seeds, LookupOptions options)
    : key_(std::move(key)), target_(KadKey::of_bytes(key_)), local_(std::move(local)), options_(options) {
  assert(options_.k > 0 && options_.alpha > 0);
  for (const KadPeer& peer : seeds) add_candidate(peer);
}

void FindNodeLookup::add_candidate(const KadPeer& peer) {
  if (peer.id == local_) return;
  const KadKey distance = KadKey::of_peer(peer.id).distance(target_);
  auto [it, inserted] = candidates_.try_emplace(distance, Candidate{peer});
  if (!inserted) {
    // Learn addresses for a peer we had none for; never overwrite known ones.
    if (it->second.peer.addrs.empty()) it->second.peer.addrs = peer.addrs;
    return;
  }
  cap_addresses(it->second.peer.addrs);
  // Forget the farthest candidate that is not in flight, to stay bounded.
  while (candidates_.size() > kMaxKadLookupCandidates) {
    auto far = std::prev(candidates_.end());
    while (far != candidates_.begin() && far->second.state == State::in_flight) --far;
    if (far->second.state == State::in_flight) break;
    candidates_.erase(far);
  }
}

size_t FindNodeLookup::in_flight() const {
  return static_cast<size_t>(std::count_if(candidates_.begin(), candidates_.end(),
                                           [](const auto& c) { return c.second.state == State::in_flight; }));
}

std::vector<KadPeer> FindNodeLookup::next_queries(int64_t now_ns) {
  std::vector<KadPeer> out;
  if (done()) return out;
  size_t busy = in_flight();
  // Only the k closest live candidates are worth asking: beyond them an answer cannot
  // change the result.
  size_t live_rank = 0;
  for (auto& [distance, c] : candidates_) {
    if (busy >= options_.alpha || queries_sent_ >= options_.max_queries || live_rank >= options_.k) break;
    if (c.state == State::failed) continue;
    ++live_rank;
    if (c.state != State::waiting) continue;
    if (c.peer.addrs.empty()) {
      // Nothing to dial it on.
      c.state = State::failed;
      --live_rank;
      continue;
    }
    c.state = State::in_flight;
    c.sent_ns = now_ns;
    ++busy;
    ++queries_sent_;
    out.push_back(c.peer);
  }
  return out;
}

void FindNodeLookup::on_response(const PeerId& from, const std::vector<KadPeer>& closer) {
  auto it = candidates_.find(KadKey::of_peer(from).distance(target_));
  if (it == candidates_.end() || it->second.state != State::in_flight) return;
  it->second.state = State::answered;
  const size_t n = std::min(closer.size(), kMaxKadPeersPerResponse);
  for (size_t i = 0; i < n; ++i) add_candidate(closer[i]);
}

void FindNodeLookup::on_failure(const PeerId& from) {
  auto it = candidates_.find(KadKey::of_peer(from).distance(target_));
  if (it == candidates_.end() || it->second.state != State::in_flight) return;
  it->second.state = State::failed;
}

void FindNodeLookup::expire(int64_t now_ns) {
  for (auto& [distance, c] : candidates_) {
    if (c.state == State::in_flight && now_ns - c.sent_ns >= options_.query_timeout_ns)
      c.state = State::failed;
  }
}

std::optional<int64_t> FindNodeLookup::next_deadline() const {
  std::optional<int64_t> out;
  for (const auto& [distance, c] : candidates_) {
    if (c.state != State::in_flight) continue;
    const int64_t deadline = c.sent_ns + options_.query_timeout_ns;
    if (!out || deadline < *out) out = deadline;
  }
  return out;
}

bool FindNodeLookup::done() const {
  size_t live_rank = 0;
  bool pending = false;  // something among the k closest live ones is not answered yet
  for (const auto& [distance, c] : candidates_) {
    if (live_rank >= options_.k) break;
    if (c.state == State::failed) continue;
    ++live_rank;
    if (c.state != State::answered) pending = true;
  }
  if (!pending) return true;
  if (in_flight() > 0) return false;
  // Nothing in flight: done unless something could still be sent.
  return queries_sent_ >= options_.max_queries;
}

std::vector<KadPeer> FindNodeLookup::closest_answered() const {
  std::vector<KadPeer> out;
  for (const auto& [distance, c] : candidates_) {
    if (out.size() >= options_.k) break;
    if (c.state == State::answered) out.push_back(c.peer);
  }
  return out;
}

std::optional<KadPeer> FindNodeLookup::seen(const PeerId& peer) const {
  auto it = candidates_.find(KadKey::of_peer(peer).distance(target_));
  if (it == candidates_.end()) return std::nullopt;
  return it->second.peer;
}

// ---- messages -------------------------------------------------------------------------------

kadpb::Message::Peer encode_kad_peer(const KadPeer& peer) {
  kadpb::Message::Peer out;
  out.set_id(std::string(peer.id.multihash().begin(), peer.id.multihash().end()));
  const size_t n = std::min(peer.addrs.size(), kMaxKadAddrsPerPeer);
  for (size_t i = 0; i < n; ++i) {
    const Bytes bytes = peer.addrs[i].to_bytes();
    out.add_addrs(std::string(bytes.begin(), bytes.end()));
  }
  out.set_connection(kadpb::Message::NOT_CONNECTED);
  return out;
}

namespace {

ByteSpan as_bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

}  // namespace

Result<KadPeer> decode_kad_peer(const kadpb::Message::Peer& peer) {
  CAIRN_TRY(PeerId id, PeerId::from_multihash(as_bytes(peer.id())));
  KadPeer out{std::move(id), {}};
  for (const std::string& addr : peer.addrs()) {
    if (out.addrs.size() >= kMaxKadAddrsPerPeer) break;
    Result<Multiaddr> parsed = Multiaddr::from_bytes(as_bytes(addr));
    if (parsed) out.addrs.push_back(std::move(*parsed));
  }
  return out;
}

std::vector<KadPeer> decode_closer_peers(const kadpb::Message& message) {
  std::vector<KadPeer> out;
  for (const auto& peer : message.closerpeers()) {
    if (out.size() >= kMaxKadPeersPerResponse) break;
    if (Result<KadPeer> decoded = decode_kad_peer(peer)) out.push_back(std::move(*decoded));
  }
  return out;
}

Result<kadpb::Message> decode_kad_message(ByteSpan body) {
  if (body.size() > kMaxKadMessageSize) {
    return Error{ErrorCode::limit, "kad: message of " + std::to_string(body.size()) + " bytes"};
  }
  kadpb::Message message;
  if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Error{ErrorCode::decode, "kad: malformed message"};
  }
  return message;
}

Bytes frame_kad_message(const kadpb::Message& message) {
  const std::string body = message.SerializeAsString();
  Bytes out;
  out.reserve(uvarint_size(body.size()) + body.size());
  append_uvarint(out, body.size());
  for (char c : body) out.push_back(static_cast<uint8_t>(c));
  return out;
}

kadpb::Message make_find_node(ByteSpan key) {
  kadpb::Message message;
  message.set_type(kadpb::Message::FIND_NODE);
  message.set_key(std::string(key.begin(), key.end()));
  return message;
}

kadpb::Message make_kad_ping() {
  kadpb::Message message;
  message.set_type(kadpb::Message::PING);
  return message;
}

namespace {

void add_closer_peers(kadpb::Message& answer, const KadKey& key, const KadAnswerContext& context) {
  // One extra, in case the requester is among them.
  for (const KadPeer& peer : context.table.closest(key, kKadBucketSize + 1)) {
    if (peer.id == context.requester) continue;
    if (static_cast<size_t>(answer.closerpeers_size()) >= kKadBucketSize) break;
    *answer.add_closerpeers() = encode_kad_peer(peer);
  }
}

}  // namespace

Result<std::optional<kadpb::Message>> answer_kad_request(const kadpb::Message& request,
                                                         const KadAnswerContext& context) {
  kadpb::Message answer;
  answer.set_type(request.type());
  switch (request.type()) {
    case kadpb::Message::PING:
      return std::optional<kadpb::Message>(std::move(answer));
    case kadpb::Message::FIND_NODE: {
      answer.set_key(request.key());
      const ByteSpan key = as_bytes(request.key());
      const Bytes& local = context.table.local().multihash();
      if (key.size() == local.size() && std::equal(key.begin(), key.end(), local.begin())) {
        *answer.add_closerpeers() = encode_kad_peer(KadPeer{context.table.local(), context.local_addrs});
      } else {
        add_closer_peers(answer, KadKey::of_bytes(key), context);
      }
      return std::optional<kadpb::Message>(std::move(answer));
    }
    case kadpb::Message::GET_VALUE:
    case kadpb::Message::GET_PROVIDERS:
      // No records or providers are stored here: closer peers only, which the spec's
      // "not found" answer is.
      answer.set_key(request.key());
      add_closer_peers(answer, KadKey::of_bytes(as_bytes(request.key())), context);
      return std::optional<kadpb::Message>(std::move(answer));
    case kadpb::Message::PUT_VALUE:
      // Storing would be answered with the record echoed; an answer without it says no.
      return std::optional<kadpb::Message>(std::move(answer));
    case kadpb::Message::ADD_PROVIDER:
      return std::optional<kadpb::Message>();
    default:
      return Error{ErrorCode::decode, "kad: unknown message type " + std::to_string(request.type())};
  }
}

}  // namespace cairn::net
