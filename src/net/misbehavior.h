// What a peer did wrong, as the network layer reports it to the ban scores (ban_score.h
// holds the points each reason costs and docs/network.md the table). The consensus and
// chain layers only say why data is invalid (BlockError, MempoolReject); the node maps
// those verdicts to these reasons, so the policy lives in one place.
#pragma once

#include <cstdint>
#include <string_view>

namespace cairn::net {

enum class Misbehavior : uint8_t {
  malformed_message,           // a message that does not decode, or breaks its protocol's framing
  oversized_message,           // a message over its protocol's size cap
  incompatible_handshake,      // a later status message with another version or user agent
  invalid_header,              // a header the consensus rules refuse (work, time, height, version)
  unconnecting_headers,        // headers that do not connect to anything we know, repeatedly
  non_continuous_headers,      // a headers reply whose entries do not chain one to the next
  invalid_block,               // a block the consensus rules refuse
  unrequested_block,           // a block we did not ask for and that was not announced
  invalid_compact_block,       // a compact block that does not decode or rebuild consistently
  invalid_block_transactions,  // a blocktxn reply that does not fill the block asked for
  invalid_transaction,         // a transaction the consensus rules refuse (not mere policy)
  invalid_vote,                // a vote with a bad signature or from a non-validator
  rate_limit_exceeded,         // requests or messages over the per-protocol token bucket
  stalling,                    // a requested download not delivered in time (disconnect, few points)
  kCount,
};

std::string_view to_string(Misbehavior reason);

}  // namespace cairn::net
