#include "net/pubsub_message.h"

#include "crypto/hash.h"

namespace cairn::net {
namespace {

Error policy_error(const std::string& what) { return Error{ErrorCode::verify, "pubsub message: " + what}; }

std::string signing_input(const pb::Message& message) {
  pb::Message unsigned_message = message;
  unsigned_message.clear_signature();
  unsigned_message.clear_key();
  return std::string(kPubsubSignaturePrefix) + unsigned_message.SerializeAsString();
}

MessageId content_id(const pb::Message& message) {
  const Hash256 id = Hasher::keyed(HashContext::gossip_id)
                         .update(as_bytes(message.topic()))
                         .update(as_bytes(message.data()))
                         .finalize();
  return MessageId(reinterpret_cast<const char*>(id.data()), id.size());
}

}  // namespace

SignaturePolicy cairn_topic_policy(std::string_view topic) {
  return topic.starts_with(kCairnTopicPrefix) ? SignaturePolicy::strict_no_sign
                                              : SignaturePolicy::strict_sign;
}

pb::Message make_message(SignaturePolicy policy, std::string topic, ByteSpan data, const KeyPair& key,
                         uint64_t seqno) {
  pb::Message message;
  message.set_data(data.data(), data.size());
  message.set_topic(std::move(topic));
  if (policy == SignaturePolicy::strict_no_sign) return message;
  const Bytes from = PeerId::from_public_key(key.public_key()).multihash();
  message.set_from(from.data(), from.size());
  std::string seqno_bytes(kSeqnoLength, '\0');
  for (size_t i = 0; i < kSeqnoLength; ++i)
    seqno_bytes[i] = static_cast<char>(seqno >> (8 * (kSeqnoLength - 1 - i)));
  message.set_seqno(seqno_bytes);
  const std::string input = signing_input(message);
  const Signature signature = key.sign(as_bytes(input));
  message.set_signature(signature.data(), signature.size());
  const Bytes encoded_key = encode_public_key(key.public_key());
  message.set_key(encoded_key.data(), encoded_key.size());
  return message;
}

Result<MessageId> check_message(SignaturePolicy policy, const pb::Message& message) {
  if (!message.has_topic()) return policy_error("topic missing");
  if (policy == SignaturePolicy::strict_no_sign) {
    if (message.has_from() || message.has_seqno() || message.has_signature() || message.has_key()) {
      return policy_error("StrictNoSign message carries from, seqno, signature or key");
    }
    return content_id(message);
  }
  if (!message.has_from() || !message.has_seqno() || !message.has_signature()) {
    return policy_error("StrictSign message lacks from, seqno or signature");
  }
  if (message.seqno().size() != kSeqnoLength) return policy_error("seqno is not 8 bytes");
  CAIRN_TRY(PeerId from, PeerId::from_multihash(as_bytes(message.from())));
  PublicKey key;
  if (message.has_key()) {
    CAIRN_TRY(key, decode_public_key(as_bytes(message.key())));
    if (PeerId::from_public_key(key) != from) return policy_error("key does not match from");
  } else {
    CAIRN_TRY(key, from.public_key());
  }
  auto signature = Signature::from_span(as_bytes(message.signature()));
  if (!signature) return policy_error("signature is not 64 bytes");
  if (!verify(key, as_bytes(signing_input(message)), *signature)) return policy_error("bad signature");
  const Bytes encoded_key = encode_public_key(key);
  MessageId id(encoded_key.begin(), encoded_key.end());
  id += message.seqno();
  return id;
}

}  // namespace cairn::net
