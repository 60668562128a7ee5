#include "net/mdns.h"

#include <gtest/gtest.h>

#include "support/keys.h"

namespace cairn::net {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

PeerId peer(size_t index) { return PeerId::from_public_key(test::test_key(index).public_key()); }
Multiaddr addr(std::string_view text) { return Multiaddr::parse(text).value(); }
DnsName name(std::string_view text) { return dns_name_from_text(text).value(); }

Bytes bytes_of(std::string_view text) {
  const ByteSpan span = as_bytes(text);
  return Bytes(span.begin(), span.end());
}

std::string dnsaddr(std::string_view address, const PeerId& id) {
  std::string out(kMdnsDnsaddrPrefix);
  out += address;
  out += "/p2p/";
  out += id.to_base58();
  return out;
}

MdnsCore make_core(size_t index, std::string peer_name, std::vector<Multiaddr> addrs,
                   MdnsOptions options = {}) {
  return MdnsCore::create(
             peer(index), std::move(peer_name), [addrs] { return addrs; }, std::move(options))
      .value();
}

Bytes encode(const DnsMessage& message) { return encode_dns_message(message).value(); }

DnsMessage query_for(std::string_view question_name, DnsType type) {
  DnsMessage query;
  query.questions.push_back({name(question_name), static_cast<uint16_t>(type), kDnsClassIn, false});
  return query;
}

// A response the way js-libp2p's @libp2p/mdns builds it: the PTR and one TXT per address,
// all in the answer section.
DnsMessage js_response(std::string_view peer_name, const std::vector<std::string>& texts) {
  std::string instance(peer_name);
  instance += "._p2p._udp.local";
  DnsMessage response;
  response.flags = kDnsFlagResponse | kDnsFlagAuthoritative;
  response.answers.push_back({name("_p2p._udp.local"), kDnsClassIn, false, 120, name(instance)});
  for (const auto& text : texts) {
    response.answers.push_back({name(instance), kDnsClassIn, false, 120, DnsTxt{bytes_of(text)}});
  }
  return response;
}

TEST(Mdns, TwoCoresDiscoverEachOther) {
  MdnsCore a = make_core(0, "aaaa", {addr("/ip4/192.168.1.10/tcp/4001")});
  MdnsCore b = make_core(1, "bbbb", {addr("/ip4/192.168.1.11/tcp/4002"), addr("/ip6/fe80::1/tcp/4002")});
  // A's query reaches both (multicast loop included); both answer it.
  const MdnsOutput started = a.start(0);
  ASSERT_EQ(started.datagrams.size(), 1u);
  const MdnsOutput a_answer = a.on_datagram(started.datagrams[0], 1);
  const MdnsOutput b_answer = b.on_datagram(started.datagrams[0], 1);
  ASSERT_EQ(a_answer.datagrams.size(), 1u);
  ASSERT_EQ(b_answer.datagrams.size(), 1u);
  // Each sees both answers; each finds only the other.
  MdnsOutput a_found = a.on_datagram(b_answer.datagrams[0], 2);
  EXPECT_TRUE(a.on_datagram(a_answer.datagrams[0], 2).discoveries.empty());
  MdnsOutput b_found = b.on_datagram(a_answer.datagrams[0], 2);
  EXPECT_TRUE(b.on_datagram(b_answer.datagrams[0], 2).discoveries.empty());
  ASSERT_EQ(a_found.discoveries.size(), 1u);
  EXPECT_EQ(a_found.discoveries[0].peer, peer(1));
  EXPECT_EQ(a_found.discoveries[0].addrs,
            (std::vector<Multiaddr>{addr("/ip4/192.168.1.11/tcp/4002").with_peer_id(peer(1)).value(),
                                    addr("/ip6/fe80::1/tcp/4002").with_peer_id(peer(1)).value()}));
  ASSERT_EQ(b_found.discoveries.size(), 1u);
  EXPECT_EQ(b_found.discoveries[0].peer, peer(0));
  EXPECT_TRUE(a_found.datagrams.empty());
}

TEST(Mdns, QueryAndAnswerHaveTheSpecifiedShape) {
  MdnsCore core = make_core(0, "peername",
                            {addr("/ip4/10.0.0.1/tcp/1"), addr("/ip4/0.0.0.0/tcp/2"),
                             addr("/ip4/10.0.0.1/tcp/3").with_peer_id(peer(1)).value(),
                             addr("/ip4/10.0.0.1/tcp/4").with_peer_id(peer(0)).value()});
  const DnsMessage query = decode_dns_message(core.query_datagram()).value();
  EXPECT_EQ(query.flags, 0);
  EXPECT_EQ(query.id, 0);
  EXPECT_EQ(query.questions, (std::vector<DnsQuestion>{{name("_p2p._udp.local"), 12, kDnsClassIn, false}}));

  const DnsMessage answer = decode_dns_message(core.answer_datagram().value()).value();
  EXPECT_EQ(answer.flags, kDnsFlagResponse | kDnsFlagAuthoritative);
  EXPECT_TRUE(answer.questions.empty());
  ASSERT_EQ(answer.answers.size(), 1u);
  EXPECT_EQ(answer.answers[0].name, name("_p2p._udp.local"));
  EXPECT_EQ(std::get<DnsName>(answer.answers[0].data), name("peername._p2p._udp.local"));
  EXPECT_EQ(answer.answers[0].ttl, kMdnsRecordTtlSeconds);
  EXPECT_FALSE(answer.answers[0].cache_flush);
  // The unspecified address and the one naming another peer are left out.
  ASSERT_EQ(answer.additionals.size(), 2u);
  const std::vector<std::string> expected{dnsaddr("/ip4/10.0.0.1/tcp/1", peer(0)),
                                          dnsaddr("/ip4/10.0.0.1/tcp/4", peer(0))};
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(answer.additionals[i].name, name("peername._p2p._udp.local"));
    EXPECT_TRUE(answer.additionals[i].cache_flush);
    EXPECT_EQ(std::get<DnsTxt>(answer.additionals[i].data), DnsTxt{bytes_of(expected[i])});
  }
  EXPECT_FALSE(make_core(0, "x", {}).answer_datagram().has_value());
}

