#include "node/rpc_service.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "net/host.h"
#include "node/metrics.h"
#include "node/net_methods.h"
#include "node/node_methods.h"
#include "rpc/auth.h"
#include "rpc/chain_events.h"
#include "rpc/chain_json.h"
#include "rpc/chain_methods.h"
#include "rpc/consensus_methods.h"
#include "rpc/contract_methods.h"
#include "rpc/cookie.h"
#include "rpc/dispatcher.h"
#include "rpc/openrpc.h"
#include "rpc/rate_limit.h"
#include "rpc/static_site.h"
#include "rpc/subscriptions.h"
#include "util/metrics.h"

namespace cairn {

namespace asio = boost::asio;
using rpc::json;

namespace {

std::vector<rpc::TopicSpec> subscription_topics() {
  return {
      {rpc::kNewHeadsTopic,
       "Every block connected to or disconnected from the best chain, in chain order: a "
       "reorganisation shows as `{\"event\":\"disconnected\",\"hash\",\"height\"}` notices from the old "
       "tip down, then the new branch's headers (chain_get_header's object) with `\"event\":\"connected\"`.",
       std::nullopt},
      {rpc::kFinalizedTopic, "Each newly finalized checkpoint block's header (chain_get_header's object).",
       std::nullopt},
      {rpc::kMempoolTopic,
       "Each transaction accepted into this node's mempool (tx_get's transaction object, without location).",
       std::nullopt},
      {rpc::kContractEventsTopic,
       "Each event of the contract transactions of every block connected to the best chain, in chain order, "
       "as `{\"event\":\"connected\",\"block_hash\",\"height\",\"txid\",\"position\",\"index\"}` with "
       "the event (`contract`, `address`, `topics`, `data`); a disconnected block's events come again with "
       "`\"event\":\"disconnected\"`, last first (for blocks within " +
           std::to_string(rpc::kContractEventMemoryBlocks) +
           " of the tip). The filter keeps one contract's events (`contract`: address or id) and/or those "
           "whose "
           "topic i equals `topics[i]` (null: any).",
       rpc::contract_events_filter_schema()},
  };
}

// `handler` run on the chain thread through Node::call(): what every method that reads
// chain state is wrapped in.
rpc::MethodHandler on_chain_thread(Node& node, rpc::MethodHandler handler) {
  return [&node, handler = std::move(handler)](const json& params, const rpc::CallContext& context) {
    auto result = node.call([&] { return handler(params, context); });
    if (!result)
      return rpc::MethodResult{rpc::RpcError{rpc::error_code::unavailable, result.error().message, {}}};
    return std::move(*result);
  };
}

}  // namespace

// ---- NodeMethods ----------------------------------------------------------------------------

struct NodeMethods::State {
  explicit State(Node& n)
      : node(n),
        chain_services{node.chain(), node.mempool(), node.store(), node.options().paths.network,
                       node.params().coinbase_maturity,
                       // The node's pool runs with the default options (node.cpp).
                       MempoolOptions{}.max_bytes, MempoolOptions{}.min_relay_fee,
                       node.template_transaction_bytes(),
                       [this](const Transaction& tx) { return node.submit_transaction(tx); }},
        consensus_services{node.chain(), node.options().paths.network, node.params().finality},
        contract_services{
            node.chain_manager(),
            node.mempool(),
            node.store(),
            node.options().paths.network,
            node.params().limits,
            [] {
              return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
            }},
        publisher(node.chain(), hub,
                  [this](std::function<void()> delivery) { deliver(std::move(delivery)); }),
        contract_publisher(node.chain(), node.store(), node.options().paths.network, hub,
                           [this](std::function<void()> delivery) { deliver(std::move(delivery)); }) {}

  // Fans a notice out to the subscribers on the notifier thread, in the order given: the
  // chain thread only builds it.
  void deliver(std::function<void()> delivery) { asio::post(notifier, std::move(delivery)); }

