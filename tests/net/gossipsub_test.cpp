#include "net/gossipsub.h"

#include <memory>

#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "net/peer_record.h"

namespace cairn::net {
namespace {

const std::string kTxTopic = "/cairn/regtest/tx/1";  // StrictNoSign
const std::string kChatTopic = "chat";               // StrictSign

KeyPair key_for(size_t i) {
  Seed seed;
  seed.bytes[0] = static_cast<uint8_t>(i + 1);
  seed.bytes[1] = static_cast<uint8_t>((i + 1) >> 8);
  return KeyPair::from_seed(seed);
}

Bytes bytes_of(const std::string& text) { return Bytes(text.begin(), text.end()); }

// A deterministic in-process network of routers: RPCs are encoded, decoded and handed to
// their receiver until none is left; time moves only in tick().
class Sim {
 public:
  explicit Sim(size_t n, GossipsubConfig config = {}) {
    for (size_t i = 0; i < n; ++i) {
      auto node = std::make_unique<Node>(key_for(i), 1000 + i);
      node->router = std::make_unique<Gossipsub>(node->key, config, clock, node->rng);
      nodes.push_back(std::move(node));
    }
  }
  struct Node {
    Node(KeyPair k, uint64_t seed)
        : key(std::move(k)), id(PeerId::from_public_key(key.public_key())), rng(seed) {}
    KeyPair key;
    PeerId id;
    DeterministicRng rng;
    std::unique_ptr<Gossipsub> router;
    std::vector<Delivery> delivered;
  };

  Gossipsub& at(size_t i) { return *nodes[i]->router; }
  const PeerId& id(size_t i) const { return nodes[i]->id; }
  void connect(size_t dialer, size_t listener, std::string_view protocol = kMeshsubV12) {
    ASSERT_TRUE(at(dialer).add_peer(id(listener), protocol, true));
    ASSERT_TRUE(at(listener).add_peer(id(dialer), protocol, false));
  }
  // Delivers RPCs until the network is quiet; returns how many were delivered.
  size_t pump() {
    size_t total = 0;
    for (int round = 0; round < 1000; ++round) {
      size_t moved = 0;
      for (auto& node : nodes) {
        for (OutgoingRpc& out : node->router->take_outgoing()) {
          ++moved;
          sent.push_back({node->id, out.peer, out.rpc});
          pb::RPC decoded;
          EXPECT_LE(out.rpc.ByteSizeLong(), kMaxRpcSize);
          EXPECT_TRUE(decoded.ParseFromString(out.rpc.SerializeAsString()));
          for (auto& target : nodes) {
            if (target->id == out.peer) target->router->handle_rpc(node->id, decoded);
          }
        }
        for (Delivery& d : node->router->take_deliveries()) node->delivered.push_back(std::move(d));
      }
      total += moved;
      if (moved == 0) break;
    }
    return total;
  }
  void tick(size_t heartbeats = 1) {
    for (size_t h = 0; h < heartbeats; ++h) {
      clock.advance_seconds(1);
      for (auto& node : nodes) node->router->heartbeat();
      pump();
    }
  }
  size_t count_control(const std::function<size_t(const pb::ControlMessage&)>& count) const {
    size_t n = 0;
    for (const auto& s : sent) n += count(s.rpc.control());
    return n;
  }

