// NAT-PMP (RFC 6886) and PCP (RFC 6887) codecs against hand-built packets, and the mapping
// client's schedule, renewal, fallback and deletion with simulated time.
#include "net/nat_pmp.h"

#include <gtest/gtest.h>

#include "util/bytes.h"

namespace cairn::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Ipv4Bytes kClient{192, 168, 1, 10};
const Ipv4Bytes kExternal{11, 22, 33, 1};
const PcpNonce kNonce{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
constexpr uint16_t kPort = 4001;

Bytes hex(std::string_view text) { return from_hex(text).value(); }

// (push_back, not insert: GCC 12's -Warray-bounds misfires on vector::insert in tests.)
void append(Bytes& out, std::initializer_list<uint8_t> bytes) {
  for (uint8_t b : bytes) out.push_back(b);
}

// ---- hand-built responses --------------------------------------------------------------------

Bytes natpmp_address_response(uint16_t result, const Ipv4Bytes& address) {
  return Bytes{0,
               128,
               static_cast<uint8_t>(result >> 8),
               static_cast<uint8_t>(result),
               0,
               0,
               0x10,
               0,
               address[0],
               address[1],
               address[2],
               address[3]};
}

Bytes natpmp_map_response(uint16_t result, uint16_t internal, uint16_t external, uint32_t lifetime) {
  return Bytes{0,
               130,
               static_cast<uint8_t>(result >> 8),
               static_cast<uint8_t>(result),
               0,
               0,
               0x10,
               0,
               static_cast<uint8_t>(internal >> 8),
               static_cast<uint8_t>(internal),
               static_cast<uint8_t>(external >> 8),
               static_cast<uint8_t>(external),
               static_cast<uint8_t>(lifetime >> 24),
               static_cast<uint8_t>(lifetime >> 16),
               static_cast<uint8_t>(lifetime >> 8),
               static_cast<uint8_t>(lifetime)};
}

Bytes pcp_map_response(uint8_t result, uint32_t lifetime, uint16_t external_port,
                       const PcpNonce& nonce = kNonce, uint16_t internal = kPort) {
  Bytes out(kPcpMapMessageSize, 0);
  out[0] = 2;
  out[1] = 0x81;
  out[3] = result;
  out[4] = static_cast<uint8_t>(lifetime >> 24);
  out[5] = static_cast<uint8_t>(lifetime >> 16);
  out[6] = static_cast<uint8_t>(lifetime >> 8);
  out[7] = static_cast<uint8_t>(lifetime);
  out[11] = 0x42;  // epoch
  for (size_t i = 0; i < nonce.size(); ++i) out[24 + i] = nonce[i];
  out[36] = 6;  // TCP
  out[40] = static_cast<uint8_t>(internal >> 8);
  out[41] = static_cast<uint8_t>(internal);
  out[42] = static_cast<uint8_t>(external_port >> 8);
  out[43] = static_cast<uint8_t>(external_port);
  out[54] = 0xff;
  out[55] = 0xff;
  for (size_t i = 0; i < 4; ++i) out[56 + i] = kExternal[i];
  return out;
}

// ---- codecs ----------------------------------------------------------------------------------

TEST(NatPmpCodec, EncodesRequestsAsRfc6886) {
  EXPECT_EQ(encode_natpmp_external_address_request(), hex("0000"));
  // version 0, opcode 2 (TCP), reserved, internal 4001, suggested 4001, lifetime 7200
  EXPECT_EQ(encode_natpmp_map_request(4001, 4001, 7200), hex("000200000fa10fa100001c20"));
  // deletion: lifetime 0 and suggested port 0 (RFC 6886 §3.4)
  EXPECT_EQ(encode_natpmp_map_request(4001, 0, 0), hex("000200000fa1000000000000"));
}

TEST(NatPmpCodec, EncodesPcpMapAsRfc6887) {
  PcpMapRequest request;
  request.nonce = kNonce;
  request.client_address = kClient;
  request.internal_port = 4001;
  request.suggested_external_port = 4001;
  request.lifetime_seconds = 7200;
  const Bytes bytes = encode_pcp_map_request(request);
  ASSERT_EQ(bytes.size(), kPcpMapMessageSize);
  EXPECT_EQ(to_hex(bytes),
            "0201000000001c20"                    // version 2, MAP, reserved, lifetime 7200
            "00000000000000000000ffffc0a8010a"    // client ::ffff:192.168.1.10
            "0102030405060708090a0b0c"            // nonce
            "06000000"                            // TCP, reserved
            "0fa10fa1"                            // internal, suggested external port
            "00000000000000000000ffff00000000");  // no suggested external address
}

TEST(NatPmpCodec, DecodesNatPmpResponses) {
  auto address = decode_natpmp_response(natpmp_address_response(0, kExternal));
  ASSERT_TRUE(address) << address.error().message;
  EXPECT_EQ(address->opcode, 0);
  EXPECT_EQ(address->epoch, 0x1000u);
  EXPECT_EQ(address->external_address, kExternal);

  auto map = decode_natpmp_response(natpmp_map_response(0, 4001, 5001, 3600));
  ASSERT_TRUE(map) << map.error().message;
  EXPECT_EQ(map->opcode, 2);
  EXPECT_EQ(map->internal_port, 4001);
  EXPECT_EQ(map->external_port, 5001);
  EXPECT_EQ(map->lifetime_seconds, 3600u);
}

TEST(NatPmpCodec, NatPmpLengthsAreExact) {
  Bytes address = natpmp_address_response(0, kExternal);
  EXPECT_EQ(address.size(), kNatPmpExternalAddressResponseSize);
  address.push_back(0);
  EXPECT_FALSE(decode_natpmp_response(address));
  address.resize(kNatPmpExternalAddressResponseSize - 1);
  EXPECT_FALSE(decode_natpmp_response(address));

  Bytes map = natpmp_map_response(0, 4001, 5001, 3600);
  EXPECT_EQ(map.size(), kNatPmpMapResponseSize);
  map.push_back(0);
  EXPECT_FALSE(decode_natpmp_response(map));
  map.resize(kNatPmpMapResponseSize - 1);
  EXPECT_FALSE(decode_natpmp_response(map));

  // The 8-byte header alone is an answer only with an error result (RFC 6886 §3.5).
  const Bytes unsupported = hex("0081000100001000");
  ASSERT_EQ(unsupported.size(), kNatPmpErrorResponseSize);
  auto decoded = decode_natpmp_response(unsupported);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->result, kNatPmpResultUnsupportedVersion);
  EXPECT_FALSE(decode_natpmp_response(hex("0082000000001000")));
  EXPECT_FALSE(decode_natpmp_response(hex("00810001000010")));  // 7 bytes
}

