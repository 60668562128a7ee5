#include "net/dns_message.h"

#include <gtest/gtest.h>

namespace cairn::net {
namespace {

DnsName name(std::string_view text) { return dns_name_from_text(text).value(); }

Bytes txt_string(std::string_view text) {
  const ByteSpan bytes = as_bytes(text);
  return Bytes(bytes.begin(), bytes.end());
}

// Appends big-endian 16 bits (tests build packets by hand).
void put16(Bytes& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value));
}

Bytes header(uint16_t flags, uint16_t questions, uint16_t answers, uint16_t authorities = 0,
             uint16_t additionals = 0) {
  Bytes out;
  put16(out, 0);
  put16(out, flags);
  put16(out, questions);
  put16(out, answers);
  put16(out, authorities);
  put16(out, additionals);
  return out;
}

void put_labels(Bytes& out, const std::vector<std::string>& labels) {
  for (const auto& label : labels) {
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
  }
}

// Type, class, TTL 120 and rdlength of a record.
void put_record_fields(Bytes& out, DnsType type, uint16_t rclass, uint16_t rdlength) {
  put16(out, static_cast<uint16_t>(type));
  put16(out, rclass);
  put16(out, 0);
  put16(out, 120);
  put16(out, rdlength);
}

// What dns-packet 5.6.1 (multicast-dns, js-libp2p's @libp2p/mdns) sends: the query for
// _p2p._udp.local PTR, and an answer with the PTR and one TXT both in the answer section.
const char* kJsQueryHex = "000000000001000000000000045f703270045f756470056c6f63616c00000c0001";
const char* kJsResponseHex =
    "000084000000000200000000045f703270045f756470056c6f63616c00000c000100000078001503616263045f70"
    "3270045f756470056c6f63616c0003616263045f703270045f756470056c6f63616c00001000010000007800"
    "5958646e73616464723d2f6970342f3132372e302e302e312f7463702f343030312f7032702f313244334b6f6f57"
    "443365636b69665770526e397751704d4739523968583373443135387a37457148576d776551414a55355341";
const char* kJsDnsaddr =
    "dnsaddr=/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";

TEST(DnsMessage, DecodesAndReencodesJsQuery) {
  const Bytes bytes = from_hex(kJsQueryHex).value();
  const DnsMessage query = decode_dns_message(bytes).value();
  EXPECT_FALSE(query.is_response());
  ASSERT_EQ(query.questions.size(), 1u);
  EXPECT_EQ(query.questions[0].name, name("_p2p._udp.local"));
  EXPECT_EQ(query.questions[0].type, static_cast<uint16_t>(DnsType::ptr));
  EXPECT_EQ(query.questions[0].qclass, kDnsClassIn);
  EXPECT_FALSE(query.questions[0].unicast_response);
  EXPECT_EQ(encode_dns_message(query).value(), bytes);
}

TEST(DnsMessage, DecodesAndReencodesJsResponse) {
  const Bytes bytes = from_hex(kJsResponseHex).value();
  const DnsMessage response = decode_dns_message(bytes).value();
  EXPECT_TRUE(response.is_response());
  EXPECT_EQ(response.flags, kDnsFlagResponse | kDnsFlagAuthoritative);
  ASSERT_EQ(response.answers.size(), 2u);
  EXPECT_EQ(response.answers[0].type(), DnsType::ptr);
  EXPECT_EQ(response.answers[0].ttl, 120u);
  EXPECT_EQ(std::get<DnsName>(response.answers[0].data), name("abc._p2p._udp.local"));
  EXPECT_EQ(response.answers[1].type(), DnsType::txt);
  EXPECT_EQ(response.answers[1].name, name("abc._p2p._udp.local"));
  EXPECT_EQ(std::get<DnsTxt>(response.answers[1].data), DnsTxt{txt_string(kJsDnsaddr)});
  EXPECT_EQ(encode_dns_message(response).value(), bytes);
}

