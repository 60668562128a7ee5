#include "net/identify.h"

#include <gtest/gtest.h>

#include "identify.pb.h"
#include "net/multiformats.h"
#include "net/peer_record.h"

namespace cairn::net {
namespace {

IdentifyInfo sample(const KeyPair& key) {
  return IdentifyInfo{"ipfs/0.1.0",
                      "cairn/0.1.0",
                      key.public_key(),
                      {Multiaddr::parse("/ip4/127.0.0.1/tcp/4001").value()},
                      Multiaddr::parse("/ip4/10.0.0.2/tcp/55555").value(),
                      {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"},
                      seal_peer_record(key, 1, {Multiaddr::parse("/ip4/127.0.0.1/tcp/4001").value()})};
}

// Strips the uvarint length prefix, checking that it is the body's length.
ByteSpan body(const Bytes& framed) {
  const auto prefix = read_uvarint_prefix(framed).value().value();
  EXPECT_EQ(prefix.value, framed.size() - prefix.size);
  return ByteSpan(framed).subspan(prefix.size);
}

TEST(Identify, RoundTripsEveryField) {
  const KeyPair key = KeyPair::generate();
  const IdentifyInfo info = sample(key);
  const Bytes framed = encode_identify(info);
  auto decoded = decode_identify(body(framed), PeerId::from_public_key(key.public_key()));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->agent_version, info.agent_version);
  EXPECT_EQ(decoded->protocol_version, info.protocol_version);
  EXPECT_EQ(decoded->public_key, info.public_key);
  EXPECT_EQ(decoded->listen_addrs, info.listen_addrs);
  EXPECT_EQ(decoded->observed_addr, info.observed_addr);
  EXPECT_EQ(decoded->protocols, info.protocols);
  EXPECT_EQ(decoded->signed_peer_record, info.signed_peer_record);
}

TEST(Identify, KeepsOnlyASignedPeerRecordOfTheSender) {
  const KeyPair key = KeyPair::generate();
  const PeerId peer = PeerId::from_public_key(key.public_key());
  IdentifyInfo info = sample(key);
  info.signed_peer_record = seal_peer_record(KeyPair::generate(), 1, {});  // someone else's
  auto decoded = decode_identify(body(encode_identify(info)), peer);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_FALSE(decoded->signed_peer_record);
  info.signed_peer_record = Bytes{1, 2, 3};  // garbage is ignored, not fatal
  decoded = decode_identify(body(encode_identify(info)), peer);
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->signed_peer_record);
  // A push replaces the record.
  const Bytes newer = seal_peer_record(key, 2, {});
  info.signed_peer_record = newer;
  auto pushed = apply_identify_push(body(encode_identify(info)), peer, sample(key));
  ASSERT_TRUE(pushed.ok());
  EXPECT_EQ(pushed->signed_peer_record, newer);
}

TEST(Identify, RefusesAKeyThatIsNotThePeers) {
  const KeyPair key = KeyPair::generate();
  const PeerId other = PeerId::from_public_key(KeyPair::generate().public_key());
  auto decoded = decode_identify(body(encode_identify(sample(key))), other);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::verify);
}

TEST(Identify, RequiresThePublicKey) {
  pb::Identify message;
  message.set_agentversion("x");
  const std::string bytes = message.SerializeAsString();
  auto decoded = decode_identify(as_bytes(bytes), PeerId::from_public_key(KeyPair::generate().public_key()));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::decode);
}

TEST(Identify, SkipsAddressesItCannotParse) {
  const KeyPair key = KeyPair::generate();
  pb::Identify message;
  const Bytes public_key = encode_public_key(key.public_key());
  message.set_publickey(public_key.data(), public_key.size());
  message.add_listenaddrs(
      std::string("\\x04\\x7f\\x00\\x00\\x01\\x06\\x0f\\xa1\\xdd\\x03", 10));  // .../tcp/4001/ws
  const Bytes good = Multiaddr::parse("/ip4/127.0.0.1/tcp/4001").value().to_bytes();
  message.add_listenaddrs(good.data(), good.size());
  const std::string bytes = message.SerializeAsString();
  auto decoded = decode_identify(as_bytes(bytes), PeerId::from_public_key(key.public_key()));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->listen_addrs.size(), 1u);
}

TEST(Identify, RefusesMessagesOverTheLimit) {
  const KeyPair key = KeyPair::generate();
  const Bytes oversized(kMaxIdentifyMessageSize + 1, 0);
  auto decoded = decode_identify(oversized, PeerId::from_public_key(key.public_key()));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::limit);
}