TEST(NatPmpCodec, NatPmpRejectsWrongVersionAndRequests) {
  EXPECT_FALSE(decode_natpmp_response(hex("01800000000010000b162101")));  // version 1
  EXPECT_FALSE(decode_natpmp_response(hex("00000000000010000b162101")));  // no response bit
  EXPECT_FALSE(decode_natpmp_response({}));
}

TEST(NatPmpCodec, DecodesPcpMapResponse) {
  auto response = decode_pcp_response(pcp_map_response(0, 7200, 5001));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->version, 2);
  EXPECT_EQ(response->opcode, kPcpOpMap);
  EXPECT_EQ(response->lifetime_seconds, 7200u);
  EXPECT_EQ(response->epoch, 0x42u);
  ASSERT_TRUE(response->map);
  EXPECT_EQ(response->map->nonce, kNonce);
  EXPECT_EQ(response->map->protocol, 6);
  EXPECT_EQ(response->map->internal_port, 4001);
  EXPECT_EQ(response->map->external_port, 5001);
  EXPECT_EQ(ipv4_from_mapped(response->map->external_address), kExternal);
}

TEST(NatPmpCodec, PcpSizeLimits) {
  Bytes message = pcp_map_response(0, 7200, 5001);
  // Options after the payload: one empty option is 4 bytes; fill up to exactly 1100.
  while (message.size() < kPcpMaxMessageSize) {
    append(message, {0x80, 0, 0, 0});
  }
  ASSERT_EQ(message.size(), kPcpMaxMessageSize);
  EXPECT_TRUE(decode_pcp_response(message));
  append(message, {0x80, 0, 0, 0});
  EXPECT_FALSE(decode_pcp_response(message));  // 1104 bytes

  Bytes header = pcp_map_response(1, 0, 0);
  header.resize(kPcpHeaderSize);
  header[3] = 2;  // an error answer may stop after the header
  EXPECT_TRUE(decode_pcp_response(header));
  header.resize(kPcpHeaderSize - 4);
  EXPECT_FALSE(decode_pcp_response(header));

  Bytes success = pcp_map_response(0, 7200, 5001);
  success.resize(kPcpMapMessageSize - 4);  // success needs the whole MAP payload
  EXPECT_FALSE(decode_pcp_response(success));
  Bytes unaligned = pcp_map_response(0, 7200, 5001);
  unaligned.push_back(0);
  EXPECT_FALSE(decode_pcp_response(unaligned));
}

