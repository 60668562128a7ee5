#include "net/multistream.h"

#include <gtest/gtest.h>

#include "net/multiformats.h"

namespace cairn::net {
namespace {

using State = MultistreamSelect::State;

Bytes msg(std::string_view text) { return encode_multistream_message(text); }
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes hdr() { return msg(kMultistreamProtocolId); }

void expect_failed(const MultistreamSelect& m, ErrorCode code, std::string_view part) {
  ASSERT_EQ(m.state(), State::failed);
  EXPECT_EQ(m.error().code, code) << m.error().message;
  EXPECT_NE(m.error().message.find(part), std::string::npos) << m.error().message;
}

// Runs a dialer against a listener, passing bytes until neither has anything to say.
void pump(MultistreamSelect& a, MultistreamSelect& b) {
  for (int round = 0; round < 100; ++round) {
    Bytes ab = a.take_output(), ba = b.take_output();
    if (ab.empty() && ba.empty()) return;
    if (!ab.empty() && b.state() == State::negotiating) b.receive(ab);
    if (!ba.empty() && a.state() == State::negotiating) a.receive(ba);
  }
  FAIL() << "negotiation did not settle";
}

TEST(Multistream, MessageFraming) {
  // The spec's example: "na" is 0x03 'n' 'a' '\n'.
  EXPECT_EQ(to_hex(msg("na")), "036e610a");
  EXPECT_EQ(to_hex(msg("ls")), "036c730a");
  EXPECT_EQ(msg(kMultistreamProtocolId).size(), 1 + kMultistreamProtocolId.size() + 1);
}

TEST(Multistream, DialerAndListenerAgree) {
  auto dialer = MultistreamSelect::dialer({"/noise"});
  auto listener = MultistreamSelect::listener({"/tls/1.0.0", "/noise"});
  EXPECT_FALSE(dialer.can_send());
  pump(dialer, listener);
  ASSERT_EQ(dialer.state(), State::negotiated);
  ASSERT_EQ(listener.state(), State::negotiated);
  EXPECT_EQ(dialer.protocol(), "/noise");
  EXPECT_EQ(listener.protocol(), "/noise");
  EXPECT_TRUE(dialer.can_send());
}

TEST(Multistream, DialerFallsBackInOrder) {
  auto dialer = MultistreamSelect::dialer({"/mplex/6.7.0", "/yamux/1.0.0"});
  auto listener = MultistreamSelect::listener({"/yamux/1.0.0"});
  EXPECT_EQ(dialer.take_output(), cat({hdr(), msg("/mplex/6.7.0")}));
  EXPECT_EQ(listener.receive(cat({hdr(), msg("/mplex/6.7.0")})), State::negotiating);
  const Bytes answer = listener.take_output();
  EXPECT_EQ(answer, cat({hdr(), msg("na")}));
  EXPECT_EQ(dialer.receive(answer), State::negotiating);
  EXPECT_EQ(dialer.take_output(), msg("/yamux/1.0.0"));
  EXPECT_EQ(listener.receive(msg("/yamux/1.0.0")), State::negotiated);
  EXPECT_EQ(listener.take_output(), msg("/yamux/1.0.0"));
  EXPECT_EQ(dialer.receive(msg("/yamux/1.0.0")), State::negotiated);
  EXPECT_EQ(dialer.protocol(), "/yamux/1.0.0");
}

TEST(Multistream, DialerFailsWhenNothingIsSupported) {
  auto dialer = MultistreamSelect::dialer({"/a", "/b"});
  dialer.take_output();
  dialer.receive(cat({hdr(), msg("na")}));
  dialer.take_output();
  dialer.receive(msg("na"));
  expect_failed(dialer, ErrorCode::not_found, "none of the proposed protocols (/a, /b)");
}

TEST(Multistream, LeftoverBytesAreHandedBackUntouched) {
  auto listener = MultistreamSelect::listener({"/ipfs/ping/1.0.0"});
  const Bytes app = {0x00, 0x0a, 0xff, 0x13};
  EXPECT_EQ(listener.receive(cat({hdr(), msg("/ipfs/ping/1.0.0"), app})), State::negotiated);
  EXPECT_EQ(listener.take_leftover(), app);

  auto dialer = MultistreamSelect::dialer({"/ipfs/ping/1.0.0"});
  const Bytes reply = cat({hdr(), msg("/ipfs/ping/1.0.0"), app});
  // Byte by byte: partial lengths and partial messages wait for more.
  for (size_t i = 0; i + 1 < hdr().size() + msg("/ipfs/ping/1.0.0").size(); ++i) {
    ASSERT_EQ(dialer.receive(ByteSpan(reply).subspan(i, 1)), State::negotiating) << i;
  }
  EXPECT_EQ(dialer.receive(ByteSpan(reply).subspan(hdr().size() + msg("/ipfs/ping/1.0.0").size() - 1)),
            State::negotiated);
  EXPECT_EQ(dialer.take_leftover(), app);
}

TEST(Multistream, OptimisticDialer) {
  auto dialer = MultistreamSelect::dialer({"/cairn/regtest/status/1.0.0"}, /*optimistic=*/true);
  EXPECT_TRUE(dialer.can_send());
  auto listener = MultistreamSelect::listener({"/cairn/regtest/status/1.0.0"});
  // Header, proposal and application data in one write.
  Bytes first = dialer.take_output();
  first.push_back(0x42);
  EXPECT_EQ(listener.receive(first), State::negotiated);
  EXPECT_EQ(listener.take_leftover(), Bytes{0x42});
  EXPECT_EQ(dialer.receive(listener.take_output()), State::negotiated);

  auto refused = MultistreamSelect::dialer({"/x"}, true);
  refused.receive(cat({hdr(), msg("na")}));
  expect_failed(refused, ErrorCode::not_found, "none of the proposed protocols");
  EXPECT_FALSE(refused.can_send());
}

TEST(Multistream, ListenerAnswersLs) {
  auto listener = MultistreamSelect::listener({"/noise", "/yamux/1.0.0"});
  listener.take_output();
  EXPECT_EQ(listener.receive(cat({hdr(), msg("ls")})), State::negotiating);
  // One message: each protocol as a message, then the closing newline.
  const Bytes inner = cat({msg("/noise"), msg("/yamux/1.0.0")});
  Bytes expected;
  append_uvarint(expected, inner.size() + 1);
  expected.insert(expected.end(), inner.begin(), inner.end());
  expected.push_back('\n');
  EXPECT_EQ(listener.take_output(), expected);
  // The negotiation goes on after a listing.
  EXPECT_EQ(listener.receive(msg("/noise")), State::negotiated);
}

TEST(Multistream, ProposalLimit) {
  auto listener = MultistreamSelect::listener({"/yes"});
  listener.receive(hdr());
  for (size_t i = 0; i + 1 < kMaxMultistreamProposals; ++i) {
    ASSERT_EQ(listener.receive(msg(i % 2 ? "ls" : "/no")), State::negotiating);
  }
  // The last allowed proposal is still answered...
  auto ok = MultistreamSelect::listener({"/yes"});
  ok.receive(hdr());
  for (size_t i = 0; i + 1 < kMaxMultistreamProposals; ++i) ok.receive(msg("/no"));
  EXPECT_EQ(ok.receive(msg("/yes")), State::negotiated);
  // ...and one more is refused.
  EXPECT_EQ(listener.receive(msg("/no")), State::negotiating);
  EXPECT_EQ(listener.receive(msg("/yes")), State::failed);
  expect_failed(listener, ErrorCode::limit, "more than 16 proposals");
}

TEST(Multistream, MessageLengthLimit) {
  // The longest message (1024 bytes with its newline) is read; 1025 is refused.
  auto listener = MultistreamSelect::listener({"/p"});
  listener.receive(hdr());
  EXPECT_EQ(listener.receive(msg("/" + std::string(kMaxMultistreamMessageLength - 2, 'x'))),
            State::negotiating);
  EXPECT_EQ(listener.receive(msg("/" + std::string(kMaxMultistreamMessageLength - 1, 'x'))), State::failed);
  expect_failed(listener, ErrorCode::limit, "message of 1025 bytes");
  // Refused as soon as the length is known, before the body arrives.
  auto early = MultistreamSelect::listener({"/p"});
  Bytes prefix;
  append_uvarint(prefix, kMaxMultistreamMessageLength + 1);
  EXPECT_EQ(early.receive(prefix), State::failed);
}

TEST(Multistream, MalformedInput) {
  auto fresh = [] { return MultistreamSelect::listener({"/p"}); };
  auto l1 = fresh();
  l1.receive(msg("/multistream/2.0.0"));
  expect_failed(l1, ErrorCode::decode, "first message is \"/multistream/2.0.0\"");
  auto l2 = fresh();
  l2.receive(from_hex("03616263").value());  // "abc": no newline
  expect_failed(l2, ErrorCode::decode, "does not end in a newline");
  auto l3 = fresh();
  l3.receive(from_hex("00").value());
  expect_failed(l3, ErrorCode::decode, "message of 0 bytes");
  auto l4 = fresh();
  l4.receive(cat({hdr(), from_hex("03ff610a").value()}));
  expect_failed(l4, ErrorCode::decode, "not one line of UTF-8");
  auto l5 = fresh();
  l5.receive(cat({hdr(), from_hex("04610a620a").value()}));  // "a\nb\n"
  expect_failed(l5, ErrorCode::decode, "not one line");
  auto l6 = fresh();
  l6.receive(from_hex("8000").value());
  expect_failed(l6, ErrorCode::decode, "not minimally encoded");
  auto l7 = fresh();
  l7.receive(cat({hdr(), msg("/p\xc0\xaf")}));  // an overlong '/'
  expect_failed(l7, ErrorCode::decode, "UTF-8");

  auto dialer = MultistreamSelect::dialer({"/p"});
  dialer.receive(cat({hdr(), msg("/q")}));
  expect_failed(dialer, ErrorCode::decode, "unexpected answer \"/q\" to the proposal of /p");
}

TEST(Multistream, Utf8ProtocolIds) {
  auto dialer = MultistreamSelect::dialer({"/ünïcode/1"});
  auto listener = MultistreamSelect::listener({"/ünïcode/1"});
  pump(dialer, listener);
  EXPECT_EQ(dialer.state(), State::negotiated);
  EXPECT_EQ(listener.protocol(), "/ünïcode/1");
}

}  // namespace
}  // namespace cairn::net