TEST(Mdns, AnswerStaysWithinItsSizeLimit) {
  // Addresses of 229-byte strings: each TXT record takes 290 bytes; four fit in 1452.
  const std::string host = std::string(50, 'h') + "." + std::string(49, 'h') + "." + std::string(49, 'h');
  std::vector<Multiaddr> addrs;
  for (int port = 1; port <= 10; ++port)
    addrs.push_back(addr("/dns/" + host + "/tcp/" + std::to_string(1000 + port)));
  // One whose string exceeds 255 bytes comes first and is skipped.
  addrs.insert(addrs.begin(), addr("/dns/" + host + "." + std::string(49, 'l') + "/tcp/1"));
  MdnsCore core = make_core(0, std::string(kMdnsPeerNameLength, 'p'), addrs);
  const Bytes datagram = core.answer_datagram().value();
  const DnsMessage answer = decode_dns_message(datagram).value();
  ASSERT_EQ(answer.additionals.size(), 4u);
  EXPECT_LE(datagram.size(), kMaxMdnsAnswerSize);
  const size_t record_size = (datagram.size() - 12 - (17 + 10 + 50)) / 4;
  EXPECT_EQ(record_size, 290u);
  EXPECT_GT(datagram.size() + record_size, kMaxMdnsAnswerSize);
  EXPECT_EQ(std::get<DnsTxt>(answer.additionals[0].data)[0],
            bytes_of(dnsaddr("/dns/" + host + "/tcp/1001", peer(0))));
}