  struct Sent {
    PeerId from;
    PeerId to;
    pb::RPC rpc;
  };
  ManualClock clock{1'700'000'000};
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<Sent> sent;
};

// Each node dials at most 3 others: a ring plus chords across it.
void sparse_topology(Sim& sim, size_t n) {
  for (size_t i = 0; i < n; ++i) sim.connect(i, (i + 1) % n);
  for (size_t i = 0; i < n / 2; ++i) sim.connect(i, i + n / 2);
}

GossipsubConfig no_flood() {
  GossipsubConfig config;
  config.flood_publish = false;
  return config;
}

class TenRouters : public ::testing::TestWithParam<std::string> {};

TEST_P(TenRouters, EveryMessageReachesEveryRouterAndMeshesStayInBounds) {
  const std::string topic = GetParam();
  Sim sim(10, no_flood());
  sparse_topology(sim, 10);
  for (size_t i = 0; i < 10; ++i) sim.at(i).subscribe(topic);
  sim.pump();
  sim.tick(3);
  for (size_t i = 0; i < 10; ++i) {
    const size_t degree = sim.at(i).mesh(topic).size();
    EXPECT_GE(degree, std::min<size_t>(4, sim.at(i).topic_peers(topic).size())) << i;
    EXPECT_LE(degree, 12u) << i;
  }
  for (size_t origin = 0; origin < 10; origin += 3) {
    auto id = sim.at(origin).publish(topic, bytes_of("hello from " + std::to_string(origin)));
    ASSERT_TRUE(id) << id.error().to_string();
    sim.pump();
    for (size_t i = 0; i < 10; ++i) {
      if (i == origin) continue;
      const auto count = std::count_if(sim.nodes[i]->delivered.begin(), sim.nodes[i]->delivered.end(),
                                       [&](const Delivery& d) { return d.id == *id; });
      EXPECT_EQ(count, 1) << "router " << i << " from " << origin;
    }
  }
  EXPECT_GT(
      sim.count_control([](const pb::ControlMessage& c) { return static_cast<size_t>(c.graft_size()); }), 0u);
}

INSTANTIATE_TEST_SUITE_P(BothPolicies, TenRouters, ::testing::Values(kTxTopic, kChatTopic));

TEST(Gossipsub, GossipReachesAPeerOutsideTheMesh) {
  // 0 and 1 are meshed; 2 is connected to 1 only and joins after the message passed.
  Sim sim(3, no_flood());
  sim.connect(0, 1);
  sim.connect(2, 1);
  sim.at(0).subscribe(kTxTopic);
  sim.at(1).subscribe(kTxTopic);
  sim.pump();
  sim.tick();
  ASSERT_TRUE(sim.at(0).publish(kTxTopic, bytes_of("early")));
  sim.pump();
  ASSERT_EQ(sim.nodes[1]->delivered.size(), 1u);
  // 2 subscribes but 1 is kept out of its mesh by a backoff, so only IHAVE/IWANT can help.
  pb::RPC prune;
  auto* p = prune.mutable_control()->add_prune();
  p->set_topicid(kTxTopic);
  p->set_backoff(600);
  sim.at(2).handle_rpc(sim.id(1), prune);
  sim.at(1).handle_rpc(sim.id(2), prune);
  sim.at(2).subscribe(kTxTopic);
  sim.pump();
  EXPECT_TRUE(sim.at(2).mesh(kTxTopic).empty());
  sim.tick();
  ASSERT_EQ(sim.nodes[2]->delivered.size(), 1u);
  EXPECT_GT(
      sim.count_control([](const pb::ControlMessage& c) { return static_cast<size_t>(c.ihave_size()); }), 0u);
  EXPECT_GT(
      sim.count_control([](const pb::ControlMessage& c) { return static_cast<size_t>(c.iwant_size()); }), 0u);
}

TEST(Gossipsub, MeshIsTrimmedToDWhenAboveDHi) {
  GossipsubConfig config = no_flood();
  Sim sim(21, config);
  // Node 0 dials everyone, so the others' grafts are accepted by 0 (outbound peers are
  // always accepted) and its mesh overflows D_hi.
  for (size_t i = 1; i < 21; ++i) sim.connect(0, i);
  for (size_t i = 0; i < 21; ++i) sim.at(i).subscribe(kTxTopic);
  sim.pump();
  sim.tick();
  EXPECT_GT(sim.at(0).mesh(kTxTopic).size(), config.d_hi);
  sim.tick();
  EXPECT_EQ(sim.at(0).mesh(kTxTopic).size(), config.d);
  for (size_t i = 1; i < 21; ++i) EXPECT_LE(sim.at(i).mesh(kTxTopic).size(), 1u);
  EXPECT_GT(
      sim.count_control([](const pb::ControlMessage& c) { return static_cast<size_t>(c.prune_size()); }), 0u);
}

TEST(Gossipsub, InboundGraftsBeyondDHiArePruned) {
  GossipsubConfig config = no_flood();
  Sim sim(15, config);
  for (size_t i = 1; i < 15; ++i) sim.connect(i, 0);  // all inbound to 0
  sim.at(0).subscribe(kTxTopic);
  for (size_t i = 1; i < 15; ++i) sim.at(i).subscribe(kTxTopic);
  sim.pump();
  EXPECT_LE(sim.at(0).mesh(kTxTopic).size(), config.d_hi);
}

TEST(Gossipsub, FanoutServesUnsubscribedPublishersAndExpires) {
  GossipsubConfig config = no_flood();
  Sim sim(4, config);
  for (size_t i = 1; i < 4; ++i) sim.connect(0, i);
  for (size_t i = 1; i < 4; ++i) sim.at(i).subscribe(kTxTopic);
  sim.pump();
  ASSERT_TRUE(sim.at(0).publish(kTxTopic, bytes_of("fan")));
  EXPECT_EQ(sim.at(0).fanout(kTxTopic).size(), 3u);
  sim.pump();
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(sim.nodes[i]->delivered.size(), 1u);
  sim.tick(static_cast<size_t>(config.fanout_ttl_ns / kNanosPerSecond) + 1);
  EXPECT_TRUE(sim.at(0).fanout(kTxTopic).empty());
}

TEST(Gossipsub, PublishWithoutPeersIsAnError) {
  Sim sim(1);
  sim.at(0).subscribe(kTxTopic);
  EXPECT_FALSE(sim.at(0).publish(kTxTopic, bytes_of("alone")));
}

TEST(Gossipsub, FloodPublishSendsToEveryTopicPeer) {
  Sim sim(21);  // flood publishing is the default
  for (size_t i = 1; i < 21; ++i) sim.connect(0, i);
  for (size_t i = 0; i < 21; ++i) sim.at(i).subscribe(kTxTopic);
  sim.pump();
  sim.tick();
  sim.sent.clear();
  ASSERT_TRUE(sim.at(0).publish(kTxTopic, bytes_of("flood")));
  auto out = sim.at(0).take_outgoing();
  size_t with_message = 0;
  for (const auto& rpc : out) with_message += rpc.rpc.publish_size() > 0 ? 1u : 0u;
  EXPECT_EQ(with_message, 20u);
}

// ---- a router driven by hand-made RPCs ------------------------------------------------------

struct Harness {
  explicit Harness(GossipsubConfig config = {})
      : key(key_for(0)), router(key, std::move(config), clock, rng) {}
  PeerId add(size_t i, std::string_view protocol = kMeshsubV12, bool outbound = true) {
    PeerId peer = PeerId::from_public_key(key_for(i).public_key());
    EXPECT_TRUE(router.add_peer(peer, protocol, outbound));
    pb::RPC sub;
    auto* s = sub.add_subscriptions();
    s->set_subscribe(true);
    s->set_topicid(kTxTopic);
    router.handle_rpc(peer, sub);
    return peer;
  }
  std::vector<pb::RPC> sent_to(const PeerId& peer) {
    std::vector<pb::RPC> out;
    for (auto& o : router.take_outgoing()) {
      if (o.peer == peer) out.push_back(std::move(o.rpc));
    }
    return out;
  }
  ManualClock clock{1'700'000'000};
  DeterministicRng rng{7};
  KeyPair key;
  Gossipsub router;
};

pb::Message tx_message(const std::string& data) {
  pb::Message m;
  m.set_topic(kTxTopic);
  m.set_data(data);
  return m;
}

pb::RPC publish_rpc(std::vector<pb::Message> messages) {
  pb::RPC rpc;
  for (auto& m : messages) *rpc.add_publish() = std::move(m);
  return rpc;
}

TEST(Gossipsub, CairnTopicsAreStrictNoSignAndOthersStrictSign) {
  EXPECT_EQ(cairn_topic_policy("/cairn/main/tx/1"), SignaturePolicy::strict_no_sign);
  EXPECT_EQ(cairn_topic_policy("/cairn/regtest/block/1"), SignaturePolicy::strict_no_sign);
  EXPECT_EQ(cairn_topic_policy("/cairn/main/vote/1"), SignaturePolicy::strict_no_sign);
  EXPECT_EQ(cairn_topic_policy("chat"), SignaturePolicy::strict_sign);
  EXPECT_EQ(cairn_topic_policy("/cairnx/tx/1"), SignaturePolicy::strict_sign);
}

TEST(Gossipsub, MessageIdsFollowEachPolicy) {
  const KeyPair key = key_for(3);
  const pb::Message unsigned_message =
      make_message(SignaturePolicy::strict_no_sign, kTxTopic, bytes_of("x"), key, 1);
  EXPECT_FALSE(unsigned_message.has_from() || unsigned_message.has_seqno() ||
               unsigned_message.has_signature() || unsigned_message.has_key());
  const Hash256 expected =
      Hasher::keyed(HashContext::gossip_id).update(as_bytes(kTxTopic)).update(bytes_of("x")).finalize();
  EXPECT_EQ(*check_message(SignaturePolicy::strict_no_sign, unsigned_message),
            MessageId(expected.begin(), expected.end()));

  const pb::Message signed_message =
      make_message(SignaturePolicy::strict_sign, kChatTopic, bytes_of("x"), key, 0x0102);
  const Bytes encoded_key = encode_public_key(key.public_key());
  MessageId js_id(encoded_key.begin(), encoded_key.end());
  js_id += std::string("\0\0\0\0\0\0\x01\x02", 8);
  EXPECT_EQ(*check_message(SignaturePolicy::strict_sign, signed_message), js_id);
  EXPECT_EQ(signed_message.key(), std::string(encoded_key.begin(), encoded_key.end()));

  // Each policy refuses the other's messages and any tampering.
  EXPECT_FALSE(check_message(SignaturePolicy::strict_sign, unsigned_message));
  EXPECT_FALSE(check_message(SignaturePolicy::strict_no_sign, signed_message));
  pb::Message tampered = signed_message;
  tampered.set_data("y");
  EXPECT_FALSE(check_message(SignaturePolicy::strict_sign, tampered));
  pb::Message wrong_key = signed_message;
  const Bytes other = encode_public_key(key_for(4).public_key());
  wrong_key.set_key(other.data(), other.size());
  EXPECT_FALSE(check_message(SignaturePolicy::strict_sign, wrong_key));
  pb::Message keyless = signed_message;  // the key may come from the identity peer id
  keyless.clear_key();
  EXPECT_TRUE(check_message(SignaturePolicy::strict_sign, keyless));
}

TEST(Gossipsub, PolicyViolationsAreRefusedAndPenalised) {
  GossipsubConfig config;
  config.score.topics[kTxTopic] = TopicScoreParams{};
  Harness h(config);
  h.router.subscribe(kTxTopic);
  const PeerId peer = h.add(1);
  pb::Message bad = tx_message("signed on a no-sign topic");
  bad.set_seqno(std::string(8, '\1'));
  h.router.handle_rpc(peer, publish_rpc({bad}));
  EXPECT_TRUE(h.router.take_deliveries().empty());
  EXPECT_LT(h.router.score(peer), 0);
}

TEST(Gossipsub, ValidatorVerdictsDecideDeliveryForwardingAndScore) {
  GossipsubConfig config;
  config.score.topics[kTxTopic] = TopicScoreParams{};
  Harness h(config);
  h.router.subscribe(kTxTopic);
  const PeerId a = h.add(1);
  const PeerId b = h.add(2);
  h.router.heartbeat();
  h.router.take_outgoing();
  ASSERT_EQ(h.router.mesh(kTxTopic).size(), 2u);
  h.router.set_validator(kTxTopic,
                         [](const std::string&, const MessageId&, const pb::Message& m, const PeerId&) {
                           if (m.data() == "bad") return ValidationResult::reject;
                           if (m.data() == "meh") return ValidationResult::ignore;
                           return ValidationResult::accept;
                         });
  h.router.handle_rpc(a, publish_rpc({tx_message("bad"), tx_message("meh")}));
  EXPECT_TRUE(h.router.take_deliveries().empty());
  EXPECT_TRUE(h.sent_to(b).empty());
  EXPECT_LT(h.router.score(a), 0);

  h.router.handle_rpc(a, publish_rpc({tx_message("good")}));
  EXPECT_EQ(h.router.take_deliveries().size(), 1u);
  const auto to_b = h.sent_to(b);
  ASSERT_EQ(to_b.size(), 1u);
  EXPECT_EQ(to_b[0].publish(0).data(), "good");
  // A duplicate is neither delivered nor forwarded again.
  h.router.handle_rpc(b, publish_rpc({tx_message("good")}));
  EXPECT_TRUE(h.router.take_deliveries().empty());
}

// Deferring validator for the asynchronous-validation tests: remembers the ids it was given.
struct Deferrer {
  Validator validator() {
    return [this](const std::string&, const MessageId& id, const pb::Message&, const PeerId&) {
      ids.push_back(id);
      return ValidationResult::defer;
    };
  }
  std::vector<MessageId> ids;
};

// A harness whose tx-topic mesh holds peers 1 and 2, with scoring on for the topic.
struct MeshOfTwo : Harness {
  explicit MeshOfTwo(GossipsubConfig config = scored()) : Harness(std::move(config)), a(join(1)), b(join(2)) {
    router.heartbeat();
    router.take_outgoing();
  }
  PeerId join(size_t i) {
    router.subscribe(kTxTopic);  // once: a second call changes nothing
    return add(i);
  }
  static GossipsubConfig scored() {
    GossipsubConfig config;
    config.score.topics[kTxTopic] = TopicScoreParams{};
    return config;
  }
  size_t published_to(const PeerId& peer) {
    size_t n = 0;
    for (const auto& rpc : sent_to(peer)) n += static_cast<size_t>(rpc.publish_size());
    return n;
  }
  PeerId a, b;
};

TEST(Gossipsub, DeferredMessageIsHeldUntilItsVerdictThenDeliveredAndForwarded) {
  MeshOfTwo h;
  ASSERT_EQ(h.router.mesh(kTxTopic).size(), 2u);
  Deferrer deferrer;
  h.router.set_validator(kTxTopic, deferrer.validator());
  h.router.handle_rpc(h.a, publish_rpc({tx_message("later")}));
  ASSERT_EQ(deferrer.ids.size(), 1u);
  const MessageId id = deferrer.ids[0];
  EXPECT_EQ(h.router.pending_validations(), 1u);
  EXPECT_TRUE(h.router.take_deliveries().empty());
  EXPECT_EQ(h.published_to(h.b), 0u);

  // Seen meanwhile: a copy is not validated again, and IWANT does not serve it.
  h.router.handle_rpc(h.b, publish_rpc({tx_message("later")}));
  EXPECT_EQ(deferrer.ids.size(), 1u);
  pb::RPC iwant;
  iwant.mutable_control()->add_iwant()->add_messageids(id);
  h.router.handle_rpc(h.b, iwant);
  EXPECT_EQ(h.published_to(h.b), 0u);

  EXPECT_FALSE(h.router.report_validation(id, ValidationResult::defer));
  EXPECT_TRUE(h.router.report_validation(id, ValidationResult::accept));
  const auto delivered = h.router.take_deliveries();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].id, id);
  EXPECT_EQ(delivered[0].source, h.a);
  EXPECT_EQ(h.published_to(h.b), 1u);
  EXPECT_EQ(h.router.pending_validations(), 0u);
  EXPECT_GT(h.router.score(h.a), 0);  // first delivery (P2)
  // Reported once only; an unknown id is refused.
  EXPECT_FALSE(h.router.report_validation(id, ValidationResult::accept));
  EXPECT_FALSE(h.router.report_validation("no such id", ValidationResult::reject));
  // Now cached: IWANT serves it.
  h.router.handle_rpc(h.b, iwant);
  EXPECT_EQ(h.published_to(h.b), 1u);
}

TEST(Gossipsub, DeferredRejectPenalisesTheSourceAndIgnoreDropsQuietly) {
  MeshOfTwo h;
  Deferrer deferrer;
  h.router.set_validator(kTxTopic, deferrer.validator());
  h.router.handle_rpc(h.a, publish_rpc({tx_message("bad")}));
  h.router.handle_rpc(h.b, publish_rpc({tx_message("meh")}));
  ASSERT_EQ(deferrer.ids.size(), 2u);
  EXPECT_TRUE(h.router.report_validation(deferrer.ids[0], ValidationResult::reject));
  EXPECT_TRUE(h.router.report_validation(deferrer.ids[1], ValidationResult::ignore));
  EXPECT_TRUE(h.router.take_deliveries().empty());
  EXPECT_EQ(h.published_to(h.a) + h.published_to(h.b), 0u);
  EXPECT_LT(h.router.score(h.a), 0);
  EXPECT_EQ(h.router.score(h.b), 0);
  const TopicCounters& counters = h.router.topic_counters().at(kTxTopic);
  EXPECT_EQ(counters.deferred, 2u);
  EXPECT_EQ(counters.rejected, 1u);
  EXPECT_EQ(counters.ignored, 1u);
  EXPECT_EQ(counters.delivered, 0u);
}

TEST(Gossipsub, DeferredMessageIsIgnoredAfterTheValidationTimeout) {
  GossipsubConfig config = MeshOfTwo::scored();
  config.pending_validation_timeout_ns = 5 * kNanosPerSecond;
  MeshOfTwo h(config);
  Deferrer deferrer;
  h.router.set_validator(kTxTopic, deferrer.validator());
  h.router.handle_rpc(h.a, publish_rpc({tx_message("slow")}));
  ASSERT_EQ(deferrer.ids.size(), 1u);
  h.clock.advance_seconds(4);
  h.router.heartbeat();
  EXPECT_EQ(h.router.pending_validations(), 1u);
  h.clock.advance_seconds(1);
  h.router.heartbeat();
  EXPECT_EQ(h.router.pending_validations(), 0u);
  EXPECT_FALSE(h.router.report_validation(deferrer.ids[0], ValidationResult::accept));
  EXPECT_TRUE(h.router.take_deliveries().empty());
  EXPECT_EQ(h.router.topic_counters().at(kTxTopic).ignored, 1u);
  // A timeout is no fault of the sender: it scores as the mesh peer that sent nothing.
  EXPECT_EQ(h.router.score(h.a), h.router.score(h.b));
}

TEST(Gossipsub, PendingValidationsAreBoundedInCount) {
  MeshOfTwo h;
  Deferrer deferrer;
  h.router.set_validator(kTxTopic, deferrer.validator());
  for (size_t i = 0; i < kMaxPendingValidations; i += kMaxMessagesPerRpc) {
    std::vector<pb::Message> batch;
    for (size_t j = i; j < i + kMaxMessagesPerRpc && j < kMaxPendingValidations; ++j)
      batch.push_back(tx_message("m" + std::to_string(j)));
    h.router.handle_rpc(h.a, publish_rpc(std::move(batch)));
  }
  ASSERT_EQ(h.router.pending_validations(), kMaxPendingValidations);
  // One more is ignored, and not marked seen: once there is room, a copy is validated.
  h.router.handle_rpc(h.a, publish_rpc({tx_message("one too many")}));
  EXPECT_EQ(h.router.pending_validations(), kMaxPendingValidations);
  EXPECT_EQ(h.router.topic_counters().at(kTxTopic).ignored, 1u);
  const MessageId refused = deferrer.ids.back();
  EXPECT_FALSE(h.router.report_validation(refused, ValidationResult::accept));
  ASSERT_TRUE(h.router.report_validation(deferrer.ids[0], ValidationResult::accept));
  h.router.handle_rpc(h.b, publish_rpc({tx_message("one too many")}));
  EXPECT_EQ(h.router.pending_validations(), kMaxPendingValidations);
  EXPECT_TRUE(h.router.report_validation(refused, ValidationResult::accept));
}

TEST(Gossipsub, PendingValidationsAreBoundedInBytes) {
  MeshOfTwo h;
  Deferrer deferrer;
  h.router.set_validator(kTxTopic, deferrer.validator());
  constexpr size_t kMessageBytes = 512 * 1024;
  constexpr size_t kFit = kMaxPendingValidationBytes / kMessageBytes;
  static_assert(kFit * kMessageBytes == kMaxPendingValidationBytes);
  for (size_t i = 0; i <= kFit; ++i) {
    std::string data(kMessageBytes, 'x');
    data.replace(0, 8, std::to_string(10'000'000 + i));  // distinct ids
    h.router.handle_rpc(h.a, publish_rpc({tx_message(data)}));
  }
  // Exactly the limit fits; the one over it is ignored.
  EXPECT_EQ(deferrer.ids.size(), kFit + 1);
  EXPECT_EQ(h.router.pending_validations(), kFit);
  EXPECT_EQ(h.router.topic_counters().at(kTxTopic).ignored, 1u);
}

TEST(Gossipsub, TopicCountersCountTrafficAndVerdicts) {
  MeshOfTwo h;
  h.router.set_validator(kTxTopic,
                         [](const std::string&, const MessageId&, const pb::Message& m, const PeerId&) {
                           if (m.data() == "bad") return ValidationResult::reject;
                           if (m.data() == "meh") return ValidationResult::ignore;
                           return ValidationResult::accept;
                         });
  h.router.handle_rpc(h.a, publish_rpc({tx_message("good")}));  // forwarded to b
  h.router.handle_rpc(h.b, publish_rpc({tx_message("good")}));  // a duplicate
  h.router.handle_rpc(h.a, publish_rpc({tx_message("bad"), tx_message("meh")}));
  ASSERT_TRUE(h.router.publish(kTxTopic, bytes_of("mine!")));  // flooded to a and b
  pb::Message elsewhere = tx_message("not subscribed");
  elsewhere.set_topic("/cairn/regtest/other/1");
  h.router.handle_rpc(h.a, publish_rpc({elsewhere}));

  TopicCounters expected;
  expected.messages_in = 4;
  expected.bytes_in = 4 + 4 + 3 + 3;
  expected.messages_out = 3;
  expected.bytes_out = 4 + 5 + 5;
  expected.delivered = 1;
  expected.rejected = 1;
  expected.ignored = 1;
  ASSERT_EQ(h.router.topic_counters().size(), 1u);
  EXPECT_EQ(h.router.topic_counters().at(kTxTopic), expected);
}

TEST(Gossipsub, SeenCacheForgetsAfterItsTtl) {
  GossipsubConfig config;
  Harness h(config);
  h.router.subscribe(kTxTopic);
  const PeerId a = h.add(1);
  h.router.handle_rpc(a, publish_rpc({tx_message("once")}));
  EXPECT_EQ(h.router.take_deliveries().size(), 1u);
  h.clock.advance_seconds(config.seen_ttl_ns / kNanosPerSecond - 1);
  h.router.heartbeat();
  h.router.handle_rpc(a, publish_rpc({tx_message("once")}));
  EXPECT_TRUE(h.router.take_deliveries().empty());
  h.clock.advance_seconds(1);
  h.router.heartbeat();
  h.router.handle_rpc(a, publish_rpc({tx_message("once")}));
  EXPECT_EQ(h.router.take_deliveries().size(), 1u);
}

TEST(Gossipsub, IDontWantIsSentToV12MeshPeersForLargeMessagesAndHonoured) {
  GossipsubConfig config;
  Harness h(config);
  h.router.subscribe(kTxTopic);
  const PeerId source = h.add(1);
  const PeerId v12 = h.add(2, kMeshsubV12);
  const PeerId v11 = h.add(3, kMeshsubV11);
  h.router.heartbeat();
  h.router.take_outgoing();
  ASSERT_EQ(h.router.mesh(kTxTopic).size(), 3u);

  const std::string large(config.idontwant_threshold, 'L');
  h.router.handle_rpc(source, publish_rpc({tx_message(large)}));
  bool v12_told = false;
  bool v11_told = false;
  for (auto& out : h.router.take_outgoing()) {
    const bool told = out.rpc.control().idontwant_size() > 0;
    if (out.peer == v12) v12_told = told;
    if (out.peer == v11) v11_told = told;
  }
  EXPECT_TRUE(v12_told);
  EXPECT_FALSE(v11_told);

  // A small message gets no IDONTWANT.
  h.router.handle_rpc(source, publish_rpc({tx_message(std::string(config.idontwant_threshold - 1, 's'))}));
  for (auto& out : h.router.take_outgoing()) EXPECT_EQ(out.rpc.control().idontwant_size(), 0);

  // v12 says it does not want the next message: it is forwarded to v11 only.
  const pb::Message next = tx_message("next");
  const MessageId id = *check_message(SignaturePolicy::strict_no_sign, next);
  pb::RPC dont;
  dont.mutable_control()->add_idontwant()->add_messageids(id);
  h.router.handle_rpc(v12, dont);
  h.router.handle_rpc(source, publish_rpc({next}));
  for (auto& out : h.router.take_outgoing()) {
    if (out.peer == v12) {
      EXPECT_EQ(out.rpc.publish_size(), 0);
    }
    if (out.peer == v11) {
      EXPECT_EQ(out.rpc.publish_size(), 1);
    }
  }
}

TEST(Gossipsub, IHaveIsAnsweredWithIWantAndIWantFromTheCache) {
  Harness h;
  h.router.subscribe(kTxTopic);
  const PeerId peer = h.add(1);
  h.router.take_outgoing();
  pb::RPC ihave;
  auto* entry = ihave.mutable_control()->add_ihave();
  entry->set_topicid(kTxTopic);
  entry->add_messageids("unknown-id");
  h.router.handle_rpc(peer, ihave);
  auto out = h.sent_to(peer);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].control().iwant_size(), 1);
  EXPECT_EQ(out[0].control().iwant(0).messageids(0), "unknown-id");

