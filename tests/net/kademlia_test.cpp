#include "net/kademlia.h"

#include <algorithm>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "crypto/ed25519.h"

namespace cairn::net {
namespace {

PeerId peer_from(uint64_t n) {
  Seed seed;
  for (size_t i = 0; i < 8; ++i) seed.span()[i] = static_cast<uint8_t>(n >> (8 * i));
  seed.span()[31] = 0x5a;
  return PeerId::from_public_key(KeyPair::from_seed(seed).public_key());
}

Multiaddr addr_of(uint64_t n) {
  return Multiaddr::parse("/ip4/10.0." + std::to_string((n / 250) % 250) + "." + std::to_string(n % 250 + 1) +
                          "/tcp/4001")
      .value();
}

KadPeer kad_peer(uint64_t n) { return KadPeer{peer_from(n), {addr_of(n)}}; }

// Peers (numbered from `from`) that fall into `bucket` of `table`.
std::vector<uint64_t> peers_in_bucket(const RoutingTable& table, size_t bucket, size_t count,
                                      uint64_t from = 1) {
  std::vector<uint64_t> out;
  for (uint64_t n = from; out.size() < count; ++n) {
    if (table.bucket_index(peer_from(n)) == bucket) out.push_back(n);
  }
  return out;
}

TEST(KadKey, DistanceAndPrefix) {
  KadKey a;
  KadKey b;
  EXPECT_EQ(a.common_prefix_length(b), kKadKeyBits);
  b.bytes[0] = 0x80;
  EXPECT_EQ(a.common_prefix_length(b), 0u);
  b.bytes[0] = 0x01;
  EXPECT_EQ(a.common_prefix_length(b), 7u);
  b.bytes[0] = 0;
  b.bytes[31] = 1;
  EXPECT_EQ(a.common_prefix_length(b), 255u);
  EXPECT_EQ(a.distance(b), b);
  EXPECT_EQ(b.distance(b), KadKey{});
  // The peer key is SHA-256 of the multihash (sha256("") for empty input).
  EXPECT_EQ(KadKey::of_bytes({}).bytes[0], 0xe3);
  EXPECT_EQ(KadKey::of_peer(peer_from(1)), KadKey::of_bytes(peer_from(1).multihash()));
}

TEST(RoutingTable, RejectsSelfAndRefreshesKnownPeers) {
  RoutingTable table(peer_from(0));
  EXPECT_EQ(table.add(KadPeer{peer_from(0), {}}, 0), RoutingTable::AddOutcome::rejected);
  EXPECT_EQ(table.add(kad_peer(1), 0), RoutingTable::AddOutcome::added);
  EXPECT_EQ(table.add(KadPeer{peer_from(1), {addr_of(2)}}, 1), RoutingTable::AddOutcome::refreshed);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.find(peer_from(1))->addrs, std::vector<Multiaddr>{addr_of(2)});
  EXPECT_TRUE(table.remove(peer_from(1)));
  EXPECT_FALSE(table.remove(peer_from(1)));
  EXPECT_EQ(table.size(), 0u);
}

TEST(RoutingTable, BucketHoldsExactlyKThenAsksForLiveness) {
  RoutingTable table(peer_from(0));
  const std::vector<uint64_t> peers = peers_in_bucket(table, 0, kKadBucketSize + 2);
  for (size_t i = 0; i < kKadBucketSize; ++i) {
    EXPECT_EQ(table.add(kad_peer(peers[i]), static_cast<int64_t>(i)), RoutingTable::AddOutcome::added);
  }
  EXPECT_EQ(table.bucket_size(0), kKadBucketSize);
  // The (k+1)-th waits; the oldest entry's liveness decides.
  EXPECT_EQ(table.add(kad_peer(peers[kKadBucketSize]), 100), RoutingTable::AddOutcome::pending);
  EXPECT_EQ(table.check_liveness(peer_from(peers[kKadBucketSize])), peer_from(peers[0]));
  // One candidate per bucket: another newcomer is turned away.
  EXPECT_EQ(table.add(kad_peer(peers[kKadBucketSize + 1]), 100), RoutingTable::AddOutcome::rejected);
  EXPECT_EQ(table.bucket_size(0), kKadBucketSize);

  // Alive: the oldest stays (now most recent) and the candidate is dropped.
  table.liveness_result(peer_from(peers[0]), true, 101);
  EXPECT_TRUE(table.contains(peer_from(peers[0])));
  EXPECT_FALSE(table.contains(peer_from(peers[kKadBucketSize])));
  EXPECT_FALSE(table.check_liveness(peer_from(peers[kKadBucketSize])).has_value());

  // Dead: the candidate replaces it.
  EXPECT_EQ(table.add(kad_peer(peers[kKadBucketSize + 1]), 102), RoutingTable::AddOutcome::pending);
  EXPECT_EQ(table.check_liveness(peer_from(peers[kKadBucketSize + 1])), peer_from(peers[1]));
  table.liveness_result(peer_from(peers[1]), false, 103);
  EXPECT_FALSE(table.contains(peer_from(peers[1])));
  EXPECT_TRUE(table.contains(peer_from(peers[kKadBucketSize + 1])));
  EXPECT_EQ(table.bucket_size(0), kKadBucketSize);
}

TEST(RoutingTable, KeepsAtMostTheAddressLimit) {
  RoutingTable table(peer_from(0));
  KadPeer many{peer_from(1), {}};
  for (uint64_t i = 0; i < kMaxKadAddrsPerPeer + 1; ++i) many.addrs.push_back(addr_of(i));
  table.add(many, 0);
  EXPECT_EQ(table.find(peer_from(1))->addrs.size(), kMaxKadAddrsPerPeer);
}

TEST(RoutingTable, ClosestAreSortedByXorDistance) {
  RoutingTable table(peer_from(0));
  for (uint64_t n = 1; n <= 200; ++n) table.add(kad_peer(n), 0);
  const KadKey target = KadKey::of_peer(peer_from(999));
  const std::vector<KadPeer> closest = table.closest(target, kKadBucketSize);
  ASSERT_EQ(closest.size(), kKadBucketSize);
  for (size_t i = 1; i < closest.size(); ++i) {
    EXPECT_LT(KadKey::of_peer(closest[i - 1].id).distance(target),
              KadKey::of_peer(closest[i].id).distance(target));
  }
  // Nothing left out is closer than the farthest returned.
  const KadKey worst = KadKey::of_peer(closest.back().id).distance(target);
  std::set<PeerId> returned;
  for (const KadPeer& p : closest) returned.insert(p.id);
  for (uint64_t n = 1; n <= 200; ++n) {
    if (table.contains(peer_from(n)) && !returned.contains(peer_from(n))) {
      EXPECT_GT(KadKey::of_peer(peer_from(n)).distance(target), worst);
    }
  }
}

TEST(FindNodeLookup, SendsAlphaAtATimeAndTimesOut) {
  LookupOptions options;
  options.query_timeout_ns = 1000;
  std::vector<KadPeer> seeds;
  for (uint64_t n = 1; n <= 5; ++n) seeds.push_back(kad_peer(n));
  FindNodeLookup lookup(peer_from(99).multihash(), peer_from(0), seeds, options);
  const std::vector<KadPeer> first = lookup.next_queries(0);
  EXPECT_EQ(first.size(), kKadAlpha);
  EXPECT_TRUE(lookup.next_queries(0).empty());
  EXPECT_EQ(lookup.next_deadline(), 1000);
  lookup.expire(999);
  EXPECT_TRUE(lookup.next_queries(999).empty());
  lookup.expire(1000);  // all three failed at the boundary
  const std::vector<KadPeer> second = lookup.next_queries(1000);
  EXPECT_EQ(second.size(), 2u);
  EXPECT_FALSE(lookup.done());
  lookup.on_response(second[0].id, {});
  lookup.on_failure(second[1].id);
  EXPECT_TRUE(lookup.done());
  ASSERT_EQ(lookup.closest_answered().size(), 1u);
  EXPECT_EQ(lookup.closest_answered()[0].id, second[0].id);
  // A late answer from a timed-out peer changes nothing.
  lookup.on_response(first[0].id, {kad_peer(50)});
  EXPECT_FALSE(lookup.seen(peer_from(50)).has_value());
}

TEST(FindNodeLookup, StopsAtTheQueryBudget) {
  LookupOptions options;
  options.max_queries = 7;
  FindNodeLookup lookup(peer_from(99).multihash(), peer_from(0), {kad_peer(1)}, options);
  uint64_t next = 1000;
  size_t rounds = 0;
  while (!lookup.done() && rounds++ < 1000) {
    for (const KadPeer& p : lookup.next_queries(0)) {
      // Every peer answers with fresh peers, so only the budget ends the lookup.
      std::vector<KadPeer> fresh;
      for (int i = 0; i < 3; ++i) fresh.push_back(kad_peer(next++));
      lookup.on_response(p.id, fresh);
    }
  }
  EXPECT_TRUE(lookup.done());
  EXPECT_EQ(lookup.queries_sent(), options.max_queries);
  EXPECT_TRUE(lookup.next_queries(0).empty());
}

TEST(FindNodeLookup, ReadsAtMostKPeersPerResponseAndNeverItself) {
  FindNodeLookup lookup(peer_from(99).multihash(), peer_from(0), {kad_peer(1)});
  ASSERT_EQ(lookup.next_queries(0).size(), 1u);
  std::vector<KadPeer> closer{KadPeer{peer_from(0), {addr_of(0)}}};
  for (uint64_t n = 100; n < 100 + kMaxKadPeersPerResponse + 5; ++n) closer.push_back(kad_peer(n));
  lookup.on_response(peer_from(1), closer);
  EXPECT_FALSE(lookup.seen(peer_from(0)).has_value());
  // The first kMaxKadPeersPerResponse entries (ourselves among them) were read.
  EXPECT_TRUE(lookup.seen(peer_from(100 + kMaxKadPeersPerResponse - 2)).has_value());
  EXPECT_FALSE(lookup.seen(peer_from(100 + kMaxKadPeersPerResponse - 1)).has_value());
}

TEST(FindNodeLookup, RemembersAtMostTheCandidateLimit) {
  LookupOptions options;
  options.alpha = 100;
  std::vector<KadPeer> seeds;
  for (uint64_t n = 1; n <= 15; ++n) seeds.push_back(kad_peer(n));
  FindNodeLookup lookup(peer_from(99).multihash(), peer_from(0), seeds, options);
  const std::vector<KadPeer> asked = lookup.next_queries(0);
  ASSERT_EQ(asked.size(), seeds.size());
  // 15 + 15 * 20 = 315 distinct peers offered in all.
  uint64_t next = 1000;
  for (const KadPeer& p : asked) {
    std::vector<KadPeer> fresh;
    for (size_t i = 0; i < kMaxKadPeersPerResponse; ++i) fresh.push_back(kad_peer(next++));
    lookup.on_response(p.id, fresh);
  }
  size_t remembered = 0;
  for (uint64_t n = 1; n <= 15; ++n) {
    if (lookup.seen(peer_from(n))) ++remembered;
  }
  for (uint64_t n = 1000; n < next; ++n) {
    if (lookup.seen(peer_from(n))) ++remembered;
  }
  EXPECT_EQ(remembered, kMaxKadLookupCandidates);
}

TEST(KadMessages, SizeLimitAtTheBoundary) {
  kadpb::Message message = make_find_node(Bytes(10, 1));
  // Grow the key until the encoding is exactly the limit.
  const size_t overhead = message.SerializeAsString().size() - 10;
  Bytes key(kMaxKadMessageSize - overhead - 2, 7);  // the key's length takes 3 bytes, not 1
  message = make_find_node(key);
  std::string body = message.SerializeAsString();
  ASSERT_EQ(body.size(), kMaxKadMessageSize);
  EXPECT_TRUE(decode_kad_message(ByteSpan(reinterpret_cast<const uint8_t*>(body.data()), body.size())));
  body.push_back(0);
  Result<kadpb::Message> over =
      decode_kad_message(ByteSpan(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::limit);
  const Bytes garbage{0xff, 0xff, 0xff};
  EXPECT_FALSE(decode_kad_message(garbage));
}

TEST(KadMessages, PeerRoundTripAndAddressCap) {
  KadPeer peer{peer_from(3), {}};
  for (uint64_t i = 0; i < kMaxKadAddrsPerPeer + 3; ++i) peer.addrs.push_back(addr_of(i));
  kadpb::Message::Peer wire = encode_kad_peer(peer);
  EXPECT_EQ(static_cast<size_t>(wire.addrs_size()), kMaxKadAddrsPerPeer);
  wire.add_addrs("not a multiaddr");
  Result<KadPeer> back = decode_kad_peer(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, peer.id);
  EXPECT_EQ(back->addrs.size(), kMaxKadAddrsPerPeer);
  wire.set_id("junk");
  EXPECT_FALSE(decode_kad_peer(wire));

  kadpb::Message reply;
  for (uint64_t n = 0; n < kMaxKadPeersPerResponse + 1; ++n)
    *reply.add_closerpeers() = encode_kad_peer(kad_peer(n));
  EXPECT_EQ(decode_closer_peers(reply).size(), kMaxKadPeersPerResponse);
}

TEST(KadAnswers, EveryMessageType) {
  RoutingTable table(peer_from(0));
  for (uint64_t n = 1; n <= 60; ++n) table.add(kad_peer(n), 0);
  const PeerId requester = peer_from(1);
  const KadAnswerContext context{table, {addr_of(0)}, requester};

  auto answer = [&](const kadpb::Message& request) { return answer_kad_request(request, context).value(); };

  kadpb::Message find = make_find_node(peer_from(500).multihash());
  std::optional<kadpb::Message> found = answer(find);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->type(), kadpb::Message::FIND_NODE);
  EXPECT_EQ(static_cast<size_t>(found->closerpeers_size()), kKadBucketSize);
  for (const KadPeer& p : decode_closer_peers(*found)) EXPECT_NE(p.id, requester);

  std::optional<kadpb::Message> self = answer(make_find_node(peer_from(0).multihash()));
  ASSERT_EQ(self->closerpeers_size(), 1);
  EXPECT_EQ(decode_kad_peer(self->closerpeers(0))->id, peer_from(0));
  EXPECT_EQ(decode_kad_peer(self->closerpeers(0))->addrs, std::vector<Multiaddr>{addr_of(0)});

  EXPECT_EQ(answer(make_kad_ping())->type(), kadpb::Message::PING);

  kadpb::Message get;
  get.set_type(kadpb::Message::GET_VALUE);
  get.set_key("/pk/whatever");
  std::optional<kadpb::Message> got = answer(get);
  EXPECT_FALSE(got->has_record());
  EXPECT_GT(got->closerpeers_size(), 0);

  kadpb::Message put;
  put.set_type(kadpb::Message::PUT_VALUE);
  put.mutable_record()->set_key("k");
  put.mutable_record()->set_value("v");
  std::optional<kadpb::Message> put_answer = answer(put);
  ASSERT_TRUE(put_answer);
  EXPECT_FALSE(put_answer->has_record());  // not stored

  kadpb::Message provide;
  provide.set_type(kadpb::Message::ADD_PROVIDER);
  EXPECT_FALSE(answer(provide).has_value());

  kadpb::Message unknown;
  unknown.set_type(static_cast<kadpb::Message::MessageType>(42));
  EXPECT_FALSE(answer_kad_request(unknown, context));
}

// ~50 nodes in one process, answering each other synchronously through the wire encoding.
// The network is built the Kademlia way: each node joins through one earlier node and looks
// up its own id; every peer that answered enters its table, and it enters theirs (as after
// their PING). Then a newcomer that knows a single node finds every other node by a lookup
// that stops as soon as an answer names the target: the target is never asked itself, and
// some targets are not even known to the newcomer's one contact.
class SimulatedNetwork {
 public:
  explicit SimulatedNetwork(size_t k) : k_(k) {}