  Node& node;
  rpc::ChainServices chain_services;
  rpc::ConsensusServices consensus_services;
  rpc::ContractServices contract_services;
  rpc::SubscriptionHub hub;
  rpc::ChainEventPublisher publisher;
  rpc::ContractEventPublisher contract_publisher;
  rpc::Registry registry;
  // One thread, so deliveries keep their order; declared last so that it is joined first.
  asio::thread_pool notifier{1};
};

Result<std::unique_ptr<NodeMethods>> NodeMethods::create(Node& node, NetworkService* network) {
  auto state = std::make_unique<State>(node);
  // The chain-state readers go through a scratch registry so that each handler can be
  // wrapped to run on the chain thread; the node methods hop there themselves.
  rpc::Registry chain_readers;
  CAIRN_TRY_STATUS(rpc::register_chain_methods(chain_readers, state->chain_services));
  CAIRN_TRY_STATUS(rpc::register_consensus_methods(chain_readers, state->consensus_services));
  CAIRN_TRY_STATUS(rpc::register_contract_methods(chain_readers, state->contract_services));
  for (rpc::MethodSpec spec : chain_readers.methods()) {
    if (spec.name == "tx_get") spec = rpc::with_contract_receipt(std::move(spec), state->contract_services);
    spec.handler = on_chain_thread(node, std::move(spec.handler));
    CAIRN_TRY_STATUS(state->registry.add(std::move(spec)));
  }
  NodeInfoSources sources;
  if (network != nullptr) {
    sources.peer_count = [network] { return static_cast<uint64_t>(network->peer_count()); };
    sources.best_known_height = [network] { return network->sync_status().best_header_height; };
    sources.sync_eta_seconds = [network] { return network->sync_status().eta_seconds; };
  }
  CAIRN_TRY_STATUS(register_node_methods(state->registry, node, std::move(sources)));
  CAIRN_TRY_STATUS(register_net_methods(state->registry, network));
  // node_subscribe checks a contract_events filter's contract address for this network
  // (the schema cannot) before subscribing.
  rpc::Registry subscriptions;
  CAIRN_TRY_STATUS(rpc::register_subscription_methods(subscriptions, state->hub, subscription_topics()));
  for (rpc::MethodSpec spec : subscriptions.methods()) {
    if (spec.name == "node_subscribe") {
      spec.handler = [network = node.options().paths.network, inner = std::move(spec.handler)](
                         const json& params, const rpc::CallContext& context) -> rpc::MethodResult {
        if (params.value("topic", "") == rpc::kContractEventsTopic && params.contains("filter")) {
          if (auto error = rpc::contract_events_filter_error(params.at("filter"), network))
            return rpc::RpcError{rpc::error_code::invalid_params, *error, std::nullopt};
        }
        return inner(params, context);
      };
    }
    CAIRN_TRY_STATUS(state->registry.add(std::move(spec)));
  }
  CAIRN_TRY_STATUS(
      rpc::register_discover(state->registry, rpc::ApiInfo{.version = std::string(net::kCairnAgentVersion)}));

  node.add_chain_listener(state->publisher);
  node.add_chain_listener(state->contract_publisher);
  const Network chain_network = node.options().paths.network;
  node.add_transaction_observer([state = state.get(), chain_network](const Transaction& tx) {
    state->deliver([state, result = rpc::transaction_json(tx, chain_network)] {
      state->hub.publish(rpc::kMempoolTopic, result);
    });
  });
  return std::unique_ptr<NodeMethods>(new NodeMethods(std::move(state)));
}

NodeMethods::NodeMethods(std::unique_ptr<State> state) : state_(std::move(state)) {}
NodeMethods::~NodeMethods() = default;
const rpc::Registry& NodeMethods::registry() const { return state_->registry; }

// ---- RpcService -----------------------------------------------------------------------------

struct RpcService::State {
  Node* node = nullptr;
  NetworkService* network = nullptr;
  std::unique_ptr<NodeMethods> methods;
  std::optional<rpc::Authenticator> authenticator;
  std::unique_ptr<rpc::RateLimiter> limiter;
  std::unique_ptr<rpc::Dispatcher> dispatcher;
  std::filesystem::path cookie_file;
  asio::thread_pool workers{kRpcWorkerThreads};
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<rpc::Server> server;
  std::unique_ptr<rpc::Server> metrics_server;  // --metrics-listen
  std::optional<rpc::StaticSite> explorer;      // immutable once serving
  std::thread io_thread;
  bool stopped = false;

