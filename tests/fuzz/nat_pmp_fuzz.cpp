// NAT-PMP and PCP responses (net/nat_pmp.h): any datagram decodes or fails cleanly, what
// decodes respects the protocol's size rules, and a mapping client fed the datagram in any
// state stays consistent.
#include "fuzz.h"
#include "net/nat_pmp.h"

using namespace cairn;
using namespace cairn::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan bytes(data, size);
  if (auto response = decode_natpmp_response(bytes)) {
    FUZZ_CHECK(size == kNatPmpErrorResponseSize || size == kNatPmpExternalAddressResponseSize ||
               size == kNatPmpMapResponseSize);
    FUZZ_CHECK(size > kNatPmpErrorResponseSize || response->result != kNatPmpResultSuccess ||
               response->opcode > kNatPmpOpMapTcp);
  }
  if (auto response = decode_pcp_response(bytes)) {
    FUZZ_CHECK(size >= kPcpHeaderSize && size <= kPcpMaxMessageSize && size % 4 == 0);
    FUZZ_CHECK(!response->map || size >= kPcpMapMessageSize);
  }
  // The client in each waiting state: the datagram must neither crash it nor leave it
  // waiting without a deadline.
  PortMappingConfig config;
  config.internal_port = 4001;
  for (const bool pcp : {true, false}) {
    config.try_pcp = pcp;
    PortMappingClient client(config);
    const NatTime t0{};
    client.start(t0);
    client.on_datagram(bytes, t0);
    client.on_datagram(bytes, t0);  // a second one lands in whatever state the first left
    const auto state = client.state();
    FUZZ_CHECK(client.deadline().has_value() ==
               (state != PortMappingClient::State::failed && state != PortMappingClient::State::stopped));
    client.stop(t0);
    FUZZ_CHECK(client.state() == PortMappingClient::State::deleting ||
               client.state() == PortMappingClient::State::stopped);
  }
  return 0;
}