  void add_node(uint64_t n) {
    tables_.emplace(n, std::make_unique<RoutingTable>(peer_from(n), k_));
    index_.emplace(peer_from(n), n);
  }
  RoutingTable& table(uint64_t n) { return *tables_.at(n); }

  // Runs a lookup from `from`; peers that answer are added to each other's tables. With
  // `stop_at`, stops once an answer names that peer. Returns the lookup and who was asked.
  std::pair<FindNodeLookup, std::set<PeerId>> lookup(uint64_t from, const Bytes& key,
                                                     std::optional<PeerId> stop_at = std::nullopt) {
    LookupOptions options;
    options.k = k_;
    FindNodeLookup lookup(key, peer_from(from), table(from).closest(KadKey::of_bytes(key), k_), options);
    std::set<PeerId> asked;
    int64_t now = 0;
    while (!lookup.done()) {
      if (stop_at && lookup.seen(*stop_at)) break;
      const std::vector<KadPeer> batch = lookup.next_queries(now);
      EXPECT_FALSE(batch.empty());
      if (batch.empty()) break;
      for (const KadPeer& p : batch) {
        asked.insert(p.id);
        const uint64_t remote = index_.at(p.id);
        const KadAnswerContext context{table(remote), {addr_of(remote)}, peer_from(from)};
        const std::string wire =
            answer_kad_request(make_find_node(key), context).value().value().SerializeAsString();
        const kadpb::Message reply =
            decode_kad_message(ByteSpan(reinterpret_cast<const uint8_t*>(wire.data()), wire.size())).value();
        lookup.on_response(p.id, decode_closer_peers(reply));
        table(from).add(p, now);
        table(remote).add(kad_peer(from), now);
      }
      ++now;
    }
    return {std::move(lookup), std::move(asked)};
  }