TEST(DnsMessage, RoundTripsEveryKeptTypeAndTheTopBits) {
  DnsMessage message;
  message.id = 0x1234;
  message.flags = kDnsFlagResponse;
  message.questions.push_back({name("x.local"), static_cast<uint16_t>(DnsType::any), kDnsClassAny, true});
  message.answers.push_back({name("a.local"), kDnsClassIn, true, 4500, DnsA{192, 0, 2, 1}});
  message.authorities.push_back({name("a.local"), kDnsClassIn, false, 1, DnsAaaa{0x20, 0x01, 0x0d, 0xb8}});
  message.additionals.push_back({name("b.local"), kDnsClassIn, false, 0, name("c.b.local")});
  message.additionals.push_back({name("b.local"), kDnsClassIn, true, 7, DnsTxt{{}, txt_string("k=v")}});
  const Bytes bytes = encode_dns_message(message).value();
  EXPECT_EQ(decode_dns_message(bytes).value(), message);
  // The QU bit of the question's class and the flush bit of the first answer's class.
  EXPECT_EQ(bytes[kDnsHeaderSize + 9 + 2], 0x80);
}

TEST(DnsMessage, FollowsCompressionPointers) {
  // Question _p2p._udp.local at offset 12; the answer's owner points to it; its PTR target
  // is "abc" followed by a pointer to the question name.
  Bytes packet = header(kDnsFlagResponse, 1, 1);
  put_labels(packet, {"_p2p", "_udp", "local"});
  packet.push_back(0);
  put16(packet, static_cast<uint16_t>(DnsType::ptr));
  put16(packet, kDnsClassIn);
  put16(packet, 0xc00c);
  put_record_fields(packet, DnsType::ptr, kDnsClassIn, 6);
  put_labels(packet, {"abc"});
  put16(packet, 0xc00c);
  const DnsMessage message = decode_dns_message(packet).value();
  ASSERT_EQ(message.answers.size(), 1u);
  EXPECT_EQ(message.answers[0].name, name("_p2p._udp.local"));
  EXPECT_EQ(std::get<DnsName>(message.answers[0].data), name("abc._p2p._udp.local"));
}

TEST(DnsMessage, LimitsPointerJumps) {
  // Build: question 1 is "a" (offset 12); questions 2..n are a pointer to the previous
  // question's name, so the last one's name takes n-1 jumps.
  auto build = [](size_t jumps) {
    Bytes packet = header(0, static_cast<uint16_t>(jumps + 1), 0);
    std::vector<size_t> offsets{kDnsHeaderSize};
    put_labels(packet, {"a"});
    packet.push_back(0);
    put16(packet, 1);
    put16(packet, 1);
    for (size_t i = 0; i < jumps; ++i) {
      offsets.push_back(packet.size());
      put16(packet, static_cast<uint16_t>(0xc000 | offsets[i]));
      put16(packet, 1);
      put16(packet, 1);
    }
    return packet;
  };
  // Each question's name is one jump to the previous question, whose name is again a
  // pointer: the last name takes `jumps` jumps.
  EXPECT_TRUE(decode_dns_message(build(kMaxDnsPointerJumps)).ok());
  const auto over = decode_dns_message(build(kMaxDnsPointerJumps + 1));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::limit);
}

TEST(DnsMessage, RefusesPointerLoopsAndForwardPointers) {
  // "a" then a pointer back to the "a": a loop that never reaches the root.
  Bytes loop = header(0, 1, 0);
  put_labels(loop, {"a"});
  put16(loop, 0xc00c);
  put16(loop, 1);
  put16(loop, 1);
  EXPECT_FALSE(decode_dns_message(loop).ok());
  // A pointer to itself.
  Bytes self = header(0, 1, 0);
  put16(self, 0xc00c);
  put16(self, 1);
  put16(self, 1);
  EXPECT_FALSE(decode_dns_message(self).ok());
  // A pointer forwards, past the end.
  Bytes forward = header(0, 1, 0);
  put16(forward, 0xc0ff);
  put16(forward, 1);
  put16(forward, 1);
  EXPECT_FALSE(decode_dns_message(forward).ok());
  // The reserved label types 01 and 10.
  for (const uint8_t reserved : {uint8_t{0x40}, uint8_t{0x80}}) {
    Bytes packet = header(0, 1, 0);
    packet.push_back(reserved);
    packet.push_back(0);
    put16(packet, 1);
    put16(packet, 1);
    EXPECT_FALSE(decode_dns_message(packet).ok());
  }
}