TEST(NatPmpCodec, PcpOptionFramingIsChecked) {
  Bytes message = pcp_map_response(0, 7200, 5001);
  append(message, {0x80, 0, 0, 8, 1, 2, 3, 4});  // says 8 bytes of data, has 4
  EXPECT_FALSE(decode_pcp_response(message));
  append(message, {5, 6, 7, 8});
  EXPECT_TRUE(decode_pcp_response(message));
}

TEST(NatPmpCodec, PcpOtherVersionOnlyAsUnsupportedVersion) {
  Bytes response = pcp_map_response(1, 0, 0);
  response[0] = 1;
  auto decoded = decode_pcp_response(response);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->result, kPcpResultUnsuppVersion);
  response[3] = 0;
  EXPECT_FALSE(decode_pcp_response(response));
  Bytes request = pcp_map_response(0, 7200, 5001);
  request[1] = 0x01;  // no response bit
  EXPECT_FALSE(decode_pcp_response(request));
}

TEST(NatPmpCodec, ResultMessagesAreReadable) {
  EXPECT_EQ(natpmp_result_message(0), "0 (success)");
  EXPECT_EQ(natpmp_result_message(2), "2 (not authorized/refused)");
  EXPECT_EQ(natpmp_result_message(5), "5 (unsupported opcode)");
  EXPECT_EQ(natpmp_result_message(6), "6 (unknown result code)");
  EXPECT_EQ(pcp_result_message(1), "1 (UNSUPP_VERSION)");
  EXPECT_EQ(pcp_result_message(8), "8 (NO_RESOURCES)");
  EXPECT_EQ(pcp_result_message(13), "13 (EXCESSIVE_REMOTE_PEERS)");
  EXPECT_EQ(pcp_result_message(14), "14 (unknown result code)");
}

TEST(NatPmpCodec, MappedAddressesOnlyIpv4) {
  std::array<uint8_t, 16> address{};
  address[10] = 0xff;
  address[11] = 0xff;
  address[15] = 7;
  EXPECT_EQ(ipv4_from_mapped(address), (Ipv4Bytes{0, 0, 0, 7}));
  address[0] = 0x20;
  EXPECT_FALSE(ipv4_from_mapped(address));
}

TEST(NatPmpCodec, GarbageNeverDecodesAsSuccess) {
  for (size_t size = 0; size <= 64; ++size) {
    Bytes junk(size, 0xa5);
    EXPECT_FALSE(decode_natpmp_response(junk)) << size;
    EXPECT_FALSE(decode_pcp_response(junk)) << size;
  }
}

// ---- retry schedule ------------------------------------------------------------------------

TEST(NatPmpSchedule, NatPmpDoublesFrom250MsForNineTries) {
  EXPECT_EQ(kNatPmpSchedule.timeout(1), milliseconds(250));
  EXPECT_EQ(kNatPmpSchedule.timeout(2), milliseconds(500));
  EXPECT_EQ(kNatPmpSchedule.timeout(9), seconds(64));
  EXPECT_EQ(kNatPmpSchedule.max_attempts, 9);
}