 private:
  size_t k_;
  std::map<uint64_t, std::unique_ptr<RoutingTable>> tables_;
  std::map<PeerId, uint64_t> index_;
};

void find_everyone(size_t k) {
  constexpr uint64_t kNodes = 50;
  SimulatedNetwork net(k);
  net.add_node(0);
  for (uint64_t n = 1; n < kNodes; ++n) {
    net.add_node(n);
    net.table(n).add(kad_peer(n / 2), 0);  // joins through an earlier node
    net.lookup(n, peer_from(n).multihash());
  }
  const uint64_t newcomer = kNodes;
  const uint64_t contact = 7;
  net.add_node(newcomer);
  net.table(newcomer).add(kad_peer(contact), 0);
  size_t beyond_contact = 0;
  for (uint64_t target = 0; target < kNodes; ++target) {
    if (target == contact) continue;
    const bool contact_knows = net.table(contact).contains(peer_from(target));
    const bool newcomer_knew = net.table(newcomer).contains(peer_from(target));
    auto [lookup, asked] = net.lookup(newcomer, peer_from(target).multihash(), peer_from(target));
    std::optional<KadPeer> seen = lookup.seen(peer_from(target));
    ASSERT_TRUE(seen) << "target " << target;
    EXPECT_EQ(seen->addrs, std::vector<Multiaddr>{addr_of(target)});
    EXPECT_LE(lookup.queries_sent(), kMaxKadLookupQueries);
    if (!newcomer_knew) {
      EXPECT_FALSE(asked.contains(peer_from(target))) << "target " << target;
    }
    if (!contact_knows && !newcomer_knew) ++beyond_contact;
  }
  EXPECT_GT(beyond_contact, 0u);
}

TEST(KadSimulation, FindsPeersNeverContactedDirectly) { find_everyone(kKadBucketSize); }
// Small buckets make most answers partial, so lookups take several hops.
TEST(KadSimulation, FindsPeersNeverContactedDirectlyWithSmallBuckets) { find_everyone(4); }

}  // namespace
}  // namespace cairn::net
