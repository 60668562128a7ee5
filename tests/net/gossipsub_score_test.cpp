#include "net/gossipsub_score.h"

#include <gtest/gtest.h>

#include "net/test_peer_id.h"

namespace cairn::net {
namespace {

constexpr int64_t kSecond = kNanosPerSecond;
const std::string kTopic = "/cairn/regtest/block/1";

PeerScoreParams one_topic(TopicScoreParams topic = {}) {
  PeerScoreParams params;
  params.topics[kTopic] = topic;
  return params;
}

TEST(PeerScore, UnknownPeersAndUnscoredTopicsScoreZero) {
  PeerScore score(one_topic());
  EXPECT_EQ(score.score(test_peer_id(1), 0), 0);
  score.add_peer(test_peer_id(1));
  score.first_delivery(test_peer_id(1), "unscored");
  score.invalid_delivery(test_peer_id(1), "unscored");
  EXPECT_EQ(score.score(test_peer_id(1), 0), 0);
}

TEST(PeerScore, TimeInMeshGrowsUpToItsCap) {
  TopicScoreParams topic;
  topic.mesh_message_deliveries_weight = 0;  // P3 off, to see P1 alone
  topic.time_in_mesh_cap = 10;
  PeerScore score(one_topic(topic));
  const PeerId p = test_peer_id(1);
  score.add_peer(p);
  score.graft(p, kTopic, 0);
  EXPECT_DOUBLE_EQ(score.score(p, 5 * kSecond), 5 * topic.time_in_mesh_weight);
  EXPECT_DOUBLE_EQ(score.score(p, 100 * kSecond), 10 * topic.time_in_mesh_weight);
  score.prune(p, kTopic);
  EXPECT_DOUBLE_EQ(score.score(p, 100 * kSecond), 0);
}

TEST(PeerScore, FirstDeliveriesAreCappedAndDecay) {
  TopicScoreParams topic;
  topic.first_message_deliveries_cap = 3;
  PeerScore score(one_topic(topic));
  const PeerId p = test_peer_id(1);
  score.add_peer(p);
  for (int i = 0; i < 5; ++i) score.first_delivery(p, kTopic);
  EXPECT_DOUBLE_EQ(score.score(p, 0), 3);
  score.decay(kSecond);
  EXPECT_DOUBLE_EQ(score.score(p, kSecond), 3 * topic.first_message_deliveries_decay);
}

TEST(PeerScore, MeshDeliveryDeficitCountsOnlyAfterActivation) {
  TopicScoreParams topic;
  topic.time_in_mesh_weight = 0;
  topic.mesh_message_deliveries_decay = 1;  // no decay: the deficit stays put
  PeerScore score(one_topic(topic));
  const PeerId p = test_peer_id(1);
  score.add_peer(p);
  score.graft(p, kTopic, 0);
  score.decay(topic.mesh_message_deliveries_activation_ns - 1);
  EXPECT_DOUBLE_EQ(score.score(p, topic.mesh_message_deliveries_activation_ns - 1), 0);
  score.decay(topic.mesh_message_deliveries_activation_ns);
  const double deficit = topic.mesh_message_deliveries_threshold;
  EXPECT_DOUBLE_EQ(score.score(p, topic.mesh_message_deliveries_activation_ns), -deficit * deficit);
  // Deliveries close the deficit; a duplicate within the window counts, one after it not.
  for (int i = 0; i < 18; ++i) score.first_delivery(p, kTopic);
  score.duplicate_delivery(p, kTopic, 0, topic.mesh_message_deliveries_window_ns);
  score.duplicate_delivery(p, kTopic, 0, topic.mesh_message_deliveries_window_ns + 1);
  // P2 counts the 18 first deliveries; P3 has 19 of its threshold of 20, a deficit of 1.
  EXPECT_DOUBLE_EQ(score.score(p, topic.mesh_message_deliveries_activation_ns), 18 - 1);
  // Pruned with the deficit: it sticks as the mesh failure penalty P3b.
  score.prune(p, kTopic);
  EXPECT_DOUBLE_EQ(score.score(p, topic.mesh_message_deliveries_activation_ns), 18 - 1);
}

TEST(PeerScore, InvalidMessagesArePenalisedQuadratically) {
  PeerScore score(one_topic());
  const PeerId p = test_peer_id(1);
  score.add_peer(p);
  score.invalid_delivery(p, kTopic);
  score.invalid_delivery(p, kTopic);
  score.invalid_delivery(p, kTopic);
  EXPECT_DOUBLE_EQ(score.score(p, 0), -9);
}

TEST(PeerScore, BehaviourPenaltyAboveThresholdAndDecayToZero) {
  PeerScoreParams params = one_topic();
  params.behaviour_penalty_threshold = 1;
  PeerScore score(params);
  const PeerId p = test_peer_id(1);
  score.add_peer(p);
  score.add_penalty(p, 1);
  EXPECT_DOUBLE_EQ(score.score(p, 0), 0);
  score.add_penalty(p, 2);
  EXPECT_DOUBLE_EQ(score.score(p, 0), -4);
  for (int i = 0; i < 100; ++i) score.decay(i * kSecond);
  EXPECT_DOUBLE_EQ(score.score(p, 0), 0);
}

TEST(PeerScore, AppSpecificScoreAndTopicCap) {
  PeerScoreParams params = one_topic();
  params.topic_score_cap = 2;
  params.app_specific_weight = 10;
  params.app_specific_score = [](const PeerId&) { return 0.5; };
  PeerScore score(params);
  const PeerId p = test_peer_id(1);
  score.add_peer(p);
  for (int i = 0; i < 5; ++i) score.first_delivery(p, kTopic);
  EXPECT_DOUBLE_EQ(score.score(p, 0), 2 + 5);
}

TEST(PeerScore, ScoreIsRetainedAfterDisconnectUntilItExpires) {
  PeerScoreParams params = one_topic();
  PeerScore score(params);
  const PeerId p = test_peer_id(1);
  score.add_peer(p);
  score.invalid_delivery(p, kTopic);
  score.remove_peer(p, 0);
  EXPECT_LT(score.score(p, 0), 0);
  score.add_peer(p);  // reconnecting does not wipe it
  EXPECT_LT(score.score(p, 0), 0);
  score.remove_peer(p, 0);
  score.decay(params.retain_score_ns);
  EXPECT_EQ(score.score(p, params.retain_score_ns), 0);
}

TEST(PeerScore, IpColocationPenalisesTheSurplusOverTheThreshold) {
  PeerScoreParams params;
  params.ip_colocation_factor_weight = -1;
  params.ip_colocation_factor_threshold = 2;
  PeerScore score(params);
  std::vector<PeerId> peers;
  for (uint8_t i = 1; i <= 4; ++i) {
    peers.push_back(test_peer_id(i));
    score.add_peer(peers.back());
    score.set_ip(peers.back(), "10.0.0.1");
  }
  // Four on one IP, threshold two: a surplus of 2, squared.
  for (const PeerId& p : peers) EXPECT_EQ(score.score(p, 0), -4);
  // At the threshold exactly, no penalty.
  score.set_ip(peers[3], "10.0.0.2");
  score.remove_peer(peers[2], 0);  // retained, and still counted while its score is kept
  EXPECT_EQ(score.score(peers[0], 0), -1);
  score.decay(params.retain_score_ns);
  EXPECT_EQ(score.score(peers[0], params.retain_score_ns), 0);
  EXPECT_EQ(score.score(peers[3], params.retain_score_ns), 0);
}

TEST(PeerScore, IpColocationSparesWhitelistedAndUnknownIps) {
  PeerScoreParams params;
  params.ip_colocation_factor_threshold = 1;
  params.ip_colocation_factor_whitelist = {"127.0.0.1"};
  PeerScore score(params);
  const PeerId a = test_peer_id(1), b = test_peer_id(2), c = test_peer_id(3), d = test_peer_id(4);
  for (const PeerId& p : {a, b, c, d}) score.add_peer(p);
  score.set_ip(a, "127.0.0.1");
  score.set_ip(b, "127.0.0.1");
  EXPECT_EQ(score.score(a, 0), 0);
  EXPECT_EQ(score.score(c, 0), 0);  // c and d have no known IP
  EXPECT_EQ(score.score(d, 0), 0);
  params.ip_colocation_factor_weight = 0;  // off
  PeerScore off(params);
  off.add_peer(c);
  off.add_peer(d);
  off.set_ip(c, "10.0.0.1");
  off.set_ip(d, "10.0.0.1");
  EXPECT_EQ(off.score(c, 0), 0);
}

TEST(PeerScore, DefaultThresholdsAreOrdered) {
  const PeerScoreThresholds t;
  EXPECT_LE(t.gossip_threshold, 0);
  EXPECT_LE(t.publish_threshold, t.gossip_threshold);
  EXPECT_LE(t.graylist_threshold, t.publish_threshold);
  EXPECT_GE(t.accept_px_threshold, 0);
}

}  // namespace
}  // namespace cairn::net
