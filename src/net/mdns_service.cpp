#include "net/mdns_service.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <sys/socket.h>

#include "crypto/ed25519.h"

namespace cairn::net {
namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
// RFC 6762 §11: mDNS datagrams are sent with IP TTL 255.
constexpr int kMdnsMulticastTtl = 255;

Error socket_error(const std::string& what, const boost::system::error_code& ec) {
  return Error{ErrorCode::io, "mdns: " + what + ": " + ec.message()};
}

}  // namespace

Result<std::shared_ptr<MdnsService>> MdnsService::create(asio::io_context& io, PeerId local,
                                                         MdnsCore::AddressSource addresses,
                                                         DiscoveryHandler on_discovery,
                                                         MdnsServiceOptions options) {
  OsRng rng;
  CAIRN_TRY(MdnsCore core, MdnsCore::create(std::move(local), random_mdns_peer_name(rng),
                                            std::move(addresses), options.core));
  std::shared_ptr<MdnsService> service(
      new MdnsService(io, std::move(core), std::move(on_discovery), std::move(options)));
  auto& socket = service->socket_;
  const auto& opts = service->options_;
  boost::system::error_code ec;
  if (socket.open(asio::ip::udp::v4(), ec)) return socket_error("open", ec);
  if (socket.set_option(asio::socket_base::reuse_address(true), ec)) return socket_error("SO_REUSEADDR", ec);
  if (socket.set_option(ReusePort(true), ec)) return socket_error("SO_REUSEPORT", ec);
  if (socket.bind(asio::ip::udp::endpoint(asio::ip::address_v4::any(), opts.port), ec)) {
    return socket_error("bind port " + std::to_string(opts.port), ec);
  }
  if (socket.set_option(asio::ip::multicast::join_group(opts.group, opts.interface_address), ec)) {
    return socket_error("join " + opts.group.to_string() + " on " + opts.interface_address.to_string(), ec);
  }
  if (!opts.interface_address.is_unspecified() &&
      socket.set_option(asio::ip::multicast::outbound_interface(opts.interface_address), ec)) {
    return socket_error("outbound interface", ec);
  }
  if (socket.set_option(asio::ip::multicast::enable_loopback(true), ec))
    return socket_error("multicast loop", ec);
  if (socket.set_option(asio::ip::multicast::hops(kMdnsMulticastTtl), ec))
    return socket_error("multicast TTL", ec);
  if (socket.non_blocking(true, ec)) return socket_error("non-blocking", ec);

  asio::post(service->strand_, [service] {
    if (service->stopped_) return;
    service->handle(service->core_.start(service->now()));
    asio::co_spawn(service->strand_, service->receive_loop(), asio::detached);
    asio::co_spawn(service->strand_, service->timer_loop(), asio::detached);
  });
  return service;
}

MdnsService::MdnsService(asio::io_context& io, MdnsCore core, DiscoveryHandler on_discovery,
                         MdnsServiceOptions options)
    : strand_(asio::make_strand(io)),
      core_(std::move(core)),
      peer_name_(core_.peer_name()),
      on_discovery_(std::move(on_discovery)),
      options_(std::move(options)),
      socket_(strand_),
      timer_(strand_),
      group_endpoint_(options_.group, options_.port) {}

void MdnsService::log(const std::string& message) const {
  if (options_.log) {
    options_.log("mdns: " + message);
  } else {
    std::cerr << "mdns: " << message << '\n';
  }
}

void MdnsService::stop() {
  if (stopped_.exchange(true)) return;
  asio::post(strand_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->timer_.cancel();
    self->socket_.close(ignored);
  });
}

void MdnsService::handle(MdnsOutput output) {
  for (const auto& datagram : output.datagrams) {
    boost::system::error_code ec;
    socket_.send_to(asio::buffer(datagram), group_endpoint_, 0, ec);
    if (ec && ec != asio::error::would_block) log("send: " + ec.message());
  }
  for (const auto& discovery : output.discoveries) {
    if (stopped_) return;
    if (on_discovery_) on_discovery_(discovery);
  }
}

asio::awaitable<void> MdnsService::receive_loop() {
  auto self = shared_from_this();
  asio::ip::udp::endpoint sender;
  while (!stopped_) {
    boost::system::error_code ec;
    const size_t size = co_await socket_.async_receive_from(asio::buffer(buffer_), sender,
                                                            asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_ || ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) break;
    if (ec) {
      // A transient error (an ICMP report, say): keep listening.
      log("receive: " + ec.message());
      continue;
    }
    if (size > kMaxDnsMessageSize) continue;  // filled the buffer: oversized
    const ByteSpan datagram(buffer_.data(), size);
    // RFC 6762 §6: responses from another source port are not mDNS responses. Queries from
    // other ports (legacy unicast resolvers) are treated as multicast queries.
    if (sender.port() != options_.port && size >= 3 && (datagram[2] & (kDnsFlagResponse >> 8)) != 0) continue;
    handle(core_.on_datagram(datagram, now()));
    // A deferred answer may now be due before the timer fires: wake it to re-read.
    if (core_.next_deadline() < timer_deadline_ns_) timer_.cancel();
  }
}

asio::awaitable<void> MdnsService::timer_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    timer_deadline_ns_ = core_.next_deadline();
    timer_.expires_after(std::chrono::nanoseconds(std::max<int64_t>(0, timer_deadline_ns_ - now())));
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    // Cancelled by receive_loop for an earlier deadline: on_timer acts only on what is due.
    handle(core_.on_timer(now()));
  }
}

}  // namespace cairn::net
