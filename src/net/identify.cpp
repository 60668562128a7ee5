#include "net/identify.h"

#include <algorithm>

#include "identify.pb.h"
#include "net/multiformats.h"
#include "net/peer_record.h"
#include "net/tcp_transport.h"

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

// The message's signed peer record if it verifies and names `peer`; a bad one is ignored
// like an unparsable address, not fatal.
std::optional<Bytes> checked_record(const pb::Identify& message, const PeerId& peer) {
  if (!message.has_signedpeerrecord()) return std::nullopt;
  const ByteSpan envelope = as_bytes(message.signedpeerrecord());
  auto record = open_peer_record(envelope);
  if (!record || record->peer != peer) return std::nullopt;
  return Bytes(envelope.begin(), envelope.end());
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
  if (info.signed_peer_record)
    message.set_signedpeerrecord(info.signed_peer_record->data(), info.signed_peer_record->size());

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
                    {parsed.protocols().begin(), parsed.protocols().end()},
                    checked_record(parsed, peer)};
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
  if (auto record = checked_record(parsed, peer)) info.signed_peer_record = std::move(record);
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

ObservedAddressTable::ObservedAddressTable(size_t threshold)
    : threshold_(std::clamp<size_t>(threshold, 1, kMaxObserversPerAddress)) {}

bool ObservedAddressTable::record(const Multiaddr& observed, const std::string& observer) {
  const auto& parts = observed.components();
  const bool tcp_shape =
      parts.size() == 2 &&
      (parts[0].protocol == MultiaddrProtocol::ip4 || parts[0].protocol == MultiaddrProtocol::ip6) &&
      parts[1].protocol == MultiaddrProtocol::tcp;
  if (!tcp_shape) return false;
  Bytes key = observed.to_bytes();
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= kMaxObservedAddresses) {
      auto victim = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
        if (a.second.observers.size() != b.second.observers.size())
          return a.second.observers.size() < b.second.observers.size();
        return a.second.first_seen < b.second.first_seen;
      });
      entries_.erase(victim);
    }
    it = entries_.emplace(std::move(key), Entry{observed, {}, counter_++}).first;
  }
  std::set<std::string>& observers = it->second.observers;
  if (observers.size() >= kMaxObserversPerAddress) return false;
  const bool was_confirmed = observers.size() >= threshold_;
  observers.insert(observer);
  return !was_confirmed && observers.size() >= threshold_;
}

std::vector<ObservedAddress> ObservedAddressTable::addresses() const {
  std::vector<ObservedAddress> out;
  for (const auto& [key, entry] : entries_) {
    out.push_back({entry.address, entry.observers.size(), entry.observers.size() >= threshold_});
  }
  std::stable_sort(out.begin(), out.end(), [](const ObservedAddress& a, const ObservedAddress& b) {
    return a.observers > b.observers;
  });
  return out;
}

std::vector<Multiaddr> ObservedAddressTable::confirmed() const {
  std::vector<Multiaddr> out;
  for (const ObservedAddress& entry : addresses()) {
    if (entry.confirmed) out.push_back(entry.address);
  }
  return out;
}

std::string observer_key(const boost::asio::ip::address& observer_ip, const PeerId& observer) {
  if (!is_public_address(observer_ip)) return "peer:" + observer.to_base58();
  boost::asio::ip::address ip = observer_ip;
  if (ip.is_v6() && ip.to_v6().is_v4_mapped())
    ip = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6());
  std::string key = ip.is_v4() ? "ip4:" : "ip6:";
  if (ip.is_v4()) {
    const auto bytes = ip.to_v4().to_bytes();
    key += std::to_string(bytes[0]) + "." + std::to_string(bytes[1]);
  } else {
    const auto bytes = ip.to_v6().to_bytes();
    for (size_t i = 0; i < 6; ++i) key += std::to_string(bytes[i]) + ":";
  }
  return key;
}

}  // namespace cairn::net
