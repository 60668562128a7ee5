#include "net/autonat.h"

#include <algorithm>

#include "autonat.pb.h"
#include "net/multiformats.h"
#include "net/tcp_transport.h"

namespace cairn::net {
namespace {

using pb = autonatpb::Message;

Error autonat_error(ErrorCode code, const std::string& what) { return Error{code, "autonat: " + what}; }

Bytes frame(const pb& message) {
  const std::string body = message.SerializeAsString();
  Bytes out;
  append_uvarint(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<pb> parse(ByteSpan message, pb::MessageType expected) {
  if (message.size() > kMaxAutonatMessageSize) return autonat_error(ErrorCode::limit, "message too large");
  pb parsed;
  if (!parsed.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
    return autonat_error(ErrorCode::decode, "not an AutoNAT protobuf");
  }
  if (!parsed.has_type() || parsed.type() != expected) {
    return autonat_error(ErrorCode::decode, "unexpected message type");
  }
  return parsed;
}

AutonatDialResponse refusal(AutonatStatus status, std::string text) {
  return AutonatDialResponse{status, std::move(text), std::nullopt};
}

}  // namespace

std::string_view to_string(Reachability reachability) {
  switch (reachability) {
    case Reachability::unknown:
      return "unknown";
    case Reachability::is_public:
      return "public";
    case Reachability::is_private:
      return "private";
  }
  return "unknown";
}

Bytes encode_autonat_dial(const PeerId& peer, const std::vector<Multiaddr>& addrs) {
  pb message;
  message.set_type(pb::DIAL);
  pb::PeerInfo* info = message.mutable_dial()->mutable_peer();
  info->set_id(peer.multihash().data(), peer.multihash().size());
  for (const Multiaddr& address : addrs) {
    const Bytes bytes = address.to_bytes();
    info->add_addrs(bytes.data(), bytes.size());
  }
  return frame(message);
}

Bytes encode_autonat_response(const AutonatDialResponse& response) {
  pb message;
  message.set_type(pb::DIAL_RESPONSE);
  pb::DialResponse* body = message.mutable_dialresponse();
  body->set_status(static_cast<pb::ResponseStatus>(response.status));
  if (!response.status_text.empty()) body->set_statustext(response.status_text);
  if (response.addr) {
    const Bytes bytes = response.addr->to_bytes();
    body->set_addr(bytes.data(), bytes.size());
  }
  return frame(message);
}

Result<AutonatDialRequest> decode_autonat_dial(ByteSpan message) {
  CAIRN_TRY(pb parsed, parse(message, pb::DIAL));
  if (!parsed.has_dial() || !parsed.dial().has_peer() || !parsed.dial().peer().has_id()) {
    return autonat_error(ErrorCode::decode, "DIAL without a peer id");
  }
  const pb::PeerInfo& info = parsed.dial().peer();
  CAIRN_TRY(PeerId peer, PeerId::from_multihash(as_bytes(info.id())));
  AutonatDialRequest request{std::move(peer), {}};
  for (const std::string& bytes : info.addrs()) {
    if (request.addrs.size() == kMaxAutonatRequestAddresses) break;
    auto address = Multiaddr::from_bytes(as_bytes(bytes));
    if (address) request.addrs.push_back(std::move(address).value());
  }
  return request;
}

Result<AutonatDialResponse> decode_autonat_response(ByteSpan message) {
  CAIRN_TRY(pb parsed, parse(message, pb::DIAL_RESPONSE));
  if (!parsed.has_dialresponse() || !parsed.dialresponse().has_status()) {
    return autonat_error(ErrorCode::decode, "DIAL_RESPONSE without a status");
  }
  const pb::DialResponse& body = parsed.dialresponse();
  // proto2 parsing keeps an unknown enum value out of the field, so status is a known one.
  AutonatDialResponse response{static_cast<AutonatStatus>(body.status()), body.statustext(), std::nullopt};
  if (body.has_addr()) {
    auto address = Multiaddr::from_bytes(as_bytes(body.addr()));
    if (address) response.addr = std::move(address).value();
  }
  return response;
}

DialBackPlan plan_dial_back(const AutonatDialRequest& request, const PeerId& requester,
                            const boost::asio::ip::address& observed_ip, bool allow_private) {
  if (request.peer != requester) {
    return {refusal(AutonatStatus::bad_request, "peer id is not the requester's"), {}};
  }
  if (!allow_private && !is_public_address(observed_ip)) {
    return {refusal(AutonatStatus::dial_refused, "requester is not on a public address"), {}};
  }
  DialBackPlan plan;
  for (const Multiaddr& address : request.addrs) {
    auto target = address.tcp_dial_target();
    if (!target) continue;  // not TCP: this host dials nothing else
    if (target->peer && *target->peer != requester) continue;
    // A name could resolve anywhere: only literal addresses can be checked against the IP.
    const auto ip = multiaddr_ip(address);
    if (!ip || *ip != observed_ip) continue;
    if (std::find(plan.addrs.begin(), plan.addrs.end(), address) != plan.addrs.end()) continue;
    plan.addrs.push_back(address);
    if (plan.addrs.size() == kMaxAutonatDialBacks) break;
  }
  if (plan.addrs.empty()) {
    plan.refusal = refusal(AutonatStatus::dial_refused, "no TCP address at the observed IP");
  }
  return plan;
}

AutonatRateLimiter::AutonatRateLimiter(size_t per_peer, size_t global,
                                       std::chrono::steady_clock::duration window)
    : per_peer_(per_peer), global_(global), window_(window) {}

void AutonatRateLimiter::expire(TimePoint now) {
  while (!served_.empty() && now - served_.front().first >= window_) {
    auto it = per_peer_count_.find(served_.front().second);
    if (it != per_peer_count_.end() && --it->second == 0) per_peer_count_.erase(it);
    served_.pop_front();
  }
}

bool AutonatRateLimiter::allow(const PeerId& peer, TimePoint now) {
  expire(now);
  if (served_.size() >= global_) return false;
  const auto it = per_peer_count_.find(peer);
  if ((it == per_peer_count_.end() ? 0 : it->second) >= per_peer_) return false;
  if (it == per_peer_count_.end()) {
    per_peer_count_.emplace(peer, 1);
  } else {
    ++it->second;
  }
  served_.emplace_back(now, peer);
  return true;
}

void AutonatVerdict::add(const AutonatDialResponse& response) {
  if (response.status == AutonatStatus::ok) {
    ++successes_;
    if (response.addr && std::find(reached_.begin(), reached_.end(), *response.addr) == reached_.end()) {
      reached_.push_back(*response.addr);
    }
  } else if (response.status == AutonatStatus::dial_error) {
    ++failures_;
  }
}

Reachability AutonatVerdict::verdict() const {
  // Successes win a tie: one server that reached us proves an address works.
  if (successes_ >= threshold_) return Reachability::is_public;
  if (failures_ >= threshold_) return Reachability::is_private;
  return Reachability::unknown;
}

}  // namespace cairn::net
