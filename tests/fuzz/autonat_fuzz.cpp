// AutoNAT v1: arbitrary bytes as a DIAL or DIAL_RESPONSE from a peer never crash the
// decoders, a decoded request keeps within kMaxAutonatRequestAddresses, the server's plan
// dials back at most kMaxAutonatDialBacks addresses and only at the requester's observed
// IP, and whatever decodes re-encodes and decodes to the same value.
#include <algorithm>

#include "fuzz.h"
#include "net/autonat.h"
#include "net/tcp_transport.h"

using namespace cairn;
using namespace cairn::net;

namespace {

// The encoders' length prefix (one or two bytes for messages under 16 KiB).
ByteSpan unframe(const Bytes& framed) { return ByteSpan(framed).subspan(framed[0] < 0x80 ? 1 : 2); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan input(data, size);
  if (Result<AutonatDialRequest> request = decode_autonat_dial(input)) {
    FUZZ_CHECK(request->addrs.size() <= kMaxAutonatRequestAddresses);
    Result<AutonatDialRequest> again =
        decode_autonat_dial(unframe(encode_autonat_dial(request->peer, request->addrs)));
    FUZZ_CHECK(again.ok() && again->peer == request->peer && again->addrs == request->addrs);

    static const auto observed = boost::asio::ip::make_address("203.0.113.9");
    for (bool allow_private : {false, true}) {
      const DialBackPlan plan = plan_dial_back(*request, request->peer, observed, allow_private);
      FUZZ_CHECK(plan.refusal.has_value() == plan.addrs.empty());
      FUZZ_CHECK(plan.addrs.size() <= kMaxAutonatDialBacks);
      for (const Multiaddr& address : plan.addrs) {
        FUZZ_CHECK(multiaddr_ip(address) == observed);
        FUZZ_CHECK(address.tcp_dial_target().ok());
      }
    }
  }
  if (Result<AutonatDialResponse> response = decode_autonat_response(input)) {
    Result<AutonatDialResponse> again = decode_autonat_response(unframe(encode_autonat_response(*response)));
    FUZZ_CHECK(again.ok() && again->status == response->status &&
               again->status_text == response->status_text && again->addr == response->addr);
    AutonatVerdict verdict(1);
    verdict.add(*response);
    FUZZ_CHECK(verdict.reached().size() <= 1);
  }
  return 0;
}
