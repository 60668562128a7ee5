// mDNS peer discovery on the LAN: the Asio driver of the sans-I/O MdnsCore (mdns.h) over
// IPv4 multicast.
//
//   socket     UDP bound to 0.0.0.0:<port> (5353) with SO_REUSEADDR and SO_REUSEPORT, so that
//              other mDNS responders on the host (avahi, js-libp2p, another Cairn) share it;
//              member of 224.0.0.251 on the configured interface, which also sends; multicast
//              TTL 255 (RFC 6762 §11) and multicast loop on, so nodes on one host find each
//              other
//   receive    one datagram at a time into a buffer one byte larger than kMaxDnsMessageSize;
//              a datagram that fills it is dropped as oversized, as are responses whose source
//              port is not 5353 (RFC 6762 §6)
//   send       non-blocking; a datagram the kernel will not take at once is dropped (mDNS
//              repeats itself)
//   events     each discovered peer (new, with changed addresses, or not reported for the
//              record TTL) is passed to the owner's callback, on the service's strand: it must
//              not block (post the dial elsewhere)
//
// Thread-safety: create() and stop() may be called from any thread; everything else runs on
// the service's own strand. The address source is called on that strand and must be
// thread-safe (Host::listen_addresses is).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>  // before Asio (DESIGN.md, GCC 12)

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/coro.h"
#include "net/mdns.h"
#include "util/clock.h"

namespace cairn::net {

struct MdnsServiceOptions {
  MdnsOptions core;
  // The interface to join the group on and send from, by one of its IPv4 addresses;
  // unspecified (0.0.0.0) lets the kernel choose by its routing table.
  asio::ip::address_v4 interface_address = asio::ip::address_v4::any();
  asio::ip::address_v4 group = asio::ip::make_address_v4(kMdnsIpv4Group);
  uint16_t port = kMdnsPort;
  std::function<void(const std::string&)> log;  // stderr if empty
};

class MdnsService : public std::enable_shared_from_this<MdnsService> {
 public:
  using DiscoveryHandler = std::function<void(const MdnsDiscovery&)>;

  // Opens the socket, joins the group and sends the first query. `addresses` gives the
  // addresses to announce (e.g. Host::listen_addresses; /p2p/<local> is appended).
  static Result<std::shared_ptr<MdnsService>> create(asio::io_context& io, PeerId local,
                                                     MdnsCore::AddressSource addresses,
                                                     DiscoveryHandler on_discovery,
                                                     MdnsServiceOptions options = {});

  const std::string& peer_name() const { return peer_name_; }

  // Closes the socket and the timer; no handler is called once the strand has run the
  // close. Idempotent.
  void stop();

 private:
  MdnsService(asio::io_context& io, MdnsCore core, DiscoveryHandler on_discovery, MdnsServiceOptions options);
  void log(const std::string& message) const;
  int64_t now() const { return clock_.monotonic_nanos(); }
  void handle(MdnsOutput output);
  asio::awaitable<void> receive_loop();
  asio::awaitable<void> timer_loop();

  Strand strand_;
  MdnsCore core_;
  std::string peer_name_;
  DiscoveryHandler on_discovery_;
  MdnsServiceOptions options_;
  SystemClock clock_;
  asio::ip::udp::socket socket_;
  asio::steady_timer timer_;
  int64_t timer_deadline_ns_ = 0;  // what timer_ waits for, on the core's clock
  asio::ip::udp::endpoint group_endpoint_;
  std::array<uint8_t, kMaxDnsMessageSize + 1> buffer_{};
  std::atomic<bool> stopped_ = false;
};

}  // namespace cairn::net
