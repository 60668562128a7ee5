// PortMapper: maps one TCP port on the default IPv4 gateway with NAT-PMP or PCP (nat_pmp.h)
// and reports the external address, /ip4/<external>/tcp/<port>, for the host to announce.
// It drives a PortMappingClient over a UDP socket connected to <gateway>:5351, on its own
// strand: one coroutine reads datagrams, one waits for the client's deadline.
//
//   gateway    the default IPv4 route's gateway from /proc/net/route, unless the options name
//              one; no gateway, or no answer from it, is one info log line and nothing else
//   renewal    at half the granted lifetime, by the client; a changed external address or
//              port is reported again
//   stop()     sends the deletion and waits for its answer at most stop_timeout
//
// Thread-safety: start() and stop() may be called from any thread; the callbacks run on the
// mapper's strand.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // before Asio (DESIGN.md, GCC 12)

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/coro.h"
#include "net/multiaddr.h"
#include "net/nat_pmp.h"
#include "util/thread_annotations.h"

namespace cairn::net {

inline constexpr std::string_view kProcNetRoute = "/proc/net/route";
// How long stop() waits for the gateway to confirm a deletion.
inline constexpr NatDuration kDefaultPortMapperStopTimeout = std::chrono::seconds(2);
// Bytes read from the route table; /proc/net/route is one 128-byte line per route.
inline constexpr size_t kMaxRouteTableSize = 64 * 1024;
// One datagram read from the gateway: the largest PCP message.
inline constexpr size_t kMaxGatewayDatagramSize = kPcpMaxMessageSize;

// The gateway of the default IPv4 route in the text of /proc/net/route, if there is one.
std::optional<boost::asio::ip::address_v4> parse_default_gateway(std::string_view route_table);

struct PortMapperOptions {
  uint16_t internal_port = 0;
  // The gateway to ask; empty: the default route's (read from route_table_path).
  std::optional<boost::asio::ip::address_v4> gateway;
  uint16_t gateway_port = kNatPmpPort;
  std::string route_table_path{kProcNetRoute};
  uint32_t lifetime_seconds = kDefaultMappingLifetimeSeconds;
  bool try_pcp = true;
  RetrySchedule pcp = kPcpSchedule;
  RetrySchedule nat_pmp = kNatPmpSchedule;
  NatDuration stop_timeout = kDefaultPortMapperStopTimeout;
  // Called with the external address whenever it is first known or changes.
  std::function<void(const Multiaddr&)> on_external_address;
  // Info lines; stderr if empty.
  std::function<void(const std::string&)> log;
};

class PortMapper : public std::enable_shared_from_this<PortMapper> {
 public:
  static std::shared_ptr<PortMapper> create(asio::io_context& io, PortMapperOptions options);

  // Finds the gateway and starts mapping. Call once.
  void start();
  // Deletes the mapping (waiting at most stop_timeout for the gateway) and stops; returns
  // whether the gateway confirmed the deletion. Safe to call more than once.
  asio::awaitable<bool> stop();

  std::optional<Multiaddr> external_address() const;

 private:
  PortMapper(asio::io_context& io, PortMapperOptions options);

  void log(const std::string& message) const;
  asio::awaitable<void> run();
  asio::awaitable<void> receive_loop();
  asio::awaitable<void> timer_loop();
  asio::awaitable<bool> stop_on_strand();
  void flush();

  Strand strand_;
  PortMapperOptions options_;
  asio::ip::udp::socket socket_;
  asio::steady_timer timer_;
  asio::steady_timer stop_signal_;  // cancelled when the client reaches a terminal state
  // Touched only on strand_.
  std::optional<PortMappingClient> client_;  // set once the socket is connected
  bool finished_ = false;                    // the client has stopped or failed
  bool removed_confirmed_ = false;
  // Written on the strand; read by external_address() from any thread.
  mutable Mutex mutex_;
  std::optional<Multiaddr> external_ GUARDED_BY(mutex_);
};

}  // namespace cairn::net
