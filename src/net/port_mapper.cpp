#include "net/port_mapper.h"

#include <bit>
#include <charconv>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/asio/redirect_error.hpp>

#include "crypto/ed25519.h"
#include "net/tcp_transport.h"

namespace cairn::net {
namespace {

using asio::ip::udp;
using boost::system::error_code;

auto log_exception(std::string what) {
  return [what = std::move(what)](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::cerr << "cairn net: " << what << " threw: " << e.what() << '\n';
    }
  };
}

std::optional<uint32_t> parse_hex32(std::string_view text) {
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || text.size() > 8) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> read_route_table(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::string text(kMaxRouteTableSize, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  return text;
}

}  // namespace

std::optional<asio::ip::address_v4> parse_default_gateway(std::string_view route_table) {
  // Columns: Iface Destination Gateway Flags RefCnt Use Metric Mask ...; addresses are the
  // kernel's network-order words printed as native integers.
  constexpr uint32_t kRtfUp = 0x1;
  constexpr uint32_t kRtfGateway = 0x2;
  std::istringstream lines{std::string(route_table)};
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string iface, destination, gateway, flags, refcnt, use, metric, mask;
    if (!(fields >> iface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask)) continue;
    const auto dest = parse_hex32(destination);
    const auto via = parse_hex32(gateway);
    const auto bits = parse_hex32(flags);
    const auto netmask = parse_hex32(mask);
    if (!dest || !via || !bits || !netmask) continue;
    if (*dest != 0 || *netmask != 0 || (*bits & (kRtfUp | kRtfGateway)) != (kRtfUp | kRtfGateway) ||
        *via == 0) {
      continue;
    }
    // The word's bytes in memory order are the address's bytes in network order.
    const uint32_t v = *via;
    const asio::ip::address_v4::bytes_type in_memory =
        std::endian::native == std::endian::little
            ? asio::ip::address_v4::bytes_type{static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                                               static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)}
            : asio::ip::address_v4::bytes_type{static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                                               static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    return asio::ip::address_v4(in_memory);
  }
  return std::nullopt;
}

std::shared_ptr<PortMapper> PortMapper::create(asio::io_context& io, PortMapperOptions options) {
  return std::shared_ptr<PortMapper>(new PortMapper(io, std::move(options)));
}

PortMapper::PortMapper(asio::io_context& io, PortMapperOptions options)
    : strand_(asio::make_strand(io)),
      options_(std::move(options)),
      socket_(strand_),
      timer_(strand_),
      stop_signal_(strand_) {}

void PortMapper::log(const std::string& message) const {
  if (options_.log) {
    options_.log(message);
  } else {
    std::cerr << "cairn net: " + message + "\n";
  }
}

void PortMapper::start() { asio::co_spawn(strand_, run(), log_exception("port mapper")); }

std::optional<Multiaddr> PortMapper::external_address() const {
  MutexLock lock(mutex_);
  return external_;
}

asio::awaitable<void> PortMapper::run() {
  auto self = shared_from_this();
  if (finished_) co_return;  // stopped before it started
  std::optional<asio::ip::address_v4> gateway = options_.gateway;
  if (!gateway) {
    if (auto table = read_route_table(options_.route_table_path)) gateway = parse_default_gateway(*table);
  }
  if (!gateway) {
    log("NAT: no default IPv4 gateway; port mapping off");
    finished_ = true;
    co_return;
  }
  const udp::endpoint to(*gateway, options_.gateway_port);
  const std::string where = to.address().to_string() + ":" + std::to_string(to.port());
  error_code ec;
  socket_.open(udp::v4(), ec);
  if (!ec) socket_.connect(to, ec);  // the kernel then drops datagrams from anyone else
  const udp::endpoint local = ec ? udp::endpoint() : socket_.local_endpoint(ec);
  if (ec) {
    log("NAT: cannot reach gateway " + where + " (" + ec.message() + "); port mapping off");
    finished_ = true;
    socket_.close(ec);
    co_return;
  }
  PortMappingConfig config;
  config.internal_port = options_.internal_port;
  config.client_address = local.address().to_v4().to_bytes();
  OsRng().fill(config.nonce);
  config.lifetime_seconds = options_.lifetime_seconds;
  config.try_pcp = options_.try_pcp;
  config.pcp = options_.pcp;
  config.nat_pmp = options_.nat_pmp;
  client_.emplace(config);
  client_->start(NatClock::now());
  flush();
  asio::co_spawn(strand_, receive_loop(), log_exception("port mapper receive"));
  asio::co_spawn(strand_, timer_loop(), log_exception("port mapper timer"));
}