  // The promise is broken: after the follow-up time the peer is penalised.
  for (int i = 0; i < 4; ++i) {
    h.clock.advance_seconds(1);
    h.router.heartbeat();
  }
  EXPECT_LT(h.router.score(peer), 0);
}

TEST(Gossipsub, IWantIsServedAtMostTheRetransmissionLimit) {
  Harness h;
  h.router.subscribe(kTxTopic);
  const PeerId peer = h.add(1);
  auto id = h.router.publish(kTxTopic, bytes_of("cached"));
  ASSERT_TRUE(id);
  h.router.take_outgoing();
  pb::RPC iwant;
  iwant.mutable_control()->add_iwant()->add_messageids(*id);
  size_t served = 0;
  for (size_t i = 0; i < kMaxIWantRetransmissions + 1; ++i) {
    h.router.handle_rpc(peer, iwant);
    for (const auto& rpc : h.sent_to(peer)) served += static_cast<size_t>(rpc.publish_size());
  }
  EXPECT_EQ(served, kMaxIWantRetransmissions);
}

TEST(Gossipsub, MessageCacheKeepsMcacheLenHeartbeats) {
  GossipsubConfig config;
  Harness h(config);
  h.router.subscribe(kTxTopic);
  h.add(1);
  ASSERT_TRUE(h.router.publish(kTxTopic, bytes_of("m")));
  for (size_t i = 0; i + 1 < config.mcache_len; ++i) h.router.heartbeat();
  EXPECT_EQ(h.router.mcache_size(), 1u);
  h.router.heartbeat();
  EXPECT_EQ(h.router.mcache_size(), 0u);
}

