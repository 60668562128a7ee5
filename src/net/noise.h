// libp2p's Noise secure channel, protocol id "/noise" (libp2p/specs noise/README.md), as a
// sans-I/O state machine: bytes in, bytes out; the caller owns the socket and the timeouts.
//
//   wire         every Noise message is framed as a 2-byte big-endian length and the message
//                (at most 65535 bytes, so a transport message carries <= 65519 plaintext bytes)
//   handshake    Noise_XX_25519_ChaChaPoly_SHA256 (noise_crypto.h), empty prologue;
//                message 1 (initiator) has no payload, message 2 (responder) and message 3
//                (initiator) carry a NoiseHandshakePayload (proto/noise.proto):
//                  identity_key  the libp2p PublicKey protobuf (identity.h); Ed25519 only
//                  identity_sig  Ed25519 signature over "noise-libp2p-static-key:" ‖ the
//                                sender's static X25519 public key
//                  extensions    stream_muxers: the muxers the sender supports, by preference
//   early muxer  (libp2p/specs connections/inlined-muxer-negotiation.md) the first muxer of the
//                initiator's list that the responder also lists; if either side lists none,
//                none is agreed and the muxer is negotiated with multistream-select; two
//                non-empty lists without a common entry fail the handshake
//
// The static X25519 key is fresh for every handshake (the spec allows it and nothing is
// gained by keeping one), drawn from the caller's Rng like the ephemeral key.
// Not thread-safe: one object per connection, driven from one strand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "net/identity.h"
#include "net/noise_crypto.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/rng.h"

namespace cairn::net {

inline constexpr std::string_view kNoiseProtocolId = "/noise";
inline constexpr std::string_view kNoiseStaticKeyPrefix = "noise-libp2p-static-key:";
inline constexpr size_t kNoiseFrameHeaderSize = 2;
// The plaintext of one transport message: the largest Noise message less its tag.
inline constexpr size_t kNoiseMaxPlaintext = kNoiseMaxMessageSize - kNoiseTagSize;
// Limits on a peer's handshake payload extensions (real peers list one to three muxers).
inline constexpr size_t kNoiseMaxStreamMuxers = 16;
inline constexpr size_t kNoiseMaxProtocolIdLength = 256;

struct NoiseOptions {
  // Offered in the handshake payload, most preferred first. Empty: no early negotiation.
  std::vector<std::string> stream_muxers{"/yamux/1.0.0"};
  // The dialer knows whom it dials: the handshake fails unless the peer proves this id.
  std::optional<PeerId> expected_peer;
};

// Splits a byte stream into length-prefixed Noise messages. Holds at most one incomplete
// message plus the bytes of the last push().
class NoiseFrameReader {
 public:
  void push(ByteSpan bytes) { buffer_.insert(buffer_.end(), bytes.begin(), bytes.end()); }
  // The next complete message, if one has arrived.
  std::optional<Bytes> next();
  // Bytes received but not yet returned by next().
  Bytes take_buffered();

 private:
  Bytes buffer_;
  size_t offset_ = 0;
};

// The secured connection after the handshake: seals outgoing plaintext into framed
// transport messages and opens incoming ones. Any Error ends the connection.
class NoiseTransport {
 public:
  NoiseTransport(CipherState send, CipherState receive)
      : send_(std::move(send)), receive_(std::move(receive)) {}

  // Encrypts and frames `plaintext`, split into messages of at most kNoiseMaxPlaintext
  // bytes. Error only when the send nonces are exhausted (after 2^64 - 1 messages).
  Result<Bytes> seal(ByteSpan plaintext);
  // Feeds wire bytes; returns the plaintext of every message completed by them. Error if a
  // message does not authenticate or the receive nonces are exhausted.
  Result<Bytes> open(ByteSpan wire);

  // For tests of nonce exhaustion.
  CipherState& send_cipher() { return send_; }

 private:
  CipherState send_;
  CipherState receive_;
  NoiseFrameReader reader_;
};

// What a completed handshake established.
struct NoiseSession {
  PeerId remote_peer;
  PublicKey remote_identity;
  // The early-negotiated stream muxer, or nullopt (negotiate it with multistream-select).
  std::optional<std::string> muxer;
  NoiseTransport transport;
  // Bytes that arrived after the last handshake message: transport messages to open().
  Bytes unread;
};

// One side of the libp2p Noise handshake.
class NoiseHandshake {
 public:
  // Signs a fresh static key with `identity` right away; `identity` is not kept. `rng` must
  // outlive the handshake.
  NoiseHandshake(NoiseRole role, const KeyPair& identity, Rng& rng, NoiseOptions options = {});

  // Bytes to write to the wire now (the initiator's first message is ready at once).
  Bytes take_output();
  // Feeds bytes read from the wire. An Error means the handshake failed and the connection
  // must be closed; its message says why. Bytes after a failure are ignored.
  Status receive(ByteSpan bytes);

  bool finished() const { return session_.has_value(); }
  // REQUIRES: finished(). Moves the result out.
  NoiseSession take_session();

 private:
  Status process(ByteSpan message);
  Status check_payload(ByteSpan payload);
  Status write(ByteSpan payload);
  Status finish();

  NoiseOptions options_;
  XXHandshake handshake_;
  Bytes local_payload_;
  NoiseFrameReader reader_;
  Bytes output_;
  std::optional<Error> error_;
  // Learned from the remote payload, published in the session once the handshake completes.
  std::optional<PeerId> remote_peer_;
  PublicKey remote_identity_;
  std::vector<std::string> remote_muxers_;
  std::optional<NoiseSession> session_;
};

}  // namespace cairn::net