TEST(Mdns, AnnouncesAsManyShortAddressesAsFit) {
  std::vector<Multiaddr> addrs;
  for (int i = 0; i < 20; ++i) addrs.push_back(addr("/ip4/10.0.0.1/tcp/" + std::to_string(10 + i)));
  const Bytes datagram = make_core(0, "p", addrs).answer_datagram().value();
  const DnsMessage answer = decode_dns_message(datagram).value();
  // Header and PTR record take 12 + 17 + 10 + 19 bytes; each TXT record 19 + 10 + 1 + 85.
  EXPECT_EQ(answer.additionals.size(), (kMaxMdnsAnswerSize - 58) / 115);
  EXPECT_EQ(datagram.size(), 58 + 115 * answer.additionals.size());
}

TEST(Mdns, AnswersTheQuestionsItShould) {
  MdnsCore core = make_core(0, "me", {addr("/ip4/10.0.0.1/tcp/1")});
  int64_t now = 0;
  auto answered = [&](const DnsMessage& query) {
    now += 2 * kSecond;  // past the rate limit each time
    return core.on_datagram(encode(query), now).datagrams.size() == 1;
  };
  EXPECT_TRUE(answered(query_for("_p2p._udp.local", DnsType::ptr)));
  EXPECT_TRUE(answered(query_for("_P2P._UDP.LOCAL", DnsType::any)));
  EXPECT_TRUE(answered(query_for("me._p2p._udp.local", DnsType::txt)));
  EXPECT_FALSE(answered(query_for("other._p2p._udp.local", DnsType::txt)));
  EXPECT_FALSE(answered(query_for("_p2p._udp.local", DnsType::a)));
  EXPECT_FALSE(answered(query_for("_other._udp.local", DnsType::ptr)));
  DnsMessage qu = query_for("_p2p._udp.local", DnsType::ptr);
  qu.questions[0].unicast_response = true;  // answered by multicast all the same
  EXPECT_TRUE(answered(qu));
  DnsMessage chaos = query_for("_p2p._udp.local", DnsType::ptr);
  chaos.questions[0].qclass = 3;
  EXPECT_FALSE(answered(chaos));
  DnsMessage opcode = query_for("_p2p._udp.local", DnsType::ptr);
  opcode.flags = 0x0800;  // opcode 1
  EXPECT_FALSE(answered(opcode));
  // Known-answer suppression: the asker holds our PTR with at least half its TTL.
  DnsMessage known = query_for("_p2p._udp.local", DnsType::ptr);
  known.answers.push_back(
      {name("_p2p._udp.local"), kDnsClassIn, false, kMdnsRecordTtlSeconds / 2, name("me._p2p._udp.local")});
  EXPECT_FALSE(answered(known));
  known.answers[0].ttl = kMdnsRecordTtlSeconds / 2 - 1;
  EXPECT_TRUE(answered(known));
}

TEST(Mdns, RateLimitsAnswersAndDefersTheLateOne) {
  MdnsCore core = make_core(0, "me", {addr("/ip4/10.0.0.1/tcp/1")});
  (void)core.start(0);
  const Bytes query = core.query_datagram();
  EXPECT_EQ(core.on_datagram(query, 5 * kSecond).datagrams.size(), 1u);
  // Inside the interval: deferred to 6 s, and a third query adds nothing.
  EXPECT_TRUE(core.on_datagram(query, 5 * kSecond + 1).datagrams.empty());
  EXPECT_TRUE(core.on_datagram(query, 5 * kSecond + 2).datagrams.empty());
  EXPECT_EQ(core.next_deadline(), 5 * kSecond + kMdnsMinAnswerIntervalNs);
  EXPECT_TRUE(core.on_timer(5 * kSecond + kMdnsMinAnswerIntervalNs - 1).datagrams.empty());
  EXPECT_EQ(core.on_timer(5 * kSecond + kMdnsMinAnswerIntervalNs).datagrams.size(), 1u);
  EXPECT_EQ(core.next_deadline(), kDefaultMdnsQueryIntervalNs);
  // Exactly the interval after the last answer: answered at once.
  EXPECT_EQ(core.on_datagram(query, 5 * kSecond + 2 * kMdnsMinAnswerIntervalNs).datagrams.size(), 1u);
}

