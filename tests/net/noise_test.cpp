#include "net/noise.h"

#include <string>

#include <gtest/gtest.h>

#include "keys.pb.h"
#include "noise.pb.h"

namespace cairn::net {
namespace {

KeyPair identity(uint8_t n) {
  Seed seed;
  seed.bytes.fill(n);
  return KeyPair::from_seed(seed);
}

Bytes frame(ByteSpan message) {
  Bytes out(2 + message.size());
  out[0] = static_cast<uint8_t>(message.size() >> 8);
  out[1] = static_cast<uint8_t>(message.size());
  std::copy(message.begin(), message.end(), out.begin() + 2);
  return out;
}

NoiseOptions offering(std::vector<std::string> muxers) {
  NoiseOptions options;
  options.stream_muxers = std::move(muxers);
  return options;
}

NoiseOptions expecting(const PeerId& peer) {
  NoiseOptions options;
  options.expected_peer = peer;
  return options;
}

Bytes unframe(const Bytes& wire) {
  EXPECT_GE(wire.size(), 2u);
  return Bytes(wire.begin() + 2, wire.end());
}

bool contains(const Error& e, const std::string& text) { return e.message.find(text) != std::string::npos; }

// Two handshakes wired back to back, each side's output delivered whole to the other.
struct Pair {
  KeyPair initiator_key = identity(1);
  KeyPair responder_key = identity(2);
  DeterministicRng rng{42};
  NoiseHandshake initiator;
  NoiseHandshake responder;

  explicit Pair(NoiseOptions initiator_options = {}, NoiseOptions responder_options = {})
      : initiator(NoiseRole::initiator, initiator_key, rng, std::move(initiator_options)),
        responder(NoiseRole::responder, responder_key, rng, std::move(responder_options)) {}

  // Runs the handshake to the end; the first Error either side reports.
  Status run() {
    for (int round = 0; round < 4 && !(initiator.finished() && responder.finished()); ++round) {
      if (!responder.finished()) CAIRN_TRY_STATUS(responder.receive(initiator.take_output()));
      if (!initiator.finished()) CAIRN_TRY_STATUS(initiator.receive(responder.take_output()));
    }
    return {};
  }
};

// A responder that follows XX but writes whatever payload the test wants.
struct RawResponder {
  DeterministicRng rng{7};
  X25519KeyPair static_key = X25519KeyPair::generate(rng);
  XXHandshake handshake{NoiseRole::responder, static_key, rng};

  Bytes answer(const Bytes& message1_wire, ByteSpan payload) {
    EXPECT_TRUE(handshake.read_message(unframe(message1_wire)).ok());
    auto message = handshake.write_message(payload);
    EXPECT_TRUE(message.ok());
    return frame(*message);
  }
};

Bytes payload_bytes(const Bytes& identity_key, ByteSpan signature,
                    const std::vector<std::string>& muxers = {}) {
  pb::NoiseHandshakePayload payload;
  payload.set_identity_key(identity_key.data(), identity_key.size());
  payload.set_identity_sig(signature.data(), signature.size());
  for (const auto& m : muxers) payload.mutable_extensions()->add_stream_muxers(m);
  const std::string s = payload.SerializeAsString();
  return Bytes(s.begin(), s.end());
}

Bytes static_key_message(const X25519PublicKey& key) {
  Bytes message(kNoiseStaticKeyPrefix.size() + key.size());
  std::copy(kNoiseStaticKeyPrefix.begin(), kNoiseStaticKeyPrefix.end(), message.begin());
  std::copy(key.begin(), key.end(), message.begin() + kNoiseStaticKeyPrefix.size());
  return message;
}

Status initiator_against(RawResponder& raw, ByteSpan payload, NoiseOptions options = {}) {
  DeterministicRng rng(3);
  const KeyPair key = identity(1);
  NoiseHandshake initiator(NoiseRole::initiator, key, rng, std::move(options));
  return initiator.receive(raw.answer(initiator.take_output(), payload));
}

TEST(Noise, HandshakeAgreesOnPeersMuxerAndKeys) {
  Pair pair(expecting(PeerId::from_public_key(identity(2).public_key())));
  ASSERT_TRUE(pair.run().ok());
  ASSERT_TRUE(pair.initiator.finished() && pair.responder.finished());
  NoiseSession i = pair.initiator.take_session();
  NoiseSession r = pair.responder.take_session();
  EXPECT_EQ(i.remote_peer, PeerId::from_public_key(pair.responder_key.public_key()));
  EXPECT_EQ(r.remote_peer, PeerId::from_public_key(pair.initiator_key.public_key()));
  EXPECT_EQ(r.remote_identity, pair.initiator_key.public_key());
  EXPECT_EQ(i.muxer, "/yamux/1.0.0");
  EXPECT_EQ(r.muxer, "/yamux/1.0.0");
  EXPECT_TRUE(i.unread.empty() && r.unread.empty());

  for (size_t size :
       {size_t{0}, size_t{1}, kNoiseMaxPlaintext, kNoiseMaxPlaintext + 1, 3 * kNoiseMaxPlaintext + 5}) {
    Bytes data(size);
    for (size_t k = 0; k < size; ++k) data[k] = static_cast<uint8_t>(k * 7);
    auto wire = i.transport.seal(data);
    ASSERT_TRUE(wire.ok());
    auto opened = r.transport.open(*wire);
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    EXPECT_EQ(*opened, data);
    auto back = r.transport.seal(data);
    ASSERT_TRUE(back.ok());
    auto reopened = i.transport.open(*back);
    ASSERT_TRUE(reopened.ok());
    EXPECT_EQ(*reopened, data);
  }
}

TEST(Noise, SealSplitsAtTheMaximumPlaintext) {
  Pair pair;
  ASSERT_TRUE(pair.run().ok());
  NoiseSession i = pair.initiator.take_session();
  auto one = i.transport.seal(Bytes(kNoiseMaxPlaintext));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), kNoiseFrameHeaderSize + kNoiseMaxMessageSize);
  EXPECT_EQ((*one)[0], 0xff);
  EXPECT_EQ((*one)[1], 0xff);
  auto two = i.transport.seal(Bytes(kNoiseMaxPlaintext + 1));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(),
            kNoiseFrameHeaderSize + kNoiseMaxMessageSize + kNoiseFrameHeaderSize + 1 + kNoiseTagSize);
}

