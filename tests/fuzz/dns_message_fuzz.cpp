// DNS messages (mDNS): any bytes decode or fail cleanly; whatever decodes re-encodes (without
// compression, skipped records left out) to bytes that decode to the same message, and that
// encoding is stable. The mDNS core takes the same bytes without crashing or answering garbage.
#include "fuzz.h"
#include "net/dns_message.h"
#include "net/mdns.h"

using namespace cairn;
using namespace cairn::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan bytes(data, size);
  if (auto message = decode_dns_message(bytes)) {
    FUZZ_CHECK(message->questions.size() <= kMaxDnsQuestions);
    FUZZ_CHECK(message->answers.size() + message->authorities.size() + message->additionals.size() <=
               kMaxDnsRecords);
    auto encoded = encode_dns_message(*message);
    if (encoded) {
      auto again = decode_dns_message(*encoded);
      FUZZ_CHECK(again && *again == *message);
      auto stable = encode_dns_message(*again);
      FUZZ_CHECK(stable && *stable == *encoded);
    } else {
      // Only the size limit can fail: uncompressed, the message grew past 9000 bytes.
      FUZZ_CHECK(encoded.error().code == ErrorCode::limit);
    }
  }
  static const PeerId local = PeerId::parse("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA").value();
  static MdnsCore core = MdnsCore::create(local, "fuzz", [] {
                           return std::vector<Multiaddr>{Multiaddr::parse("/ip4/10.0.0.1/tcp/1").value()};
                         }).value();
  static int64_t now = 0;
  now += 2'000'000'000;
  const MdnsOutput out = core.on_datagram(bytes, now);
  for (const auto& discovery : out.discoveries) {
    FUZZ_CHECK(discovery.peer != local);
    FUZZ_CHECK(!discovery.addrs.empty() && discovery.addrs.size() <= kMaxMdnsAddressesPerPeer);
  }
  FUZZ_CHECK(core.remembered_peers() <= kDefaultMaxMdnsRememberedPeers);
  return 0;
}
