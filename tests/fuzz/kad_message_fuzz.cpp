// Kademlia: arbitrary bytes as a DHT message from a peer never crash the decoder, the
// answering side or a lookup fed them as an answer, and whatever comes out stays inside
// its limits: an answer carries at most k closer peers of at most kMaxKadAddrsPerPeer
// addresses and re-encodes under kMaxKadMessageSize; a lookup reads at most
// kMaxKadPeersPerResponse peers of one answer, never lists ourselves and stays within its
// query budget.
#include <string>

#include "fuzz.h"
#include "net/kademlia.h"

using namespace cairn;
using namespace cairn::net;

namespace {

PeerId peer_for(uint8_t i) {
  Seed seed;
  seed.bytes[0] = i;
  return PeerId::from_public_key(KeyPair::from_seed(seed).public_key());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Result<kadpb::Message> message = decode_kad_message(ByteSpan(data, size));
  if (!message) return 0;

  static const PeerId self = peer_for(1);
  static const PeerId requester = peer_for(2);
  static const Multiaddr local_addr = Multiaddr::parse("/ip4/127.0.0.1/tcp/4001").value();
  RoutingTable table(self);
  // The table is filled from the message's own peers, as if each had answered us.
  for (const KadPeer& peer : decode_closer_peers(*message)) {
    table.add(peer, 0);
    FUZZ_CHECK(!table.contains(self));
  }
  FUZZ_CHECK(table.size() <= kMaxKadPeersPerResponse);

  Result<std::optional<kadpb::Message>> answer =
      answer_kad_request(*message, KadAnswerContext{table, {local_addr}, requester});
  if (answer && *answer) {
    FUZZ_CHECK(static_cast<size_t>((*answer)->closerpeers_size()) <= kKadBucketSize);
    for (const auto& peer : (*answer)->closerpeers()) {
      FUZZ_CHECK(static_cast<size_t>(peer.addrs_size()) <= kMaxKadAddrsPerPeer);
    }
    const Bytes framed = frame_kad_message(**answer);
    FUZZ_CHECK(framed.size() <= kMaxKadMessageSize);
  }

  LookupOptions options;
  options.max_queries = 4;
  FindNodeLookup lookup(Bytes(data, data + std::min<size_t>(size, 64)), self,
                        {KadPeer{peer_for(3), {local_addr}}}, options);
  for (int round = 0; round < 8 && !lookup.done(); ++round) {
    for (const KadPeer& asked : lookup.next_queries(round)) {
      FUZZ_CHECK(asked.id != self);
      lookup.on_response(asked.id, decode_closer_peers(*message));
    }
  }
  FUZZ_CHECK(lookup.queries_sent() <= options.max_queries);
  FUZZ_CHECK(lookup.closest_answered().size() <= options.k);
  FUZZ_CHECK(!lookup.seen(self).has_value());
  return 0;
}