TEST(NatPmpSchedule, PcpDoublesFrom3sCappedAt1024s) {
  EXPECT_EQ(kPcpSchedule.timeout(1), seconds(3));
  EXPECT_EQ(kPcpSchedule.timeout(4), seconds(24));
  EXPECT_EQ(kPcpSchedule.timeout(9), seconds(768));
  EXPECT_EQ(kPcpSchedule.timeout(10), seconds(1024));
  EXPECT_EQ(kPcpSchedule.timeout(30), seconds(1024));
}

// ---- the client ----------------------------------------------------------------------------

PortMappingConfig config(bool try_pcp = true) {
  PortMappingConfig c;
  c.internal_port = kPort;
  c.client_address = kClient;
  c.nonce = kNonce;
  c.try_pcp = try_pcp;
  return c;
}

const NatTime t0{};

// Runs the client's timer until it gives up; returns the number of datagrams it sent.
size_t exhaust(PortMappingClient& client, NatTime& now) {
  size_t sent = client.take_datagrams().size();
  while (client.deadline()) {
    now = *client.deadline();
    client.on_timer(now);
    sent += client.take_datagrams().size();
  }
  return sent;
}

TEST(PortMappingClient, NatPmpSilenceGivesUpAfterNineTriesAndAbout128s) {
  PortMappingClient client(config(false));
  client.start(t0);
  NatTime now = t0;
  EXPECT_EQ(exhaust(client, now), static_cast<size_t>(kNatPmpMaxAttempts));
  EXPECT_EQ(now - t0, milliseconds(250 * 511));  // 250 ms * (2^9 - 1)
  EXPECT_EQ(client.state(), PortMappingClient::State::failed);
  auto events = client.take_events();
  ASSERT_EQ(events.size(), 1u);
  const auto& failed = std::get<PortMappingFailed>(events[0]);
  EXPECT_FALSE(failed.answered);
  EXPECT_EQ(failed.reason, "no NAT-PMP or PCP answer after 9 tries");
}

TEST(PortMappingClient, PcpSilenceIsBounded) {
  PortMappingClient client(config(true));
  client.start(t0);
  NatTime now = t0;
  EXPECT_EQ(exhaust(client, now), static_cast<size_t>(kPcpMaxAttempts));
  EXPECT_EQ(now - t0, seconds(3 + 6 + 12 + 24));
  EXPECT_EQ(client.state(), PortMappingClient::State::failed);
}

TEST(PortMappingClient, RetransmitsTheSameRequest) {
  PortMappingClient client(config(true));
  client.start(t0);
  auto first = client.take_datagrams();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(client.take_datagrams().size());
  client.on_timer(t0 + seconds(2));  // early: nothing
  EXPECT_TRUE(client.take_datagrams().empty());
  client.on_timer(t0 + seconds(3));
  auto second = client.take_datagrams();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first[0], second[0]);
  EXPECT_EQ(client.deadline(), t0 + seconds(9));
}

TEST(PortMappingClient, PcpMapsRenewsAtHalfLifetimeAndDeletes) {
  PortMappingClient client(config(true));
  client.start(t0);
  const Bytes request = client.take_datagrams().at(0);
  EXPECT_EQ(request.size(), kPcpMapMessageSize);
  client.on_datagram(pcp_map_response(0, 600, 5001), t0 + milliseconds(10));
  auto events = client.take_events();
  ASSERT_EQ(events.size(), 1u);
  const auto& mapped = std::get<PortMapped>(events[0]);
  EXPECT_EQ(mapped.protocol, NatProtocol::pcp);
  EXPECT_EQ(mapped.external_address, kExternal);
  EXPECT_EQ(mapped.external_port, 5001);
  EXPECT_EQ(client.state(), PortMappingClient::State::mapped);
  EXPECT_EQ(client.deadline(), t0 + milliseconds(10) + seconds(300));

  client.on_timer(t0 + milliseconds(10) + seconds(300));
  EXPECT_EQ(client.state(), PortMappingClient::State::renewing);
  auto renewal = client.take_datagrams();
  ASSERT_EQ(renewal.size(), 1u);
  auto renewal_expected = [] {
    PcpMapRequest r;
    r.nonce = kNonce;
    r.client_address = kClient;
    r.internal_port = kPort;
    r.suggested_external_port = 5001;  // keep what we got
    r.suggested_external_address = kExternal;
    r.lifetime_seconds = kDefaultMappingLifetimeSeconds;
    return encode_pcp_map_request(r);
  }();
  EXPECT_EQ(renewal[0], renewal_expected);
  client.on_datagram(pcp_map_response(0, 600, 5001), t0 + seconds(301));
  EXPECT_EQ(client.state(), PortMappingClient::State::mapped);
  EXPECT_EQ(client.take_events().size(), 1u);

  client.stop(t0 + seconds(400));
  EXPECT_EQ(client.state(), PortMappingClient::State::deleting);
  auto deletion = client.take_datagrams();
  ASSERT_EQ(deletion.size(), 1u);
  PcpMapRequest del;
  del.nonce = kNonce;
  del.client_address = kClient;
  del.internal_port = kPort;
  EXPECT_EQ(deletion[0], encode_pcp_map_request(del));  // lifetime 0, port 0, no address
  client.on_datagram(pcp_map_response(0, 0, 0), t0 + seconds(401));
  EXPECT_EQ(client.state(), PortMappingClient::State::stopped);
  events = client.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(std::get<PortMappingRemoved>(events[0]).confirmed);
  EXPECT_FALSE(client.deadline());
}