TEST(Noise, ByteByByteDeliveryAndEarlyTransportData) {
  Pair pair;
  const Bytes m1 = pair.initiator.take_output();
  for (uint8_t b : m1) ASSERT_TRUE(pair.responder.receive({&b, 1}).ok());
  const Bytes m2 = pair.responder.take_output();
  for (uint8_t b : m2) ASSERT_TRUE(pair.initiator.receive({&b, 1}).ok());
  ASSERT_TRUE(pair.initiator.finished());
  NoiseSession i = pair.initiator.take_session();
  // The initiator sends its first transport message in the same write as message 3.
  Bytes m3 = pair.initiator.take_output();
  auto early = i.transport.seal(as_bytes("hello"));
  ASSERT_TRUE(early.ok());
  m3.insert(m3.end(), early->begin(), early->end());
  ASSERT_TRUE(pair.responder.receive(m3).ok());
  NoiseSession r = pair.responder.take_session();
  auto opened = r.transport.open(r.unread);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, Bytes(as_bytes("hello").begin(), as_bytes("hello").end()));
}

TEST(Noise, TamperedMessageFails) {
  Pair pair;
  ASSERT_TRUE(pair.responder.receive(pair.initiator.take_output()).ok());
  Bytes m2 = pair.responder.take_output();
  m2[40] ^= 0x01;  // inside the encrypted static key
  auto status = pair.initiator.receive(m2);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::verify);
  EXPECT_TRUE(contains(status.error(), "authentication")) << status.error().message;
  EXPECT_TRUE(pair.initiator.take_output().empty());
  EXPECT_FALSE(pair.initiator.receive({}).ok());  // failed for good
}

TEST(Noise, TruncatedMessageFails) {
  Pair pair;
  const Bytes m1 = pair.initiator.take_output();
  // A frame whose length says 20: too short for an ephemeral key.
  Bytes truncated = frame(ByteSpan(m1).subspan(2, 20));
  auto status = pair.responder.receive(truncated);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error(), "expected at least 32")) << status.error().message;
}

TEST(Noise, ReorderedMessagesFail) {
  Pair pair;
  const Bytes m1 = pair.initiator.take_output();
  ASSERT_TRUE(pair.responder.receive(m1).ok());
  ASSERT_TRUE(pair.initiator.receive(pair.responder.take_output()).ok());
  const Bytes m3 = pair.initiator.take_output();
  // Message 3 delivered first to a fresh responder reads as a message 1 with a payload.
  DeterministicRng rng(9);
  const KeyPair key = identity(2);
  NoiseHandshake fresh(NoiseRole::responder, key, rng);
  auto status = fresh.receive(m3);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error(), "message 1 carries")) << status.error().message;
  // Message 1 replayed where message 2 is due is far too short.
  DeterministicRng rng2(10);
  const KeyPair key1 = identity(1);
  NoiseHandshake initiator(NoiseRole::initiator, key1, rng2);
  status = initiator.receive(m1);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error(), "handshake message 2")) << status.error().message;
}

TEST(Noise, WrongIdentitySignatureFails) {
  RawResponder raw;
  const KeyPair key = identity(5);
  // Signs a different static key than the one the handshake carries.
  X25519PublicKey other = raw.static_key.public_key;
  other.bytes[0] ^= 1;
  const Signature sig = key.sign(static_key_message(other));
  auto status = initiator_against(raw, payload_bytes(encode_public_key(key.public_key()), sig));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::verify);
  EXPECT_TRUE(contains(status.error(), "identity_sig does not verify")) << status.error().message;
}

