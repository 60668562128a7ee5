#include "net/noise.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "noise.pb.h"

namespace cairn::net {
namespace {

Error noise_error(ErrorCode code, const std::string& what) { return Error{code, "noise: " + what}; }

Bytes signed_static_key(const X25519PublicKey& static_key) {
  Bytes message(kNoiseStaticKeyPrefix.size() + static_key.size());
  std::copy(kNoiseStaticKeyPrefix.begin(), kNoiseStaticKeyPrefix.end(), message.begin());
  std::copy(static_key.begin(), static_key.end(), message.begin() + kNoiseStaticKeyPrefix.size());
  return message;
}

Bytes encode_payload(const KeyPair& identity, const X25519PublicKey& static_key,
                     const std::vector<std::string>& stream_muxers) {
  pb::NoiseHandshakePayload payload;
  const Bytes key = encode_public_key(identity.public_key());
  payload.set_identity_key(key.data(), key.size());
  const Signature signature = identity.sign(signed_static_key(static_key));
  payload.set_identity_sig(signature.data(), signature.size());
  if (!stream_muxers.empty()) {
    for (const auto& muxer : stream_muxers) payload.mutable_extensions()->add_stream_muxers(muxer);
  }
  const std::string encoded = payload.SerializeAsString();
  return Bytes(encoded.begin(), encoded.end());
}

void append_frame(Bytes& out, ByteSpan message) {
  assert(message.size() <= kNoiseMaxMessageSize);
  out.push_back(static_cast<uint8_t>(message.size() >> 8));
  out.push_back(static_cast<uint8_t>(message.size()));
  out.insert(out.end(), message.begin(), message.end());
}

}  // namespace

std::optional<Bytes> NoiseFrameReader::next() {
  const size_t available = buffer_.size() - offset_;
  if (available >= kNoiseFrameHeaderSize) {
    const size_t length = size_t{buffer_[offset_]} << 8 | buffer_[offset_ + 1];
    if (available >= kNoiseFrameHeaderSize + length) {
      const auto begin = buffer_.begin() + static_cast<ptrdiff_t>(offset_ + kNoiseFrameHeaderSize);
      Bytes message(begin, begin + static_cast<ptrdiff_t>(length));
      offset_ += kNoiseFrameHeaderSize + length;
      return message;
    }
  }
  // Nothing complete: drop what was consumed so the buffer holds one partial message at most.
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(offset_));
  offset_ = 0;
  return std::nullopt;
}

Bytes NoiseFrameReader::take_buffered() {
  Bytes rest(buffer_.begin() + static_cast<ptrdiff_t>(offset_), buffer_.end());
  buffer_.clear();
  offset_ = 0;
  return rest;
}

Result<Bytes> NoiseTransport::seal(ByteSpan plaintext) {
  Bytes out;
  out.reserve(plaintext.size() +
              (plaintext.size() / kNoiseMaxPlaintext + 1) * (kNoiseFrameHeaderSize + kNoiseTagSize));
  do {
    const ByteSpan chunk = plaintext.first(std::min(plaintext.size(), kNoiseMaxPlaintext));
    CAIRN_TRY(Bytes ciphertext, send_.encrypt_with_ad({}, chunk));
    append_frame(out, ciphertext);
    plaintext = plaintext.subspan(chunk.size());
  } while (!plaintext.empty());
  return out;
}

Result<Bytes> NoiseTransport::open(ByteSpan wire) {
  reader_.push(wire);
  Bytes plaintext;
  while (auto message = reader_.next()) {
    CAIRN_TRY(Bytes chunk, receive_.decrypt_with_ad({}, *message));
    plaintext.insert(plaintext.end(), chunk.begin(), chunk.end());
  }
  return plaintext;
}

NoiseHandshake::NoiseHandshake(NoiseRole role, const KeyPair& identity, Rng& rng, NoiseOptions options)
    : options_(std::move(options)), handshake_(role, X25519KeyPair::generate(rng), rng) {
  local_payload_ = encode_payload(identity, handshake_.local_static(), options_.stream_muxers);
  // libp2p: message 1 carries no payload, it would be sent before any key is agreed.
  if (role == NoiseRole::initiator) {
    if (auto status = write({}); !status) error_ = status.error();
  }
}

Bytes NoiseHandshake::take_output() { return std::exchange(output_, {}); }

