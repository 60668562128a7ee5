#include "net/identify.h"

#include "identify.pb.h"
#include "net/multiformats.h"

namespace cairn::net {
namespace {

Error identify_error(ErrorCode code, const std::string& what) { return Error{code, "identify: " + what}; }

std::vector<Multiaddr> parse_addresses(const google::protobuf::RepeatedPtrField<std::string>& encoded) {
  std::vector<Multiaddr> out;
  for (const std::string& bytes : encoded) {
    auto address = Multiaddr::from_bytes(as_bytes(bytes));
    if (address) out.push_back(std::move(address).value());
  }
  return out;
}

Result<pb::Identify> parse_message(ByteSpan message) {
  if (message.size() > kMaxIdentifyMessageSize) return identify_error(ErrorCode::limit, "message too large");
  pb::Identify parsed;
  if (!parsed.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
    return identify_error(ErrorCode::decode, "not an Identify protobuf");
  }
  return parsed;
}

Result<PublicKey> checked_key(const pb::Identify& message, const PeerId& peer) {
  if (!message.has_publickey()) return identify_error(ErrorCode::decode, "publicKey missing");
  CAIRN_TRY(PublicKey key, decode_public_key(as_bytes(message.publickey())));
  if (PeerId::from_public_key(key) != peer) {
    return identify_error(ErrorCode::verify, "publicKey is not the key of " + peer.to_base58());
  }
  return key;
}

}  // namespace

Bytes encode_identify(const IdentifyInfo& info) {
  pb::Identify message;
  message.set_protocolversion(info.protocol_version);
  message.set_agentversion(info.agent_version);
  const Bytes key = encode_public_key(info.public_key);
  message.set_publickey(key.data(), key.size());
  for (const auto& address : info.listen_addrs) {
    const Bytes bytes = address.to_bytes();
    message.add_listenaddrs(bytes.data(), bytes.size());
  }
  if (info.observed_addr) {
    const Bytes bytes = info.observed_addr->to_bytes();
    message.set_observedaddr(bytes.data(), bytes.size());
  }
  for (const auto& protocol : info.protocols) message.add_protocols(protocol);

  const std::string body = message.SerializeAsString();
  Bytes out;
  append_uvarint(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<IdentifyInfo> decode_identify(ByteSpan message, const PeerId& peer) {
  CAIRN_TRY(pb::Identify parsed, parse_message(message));
  CAIRN_TRY(PublicKey key, checked_key(parsed, peer));
  IdentifyInfo info{parsed.protocolversion(),
                    parsed.agentversion(),
                    key,
                    parse_addresses(parsed.listenaddrs()),
                    std::nullopt,
                    {parsed.protocols().begin(), parsed.protocols().end()}};
  if (parsed.has_observedaddr()) {
    auto observed = Multiaddr::from_bytes(as_bytes(parsed.observedaddr()));
    if (observed) info.observed_addr = std::move(observed).value();
  }
  return info;
}

Result<IdentifyInfo> apply_identify_push(ByteSpan message, const PeerId& peer,
                                         std::optional<IdentifyInfo> known) {
  CAIRN_TRY(pb::Identify parsed, parse_message(message));
  IdentifyInfo info = std::move(known).value_or(IdentifyInfo{});
  // A push may leave out the key: the connection already authenticated the peer.
  if (parsed.has_publickey()) {
    CAIRN_TRY(info.public_key, checked_key(parsed, peer));
  } else {
    CAIRN_TRY(info.public_key, peer.public_key());
  }
  if (parsed.has_protocolversion()) info.protocol_version = parsed.protocolversion();
  if (parsed.has_agentversion()) info.agent_version = parsed.agentversion();
  if (parsed.listenaddrs_size() > 0) info.listen_addrs = parse_addresses(parsed.listenaddrs());
  if (parsed.protocols_size() > 0) info.protocols = {parsed.protocols().begin(), parsed.protocols().end()};
  return info;
}

asio::awaitable<Result<Bytes>> read_length_prefixed(Stream& stream, size_t max_size) {
  Bytes prefix;
  for (;;) {
    CAIRN_CO_TRY(Bytes byte, co_await stream.read_exact(1));
    if (byte.empty()) co_return Error{ErrorCode::decode, "stream ended before a message"};
    prefix.push_back(byte[0]);
    CAIRN_CO_TRY(auto length, read_uvarint_prefix(prefix));
    if (!length) continue;
    if (length->value > max_size) {
      co_return Error{ErrorCode::limit, "message of " + std::to_string(length->value) + " bytes exceeds " +
                                            std::to_string(max_size)};
    }
    const size_t size = static_cast<size_t>(length->value);
    if (size == 0) co_return Bytes{};
    CAIRN_CO_TRY(Bytes body, co_await stream.read_exact(size));
    if (body.empty()) co_return Error{ErrorCode::decode, "stream ended before the message body"};
    co_return body;
  }
}

asio::awaitable<Result<IdentifyInfo>> request_identify(Stream stream, PeerId peer) {
  CAIRN_CO_TRY(Bytes message, co_await read_length_prefixed(stream, kMaxIdentifyMessageSize));
  co_return decode_identify(message, peer);
}

asio::awaitable<Status> answer_identify(Stream stream, IdentifyInfo ours) {
  co_return co_await stream.write(encode_identify(ours));
}

}  // namespace cairn::net
