// The net_* JSON-RPC methods (docs/rpc.md) over the peer-to-peer network:
//   public  net_get_info (our peer id, addresses, peer counts, sync), net_get_peers,
//           net_get_stats (traffic per protocol and topic, compact-block reconstruction,
//           misbehaviour and rate-limit counters)
//   admin   net_get_bans, net_connect, net_disconnect, net_ban, net_unban
// The handlers may run on any thread: NetworkService's queries and controls are thread-safe.
#pragma once

#include "node/network_service.h"
#include "rpc/registry.h"

namespace cairn {

// Adds the net_* methods. `network` must outlive the registry; null on a node without the
// network (--no-p2p), where every net_* method answers error_code::unavailable. An Error
// only for a spec the registry refuses (a programming error).
Status register_net_methods(rpc::Registry& registry, NetworkService* network);

}  // namespace cairn