TEST(Gossipsub, PruneBackoffIsHonouredAndGraftDuringItPenalised) {
  Harness h;
  h.router.subscribe(kTxTopic);
  const PeerId peer = h.add(1);
  h.router.heartbeat();
  h.router.take_outgoing();
  ASSERT_TRUE(h.router.mesh(kTxTopic).contains(peer));
  pb::RPC prune;
  auto* p = prune.mutable_control()->add_prune();
  p->set_topicid(kTxTopic);
  p->set_backoff(30);
  h.router.handle_rpc(peer, prune);
  EXPECT_FALSE(h.router.mesh(kTxTopic).contains(peer));
  h.router.heartbeat();
  EXPECT_FALSE(h.router.mesh(kTxTopic).contains(peer)) << "re-grafted during the backoff";

  pb::RPC graft;
  graft.mutable_control()->add_graft()->set_topicid(kTxTopic);
  h.router.handle_rpc(peer, graft);
  EXPECT_FALSE(h.router.mesh(kTxTopic).contains(peer));
  EXPECT_LT(h.router.score(peer), 0);
  const auto out = h.sent_to(peer);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().control().prune_size(), 1);

  // Once the backoff (extended by the PRUNE we answered with) is over and the penalty has
  // decayed, the peer is grafted again.
  for (int i = 0; i < 70; ++i) {
    h.clock.advance_seconds(1);
    h.router.heartbeat();
  }
  EXPECT_TRUE(h.router.mesh(kTxTopic).contains(peer));
}

