// Pubsub message signing policies and message ids (libp2p/specs pubsub/README.md,
// "Message Signing"; DESIGN.md "Network").
//
//   StrictNoSign  from, seqno, signature and key must be absent; the message id is
//                 BLAKE3 keyed with the "cairn v1 gossip id" context over topic ‖ data.
//                 Cairn's chain topics (/cairn/...) use it.
//   StrictSign    from (the author's peer id), seqno (8 bytes), signature (Ed25519 over
//                 "libp2p-pubsub:" ‖ the Message protobuf without signature and key) and
//                 key (the author's PublicKey protobuf, which js-libp2p always sends) must
//                 be present and valid; the message id is the PublicKey protobuf followed by
//                 the seqno, as js-libp2p computes it. Every other topic uses it.
//
// All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "crypto/ed25519.h"
#include "net/identity.h"
#include "rpc.pb.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

enum class SignaturePolicy : uint8_t { strict_sign, strict_no_sign };

inline constexpr std::string_view kPubsubSignaturePrefix = "libp2p-pubsub:";
inline constexpr size_t kSeqnoLength = 8;
inline constexpr std::string_view kCairnTopicPrefix = "/cairn/";

using MessageId = std::string;  // raw bytes, as protobuf carries them

// StrictNoSign for Cairn's topics, StrictSign for every other topic.
SignaturePolicy cairn_topic_policy(std::string_view topic);

// A message authored by us under `policy`; `key` and `seqno` are used only by StrictSign.
pb::Message make_message(SignaturePolicy policy, std::string topic, ByteSpan data, const KeyPair& key,
                         uint64_t seqno);

// Checks `message` against `policy` (fields present or absent, signature valid, key
// matching from) and returns its message id.
Result<MessageId> check_message(SignaturePolicy policy, const pb::Message& message);

}  // namespace cairn::net