TEST(Mdns, QueriesEveryInterval) {
  MdnsOptions options;
  options.query_interval_ns = 3 * kSecond;
  MdnsCore core = make_core(0, "me", {}, options);
  EXPECT_EQ(core.start(100).datagrams, std::vector<Bytes>{core.query_datagram()});
  EXPECT_EQ(core.next_deadline(), 100 + 3 * kSecond);
  EXPECT_TRUE(core.on_timer(99 + 3 * kSecond).datagrams.empty());
  EXPECT_EQ(core.on_timer(100 + 3 * kSecond).datagrams.size(), 1u);
  EXPECT_EQ(core.next_deadline(), 100 + 6 * kSecond);
  // Without addresses the core still asks but never answers.
  EXPECT_TRUE(core.on_datagram(core.query_datagram(), 200 * kSecond).datagrams.empty());
}

TEST(Mdns, ReadsJsResponses) {
  MdnsCore core = make_core(0, "me", {});
  const PeerId js = peer(1);
  const DnsMessage response =
      js_response("jspeer", {dnsaddr("/ip4/127.0.0.1/tcp/4001", js), dnsaddr("/ip6/::1/tcp/4001", js),
                             "other=1", "dnsaddr=/ip4/127.0.0.1/tcp/5", "dnsaddr=not a multiaddr",
                             dnsaddr("/ip4/127.0.0.1/tcp/6", peer(2))});
  const MdnsOutput out = core.on_datagram(encode(response), 0);
  ASSERT_EQ(out.discoveries.size(), 1u);
  EXPECT_EQ(out.discoveries[0].peer, js);
  EXPECT_EQ(out.discoveries[0].addrs,
            (std::vector<Multiaddr>{addr("/ip4/127.0.0.1/tcp/4001").with_peer_id(js).value(),
                                    addr("/ip6/::1/tcp/4001").with_peer_id(js).value()}));
}

TEST(Mdns, ReadsCompressedResponsesWithOtherRecords) {
  // As go-libp2p's zeroconf answers: one TXT with several strings in the additional
  // section, SRV and A records beside it, names compressed.
  const PeerId go = peer(3);
  const std::string first = dnsaddr("/ip4/192.168.0.2/tcp/4001", go);
  const std::string second = dnsaddr("/ip4/192.168.0.3/tcp/4001", go);
  Bytes packet = from_hex("000084000000000100000003").value();
  const size_t service_at = packet.size();
  for (const std::string_view label : {"_p2p", "_udp", "local"}) {
    packet.push_back(static_cast<uint8_t>(label.size()));
    packet.insert(packet.end(), label.begin(), label.end());
  }
  packet.push_back(0);
  packet.insert(packet.end(), {0, 12, 0, 1, 0, 0, 0, 120, 0, 5});
  const size_t instance_at = packet.size();
  packet.insert(packet.end(), {2, 'g', 'o', 0xc0, static_cast<uint8_t>(service_at)});
  // SRV (type 33), skipped.
  packet.insert(packet.end(),
                {0xc0, static_cast<uint8_t>(instance_at), 0, 33, 0x80, 1, 0, 0, 0, 120, 0, 3, 9, 9, 9});
  // TXT: both strings.
  packet.insert(packet.end(), {0xc0, static_cast<uint8_t>(instance_at), 0, 16, 0x80, 1, 0, 0, 0, 120, 0,
                               static_cast<uint8_t>(2 + first.size() + second.size())});
  packet.push_back(static_cast<uint8_t>(first.size()));
  packet.insert(packet.end(), first.begin(), first.end());
  packet.push_back(static_cast<uint8_t>(second.size()));
  packet.insert(packet.end(), second.begin(), second.end());
  // A.
  packet.insert(packet.end(),
                {0xc0, static_cast<uint8_t>(instance_at), 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 192, 168, 0, 2});
  MdnsCore core = make_core(0, "me", {});
  const MdnsOutput out = core.on_datagram(packet, 0);
  ASSERT_EQ(out.discoveries.size(), 1u);
  EXPECT_EQ(out.discoveries[0].peer, go);
  EXPECT_EQ(out.discoveries[0].addrs.size(), 2u);
}

