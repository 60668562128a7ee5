// gossipsub: arbitrary bytes as a pubsub RPC from a peer never crash the router, and whatever
// it does stays inside its limits: every RPC it sends is at most kMaxRpcSize, meshes stay
// at most D_hi, every delivered message passes its topic's signature policy, and the caches
// stay under their caps. The same RPC is fed from a /meshsub/1.2.0 and a /meshsub/1.1.0 peer,
// with heartbeats in between.
#include <string>

#include "fuzz.h"
#include "net/gossipsub.h"

using namespace cairn;
using namespace cairn::net;

namespace {

KeyPair key_for(uint8_t i) {
  Seed seed;
  seed.bytes[0] = i;
  return KeyPair::from_seed(seed);
}

void check_outputs(Gossipsub& router, const GossipsubConfig& config) {
  for (const OutgoingRpc& out : router.take_outgoing()) FUZZ_CHECK(out.rpc.ByteSizeLong() <= kMaxRpcSize);
  for (const Delivery& delivery : router.take_deliveries()) {
    auto id = check_message(config.policy(delivery.topic), delivery.message);
    FUZZ_CHECK(id.ok() && *id == delivery.id);
  }
  for (const std::string topic : {"/cairn/fuzz/tx/1", "chat"})
    FUZZ_CHECK(router.mesh(topic).size() <= config.d_hi);
  FUZZ_CHECK(router.mcache_size() <= kMaxMcacheMessages);
  FUZZ_CHECK(router.seen_size() <= kMaxSeenMessages);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxRpcSize) return 0;
  pb::RPC rpc;
  if (!rpc.ParseFromArray(data, static_cast<int>(size))) return 0;

  static const KeyPair self = key_for(1);
  static const PeerId v12 = PeerId::from_public_key(key_for(2).public_key());
  static const PeerId v11 = PeerId::from_public_key(key_for(3).public_key());
  ManualClock clock(1'700'000'000);
  DeterministicRng rng(size);
  GossipsubConfig config;
  Gossipsub router(self, config, clock, rng);
  router.subscribe("/cairn/fuzz/tx/1");
  router.subscribe("chat");
  router.add_peer(v12, kMeshsubV12, true);
  router.add_peer(v11, kMeshsubV11, false);

  router.handle_rpc(v12, rpc);
  check_outputs(router, config);
  clock.advance_seconds(1);
  router.heartbeat();
  check_outputs(router, config);
  router.handle_rpc(v11, rpc);
  router.handle_rpc(v12, rpc);  // duplicates now
  check_outputs(router, config);
  clock.advance_seconds(5);
  router.heartbeat();
  check_outputs(router, config);
  router.remove_peer(v12);
  router.heartbeat();
  check_outputs(router, config);
  return 0;
}