TEST(Gossipsub, PeerExchangeIsRecordedFromWellScoredPeersOnly) {
  GossipsubConfig config;
  const PeerId good = PeerId::from_public_key(key_for(1).public_key());
  config.score.app_specific_score = [good](const PeerId& p) { return p == good ? 100.0 : 0.0; };
  Harness h(config);
  h.router.subscribe(kTxTopic);
  ASSERT_EQ(h.add(1), good);
  const PeerId neutral = h.add(2);
  auto prune_with_px = [](size_t first, size_t count) {
    pb::RPC rpc;
    auto* p = rpc.mutable_control()->add_prune();
    p->set_topicid(kTxTopic);
    for (size_t i = 0; i < count; ++i) {
      const Bytes mh = PeerId::from_public_key(key_for(first + i).public_key()).multihash();
      p->add_peers()->set_peerid(mh.data(), mh.size());
    }
    return rpc;
  };
  h.router.handle_rpc(neutral, prune_with_px(100, 3));
  EXPECT_TRUE(h.router.take_px_candidates().empty());
  // At most kMaxPxPeersPerPrune of one PRUNE are read.
  h.router.handle_rpc(good, prune_with_px(200, kMaxPxPeersPerPrune + 1));
  EXPECT_EQ(h.router.take_px_candidates().size(), kMaxPxPeersPerPrune);
  EXPECT_TRUE(h.router.take_px_candidates().empty());  // taken
}