  std::string metrics_page() const {
    return render_node_metrics(*node, network, RpcFigures{server->stats(), dispatcher->latencies()});
  }
  rpc::Page metrics_response() const {
    return rpc::Page{200, metrics::kTextContentType, metrics_page(), {{"Cache-Control", "no-store"}}};
  }
};

namespace {

Result<std::vector<asio::ip::tcp::endpoint>> listen_endpoints(const HostPort& listen, const char* flag) {
  // "localhost" is both loopbacks; anything else is an address (options.cpp checked it).
  if (listen.host == "localhost") {
    return std::vector<asio::ip::tcp::endpoint>{{asio::ip::address_v4::loopback(), listen.port},
                                                {asio::ip::address_v6::loopback(), listen.port}};
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(listen.host, ec);
  if (ec)
    return Error{ErrorCode::invalid_argument,
                 std::string(flag) + ": '" + listen.host + "' is not an IP address"};
  return std::vector<asio::ip::tcp::endpoint>{{address, listen.port}};
}

// The Host header values a browser on this machine sends for the listen address, and the
// configured extras (options.h RpcOptions::allow_hosts).
std::vector<std::string> allowed_hosts(const RpcOptions& options) {
  std::vector<std::string> hosts = {"localhost", "127.0.0.1", "[::1]"};
  const std::string port = std::to_string(options.listen.port);
  const bool v6 = options.listen.host.find(':') != std::string::npos;
  hosts.push_back((v6 ? "[" + options.listen.host + "]" : options.listen.host) + ":" + port);
  hosts.insert(hosts.end(), options.allow_hosts.begin(), options.allow_hosts.end());
  return hosts;
}

// Where the explorer's files are looked for without --explorer-dir: installed next to the
// executable (<prefix>/bin/cairnd -> <prefix>/share/cairn/explorer), then the source tree's.
std::vector<std::filesystem::path> default_explorer_dirs() {
  std::vector<std::filesystem::path> dirs;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(exe.parent_path().parent_path() / "share" / "cairn" / "explorer");
#ifdef CAIRN_SOURCE_EXPLORER_DIR
  dirs.emplace_back(CAIRN_SOURCE_EXPLORER_DIR);
#endif
  return dirs;
}

// The explorer to serve: --explorer-dir's (an Error when it cannot be read), or the first
// default directory that holds an index.html (nullopt, with a warning, when none does).
Result<std::optional<rpc::StaticSite>> open_explorer(const ResolvedNodeOptions& options) {
  if (!options.explorer) return std::optional<rpc::StaticSite>{};
  if (options.explorer_dir) {
    auto site = rpc::StaticSite::open(*options.explorer_dir);
    if (!site) return Error{site.error().code, "--explorer-dir: " + site.error().message};
    return std::optional<rpc::StaticSite>(std::move(*site));
  }
  std::string looked;
  for (const auto& dir : default_explorer_dirs()) {
    looked += (looked.empty() ? "" : ", ") + dir.string();
    std::error_code ec;
    if (!std::filesystem::exists(dir / "index.html", ec)) continue;
    auto site = rpc::StaticSite::open(dir);
    if (site) return std::optional<rpc::StaticSite>(std::move(*site));
    spdlog::warn("rpc: explorer in {} not served: {}", dir.string(), site.error().message);
  }
  spdlog::warn("rpc: no explorer found (looked in {}); / is not served (see --explorer-dir)", looked);
  return std::optional<rpc::StaticSite>{};
}

// The --metrics-listen listener: /metrics for anyone who reaches it, nothing else.
rpc::ServerOptions metrics_server_options(RpcService::State* raw, const RpcOptions& rpc_options) {
  rpc::ServerOptions o;
  // Every Host: the page is public on this listener, so a rebinding page could read nothing
  // its own visitor could not.
  o.allowed_hosts = {"*"};
  o.pages = [raw](const rpc::PageRequest& request) -> std::optional<rpc::Page> {
    if (request.path != kMetricsPath) return std::nullopt;
    return raw->metrics_response();
  };
  o.authenticate = [](std::optional<std::string_view>, std::string_view remote_ip, bool) {
    return std::optional<rpc::Caller>(rpc::Caller{"anonymous", false, std::string(remote_ip)});
  };
  o.admit = [raw](std::string_view client) { return raw->limiter->admit(client); };
  o.handler = [](std::string, rpc::CallContext, std::function<void(std::optional<std::string>)> done) {
    const json error = {
        {"jsonrpc", "2.0"},
        {"error",
         {{"code", rpc::error_code::unavailable},
          {"message", "this listener serves GET /metrics only; JSON-RPC is on --rpc-listen"}}},
        {"id", nullptr}};
    done(error.dump());
  };
  o.max_connections = kMetricsListenerMaxConnections;
  o.max_websocket_connections = 0;  // every upgrade is refused
  o.max_in_flight = 1;
  if (rpc_options.tls_cert && rpc_options.tls_key) {
    o.tls = rpc::TlsOptions{rpc_options.tls_cert->string(), rpc_options.tls_key->string()};
  }
  return o;
}

}  // namespace

Result<std::unique_ptr<RpcService>> RpcService::start(Node& node, const RpcOptions& options,
                                                      NetworkService* network) {
  auto state = std::make_unique<State>();
  state->node = &node;
  state->network = network;
  CAIRN_TRY(state->methods, NodeMethods::create(node, network));
  CAIRN_TRY(state->explorer, open_explorer(node.options()));

  rpc::AuthConfig auth;
  for (const std::string& line : options.users) {
    auto user = rpc::parse_user_line(line);
    if (!user) return Error{ErrorCode::invalid_argument, "--rpc-user: " + user.error().message};
    auth.users.push_back(std::move(*user));
  }
  auth.public_without_auth = options.public_without_auth;
  state->cookie_file = node.options().paths.network_datadir / rpc::kCookieFileName;
  CAIRN_TRY(auth.cookie_password, rpc::write_cookie(state->cookie_file));
  CAIRN_TRY(auto authenticator, rpc::Authenticator::create(std::move(auth)));
  state->authenticator.emplace(std::move(authenticator));
  state->limiter = std::make_unique<rpc::RateLimiter>(rpc::RateLimit{kRpcRatePerSecond, kRpcRateBurst});
  state->dispatcher = std::make_unique<rpc::Dispatcher>(state->methods->registry());

  rpc::ServerOptions server_options;
  CAIRN_TRY(server_options.listen, listen_endpoints(options.listen, "--rpc-listen"));
  server_options.allowed_hosts = allowed_hosts(options);
  server_options.allowed_origins = options.allow_origins;
  if (options.max_connections) server_options.max_connections = *options.max_connections;
  if (options.max_websockets) server_options.max_websocket_connections = *options.max_websockets;
  if (options.max_in_flight) server_options.max_in_flight = *options.max_in_flight;
  if (options.tls_cert && options.tls_key) {
    server_options.tls = rpc::TlsOptions{options.tls_cert->string(), options.tls_key->string()};
  }
  State* raw = state.get();
  server_options.authenticate = [raw](std::optional<std::string_view> authorization,
                                      std::string_view remote_ip, bool loopback) {
    return raw->authenticator->authenticate(authorization, remote_ip, loopback);
  };
  server_options.admit = [raw](std::string_view client) {
    return client == rpc::kCookieUser || raw->limiter->admit(client);
  };
  server_options.handler = [raw](std::string body, rpc::CallContext context,
                                 std::function<void(std::optional<std::string>)> done) {
    asio::post(raw->workers, [raw, body = std::move(body), context = std::move(context),
                              done = std::move(done)] { done(raw->dispatcher->handle(body, context)); });
  };
  server_options.pages = [raw](const rpc::PageRequest& request) -> std::optional<rpc::Page> {
    if (request.path == kMetricsPath) {
      // Loopback callers (the operator's own Prometheus or curl) and admins only: the page
      // tells a stranger about the node's load and peers.
      if (!request.remote_is_loopback) {
        std::optional<rpc::Caller> caller;
        if (request.authorization) {
          caller = raw->authenticator->authenticate(request.authorization, request.remote_ip, false);
        }
        if (!caller || !caller->admin) {
          return rpc::Page{
              403,
              "text/plain; charset=utf-8",
              "/metrics is served to loopback callers and admin credentials; see --metrics-listen\n",
              {}};
        }
      }
      return raw->metrics_response();
    }
    if (raw->explorer) return raw->explorer->serve(request);
    return std::nullopt;
  };

  state->work.emplace(state->io.get_executor());
  auto server = rpc::Server::start(state->io, std::move(server_options));
  if (!server) {
    rpc::remove_cookie(state->cookie_file);
    return Error{server.error().code,
                 "--rpc-listen " + options.listen.to_string() + ": " + server.error().message};
  }
  state->server = std::move(*server);
  if (const auto& metrics_listen = node.options().metrics_listen) {
    rpc::ServerOptions metrics_options = metrics_server_options(raw, options);
    auto endpoints = listen_endpoints(*metrics_listen, "--metrics-listen");
    if (!endpoints) {
      rpc::remove_cookie(state->cookie_file);
      return endpoints.error();
    }
    metrics_options.listen = std::move(*endpoints);
    auto metrics_server = rpc::Server::start(state->io, std::move(metrics_options));
    if (!metrics_server) {
      rpc::remove_cookie(state->cookie_file);
      return Error{metrics_server.error().code,
                   "--metrics-listen " + metrics_listen->to_string() + ": " + metrics_server.error().message};
    }
    state->metrics_server = std::move(*metrics_server);
  }
  state->io_thread = std::thread([raw] { raw->io.run(); });
  for (const auto& endpoint : state->server->local_endpoints()) {
    spdlog::info("rpc: serving JSON-RPC on {}:{} (HTTP and WebSocket{}); cookie {}",
                 endpoint.address().to_string(), endpoint.port(), options.tls_cert ? ", TLS" : "",
                 state->cookie_file.string());
  }
  if (state->metrics_server) {
    for (const auto& endpoint : state->metrics_server->local_endpoints()) {
      spdlog::info("rpc: serving {} on {}:{} to anyone", kMetricsPath, endpoint.address().to_string(),
                   endpoint.port());
    }
  }
  if (state->explorer) {
    spdlog::info("rpc: serving the explorer at / ({} files)", state->explorer->file_count());
  }
  return std::unique_ptr<RpcService>(new RpcService(std::move(state)));
}

RpcService::RpcService(std::unique_ptr<State> state) : state_(std::move(state)) {}

RpcService::~RpcService() { stop(); }

void RpcService::stop() {
  State& s = *state_;
  if (s.stopped) return;
  s.stopped = true;
  s.server->stop();
  if (s.metrics_server) s.metrics_server->stop();
  s.work.reset();
  s.io.stop();
  if (s.io_thread.joinable()) s.io_thread.join();
  s.workers.join();
  rpc::remove_cookie(s.cookie_file);
}

std::vector<asio::ip::tcp::endpoint> RpcService::endpoints() const {
  return state_->server->local_endpoints();
}
std::vector<asio::ip::tcp::endpoint> RpcService::metrics_endpoints() const {
  if (!state_->metrics_server) return {};
  return state_->metrics_server->local_endpoints();
}
rpc::ServerStats RpcService::stats() const { return state_->server->stats(); }
std::string RpcService::metrics_page() const { return state_->metrics_page(); }
bool RpcService::serves_explorer() const { return state_->explorer.has_value(); }
const rpc::Registry& RpcService::registry() const { return state_->methods->registry(); }

}  // namespace cairn