TEST(Mdns, IgnoresItselfGoodbyesAndErrors) {
  MdnsCore core = make_core(0, "me", {});
  // Our peer name (in any case) or our own id under another name.
  EXPECT_TRUE(core.on_datagram(encode(js_response("ME", {dnsaddr("/ip4/10.0.0.9/tcp/1", peer(5))})), 0)
                  .discoveries.empty());
  EXPECT_TRUE(core.on_datagram(encode(js_response("x", {dnsaddr("/ip4/10.0.0.9/tcp/1", peer(0))})), 0)
                  .discoveries.empty());
  // A goodbye (TTL 0), a non-zero rcode, no address at all, a PTR for another service.
  DnsMessage goodbye = js_response("x", {dnsaddr("/ip4/10.0.0.9/tcp/1", peer(5))});
  goodbye.answers[0].ttl = 0;
  EXPECT_TRUE(core.on_datagram(encode(goodbye), 0).discoveries.empty());
  DnsMessage refused = js_response("x", {dnsaddr("/ip4/10.0.0.9/tcp/1", peer(5))});
  refused.flags |= 5;
  EXPECT_TRUE(core.on_datagram(encode(refused), 0).discoveries.empty());
  EXPECT_TRUE(
      core.on_datagram(encode(js_response("x", {"dnsaddr=/ip4/10.0.0.9/tcp/1"})), 0).discoveries.empty());
  DnsMessage other = js_response("x", {dnsaddr("/ip4/10.0.0.9/tcp/1", peer(5))});
  other.answers[0].name = name("_other._udp.local");
  EXPECT_TRUE(core.on_datagram(encode(other), 0).discoveries.empty());
  // TXT owned by another name than the PTR's target.
  DnsMessage mismatched = js_response("x", {dnsaddr("/ip4/10.0.0.9/tcp/1", peer(5))});
  mismatched.answers[1].name = name("y._p2p._udp.local");
  EXPECT_TRUE(core.on_datagram(encode(mismatched), 0).discoveries.empty());
  EXPECT_EQ(core.remembered_peers(), 0u);
}

TEST(Mdns, KeepsAtMostTheAddressLimitPerPeer) {
  std::vector<std::string> texts;
  for (size_t i = 0; i <= kMaxMdnsAddressesPerPeer; ++i) {
    texts.push_back(dnsaddr("/ip4/10.0.0.1/tcp/" + std::to_string(i + 1), peer(1)));
  }
  MdnsCore core = make_core(0, "me", {});
  const MdnsOutput out = core.on_datagram(encode(js_response("x", texts)), 0);
  ASSERT_EQ(out.discoveries.size(), 1u);
  EXPECT_EQ(out.discoveries[0].addrs.size(), kMaxMdnsAddressesPerPeer);
}

TEST(Mdns, ReportsAgainOnlyOnChangeOrAfterTheTtl) {
  MdnsCore core = make_core(0, "me", {});
  const Bytes one = encode(js_response("x", {dnsaddr("/ip4/10.0.0.1/tcp/1", peer(1))}));
  const Bytes two = encode(js_response("x", {dnsaddr("/ip4/10.0.0.2/tcp/1", peer(1))}));
  EXPECT_EQ(core.on_datagram(one, 0).discoveries.size(), 1u);
  EXPECT_TRUE(core.on_datagram(one, kSecond).discoveries.empty());
  EXPECT_EQ(core.on_datagram(two, 2 * kSecond).discoveries.size(), 1u);
  const int64_t ttl = int64_t{kMdnsRecordTtlSeconds} * kSecond;
  EXPECT_TRUE(core.on_datagram(two, 2 * kSecond + ttl - 1).discoveries.empty());
  EXPECT_EQ(core.on_datagram(two, 2 * kSecond + ttl).discoveries.size(), 1u);
}