TEST(Gossipsub, PeerExchangeAddressesComeOnlyFromTheNamedPeersOwnRecord) {
  GossipsubConfig config;
  const PeerId good = PeerId::from_public_key(key_for(1).public_key());
  config.score.app_specific_score = [good](const PeerId& p) { return p == good ? 100.0 : 0.0; };
  Harness h(config);
  h.router.subscribe(kTxTopic);
  ASSERT_EQ(h.add(1), good);
  const KeyPair honest = key_for(50), forger = key_for(51), bare = key_for(52);
  const Multiaddr address = Multiaddr::parse("/ip4/10.1.2.3/tcp/4001").value();
  pb::RPC rpc;
  auto* prune = rpc.mutable_control()->add_prune();
  prune->set_topicid(kTxTopic);
  auto add = [&](const KeyPair& named, const KeyPair* signer) {
    pb::PeerInfo* info = prune->add_peers();
    const Bytes mh = PeerId::from_public_key(named.public_key()).multihash();
    info->set_peerid(mh.data(), mh.size());
    if (signer == nullptr) return;
    const Bytes record = seal_peer_record(*signer, 1, {address});
    info->set_signedpeerrecord(record.data(), record.size());
  };
  add(honest, &honest);
  add(forger, &honest);  // a valid record, but of another peer
  add(bare, nullptr);
  h.router.handle_rpc(good, rpc);
  std::map<PeerId, std::vector<Multiaddr>> got;
  for (auto& c : h.router.take_px_candidates()) got[c.peer] = c.addresses;
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[PeerId::from_public_key(honest.public_key())], std::vector{address});
  EXPECT_TRUE(got[PeerId::from_public_key(forger.public_key())].empty());
  EXPECT_TRUE(got[PeerId::from_public_key(bare.public_key())].empty());
}

TEST(Gossipsub, PruneCarriesPeerExchangeWhenEnabled) {
  GossipsubConfig config = no_flood();
  config.do_px = true;
  Sim sim(4, config);
  for (size_t i = 1; i < 4; ++i) sim.connect(0, i);
  for (size_t i = 0; i < 4; ++i) sim.at(i).subscribe(kTxTopic);
  sim.pump();
  sim.tick();
  sim.at(0).unsubscribe(kTxTopic);
  auto out = sim.at(0).take_outgoing();
  size_t px = 0;
  for (const auto& o : out) {
    for (const auto& p : o.rpc.control().prune()) px += static_cast<size_t>(p.peers_size());
  }
  EXPECT_GT(px, 0u);
}