TEST(DnsMessage, LabelAndNameLimits) {
  const std::string label63(kMaxDnsLabelBytes, 'x');
  EXPECT_TRUE(dns_name_from_text(label63 + ".local").ok());
  EXPECT_FALSE(dns_name_from_text(label63 + "x.local").ok());
  EXPECT_FALSE(dns_name_from_text("a..local").ok());
  // 4 labels of 63 bytes take 4 * 64 + 1 = 257 bytes; three of 63 and one of 61, 255.
  const std::string label61(61, 'y');
  const DnsName longest = {label63, label63, label63, label61};
  DnsMessage message;
  message.questions.push_back({longest, 1, kDnsClassIn, false});
  const Bytes bytes = encode_dns_message(message).value();
  EXPECT_EQ(decode_dns_message(bytes).value(), message);
  message.questions[0].name.back() += "y";
  const auto too_long = encode_dns_message(message);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, ErrorCode::limit);
  // The same 256-byte name on the wire is refused by the decoder.
  Bytes packet = header(0, 1, 0);
  put_labels(packet, {label63, label63, label63, label61 + "y"});
  packet.push_back(0);
  put16(packet, 1);
  put16(packet, 1);
  const auto decoded = decode_dns_message(packet);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::limit);
}

TEST(DnsMessage, TxtStringLimit) {
  DnsMessage message;
  message.answers.push_back(
      {name("t.local"), kDnsClassIn, false, 1, DnsTxt{Bytes(kMaxDnsCharacterString, 'a')}});
  EXPECT_TRUE(encode_dns_message(message).ok());
  message.answers[0].data = DnsTxt{Bytes(kMaxDnsCharacterString + 1, 'a')};
  EXPECT_FALSE(encode_dns_message(message).ok());
  message.answers[0].data = DnsTxt{};
  EXPECT_FALSE(encode_dns_message(message).ok());
}

TEST(DnsMessage, MessageSizeLimit) {
  // One question, then a skipped record (type 99) whose rdata pads to exactly the limit.
  auto build = [](size_t size) {
    Bytes packet = header(0, 0, 1);
    put_labels(packet, {"p"});
    packet.push_back(0);
    const size_t rdlength = size - packet.size() - 10;
    put16(packet, 99);
    put16(packet, kDnsClassIn);
    put16(packet, 0);
    put16(packet, 0);
    put16(packet, static_cast<uint16_t>(rdlength));
    packet.resize(size, 0);
    return packet;
  };
  const auto at_limit = decode_dns_message(build(kMaxDnsMessageSize));
  ASSERT_TRUE(at_limit.ok());
  EXPECT_TRUE(at_limit->answers.empty());  // the unknown type was skipped
  const auto over = decode_dns_message(build(kMaxDnsMessageSize + 1));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::limit);
}

