#include "net/mdns.h"

#include <algorithm>
#include <cassert>

namespace cairn::net {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
// Fixed bytes of a record besides its owner name and rdata: type, class, TTL, rdlength.
constexpr size_t kRecordFixedBytes = 10;

size_t name_wire_length(const DnsName& name) {
  size_t length = 1;
  for (const auto& label : name) length += 1 + label.size();
  return length;
}

bool class_matches(uint16_t qclass) { return qclass == kDnsClassIn || qclass == kDnsClassAny; }

bool type_matches(uint16_t qtype, DnsType wanted) {
  return qtype == static_cast<uint16_t>(wanted) || qtype == static_cast<uint16_t>(DnsType::any);
}

bool is_unspecified(const Multiaddr& addr) {
  const auto& components = addr.components();
  if (components.empty()) return true;
  const auto& first = components.front();
  if (first.protocol != MultiaddrProtocol::ip4 && first.protocol != MultiaddrProtocol::ip6) return false;
  return std::all_of(first.value.begin(), first.value.end(), [](uint8_t b) { return b == 0; });
}

// `addr` ending in /p2p/<local>, or nullopt if it names another peer or cannot take one.
std::optional<Multiaddr> with_local_id(const Multiaddr& addr, const PeerId& local) {
  if (const auto peer = addr.peer_id()) {
    if (*peer != local) return std::nullopt;
    return addr;
  }
  auto full = addr.with_peer_id(local);
  if (!full) return std::nullopt;
  return std::move(full).value();
}

}  // namespace

std::string random_mdns_peer_name(Rng& rng) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string name;
  for (size_t i = 0; i < kMdnsPeerNameLength; ++i) name += kAlphabet[rng.uniform(kAlphabet.size())];
  return name;
}

Result<MdnsCore> MdnsCore::create(PeerId local, std::string peer_name, AddressSource addresses,
                                  MdnsOptions options) {
  if (peer_name.empty() || peer_name.size() > kMaxDnsLabelBytes || peer_name.find('.') != std::string::npos) {
    return Error{ErrorCode::invalid_argument, "mdns: the peer name must be one DNS label"};
  }
  CAIRN_TRY(DnsName service, dns_name_from_text(options.service_name));
  if (service.empty()) return Error{ErrorCode::invalid_argument, "mdns: empty service name"};
  DnsName instance{peer_name};
  instance.insert(instance.end(), service.begin(), service.end());
  if (name_wire_length(instance) > kMaxDnsNameWireLength) {
    return Error{ErrorCode::limit, "mdns: peer name and service name exceed 255 bytes"};
  }
  if (options.query_interval_ns <= 0)
    return Error{ErrorCode::invalid_argument, "mdns: query interval must be positive"};
  if (options.max_remembered_peers == 0)
    return Error{ErrorCode::invalid_argument, "mdns: must remember a peer"};
  return MdnsCore(std::move(local), std::move(peer_name), std::move(service), std::move(instance),
                  std::move(addresses), std::move(options));
}

MdnsCore::MdnsCore(PeerId local, std::string peer_name, DnsName service, DnsName instance,
                   AddressSource addresses, MdnsOptions options)
    : local_(std::move(local)),
      peer_name_(std::move(peer_name)),
      service_(std::move(service)),
      instance_(std::move(instance)),
      addresses_(std::move(addresses)),
      options_(std::move(options)) {}

Bytes MdnsCore::query_datagram() const {
  DnsMessage query;
  query.questions.push_back(DnsQuestion{service_, static_cast<uint16_t>(DnsType::ptr), kDnsClassIn, false});
  auto bytes = encode_dns_message(query);
  assert(bytes.ok());  // the service name was validated in create()
  return std::move(bytes).value();
}

std::optional<Bytes> MdnsCore::answer_datagram() const {
  DnsMessage response;
  response.flags = kDnsFlagResponse | kDnsFlagAuthoritative;
  response.answers.push_back(DnsRecord{service_, kDnsClassIn, false, kMdnsRecordTtlSeconds, instance_});
  size_t size = kDnsHeaderSize + name_wire_length(service_) + kRecordFixedBytes + name_wire_length(instance_);
  const size_t txt_overhead = name_wire_length(instance_) + kRecordFixedBytes + 1;
  for (const auto& addr : addresses_ ? addresses_() : std::vector<Multiaddr>{}) {
    if (is_unspecified(addr)) continue;
    const auto full = with_local_id(addr, local_);
    if (!full) continue;
    std::string text(kMdnsDnsaddrPrefix);
    text += full->to_string();
    if (text.size() > kMaxDnsCharacterString) continue;
    if (size + txt_overhead + text.size() > kMaxMdnsAnswerSize) break;
    size += txt_overhead + text.size();
    const ByteSpan bytes = as_bytes(text);
    response.additionals.push_back(DnsRecord{instance_, kDnsClassIn, true, kMdnsRecordTtlSeconds,
                                             DnsTxt{Bytes(bytes.begin(), bytes.end())}});
  }
  if (response.additionals.empty()) return std::nullopt;
  auto bytes = encode_dns_message(response);
  assert(bytes.ok() && bytes->size() == size);
  return std::move(bytes).value();
}

MdnsOutput MdnsCore::start(int64_t now_ns) {
  MdnsOutput out;
  out.datagrams.push_back(query_datagram());
  next_query_ns_ = now_ns + options_.query_interval_ns;
  return out;
}