TEST(PortMappingClient, RenewalAtLeastMinDelay) {
  PortMappingClient client(config(true));
  client.start(t0);
  client.on_datagram(pcp_map_response(0, 1, 5001), t0);  // half of 1 s is under the minimum
  EXPECT_EQ(client.deadline(), t0 + kMinRenewDelay);
  PortMappingClient other(config(true));
  other.start(t0);
  other.on_datagram(pcp_map_response(0, 2, 5001), t0);  // exactly the minimum
  EXPECT_EQ(other.deadline(), t0 + seconds(1));
  PortMappingClient longer(config(true));
  longer.start(t0);
  longer.on_datagram(pcp_map_response(0, 3, 5001), t0);
  EXPECT_EQ(longer.deadline(), t0 + milliseconds(1500));
}

TEST(PortMappingClient, IgnoresAnswersToOtherRequests) {
  PortMappingClient client(config(true));
  client.start(t0);
  PcpNonce other = kNonce;
  other[0] ^= 1;
  client.on_datagram(pcp_map_response(0, 600, 5001, other), t0);
  client.on_datagram(pcp_map_response(0, 600, 5001, kNonce, kPort + 1), t0);
  Bytes udp = pcp_map_response(0, 600, 5001);
  udp[36] = 17;
  client.on_datagram(udp, t0);
  client.on_datagram(hex("deadbeef"), t0);
  EXPECT_EQ(client.state(), PortMappingClient::State::requesting_pcp);
  EXPECT_TRUE(client.take_events().empty());
}

TEST(PortMappingClient, FallsBackToNatPmpOnVersionZeroAnswer) {
  PortMappingClient client(config(true));
  client.start(t0);
  client.take_datagrams();
  client.on_datagram(hex("0081000100001000"), t0 + milliseconds(5));  // NAT-PMP: unsupported version
  EXPECT_EQ(client.protocol(), NatProtocol::nat_pmp);
  EXPECT_EQ(client.state(), PortMappingClient::State::requesting_address);
  auto sent = client.take_datagrams();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], encode_natpmp_external_address_request());
  EXPECT_EQ(client.deadline(), t0 + milliseconds(5) + kNatPmpInitialTimeout);

  client.on_datagram(natpmp_address_response(0, kExternal), t0 + milliseconds(6));
  sent = client.take_datagrams();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], encode_natpmp_map_request(kPort, kPort, kDefaultMappingLifetimeSeconds));
  client.on_datagram(natpmp_map_response(0, kPort, 5001, 7200), t0 + milliseconds(7));
  auto events = client.take_events();
  ASSERT_EQ(events.size(), 1u);
  const auto& mapped = std::get<PortMapped>(events[0]);
  EXPECT_EQ(mapped.protocol, NatProtocol::nat_pmp);
  EXPECT_EQ(mapped.external_address, kExternal);
  EXPECT_EQ(mapped.external_port, 5001);
  EXPECT_EQ(client.deadline(), t0 + milliseconds(7) + seconds(3600));

  // Renewal asks for the port granted; deletion is lifetime 0, port 0.
  client.on_timer(t0 + milliseconds(7) + seconds(3600));
  EXPECT_EQ(client.take_datagrams().at(0),
            encode_natpmp_map_request(kPort, 5001, kDefaultMappingLifetimeSeconds));
  client.stop(t0 + seconds(3601));
  EXPECT_EQ(client.take_datagrams().at(0), encode_natpmp_map_request(kPort, 0, 0));
  client.on_datagram(natpmp_map_response(0, kPort, 0, 0), t0 + seconds(3602));
  EXPECT_EQ(client.state(), PortMappingClient::State::stopped);
}