TEST(Identify, PushReplacesOnlyTheFieldsItCarries) {
  const KeyPair key = KeyPair::generate();
  const PeerId peer = PeerId::from_public_key(key.public_key());
  pb::Identify push;
  push.add_protocols("/new/1.0.0");
  const std::string bytes = push.SerializeAsString();
  auto updated = apply_identify_push(as_bytes(bytes), peer, sample(key));
  ASSERT_TRUE(updated.ok()) << updated.error().to_string();
  EXPECT_EQ(updated->protocols, std::vector<std::string>{"/new/1.0.0"});
  EXPECT_EQ(updated->agent_version, "cairn/0.1.0");
  EXPECT_EQ(updated->public_key, key.public_key());
}

Multiaddr addr(const std::string& text) { return Multiaddr::parse(text).value(); }

TEST(ObservedAddressTable, ConfirmsAtTheThresholdOfDistinctObservers) {
  ObservedAddressTable table(3);
  const Multiaddr ours = addr("/ip4/203.0.113.9/tcp/4001");
  EXPECT_FALSE(table.record(ours, "a"));
  EXPECT_FALSE(table.record(ours, "a"));  // the same observer counts once
  EXPECT_FALSE(table.record(ours, "b"));
  EXPECT_TRUE(table.confirmed().empty());
  EXPECT_EQ(table.addresses(), (std::vector<ObservedAddress>{{ours, 2, false}}));
  EXPECT_TRUE(table.record(ours, "c"));   // the third distinct observer confirms it
  EXPECT_FALSE(table.record(ours, "d"));  // already confirmed
  EXPECT_EQ(table.confirmed(), std::vector<Multiaddr>{ours});
}

TEST(ObservedAddressTable, KeepsOnlyTcpAddresses) {
  ObservedAddressTable table(1);
  EXPECT_FALSE(table.record(addr("/ip4/203.0.113.9/udp/4001"), "a"));
  EXPECT_FALSE(table.record(addr("/dns4/example.com/tcp/4001"), "a"));
  const PeerId peer = PeerId::from_public_key(KeyPair::generate().public_key());
  EXPECT_FALSE(table.record(addr("/ip4/203.0.113.9/tcp/4001").with_peer_id(peer).value(), "a"));
  EXPECT_TRUE(table.addresses().empty());
}

TEST(ObservedAddressTable, IsBoundedAndEvictsTheLeastObserved) {
  ObservedAddressTable table(2);
  const Multiaddr confirmed = addr("/ip4/203.0.113.9/tcp/4001");
  table.record(confirmed, "a");
  table.record(confirmed, "b");
  for (size_t i = 0; i < kMaxObservedAddresses + 5; ++i) {
    table.record(addr("/ip4/198.51.100.1/tcp/" + std::to_string(1000 + i)), "flood");
  }
  EXPECT_EQ(table.addresses().size(), kMaxObservedAddresses);
  EXPECT_EQ(table.confirmed(), std::vector<Multiaddr>{confirmed});
  EXPECT_EQ(table.addresses().front().address, confirmed);
}

TEST(ObservedAddressTable, ClampsTheThresholdToWhatItCanCount) {
  EXPECT_EQ(ObservedAddressTable(0).threshold(), 1u);
  EXPECT_EQ(ObservedAddressTable(kMaxObserversPerAddress + 1).threshold(), kMaxObserversPerAddress);
}

TEST(ObserverKey, GroupsPublicObserversByNetworkAndLocalOnesByPeer) {
  const PeerId p = PeerId::from_public_key(KeyPair::generate().public_key());
  const PeerId q = PeerId::from_public_key(KeyPair::generate().public_key());
  using boost::asio::ip::make_address;
  EXPECT_EQ(observer_key(make_address("203.0.113.9"), p), observer_key(make_address("203.0.200.1"), q));
  EXPECT_NE(observer_key(make_address("203.0.113.9"), p), observer_key(make_address("203.1.113.9"), p));
  EXPECT_EQ(observer_key(make_address("2001:db8:1::1"), p),
            observer_key(make_address("2001:db8:1:ffff::2"), q));
  EXPECT_NE(observer_key(make_address("127.0.0.1"), p), observer_key(make_address("127.0.0.1"), q));
  EXPECT_NE(observer_key(make_address("192.168.1.2"), p), observer_key(make_address("192.168.1.3"), q));
}

}  // namespace
}  // namespace cairn::net