Status NoiseHandshake::receive(ByteSpan bytes) {
  if (error_) return *error_;
  if (finished()) return noise_error(ErrorCode::invalid_argument, "handshake already finished");
  reader_.push(bytes);
  while (!finished()) {
    auto message = reader_.next();
    if (!message) break;
    if (auto status = process(*message); !status) {
      error_ = status.error();
      output_.clear();
      return *error_;
    }
  }
  if (finished()) session_->unread = reader_.take_buffered();
  return {};
}

NoiseSession NoiseHandshake::take_session() {
  assert(finished());
  NoiseSession session = std::move(*session_);
  session_.reset();
  return session;
}

Status NoiseHandshake::write(ByteSpan payload) {
  CAIRN_TRY(Bytes message, handshake_.write_message(payload));
  append_frame(output_, message);
  return {};
}

Status NoiseHandshake::process(ByteSpan message) {
  CAIRN_TRY(Bytes payload, handshake_.read_message(message));
  if (handshake_.role() == NoiseRole::responder) {
    if (!handshake_.finished()) {  // message 1
      if (!payload.empty()) {
        return noise_error(ErrorCode::decode, "message 1 carries a " + std::to_string(payload.size()) +
                                                  "-byte payload; libp2p sends none before keys are agreed");
      }
      return write(local_payload_);
    }
    CAIRN_TRY_STATUS(check_payload(payload));  // message 3
    return finish();
  }
  CAIRN_TRY_STATUS(check_payload(payload));  // message 2
  // Everything about the responder is checked before message 3 reveals who we are.
  CAIRN_TRY_STATUS(write(local_payload_));
  return finish();
}

Status NoiseHandshake::check_payload(ByteSpan payload) {
  pb::NoiseHandshakePayload message;
  if (!message.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return noise_error(ErrorCode::decode, "handshake payload is not a NoiseHandshakePayload protobuf");
  }
  if (!message.has_identity_key())
    return noise_error(ErrorCode::decode, "handshake payload has no identity_key");
  auto key = decode_public_key(as_bytes(message.identity_key()));
  if (!key) return noise_error(key.error().code, "remote identity_key: " + key.error().message);
  auto signature = Signature::from_span(as_bytes(message.identity_sig()));
  if (!signature) return noise_error(ErrorCode::verify, "identity_sig is not a 64-byte Ed25519 signature");
  if (!verify(*key, signed_static_key(handshake_.remote_static()), *signature)) {
    return noise_error(ErrorCode::verify,
                       "identity_sig does not verify: the remote static key is not signed by "
                       "the remote identity key");
  }
  PeerId peer = PeerId::from_public_key(*key);
  if (options_.expected_peer && peer != *options_.expected_peer) {
    return noise_error(ErrorCode::verify, "remote peer is " + peer.to_base58() + ", expected " +
                                              options_.expected_peer->to_base58());
  }
  const auto& muxers = message.extensions().stream_muxers();
  if (static_cast<size_t>(muxers.size()) > kNoiseMaxStreamMuxers) {
    return noise_error(ErrorCode::limit, "remote lists " + std::to_string(muxers.size()) +
                                             " stream muxers, more than " +
                                             std::to_string(kNoiseMaxStreamMuxers));
  }
  for (const auto& muxer : muxers) {
    if (muxer.size() > kNoiseMaxProtocolIdLength) {
      return noise_error(ErrorCode::limit, "remote stream muxer id longer than " +
                                               std::to_string(kNoiseMaxProtocolIdLength) + " bytes");
    }
  }
  remote_peer_ = std::move(peer);
  remote_identity_ = *key;
  remote_muxers_.assign(muxers.begin(), muxers.end());
  return {};
}

Status NoiseHandshake::finish() {
  const bool initiator = handshake_.role() == NoiseRole::initiator;
  const auto& initiator_muxers = initiator ? options_.stream_muxers : remote_muxers_;
  const auto& responder_muxers = initiator ? remote_muxers_ : options_.stream_muxers;
  std::optional<std::string> muxer;
  if (!initiator_muxers.empty() && !responder_muxers.empty()) {
    auto common = std::find_if(initiator_muxers.begin(), initiator_muxers.end(), [&](const std::string& m) {
      return std::find(responder_muxers.begin(), responder_muxers.end(), m) != responder_muxers.end();
    });
    if (common == initiator_muxers.end()) {
      return noise_error(ErrorCode::invalid_argument, "no stream muxer in common with the remote");
    }
    muxer = *common;
  }
  auto [send, receive] = handshake_.split();
  session_.emplace(NoiseSession{*remote_peer_,
                                remote_identity_,
                                std::move(muxer),
                                NoiseTransport(std::move(send), std::move(receive)),
                                {}});
  return {};
}

}  // namespace cairn::net