TEST(Mdns, RemembersAtMostTheConfiguredPeers) {
  MdnsOptions options;
  options.max_remembered_peers = 2;
  MdnsCore core = make_core(0, "me", {}, options);
  auto from = [](size_t index) {
    return encode(js_response("p" + std::to_string(index), {dnsaddr("/ip4/10.0.0.1/tcp/1", peer(index))}));
  };
  EXPECT_EQ(core.on_datagram(from(1), 1).discoveries.size(), 1u);
  EXPECT_EQ(core.on_datagram(from(2), 2).discoveries.size(), 1u);
  EXPECT_EQ(core.remembered_peers(), 2u);
  EXPECT_TRUE(core.on_datagram(from(1), 3).discoveries.empty());   // peer 1 now seen last
  EXPECT_EQ(core.on_datagram(from(3), 4).discoveries.size(), 1u);  // forgets peer 2
  EXPECT_EQ(core.remembered_peers(), 2u);
  EXPECT_TRUE(core.on_datagram(from(1), 5).discoveries.empty());
  EXPECT_EQ(core.on_datagram(from(2), 6).discoveries.size(), 1u);  // new again
}

TEST(Mdns, SurvivesGarbage) {
  MdnsCore core = make_core(0, "me", {addr("/ip4/10.0.0.1/tcp/1")});
  DeterministicRng rng(7);
  for (int i = 0; i < 2000; ++i) {
    Bytes noise(rng.uniform(64), 0);
    rng.fill(noise);
    const MdnsOutput out = core.on_datagram(noise, i * 2 * kSecond);
    EXPECT_TRUE(out.discoveries.empty());
  }
  // A compression loop in the PTR target; an oversized datagram.
  Bytes loop = encode(js_response("x", {dnsaddr("/ip4/10.0.0.1/tcp/1", peer(1))}));
  loop[kDnsHeaderSize + 17 + 10] = 0xc0;
  loop[kDnsHeaderSize + 17 + 11] = static_cast<uint8_t>(kDnsHeaderSize + 17 + 10);
  EXPECT_TRUE(core.on_datagram(loop, 0).discoveries.empty());
  Bytes big = encode(js_response("x", {dnsaddr("/ip4/10.0.0.1/tcp/1", peer(1))}));
  big.resize(kMaxDnsMessageSize + 1, 0);
  EXPECT_TRUE(core.on_datagram(big, 0).discoveries.empty());
}

TEST(Mdns, ValidatesItsConfiguration) {
  auto none = [] { return std::vector<Multiaddr>{}; };
  EXPECT_TRUE(MdnsCore::create(peer(0), std::string(kMaxDnsLabelBytes, 'a'), none).ok());
  EXPECT_FALSE(MdnsCore::create(peer(0), std::string(kMaxDnsLabelBytes + 1, 'a'), none).ok());
  EXPECT_FALSE(MdnsCore::create(peer(0), "a.b", none).ok());
  EXPECT_FALSE(MdnsCore::create(peer(0), "", none).ok());
  MdnsOptions pnet;
  pnet.service_name = "_p2p-0123456789abcdef._udp.local";
  const MdnsCore core = MdnsCore::create(peer(0), "a", none, pnet).value();
  EXPECT_EQ(core.service_name(), name("_p2p-0123456789abcdef._udp.local"));
  MdnsOptions bad;
  bad.query_interval_ns = 0;
  EXPECT_FALSE(MdnsCore::create(peer(0), "a", none, bad).ok());
}

TEST(Mdns, RandomPeerNamesAreLowerCaseAlphanumeric) {
  DeterministicRng rng(1);
  const std::string first = random_mdns_peer_name(rng);
  EXPECT_EQ(first.size(), kMdnsPeerNameLength);
  EXPECT_EQ(first.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789"), std::string::npos);
  EXPECT_NE(random_mdns_peer_name(rng), first);
}

}  // namespace
}  // namespace cairn::net