TEST(DnsMessage, CountLimits) {
  Bytes questions = header(0, static_cast<uint16_t>(kMaxDnsQuestions), 0);
  for (size_t i = 0; i < kMaxDnsQuestions; ++i) {
    questions.push_back(0);
    put16(questions, 1);
    put16(questions, 1);
  }
  EXPECT_TRUE(decode_dns_message(questions).ok());
  Bytes too_many = header(0, static_cast<uint16_t>(kMaxDnsQuestions + 1), 0);
  EXPECT_EQ(decode_dns_message(too_many).error().code, ErrorCode::limit);

  auto records = [](size_t count) {
    Bytes packet =
        header(0, 0, static_cast<uint16_t>(count / 2), 0, static_cast<uint16_t>(count - count / 2));
    for (size_t i = 0; i < count; ++i) {
      packet.push_back(0);
      put_record_fields(packet, DnsType::a, kDnsClassIn, 4);
      put16(packet, 0x7f00);
      put16(packet, 0x0001);
    }
    return packet;
  };
  const auto at_limit = decode_dns_message(records(kMaxDnsRecords));
  ASSERT_TRUE(at_limit.ok());
  EXPECT_EQ(at_limit->answers.size() + at_limit->additionals.size(), kMaxDnsRecords);
  EXPECT_EQ(decode_dns_message(records(kMaxDnsRecords + 1)).error().code, ErrorCode::limit);
}

TEST(DnsMessage, SkipsOtherTypesAndClasses) {
  Bytes packet = header(kDnsFlagResponse, 0, 3);
  packet.push_back(0);
  put16(packet, 33);  // SRV
  put16(packet, kDnsClassIn);
  put16(packet, 0);
  put16(packet, 120);
  put16(packet, 3);
  packet.insert(packet.end(), {1, 2, 3});
  packet.push_back(0);
  put_record_fields(packet, DnsType::a, 3, 4);  // class CH
  packet.insert(packet.end(), {1, 2, 3, 4});
  packet.push_back(0);
  put_record_fields(packet, DnsType::a, kDnsClassIn | kDnsClassTopBit, 4);
  packet.insert(packet.end(), {10, 0, 0, 1});
  const DnsMessage message = decode_dns_message(packet).value();
  ASSERT_EQ(message.answers.size(), 1u);
  EXPECT_EQ(std::get<DnsA>(message.answers[0].data), (DnsA{10, 0, 0, 1}));
  EXPECT_TRUE(message.answers[0].cache_flush);
}

TEST(DnsMessage, RefusesMalformedRecords) {
  auto record = [](DnsType type, Bytes rdata, size_t rdlength) {
    Bytes packet = header(kDnsFlagResponse, 0, 1);
    packet.push_back(0);
    put_record_fields(packet, type, kDnsClassIn, static_cast<uint16_t>(rdlength));
    packet.insert(packet.end(), rdata.begin(), rdata.end());
    return packet;
  };
  EXPECT_TRUE(decode_dns_message(record(DnsType::a, {1, 2, 3, 4}, 4)).ok());
  EXPECT_FALSE(decode_dns_message(record(DnsType::a, {1, 2, 3}, 3)).ok());
  EXPECT_FALSE(decode_dns_message(record(DnsType::aaaa, Bytes(4, 0), 4)).ok());
  EXPECT_FALSE(decode_dns_message(record(DnsType::a, {1, 2, 3, 4}, 5)).ok());      // truncated
  EXPECT_FALSE(decode_dns_message(record(DnsType::txt, {}, 0)).ok());              // no strings
  EXPECT_FALSE(decode_dns_message(record(DnsType::txt, {3, 'a', 'b'}, 3)).ok());   // overrun
  EXPECT_TRUE(decode_dns_message(record(DnsType::txt, {0}, 1)).ok());              // one empty string
  EXPECT_FALSE(decode_dns_message(record(DnsType::ptr, {1, 'a', 0, 0}, 4)).ok());  // name short of rdata
  EXPECT_FALSE(decode_dns_message(record(DnsType::ptr, {1, 'a', 0}, 2)).ok());     // name past rdata
  Bytes trailing = record(DnsType::a, {1, 2, 3, 4}, 4);
  trailing.push_back(0);
  EXPECT_FALSE(decode_dns_message(trailing).ok());
  EXPECT_FALSE(decode_dns_message(Bytes(kDnsHeaderSize - 1, 0)).ok());
  EXPECT_TRUE(decode_dns_message(Bytes(kDnsHeaderSize, 0)).ok());
}

}  // namespace
}  // namespace cairn::net