MdnsOutput MdnsCore::on_timer(int64_t now_ns) {
  MdnsOutput out;
  if (now_ns >= next_query_ns_) {
    out.datagrams.push_back(query_datagram());
    next_query_ns_ = now_ns + options_.query_interval_ns;
  }
  if (pending_answer_ns_ && now_ns >= *pending_answer_ns_) {
    pending_answer_ns_.reset();
    answer(now_ns, out);
  }
  return out;
}

int64_t MdnsCore::next_deadline() const {
  return pending_answer_ns_ ? std::min(next_query_ns_, *pending_answer_ns_) : next_query_ns_;
}

MdnsOutput MdnsCore::on_datagram(ByteSpan datagram, int64_t now_ns) {
  MdnsOutput out;
  auto message = decode_dns_message(datagram);
  // RFC 6762 §18.3: messages with another opcode are ignored.
  if (!message || message->opcode() != 0) return out;
  if (message->is_response()) {
    // RFC 6762 §18.11: responses with a non-zero rcode are ignored.
    if (message->rcode() == 0) on_response(*message, now_ns, out);
  } else if (wants_answer(*message)) {
    if (!last_answer_ns_ || now_ns - *last_answer_ns_ >= kMdnsMinAnswerIntervalNs) {
      answer(now_ns, out);
    } else if (!pending_answer_ns_) {
      pending_answer_ns_ = *last_answer_ns_ + kMdnsMinAnswerIntervalNs;
    }
  }
  return out;
}

bool MdnsCore::wants_answer(const DnsMessage& query) const {
  bool asked = false;
  for (const auto& question : query.questions) {
    if (!class_matches(question.qclass)) continue;
    if ((dns_names_equal(question.name, service_) && type_matches(question.type, DnsType::ptr)) ||
        (dns_names_equal(question.name, instance_) && type_matches(question.type, DnsType::txt))) {
      asked = true;
    }
  }
  if (!asked) return false;
  // Known-answer suppression: the asker already holds our PTR record for long enough.
  for (const auto& known : query.answers) {
    const auto* target = std::get_if<DnsName>(&known.data);
    if (target && dns_names_equal(known.name, service_) && dns_names_equal(*target, instance_) &&
        known.ttl >= kMdnsRecordTtlSeconds / 2) {
      return false;
    }
  }
  return true;
}

void MdnsCore::answer(int64_t now_ns, MdnsOutput& out) {
  auto datagram = answer_datagram();
  if (!datagram) return;
  out.datagrams.push_back(std::move(*datagram));
  last_answer_ns_ = now_ns;
}

void MdnsCore::on_response(const DnsMessage& response, int64_t now_ns, MdnsOutput& out) {
  for (const auto& pointer : response.answers) {
    const auto* instance = std::get_if<DnsName>(&pointer.data);
    if (!instance || pointer.ttl == 0 || !dns_names_equal(pointer.name, service_)) continue;
    // <peer-name>.<service-name>: one label more than the service name.
    if (instance->size() != service_.size() + 1 ||
        !dns_names_equal(DnsName(instance->begin() + 1, instance->end()), service_)) {
      continue;
    }
    if (dns_names_equal(DnsName{instance->front()}, DnsName{peer_name_})) continue;  // ours

    std::optional<PeerId> peer;
    std::vector<Multiaddr> addrs;
    for (const auto* section : {&response.answers, &response.additionals}) {
      for (const auto& record : *section) {
        const auto* strings = std::get_if<DnsTxt>(&record.data);
        if (!strings || !dns_names_equal(record.name, *instance)) continue;
        for (const auto& string : *strings) {
          if (addrs.size() == kMaxMdnsAddressesPerPeer) break;
          const std::string_view text(reinterpret_cast<const char*>(string.data()), string.size());
          if (!text.starts_with(kMdnsDnsaddrPrefix)) continue;
          auto addr = Multiaddr::parse(text.substr(kMdnsDnsaddrPrefix.size()));
          if (!addr) continue;
          const auto id = addr->peer_id();
          if (!id) continue;
          if (!peer) peer = *id;
          if (*id != *peer) continue;
          if (std::find(addrs.begin(), addrs.end(), *addr) == addrs.end()) addrs.push_back(std::move(*addr));
        }
      }
    }
    if (!peer || *peer == local_) continue;
    discovered(MdnsDiscovery{std::move(*peer), std::move(addrs)}, now_ns, out);
  }
}

void MdnsCore::discovered(MdnsDiscovery discovery, int64_t now_ns, MdnsOutput& out) {
  auto it = remembered_.find(discovery.peer);
  if (it != remembered_.end()) {
    it->second.seen_ns = now_ns;
    if (it->second.addrs == discovery.addrs &&
        now_ns - it->second.reported_ns < int64_t{kMdnsRecordTtlSeconds} * kNanosPerSecond) {
      return;
    }
    it->second.addrs = discovery.addrs;
    it->second.reported_ns = now_ns;
  } else {
    if (remembered_.size() >= options_.max_remembered_peers) {
      const auto oldest =
          std::min_element(remembered_.begin(), remembered_.end(),
                           [](const auto& a, const auto& b) { return a.second.seen_ns < b.second.seen_ns; });
      remembered_.erase(oldest);
    }
    remembered_.emplace(discovery.peer, Remembered{discovery.addrs, now_ns, now_ns});
  }
  out.discoveries.push_back(std::move(discovery));
}

}  // namespace cairn::net