asio::awaitable<void> PortMapper::receive_loop() {
  auto self = shared_from_this();
  std::array<uint8_t, kMaxGatewayDatagramSize + 1> buffer{};  // +1: oversized shows as such
  while (!finished_) {
    error_code ec;
    const size_t n =
        co_await socket_.async_receive(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (finished_ || ec == asio::error::operation_aborted) break;
    // An ICMP port unreachable surfaces as connection_refused on a connected UDP socket: the
    // gateway does not listen (yet); the retry schedule decides when to give up.
    if (ec == asio::error::connection_refused) continue;
    if (ec) break;
    client_->on_datagram(ByteSpan(buffer.data(), n), NatClock::now());
    flush();
  }
}

asio::awaitable<void> PortMapper::timer_loop() {
  auto self = shared_from_this();
  while (!finished_) {
    const std::optional<NatTime> deadline = client_->deadline();
    timer_.expires_at(deadline.value_or(NatTime::max()));
    error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (finished_) break;
    if (deadline && NatClock::now() >= *deadline && client_->deadline() == deadline) {
      client_->on_timer(NatClock::now());
      flush();
    }
  }
}

void PortMapper::flush() {
  error_code ec;
  for (const Bytes& datagram : client_->take_datagrams()) {
    socket_.send(asio::buffer(datagram), 0, ec);  // a lost request is what retries are for
  }
  for (PortMappingEvent& event : client_->take_events()) {
    if (auto* mapped = std::get_if<PortMapped>(&event)) {
      const Multiaddr address = tcp_multiaddr(
          asio::ip::tcp::endpoint(asio::ip::address_v4(mapped->external_address), mapped->external_port));
      bool changed = false;
      {
        MutexLock lock(mutex_);
        changed = external_ != address;
        external_ = address;
      }
      if (!changed) continue;
      log("NAT: TCP port " + std::to_string(options_.internal_port) + " mapped to " + address.to_string() +
          " by " + std::string(to_string(mapped->protocol)) + " for " +
          std::to_string(mapped->lifetime_seconds) + " s");
      if (options_.on_external_address) options_.on_external_address(address);
    } else if (auto* failed = std::get_if<PortMappingFailed>(&event)) {
      log("NAT: " + socket_.remote_endpoint(ec).address().to_string() + ": " + failed->reason +
          "; port mapping off");
      MutexLock lock(mutex_);
      external_.reset();
      finished_ = true;
    } else if (auto* removed = std::get_if<PortMappingRemoved>(&event)) {
      removed_confirmed_ = removed->confirmed;
      MutexLock lock(mutex_);
      external_.reset();
      finished_ = true;
    }
  }
  if (finished_) {
    timer_.cancel();
    stop_signal_.cancel();
    socket_.close(ec);
  } else if (client_->deadline().value_or(NatTime::max()) != timer_.expiry()) {
    timer_.cancel();  // the timer loop re-arms for the new deadline
  }
}

asio::awaitable<bool> PortMapper::stop() { co_return co_await run_on(strand_, stop_on_strand()); }

asio::awaitable<bool> PortMapper::stop_on_strand() {
  auto self = shared_from_this();
  if (client_ && !finished_) {
    client_->stop(NatClock::now());
    flush();
    if (!finished_) {
      stop_signal_.expires_after(options_.stop_timeout);
      error_code ec;
      co_await stop_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  finished_ = true;
  error_code ec;
  timer_.cancel();
  socket_.close(ec);
  co_return removed_confirmed_;
}

}  // namespace cairn::net
