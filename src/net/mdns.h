// libp2p peer discovery over Multicast DNS (libp2p/specs discovery/mdns.md, RFC 6762),
// sans-I/O: datagrams and time go in, datagrams to multicast and discovered peers come out.
// mdns_service.h drives it over UDP 224.0.0.251:5353.
//
//   query      on start and every query interval: one question <service-name> PTR (class IN,
//              QU bit clear), id 0, no flags
//   answer     to a query asking <service-name> PTR (or ANY), or <peer-name>.<service-name>
//              TXT (or ANY), of class IN or ANY — our own queries included, so that others
//              discover us passively — a response (QR and AA set, id 0, no questions):
//                answer      <service-name> PTR <peer-name>.<service-name>   (TTL 120 s)
//                additional  <peer-name>.<service-name> TXT "dnsaddr=<addr>/p2p/<id>"
//                            one record per address (TTL 120 s, cache-flush bit set)
//              addresses come from the owner's function; those naming another peer, the
//              unspecified ones (0.0.0.0, ::), and those whose string would exceed 255 bytes
//              are left out, and the response stops growing before kMaxMdnsAnswerSize bytes.
//              No addresses, no answer. A query whose known answers already hold our PTR
//              record with at least half its TTL is not answered (RFC 6762 §7.1).
//   rate       at most one answer per kMdnsMinAnswerIntervalNs (RFC 6762 §6); a query that
//              arrives sooner is answered when the interval has passed
//   discovery  a response (opcode 0, rcode 0) with an answer <service-name> PTR <name>.
//              <service-name> of non-zero TTL, and TXT records owned by that name in its
//              answer or additional section (js-libp2p puts them in the answers): every
//              "dnsaddr=" string that parses as a multiaddr ending in /p2p/<id> is an
//              address; the id of the first is the peer, addresses naming another id are
//              ignored, at most kMaxMdnsAddressesPerPeer are kept. Our own peer name and our
//              own id are ignored. A peer is reported when it is new, when its addresses
//              change, or when kMdnsRecordTtlSeconds have passed since it was last reported
//   memory     at most max_remembered_peers peers; the least recently seen is forgotten
//
// The peer name is random (lower-case letters and digits, kMdnsPeerNameLength of them), as
// the spec asks: not the peer id, which may not fit a 63-byte label. A private network
// (pnet) uses the service name _p2p-<fingerprint hex>._udp.local instead of the default.
//
// Thread-safety: none; an MdnsCore belongs to one strand or thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/dns_message.h"
#include "net/identity.h"
#include "net/multiaddr.h"
#include "util/bytes.h"
#include "util/rng.h"

namespace cairn::net {

inline constexpr std::string_view kMdnsServiceName = "_p2p._udp.local";
inline constexpr uint16_t kMdnsPort = 5353;
inline constexpr std::string_view kMdnsIpv4Group = "224.0.0.251";
// js-libp2p queries every 10 s too.
inline constexpr int64_t kDefaultMdnsQueryIntervalNs = 10'000'000'000;
// RFC 6762 §6: a record is multicast at most once a second.
inline constexpr int64_t kMdnsMinAnswerIntervalNs = 1'000'000'000;
// The TTL of the records we send (js and go use 120 s).
inline constexpr uint32_t kMdnsRecordTtlSeconds = 120;
// The spec: at least 32 characters, fewer than 64.
inline constexpr size_t kMdnsPeerNameLength = 32;
// A response fits one 1500-byte Ethernet frame under IPv6 (40) and UDP (8) headers; this
// also bounds the addresses announced (about a dozen /ip4/.../tcp/... ones fit).
inline constexpr size_t kMaxMdnsAnswerSize = 1452;
inline constexpr size_t kMaxMdnsAddressesPerPeer = 16;
inline constexpr size_t kDefaultMaxMdnsRememberedPeers = 256;
inline constexpr std::string_view kMdnsDnsaddrPrefix = "dnsaddr=";

struct MdnsOptions {
  std::string service_name{kMdnsServiceName};
  int64_t query_interval_ns = kDefaultMdnsQueryIntervalNs;
  size_t max_remembered_peers = kDefaultMaxMdnsRememberedPeers;
};

// A peer found on the LAN: its id and the addresses it announced, each ending in
// /p2p/<peer> (ready for Host::dial).
struct MdnsDiscovery {
  PeerId peer;
  std::vector<Multiaddr> addrs;
};

// What one step of the core produced.
struct MdnsOutput {
  std::vector<Bytes> datagrams;  // to multicast, in order
  std::vector<MdnsDiscovery> discoveries;
};

// kMdnsPeerNameLength random lower-case letters and digits.
std::string random_mdns_peer_name(Rng& rng);

class MdnsCore {
 public:
  using AddressSource = std::function<std::vector<Multiaddr>()>;

  // `peer_name` must be one DNS label (1..63 bytes, no '.'); `service_name` in `options`
  // a valid DNS name. `addresses` gives our current addresses whenever an answer is built.
  static Result<MdnsCore> create(PeerId local, std::string peer_name, AddressSource addresses,
                                 MdnsOptions options = {});

  // The first query, sent at once.
  MdnsOutput start(int64_t now_ns);
  // One datagram received at `now_ns`; the caller has dropped responses from a source port
  // other than 5353 (RFC 6762 §6). Malformed datagrams are ignored.
  MdnsOutput on_datagram(ByteSpan datagram, int64_t now_ns);
  // Call when next_deadline() has passed: the periodic query, a deferred answer.
  MdnsOutput on_timer(int64_t now_ns);
  int64_t next_deadline() const;

  const std::string& peer_name() const { return peer_name_; }
  const DnsName& service_name() const { return service_; }
  size_t remembered_peers() const { return remembered_.size(); }

  // The datagrams on their own, for tests and tools.
  Bytes query_datagram() const;
  // The answer with our current addresses; nullopt when there are none to announce.
  std::optional<Bytes> answer_datagram() const;

 private:
  struct Remembered {
    std::vector<Multiaddr> addrs;
    int64_t reported_ns;
    int64_t seen_ns;
  };

  MdnsCore(PeerId local, std::string peer_name, DnsName service, DnsName instance, AddressSource addresses,
           MdnsOptions options);
  bool wants_answer(const DnsMessage& query) const;
  void answer(int64_t now_ns, MdnsOutput& out);
  void on_response(const DnsMessage& response, int64_t now_ns, MdnsOutput& out);
  void discovered(MdnsDiscovery discovery, int64_t now_ns, MdnsOutput& out);

  PeerId local_;
  std::string peer_name_;
  DnsName service_;
  DnsName instance_;  // <peer-name>.<service-name>
  AddressSource addresses_;
  MdnsOptions options_;
  int64_t next_query_ns_ = 0;
  std::optional<int64_t> last_answer_ns_;
  std::optional<int64_t> pending_answer_ns_;  // when a deferred answer is due
  std::map<PeerId, Remembered> remembered_;
};

}  // namespace cairn::net
