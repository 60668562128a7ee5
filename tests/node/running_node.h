// A regtest node run in-process for tests: Node::open on a data directory the test owns,
// the chain loop (Node::run) on a thread, the peer-to-peer network on 127.0.0.1 with a
// free port, and optionally the JSON-RPC service on 127.0.0.1 with a free port. stop() (and the destructor)
// stop it with bounded waits, so one test can stop a node and start another on the same directory (a
// restart).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "chain/regtest_fixture.h"
#include "node/network_service.h"
#include "node/node.h"
#include "node/rpc_service.h"

namespace cairn::test {

// How long a node's loop may take to return once asked to stop.
inline constexpr std::chrono::seconds kNodeStopBound{30};

struct RunningNodeOptions {
  std::vector<std::string> bootstrap;
  size_t max_inbound = kDefaultP2pMaxInbound;
  size_t max_outbound = kDefaultP2pMaxOutbound;
  bool rpc = false;  // serve JSON-RPC (its cookie in datadir/regtest)
};

class RunningNode {
 public:
  // Opens the node in `datadir` (its regtest files go to datadir/regtest) and starts its
  // network and loop; an Error names what failed.
  static Result<std::unique_ptr<RunningNode>> start(const std::filesystem::path& datadir,
                                                    RunningNodeOptions options = {}) {
    ResolvedNodeOptions resolved;
    resolved.paths = ResolvedPaths{Network::regtest, datadir, datadir / "regtest"};
    std::filesystem::create_directories(resolved.paths.network_datadir);
    resolved.mine_to = miner_lock();
    resolved.rpc.enabled = options.rpc;
    resolved.rpc.listen = HostPort{"127.0.0.1", 0};
    resolved.rpc_listen = resolved.rpc.listen;
    resolved.p2p.listen = {"/ip4/127.0.0.1/tcp/0"};
    resolved.p2p.bootstrap = std::move(options.bootstrap);
    resolved.p2p.max_inbound = options.max_inbound;
    resolved.p2p.max_outbound = options.max_outbound;
    auto node = Node::open(resolved);
    if (!node) return node.error();
    std::unique_ptr<RunningNode> running(new RunningNode(std::move(*node)));
    auto network = NetworkService::start(*running->node_, resolved.p2p);
    if (!network) return network.error();
    running->network_ = std::move(*network);
    if (options.rpc) {
      auto rpc = RpcService::start(*running->node_, resolved.rpc, running->network_.get());
      if (!rpc) return rpc.error();
      running->rpc_ = std::move(*rpc);
    }
    std::packaged_task<Status()> loop(
        [node = running->node_.get(), stop = &running->stop_] { return node->run(*stop); });
    running->ran_ = loop.get_future();
    running->loop_ = std::thread(std::move(loop));
    return running;
  }

  ~RunningNode() { stop(); }
  RunningNode(const RunningNode&) = delete;
  RunningNode& operator=(const RunningNode&) = delete;

  Node& node() { return *node_; }
  NetworkService& network() { return *network_; }
  // REQUIRES: started with RunningNodeOptions::rpc.
  RpcService& rpc() { return *rpc_; }
  // The first listen address, with /p2p/<peer id>: what another node dials.
  std::string address() const { return network_->listen_addresses().at(0); }

  // Runs `fn` on the chain thread and returns its value (the node must be running).
  template <class F>
  auto on_chain(F fn) {
    return node_->call(std::move(fn)).value();
  }
  uint64_t height() {
    return on_chain([this] { return node_->chain().tip().height(); });
  }

  // Stops the loop (bounded: aborts the test binary rather than hang), then the RPC
  // service and the network, in cairnd's order.
  void stop() {
    if (!node_) return;
    node_->request_stop();
    if (loop_.joinable()) {
      if (ran_.wait_for(kNodeStopBound) != std::future_status::ready) {
        std::fprintf(stderr, "RunningNode: Node::run did not return within the bound\n");
        std::abort();
      }
      loop_.join();
      const Status ran = ran_.get();
      EXPECT_TRUE(ran.ok()) << ran.error().to_string();
    }
    if (rpc_) rpc_->stop();
    rpc_.reset();
    if (network_) network_->stop();
    network_.reset();
    node_.reset();
  }

 private:
  explicit RunningNode(std::unique_ptr<Node> node) : node_(std::move(node)) {}

  std::unique_ptr<Node> node_;
  std::unique_ptr<NetworkService> network_;
  std::unique_ptr<RpcService> rpc_;
  std::atomic<bool> stop_{false};
  std::future<Status> ran_;
  std::thread loop_;
};

}  // namespace cairn::test
