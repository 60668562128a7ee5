// nat_probe: the two ends of tests/net/nat_netns_test.py, one JSON object per line on stdout.
//
//   nat_probe inside [--gateway <ipv4>] [--port <tcp port>] [--lifetime <s>] [--protocol pcp|nat-pmp]
//       a libp2p Host listening on 0.0.0.0:<port> and a PortMapper for that port through
//       <gateway> (default: the default route's), PCP first or NAT-PMP only; prints
//       {"event":"listening",..} once listening, then
//       {"event":"mapped","external":"/ip4/../tcp/..","peer_id":".."} when the mapping is made, and on
//       SIGTERM or SIGINT deletes it and prints
//       {"event":"stopped","deleted":true|false} before exiting 0
//   nat_probe outside --dial <multiaddr with /p2p/<id>> [--timeout-ms <ms>]
//       dials with a Host and pings once; prints {"event":"pinged","peer_id":..,"rtt_us":..}
//       and exits 0, or {"event":"error","message":..} and exits 1
//
// Logs go to stderr. Every wait is bounded.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <utility>  // before Asio (DESIGN.md, GCC 12)

#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "crypto/ed25519.h"
#include "net/host.h"
#include "net/port_mapper.h"
#include "net/tcp_transport.h"

using namespace cairn;
using namespace cairn::net;

namespace {

void emit(const nlohmann::json& line) { std::cout << line.dump() << std::endl; }

int usage() {
  std::cerr
      << "usage: nat_probe inside [--gateway <ipv4>] [--port N] [--lifetime S] [--protocol pcp|nat-pmp]\n"
         "       nat_probe outside --dial <multiaddr> [--timeout-ms MS]\n";
  return 2;
}

// --name value pairs after the mode.
std::optional<std::map<std::string, std::string>> parse_flags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 2; i < argc; i += 2) {
    const std::string name = argv[i];
    if (name.rfind("--", 0) != 0 || i + 1 >= argc) return std::nullopt;
    flags[name.substr(2)] = argv[i + 1];
  }
  return flags;
}

void log_line(const std::string& line) { std::cerr << "nat_probe: " << line << std::endl; }

int run_inside(const std::map<std::string, std::string>& flags) {
  std::optional<asio::ip::address_v4> gateway;
  if (flags.contains("gateway")) {
    boost::system::error_code ec;
    gateway = asio::ip::make_address_v4(flags.at("gateway"), ec);
    if (ec) return usage();
  }
  const std::string protocol = flags.contains("protocol") ? flags.at("protocol") : "pcp";
  if (protocol != "pcp" && protocol != "nat-pmp") return usage();
  const std::string port = flags.contains("port") ? flags.at("port") : "0";
  asio::io_context io;
  HostOptions host_options;
  host_options.log = log_line;
  auto host = Host::create(io, KeyPair::generate(), host_options);
  auto listen_at = Multiaddr::parse("/ip4/0.0.0.0/tcp/" + port);
  if (!listen_at) return usage();
  auto listening = host->listen(*listen_at);
  if (!listening) {
    emit({{"event", "error"}, {"message", listening.error().message}});
    return 1;
  }
  const auto bound = tcp_listen_endpoint(*listening);
  PortMapperOptions options;
  options.internal_port = bound->port();
  options.gateway = gateway;
  options.try_pcp = protocol == "pcp";
  if (flags.contains("lifetime"))
    options.lifetime_seconds = static_cast<uint32_t>(std::stoul(flags.at("lifetime")));
  options.log = log_line;
  const std::string peer_id = host->peer_id().to_base58();
  options.on_external_address = [peer_id](const Multiaddr& external) {
    emit({{"event", "mapped"}, {"external", external.to_string()}, {"peer_id", peer_id}});
  };
  auto mapper = PortMapper::create(io, std::move(options));
  mapper->start();
  emit({{"event", "listening"}, {"listen", listening->to_string()}, {"peer_id", peer_id}});

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& error, int) {
    if (error) return;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          const bool deleted = co_await mapper->stop();  // bounded by the stop timeout
          emit({{"event", "stopped"}, {"deleted", deleted}});
          host->stop();
          io.stop();
        },
        asio::detached);
  });
  io.run();
  return 0;
}

int run_outside(const std::map<std::string, std::string>& flags) {
  if (!flags.contains("dial")) return usage();
  auto target = Multiaddr::parse(flags.at("dial"));
  if (!target) return usage();
  const auto timeout =
      std::chrono::milliseconds(flags.contains("timeout-ms") ? std::stol(flags.at("timeout-ms")) : 20000);
  asio::io_context io;
  HostOptions host_options;
  host_options.log = log_line;
  auto host = Host::create(io, KeyPair::generate(), host_options);
  int status = 1;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto peer = co_await host->dial(*target);
        if (!peer) {
          emit({{"event", "error"}, {"message", "dial: " + peer.error().message}});
        } else if (auto rtt = co_await host->ping(*peer); !rtt) {
          emit({{"event", "error"}, {"message", "ping: " + rtt.error().message}});
        } else {
          emit({{"event", "pinged"},
                {"peer_id", peer->to_base58()},
                {"rtt_us", std::chrono::duration_cast<std::chrono::microseconds>(*rtt).count()}});
          status = 0;
        }
        host->stop();
        io.stop();
      },
      asio::detached);
  io.run_for(timeout);
  if (status != 0 && !io.stopped()) emit({{"event", "error"}, {"message", "timed out"}});
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  auto flags = parse_flags(argc, argv);
  if (!flags) return usage();
  const std::string mode = argv[1];
  if (mode == "inside") return run_inside(*flags);
  if (mode == "outside") return run_outside(*flags);
  return usage();
}
