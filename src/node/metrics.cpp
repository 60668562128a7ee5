#include "node/metrics.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <unistd.h>

namespace cairn {

namespace {

using metrics::Labels;
using metrics::TextWriter;
using metrics::Type;

std::optional<uint64_t> resident_memory_bytes() {
  // statm: size resident shared text lib data dt, in pages.
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0;
  uint64_t resident = 0;
  if (!(statm >> size >> resident)) return std::nullopt;
  const long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) return std::nullopt;
  return resident * static_cast<uint64_t>(page);
}

std::optional<uint64_t> open_fds() {
  // As Prometheus's own clients count them: the entries of /proc/self/fd (the one the
  // listing itself holds open included).
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (ec) return std::nullopt;
  uint64_t count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    ++count;
  }
  return count;
}

std::optional<double> start_time_seconds() {
  // /proc/self/stat field 22 is the start time in clock ticks after boot; the command
  // (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  uint64_t ticks = 0;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) ticks = std::stoull(field);
  }
  if (!fields) return std::nullopt;
  std::ifstream boot("/proc/stat");
  std::string line;
  uint64_t boot_time = 0;
  while (std::getline(boot, line)) {
    if (line.starts_with("btime ")) boot_time = std::stoull(line.substr(6));
  }
  const long hz = sysconf(_SC_CLK_TCK);
  if (boot_time == 0 || hz <= 0) return std::nullopt;
  return static_cast<double>(boot_time) + static_cast<double>(ticks) / static_cast<double>(hz);
}

void write_chain(TextWriter& w, const Node& node, const NetworkService* network) {
  const ChainMetrics& chain = node.chain().metrics();
  const auto height = static_cast<uint64_t>(chain.height.value());
  uint64_t headers = height;
  if (network != nullptr) headers = std::max(headers, network->sync_status().best_header_height);
  w.gauge("cairn_height", "Height of the best chain's tip.", static_cast<double>(height));
  w.gauge("cairn_headers_height", "Height of the best header chain known (from peers, or the tip's).",
          static_cast<double>(headers));
  w.gauge("cairn_justified_height", "Height of the last justified checkpoint (0 without finality).",
          static_cast<double>(chain.justified_height.value()));
  w.gauge("cairn_finalized_height", "Height of the last finalized checkpoint (0 without finality).",
          static_cast<double>(chain.finalized_height.value()));
  w.gauge("cairn_sync_progress_ratio", "Blocks connected over headers known: 1 when synchronised.",
          headers == 0 ? 1.0 : static_cast<double>(height) / static_cast<double>(headers));

  w.counter("cairn_blocks_connected_total", "Blocks connected to the best chain (reorganisations included).",
            chain.blocks_connected.value());
  w.counter("cairn_reorgs_total", "Moves of the best chain to another branch (a block disconnected).",
            chain.reorgs.value());
  w.family("cairn_block_validation_seconds", Type::histogram,
           "Time to connect one block to the tip: read, validate, execute, write.");
  w.histogram({}, chain.validation_seconds.snapshot());
  w.family("cairn_block_gas_used", Type::histogram,
           "Gas used by the contract transactions of each connected block.");
  w.histogram({}, chain.block_gas_used.snapshot());
  w.counter("cairn_contract_traps_total", "Contract transactions of connected blocks that trapped.",
            chain.contract_traps.value());
  w.counter("cairn_contract_out_of_gas_total",
            "Contract transactions of connected blocks that ran out of gas.",
            chain.contract_out_of_gas.value());
  w.counter("cairn_contract_rejected_deploys_total",
            "Deploys in connected blocks refused: invalid module or address taken.",
            chain.contract_rejected_deploys.value());
  w.counter("cairn_signature_verifications_total",
            "Ed25519 signature verifications run: transaction inputs (the signature cache's misses) and "
            "finality votes.",
            node.mempool().signature_cache().verifications() + node.vote_pool().signature_verifications());

  w.gauge("cairn_mempool_transactions", "Transactions in the mempool.",
          static_cast<double>(node.mempool().size()));
  w.gauge("cairn_mempool_bytes", "Serialized bytes of the mempool's transactions.",
          static_cast<double>(node.mempool().bytes()));
  w.gauge("cairn_orphan_transactions", "Transactions waiting in the orphan pool for their parents.",
          static_cast<double>(node.mempool().orphan_count()));
}

void write_network(TextWriter& w, const NetworkService* network) {
  std::optional<NetworkStats> stats;
  if (network != nullptr) stats = network->stats();
  w.family("cairn_peers", Type::gauge, "Connected peers by direction.");
  w.sample("cairn_peers", {{"direction", "inbound"}}, stats ? static_cast<double>(stats->peers_inbound) : 0);
  w.sample("cairn_peers", {{"direction", "outbound"}},
           stats ? static_cast<double>(stats->peers_outbound) : 0);
  w.family("cairn_p2p_bytes_total", Type::counter,
           "Peer-to-peer bytes by libp2p protocol id or gossip topic.");
  if (stats) {
    for (const auto& [protocol, traffic] : stats->protocols) {
      w.sample("cairn_p2p_bytes_total", {{"protocol", protocol}, {"direction", "in"}},
               static_cast<double>(traffic.bytes_in));
      w.sample("cairn_p2p_bytes_total", {{"protocol", protocol}, {"direction", "out"}},
               static_cast<double>(traffic.bytes_out));
    }
  }
  w.family("cairn_p2p_messages_total", Type::counter,
           "Peer-to-peer messages by libp2p protocol id or gossip topic.");
  if (stats) {
    for (const auto& [protocol, traffic] : stats->protocols) {
      w.sample("cairn_p2p_messages_total", {{"protocol", protocol}, {"direction", "in"}},
               static_cast<double>(traffic.messages_in));
      w.sample("cairn_p2p_messages_total", {{"protocol", protocol}, {"direction", "out"}},
               static_cast<double>(traffic.messages_out));
    }
  }
}