TEST(Gossipsub, PeerExchangeSendsTheRecordsItKnows) {
  GossipsubConfig config = no_flood();
  config.do_px = true;
  const Multiaddr address = Multiaddr::parse("/ip4/10.1.2.3/tcp/4001").value();
  std::map<PeerId, Bytes> records;
  config.peer_record = [&records](const PeerId& peer) -> std::optional<Bytes> {
    auto it = records.find(peer);
    return it == records.end() ? std::nullopt : std::optional<Bytes>(it->second);
  };
  Sim sim(4, config);
  for (size_t i = 0; i < 4; ++i) records[sim.id(i)] = seal_peer_record(sim.nodes[i]->key, 1, {address});
  for (size_t i = 1; i < 4; ++i) sim.connect(0, i);
  for (size_t i = 0; i < 4; ++i) sim.at(i).subscribe(kTxTopic);
  sim.pump();
  sim.tick();
  sim.at(0).unsubscribe(kTxTopic);
  size_t with_record = 0;
  for (const auto& o : sim.at(0).take_outgoing()) {
    for (const auto& p : o.rpc.control().prune()) {
      for (const auto& info : p.peers()) {
        auto record = open_peer_record(as_bytes(info.signedpeerrecord()));
        ASSERT_TRUE(record);
        EXPECT_EQ(record->peer, PeerId::from_multihash(as_bytes(info.peerid())).value());
        ++with_record;
      }
    }
  }
  EXPECT_GT(with_record, 0u);
}

TEST(Gossipsub, ScoreThresholdsGateGossipAndListening) {
  GossipsubConfig config;
  const PeerId gossip_muted = PeerId::from_public_key(key_for(1).public_key());
  const PeerId graylisted = PeerId::from_public_key(key_for(2).public_key());
  config.score.app_specific_score = [&](const PeerId& p) {
    if (p == gossip_muted) return config.thresholds.gossip_threshold - 1;
    if (p == graylisted) return config.thresholds.graylist_threshold - 1;
    return 0.0;
  };
  Harness h(config);
  h.router.subscribe(kTxTopic);
  ASSERT_EQ(h.add(1), gossip_muted);
  h.router.take_outgoing();
  pb::RPC ihave;
  auto* entry = ihave.mutable_control()->add_ihave();
  entry->set_topicid(kTxTopic);
  entry->add_messageids("some-id");
  h.router.handle_rpc(gossip_muted, ihave);
  EXPECT_TRUE(h.sent_to(gossip_muted).empty()) << "IHAVE from a peer below the gossip threshold answered";
  // Messages from it are still taken.
  h.router.handle_rpc(gossip_muted, publish_rpc({tx_message("still heard")}));
  EXPECT_EQ(h.router.take_deliveries().size(), 1u);

  ASSERT_EQ(h.add(2), graylisted);  // its subscription is ignored already
  EXPECT_FALSE(h.router.topic_peers(kTxTopic).contains(graylisted));
  h.router.handle_rpc(graylisted, publish_rpc({tx_message("not heard")}));
  EXPECT_TRUE(h.router.take_deliveries().empty());
}

// ---- limits at their boundaries -------------------------------------------------------------

TEST(GossipsubLimits, MessagesPerRpc) {
  Harness h;
  h.router.subscribe(kTxTopic);
  const PeerId peer = h.add(1);
  std::vector<pb::Message> messages;
  for (size_t i = 0; i < kMaxMessagesPerRpc + 1; ++i) messages.push_back(tx_message("m" + std::to_string(i)));
  h.router.handle_rpc(peer, publish_rpc(messages));
  EXPECT_EQ(h.router.take_deliveries().size(), kMaxMessagesPerRpc);
}

TEST(GossipsubLimits, SubscriptionsPerRpcAndTopicsPerPeer) {
  Harness h;
  const PeerId peer = PeerId::from_public_key(key_for(1).public_key());
  ASSERT_TRUE(h.router.add_peer(peer, kMeshsubV12, true));
  pb::RPC rpc;
  for (size_t i = 0; i < kMaxSubscriptionsPerRpc + 1; ++i) {
    auto* s = rpc.add_subscriptions();
    s->set_subscribe(true);
    s->set_topicid("t" + std::to_string(i));
  }
  h.router.handle_rpc(peer, rpc);
  EXPECT_EQ(h.router.topic_peers("t" + std::to_string(kMaxSubscriptionsPerRpc - 1)).size(), 1u);
  EXPECT_TRUE(h.router.topic_peers("t" + std::to_string(kMaxSubscriptionsPerRpc)).empty());
  static_assert(kMaxTopicsPerPeer == kMaxSubscriptionsPerRpc);
  pb::RPC more;
  auto* s = more.add_subscriptions();
  s->set_subscribe(true);
  s->set_topicid("one-too-many");
  h.router.handle_rpc(peer, more);
  EXPECT_TRUE(h.router.topic_peers("one-too-many").empty());
}

TEST(GossipsubLimits, TopicLength) {
  Harness h;
  const PeerId peer = h.add(1);
  const std::string longest(kMaxTopicLength, 't');
  h.router.subscribe(longest);
  h.router.subscribe(longest + "x");
  const auto out = h.sent_to(peer);
  size_t subscriptions = 0;
  for (const auto& rpc : out) subscriptions += static_cast<size_t>(rpc.subscriptions_size());
  EXPECT_EQ(subscriptions, 1u);
}

TEST(GossipsubLimits, IHaveIdsPerMessageAndIWantPerHeartbeat) {
  Harness h;
  h.router.subscribe(kTxTopic);
  const PeerId peer = h.add(1);
  h.router.take_outgoing();
  auto ihave_of = [](size_t first, size_t count) {
    pb::RPC rpc;
    auto* e = rpc.mutable_control()->add_ihave();
    e->set_topicid(kTxTopic);
    for (size_t i = 0; i < count; ++i) e->add_messageids("id" + std::to_string(first + i));
    return rpc;
  };
  auto asked = [&] {
    size_t n = 0;
    for (const auto& rpc : h.sent_to(peer)) {
      for (const auto& w : rpc.control().iwant()) n += static_cast<size_t>(w.messageids_size());
    }
    return n;
  };
  h.router.handle_rpc(peer, ihave_of(0, kMaxIHaveIdsPerMessage + 1));
  EXPECT_EQ(asked(), kMaxIHaveIdsPerMessage);
  static_assert(kMaxIWantIdsPerHeartbeat == kMaxIHaveIdsPerMessage);
  h.router.handle_rpc(peer, ihave_of(100000, 1));
  EXPECT_EQ(asked(), 0u) << "more than kMaxIWantIdsPerHeartbeat asked in one heartbeat";
  h.router.heartbeat();
  h.router.handle_rpc(peer, ihave_of(100000, 1));
  EXPECT_EQ(asked(), 1u);
}