TEST(PortMappingClient, FallsBackToNatPmpOnPcpUnsuppVersion) {
  PortMappingClient client(config(true));
  client.start(t0);
  Bytes response = pcp_map_response(kPcpResultUnsuppVersion, 0, 0);
  response[0] = 1;  // the server's own version
  client.on_datagram(response, t0);
  EXPECT_EQ(client.protocol(), NatProtocol::nat_pmp);
  EXPECT_EQ(client.take_datagrams().back(), encode_natpmp_external_address_request());
}

TEST(PortMappingClient, RefusalIsAFailureWithTheResultMessage) {
  PortMappingClient client(config(true));
  client.start(t0);
  client.on_datagram(pcp_map_response(2, 0, 0), t0);
  EXPECT_EQ(client.state(), PortMappingClient::State::failed);
  auto events = client.take_events();
  ASSERT_EQ(events.size(), 1u);
  const auto& failed = std::get<PortMappingFailed>(events[0]);
  EXPECT_TRUE(failed.answered);
  EXPECT_EQ(failed.reason, "PCP gateway refused: 2 (NOT_AUTHORIZED)");

  PortMappingClient pmp(config(false));
  pmp.start(t0);
  pmp.on_datagram(natpmp_address_response(3, {}), t0);
  const auto pmp_events = pmp.take_events();
  const auto& pmp_failed = std::get<PortMappingFailed>(pmp_events.at(0));
  EXPECT_EQ(pmp_failed.reason, "NAT-PMP gateway refused: 3 (network failure)");
}

TEST(PortMappingClient, ZeroLifetimeGrantIsAFailure) {
  PortMappingClient client(config(true));
  client.start(t0);
  client.on_datagram(pcp_map_response(0, 0, 5001), t0);
  EXPECT_EQ(client.state(), PortMappingClient::State::failed);
}

TEST(PortMappingClient, RenewalSilenceIsAFailure) {
  PortMappingClient client(config(true));
  client.start(t0);
  client.take_datagrams();
  client.on_datagram(pcp_map_response(0, 600, 5001), t0);
  client.take_events();
  NatTime now = t0;
  now = *client.deadline();
  client.on_timer(now);
  EXPECT_EQ(exhaust(client, now), static_cast<size_t>(kPcpMaxAttempts));
  const auto events = client.take_events();
  const auto& failed = std::get<PortMappingFailed>(events.at(0));
  EXPECT_EQ(failed.reason, "PCP gateway stopped answering renewals after 4 tries");
}

TEST(PortMappingClient, StopWithoutMappingStopsAtOnce) {
  PortMappingClient client(config(false));
  client.start(t0);
  client.take_datagrams();
  client.stop(t0);  // only the address was asked for: nothing to delete
  EXPECT_EQ(client.state(), PortMappingClient::State::stopped);
  EXPECT_TRUE(client.take_datagrams().empty());
  EXPECT_FALSE(client.deadline());
}

TEST(PortMappingClient, UnconfirmedDeletionEndsAfterTheSchedule) {
  PortMappingClient client(config(true));
  client.start(t0);
  client.stop(t0);  // the MAP may have reached the gateway: delete anyway
  EXPECT_EQ(client.state(), PortMappingClient::State::deleting);
  NatTime now = t0;
  exhaust(client, now);
  EXPECT_EQ(client.state(), PortMappingClient::State::stopped);
  auto events = client.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(std::get<PortMappingRemoved>(events[0]).confirmed);
}

}  // namespace
}  // namespace cairn::net