void write_rpc(TextWriter& w, const std::optional<RpcFigures>& rpc) {
  w.family("cairn_rpc_request_duration_seconds", Type::histogram,
           "Time to run one JSON-RPC call, by method (methods called at least once).");
  if (rpc) {
    for (const auto& [method, snapshot] : rpc->latencies) w.histogram({{"method", method}}, snapshot);
  }
  const rpc::ServerStats s = rpc ? rpc->server : rpc::ServerStats{};
  w.gauge("cairn_rpc_requests_in_flight", "JSON-RPC requests being handled.",
          static_cast<double>(s.in_flight));
  w.gauge("cairn_rpc_connections", "Open RPC connections, HTTP and WebSocket.",
          static_cast<double>(s.connections_open));
  w.gauge("cairn_rpc_websockets", "Open WebSocket connections.", static_cast<double>(s.websocket_open));
  w.family("cairn_rpc_requests_total", Type::counter,
           "Requests served: JSON-RPC over HTTP, WebSocket messages, and GET/HEAD pages.");
  w.sample("cairn_rpc_requests_total", {{"transport", "http"}}, static_cast<double>(s.http_requests));
  w.sample("cairn_rpc_requests_total", {{"transport", "websocket"}},
           static_cast<double>(s.websocket_messages));
  w.sample("cairn_rpc_requests_total", {{"transport", "page"}}, static_cast<double>(s.page_requests));
  w.family("cairn_rpc_rejected_total", Type::counter,
           "Requests and connections the RPC server refused, by reason.");
  const std::pair<const char*, uint64_t> reasons[] = {
      {"connection_limit", s.rejected_connection_limit},
      {"websocket_limit", s.rejected_websocket_limit},
      {"host", s.rejected_host},
      {"origin", s.rejected_origin},
      {"unauthorized", s.rejected_unauthorized},
      {"rate_limited", s.rejected_rate_limited},
      {"busy", s.rejected_busy},
      {"body_too_large", s.rejected_body_too_large},
      {"header_too_large", s.rejected_header_too_large},
      {"bad_request", s.rejected_bad_request},
      {"timeout", s.timeouts},
      {"read_timeout", s.read_timeouts},
      {"subscriber_dropped", s.subscribers_dropped},
  };
  for (const auto& [reason, count] : reasons) {
    w.sample("cairn_rpc_rejected_total", {{"reason", reason}}, static_cast<double>(count));
  }
}

void write_store(TextWriter& w, const KvStore& store) {
  const std::optional<StoreStats> stats = store.stats();
  struct Column {
    const char* name;
    const char* help;
    uint64_t StoreStats::ColumnStats::*field;
  };
  const Column columns[] = {
      {"cairn_rocksdb_live_data_bytes", "Estimated live data of each column family.",
       &StoreStats::ColumnStats::live_data_bytes},
      {"cairn_rocksdb_sst_files_bytes", "SST files of each column family, obsolete ones included.",
       &StoreStats::ColumnStats::sst_files_bytes},
      {"cairn_rocksdb_memtable_bytes", "Active and immutable memtables of each column family.",
       &StoreStats::ColumnStats::memtable_bytes},
      {"cairn_rocksdb_pending_compaction_bytes",
       "Estimated bytes compaction still has to rewrite, per column family.",
       &StoreStats::ColumnStats::pending_compaction_bytes},
  };
  for (const Column& column : columns) {
    w.family(column.name, Type::gauge, column.help);
    if (!stats) continue;
    for (const auto& cf : stats->columns)
      w.sample(column.name, {{"cf", cf.column}}, static_cast<double>(cf.*column.field));
  }
  w.family("cairn_rocksdb_block_cache_usage_bytes", Type::gauge,
           "Bytes held by the block cache all columns share.");
  if (stats)
    w.sample("cairn_rocksdb_block_cache_usage_bytes", {},
             static_cast<double>(stats->block_cache_usage_bytes));
  w.family("cairn_rocksdb_block_cache_capacity_bytes", Type::gauge, "Capacity of the shared block cache.");
  if (stats) {
    w.sample("cairn_rocksdb_block_cache_capacity_bytes", {},
             static_cast<double>(stats->block_cache_capacity_bytes));
  }
}

void write_process(TextWriter& w) {
  const ProcessStats p = read_process_stats();
  w.family("cairn_process_resident_memory_bytes", Type::gauge, "Resident set size of the cairnd process.");
  if (p.resident_memory_bytes) {
    w.sample("cairn_process_resident_memory_bytes", {}, static_cast<double>(*p.resident_memory_bytes));
  }
  w.family("cairn_process_open_fds", Type::gauge, "Open file descriptors of the cairnd process.");
  if (p.open_fds) w.sample("cairn_process_open_fds", {}, static_cast<double>(*p.open_fds));
  w.family("cairn_process_start_time_seconds", Type::gauge,
           "Start time of the process since the Unix epoch.");
  if (p.start_time_seconds) w.sample("cairn_process_start_time_seconds", {}, *p.start_time_seconds);
}

}  // namespace

ProcessStats read_process_stats() { return {resident_memory_bytes(), open_fds(), start_time_seconds()}; }

std::string render_node_metrics(const Node& node, const NetworkService* network,
                                const std::optional<RpcFigures>& rpc) {
  TextWriter w;
  write_chain(w, node, network);
  write_network(w, network);
  write_rpc(w, rpc);
  write_store(w, node.store());
  write_process(w);
  return w.take();
}

}  // namespace cairn