TEST(Noise, MalformedSignatureFails) {
  RawResponder raw;
  const KeyPair key = identity(5);
  auto status = initiator_against(raw, payload_bytes(encode_public_key(key.public_key()), Bytes(63)));
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error(), "64-byte")) << status.error().message;
}

TEST(Noise, WrongKeyTypeFails) {
  RawResponder raw;
  pb::PublicKey secp;
  secp.set_type(pb::Secp256k1);
  secp.set_data(std::string(33, '\x02'));
  const std::string encoded = secp.SerializeAsString();
  auto status = initiator_against(raw, payload_bytes(Bytes(encoded.begin(), encoded.end()), Bytes(64)));
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error(), "remote identity_key")) << status.error().message;
  EXPECT_TRUE(contains(status.error(), "Secp256k1")) << status.error().message;
}

TEST(Noise, GarbagePayloadFails) {
  RawResponder raw;
  auto status = initiator_against(raw, Bytes{0xff, 0xff, 0xff});
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error(), "not a NoiseHandshakePayload")) << status.error().message;
  RawResponder raw2;
  status = initiator_against(raw2, {});
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error(), "no identity_key")) << status.error().message;
}

TEST(Noise, MismatchedExpectedPeerFails) {
  Pair pair(expecting(PeerId::from_public_key(identity(3).public_key())));
  auto status = pair.run();
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(
      contains(status.error(), "expected " + PeerId::from_public_key(identity(3).public_key()).to_base58()))
      << status.error().message;
  // The initiator stopped before message 3: the responder learnt nothing about it.
  EXPECT_FALSE(pair.responder.finished());
}

TEST(Noise, MuxerIsTheInitiatorsFirstCommonChoice) {
  Pair pair(offering({"/mplex/6.7.0", "/yamux/1.0.0"}), offering({"/yamux/1.0.0", "/mplex/6.7.0"}));
  ASSERT_TRUE(pair.run().ok());
  EXPECT_EQ(pair.initiator.take_session().muxer, "/mplex/6.7.0");
  EXPECT_EQ(pair.responder.take_session().muxer, "/mplex/6.7.0");
}

TEST(Noise, NoMuxerListMeansMultistreamNegotiation) {
  Pair pair(offering({}), {});
  ASSERT_TRUE(pair.run().ok());
  EXPECT_EQ(pair.initiator.take_session().muxer, std::nullopt);
  EXPECT_EQ(pair.responder.take_session().muxer, std::nullopt);
}

TEST(Noise, DisjointMuxerListsFail) {
  Pair pair(offering({"/mplex/6.7.0"}), offering({"/yamux/1.0.0"}));
  auto status = pair.run();
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error(), "no stream muxer in common")) << status.error().message;
}

TEST(Noise, StreamMuxerListLimits) {
  const KeyPair key = identity(5);
  auto run_with = [&](size_t count, size_t length) {
    RawResponder raw;
    const Signature sig = key.sign(static_key_message(raw.static_key.public_key));
    std::vector<std::string> muxers(count, std::string(length, 'm'));
    muxers.back() = "/yamux/1.0.0";
    return initiator_against(raw, payload_bytes(encode_public_key(key.public_key()), sig, muxers));
  };
  EXPECT_TRUE(run_with(kNoiseMaxStreamMuxers, 8).ok());
  auto too_many = run_with(kNoiseMaxStreamMuxers + 1, 8);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, ErrorCode::limit);
  EXPECT_TRUE(run_with(2, kNoiseMaxProtocolIdLength).ok());
  auto too_long = run_with(2, kNoiseMaxProtocolIdLength + 1);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, ErrorCode::limit);
}

TEST(Noise, TransportRejectsTamperingAndExhaustedNonces) {
  Pair pair;
  ASSERT_TRUE(pair.run().ok());
  NoiseSession i = pair.initiator.take_session();
  NoiseSession r = pair.responder.take_session();
  auto wire = i.transport.seal(as_bytes("data"));
  ASSERT_TRUE(wire.ok());
  Bytes tampered = *wire;
  tampered.back() ^= 0x80;
  auto opened = r.transport.open(tampered);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::verify);

  i.transport.send_cipher().set_nonce(std::numeric_limits<uint64_t>::max());
  auto exhausted = i.transport.seal(as_bytes("more"));
  ASSERT_FALSE(exhausted.ok());
  EXPECT_EQ(exhausted.error().code, ErrorCode::limit);
}

TEST(Noise, PartialTransportFramesWaitForTheRest) {
  Pair pair;
  ASSERT_TRUE(pair.run().ok());
  NoiseSession i = pair.initiator.take_session();
  NoiseSession r = pair.responder.take_session();
  auto wire = i.transport.seal(as_bytes("split me"));
  ASSERT_TRUE(wire.ok());
  auto first = r.transport.open(ByteSpan(*wire).first(5));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->empty());
  auto rest = r.transport.open(ByteSpan(*wire).subspan(5));
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, Bytes(as_bytes("split me").begin(), as_bytes("split me").end()));
}

}  // namespace
}  // namespace cairn::net