TEST(GossipsubLimits, IHaveMessagesPerHeartbeat) {
  Harness h;
  h.router.subscribe(kTxTopic);
  const PeerId peer = h.add(1);
  h.router.take_outgoing();
  size_t asked = 0;
  for (size_t i = 0; i < kMaxIHaveMessagesPerHeartbeat + 1; ++i) {
    pb::RPC rpc;
    auto* e = rpc.mutable_control()->add_ihave();
    e->set_topicid(kTxTopic);
    e->add_messageids("id" + std::to_string(i));
    h.router.handle_rpc(peer, rpc);
    for (const auto& out : h.sent_to(peer)) asked += static_cast<size_t>(out.control().iwant_size());
  }
  EXPECT_EQ(asked, kMaxIHaveMessagesPerHeartbeat);
}

TEST(GossipsubLimits, MessageIdLength) {
  Harness h;
  h.router.subscribe(kTxTopic);
  const PeerId peer = h.add(1);
  h.router.take_outgoing();
  pb::RPC rpc;
  auto* e = rpc.mutable_control()->add_ihave();
  e->set_topicid(kTxTopic);
  e->add_messageids(std::string(kMaxMessageIdLength, 'a'));
  e->add_messageids(std::string(kMaxMessageIdLength + 1, 'b'));
  h.router.handle_rpc(peer, rpc);
  const auto out = h.sent_to(peer);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].control().iwant(0).messageids_size(), 1);
  EXPECT_EQ(out[0].control().iwant(0).messageids(0).size(), kMaxMessageIdLength);
}

TEST(GossipsubLimits, ControlEntriesPerRpc) {
  Harness h;
  h.router.subscribe(kTxTopic);
  const PeerId peer = h.add(1);
  h.router.take_outgoing();
  // kMaxControlEntriesPerRpc PRUNEs of unknown topics, then a GRAFT that must be dropped.
  pb::RPC rpc;
  for (size_t i = 0; i < kMaxControlEntriesPerRpc; ++i) rpc.mutable_control()->add_prune()->set_topicid("x");
  h.router.handle_rpc(peer, rpc);  // the mesh keeps the peer: PRUNE of another topic
  pb::RPC prune_then_graft;
  for (size_t i = 0; i + 1 < kMaxControlEntriesPerRpc; ++i) prune_then_graft.mutable_control()->add_iwant();
  prune_then_graft.mutable_control()->add_prune()->set_topicid(kTxTopic);  // entry number kMax: read
  h.router.handle_rpc(peer, prune_then_graft);
  EXPECT_FALSE(h.router.mesh(kTxTopic).contains(peer));
  pb::RPC over;
  for (size_t i = 0; i < kMaxControlEntriesPerRpc; ++i) over.mutable_control()->add_iwant();
  over.mutable_control()->add_graft()->set_topicid("never-read");  // entry kMax + 1: dropped
  h.router.handle_rpc(peer, over);
  for (const auto& out : h.sent_to(peer)) {
    for (const auto& p : out.control().prune()) EXPECT_NE(p.topicid(), "never-read");
  }
}

TEST(GossipsubLimits, IDontWantIdsPerPeer) {
  Harness h;
  h.router.subscribe(kTxTopic);
  const PeerId source = h.add(1);
  const PeerId peer = h.add(2);
  h.router.heartbeat();
  h.router.take_outgoing();
  pb::RPC dont;
  auto* d = dont.mutable_control()->add_idontwant();
  for (size_t i = 0; i < kMaxIDontWantIdsPerPeer; ++i) d->add_messageids("filler" + std::to_string(i));
  h.router.handle_rpc(peer, dont);
  const pb::Message next = tx_message("beyond the cap");
  pb::RPC one_more;
  one_more.mutable_control()->add_idontwant()->add_messageids(
      *check_message(SignaturePolicy::strict_no_sign, next));
  h.router.handle_rpc(peer, one_more);
  h.router.handle_rpc(source, publish_rpc({next}));
  const auto out = h.sent_to(peer);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].publish_size(), 1) << "an IDONTWANT beyond the cap was honoured";
}

TEST(GossipsubLimits, RpcSize) {
  Harness h;
  h.router.subscribe(kTxTopic);
  const PeerId peer = h.add(1);
  h.router.take_outgoing();
  // Too large to publish.
  EXPECT_FALSE(h.router.publish(kTxTopic, Bytes(kMaxRpcSize, 1)));
  // Received: an oversize RPC is dropped whole and penalised.
  std::vector<pb::Message> big;
  for (int i = 0; i < 3; ++i)
    big.push_back(tx_message(std::string(kMaxRpcSize / 3, static_cast<char>('a' + i))));
  h.router.handle_rpc(peer, publish_rpc(big));
  EXPECT_TRUE(h.router.take_deliveries().empty());
  EXPECT_LT(h.router.score(peer), 0);
  // Sent: messages that together exceed the limit go out in several RPCs.
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(h.router.publish(kTxTopic, Bytes(kMaxRpcSize / 2, static_cast<uint8_t>(i))));
  const auto out = h.sent_to(peer);
  EXPECT_EQ(out.size(), 3u);
  for (const auto& rpc : out) EXPECT_LE(rpc.ByteSizeLong(), kMaxRpcSize);
}

TEST(GossipsubLimits, Peers) {
  Harness h;
  for (size_t i = 1; i <= kMaxPeers; ++i) {
    ASSERT_TRUE(h.router.add_peer(PeerId::from_public_key(key_for(i).public_key()), kMeshsubV12, false));
  }
  EXPECT_FALSE(
      h.router.add_peer(PeerId::from_public_key(key_for(kMaxPeers + 1).public_key()), kMeshsubV12, false));
}

TEST(GossipsubLimits, McacheAndSeenCache) {
  Harness h;
  h.router.subscribe(kTxTopic);
  h.add(1);
  for (size_t i = 0; i < kMaxMcacheMessages + 1; ++i) {
    ASSERT_TRUE(h.router.publish(kTxTopic, bytes_of(std::to_string(i))));
    if (i % 1000 == 0) h.router.take_outgoing();
  }
  EXPECT_EQ(h.router.mcache_size(), kMaxMcacheMessages);
  EXPECT_EQ(h.router.seen_size(), kMaxMcacheMessages + 1);
  static_assert(kMaxSeenMessages > kMaxMcacheMessages);
}

}  // namespace
}  // namespace cairn::net
