#include "net/misbehavior.h"

namespace cairn::net {

std::string_view to_string(Misbehavior reason) {
  switch (reason) {
    case Misbehavior::malformed_message: return "malformed_message";
    case Misbehavior::oversized_message: return "oversized_message";
    case Misbehavior::incompatible_handshake: return "incompatible_handshake";
    case Misbehavior::invalid_header: return "invalid_header";
    case Misbehavior::unconnecting_headers: return "unconnecting_headers";
    case Misbehavior::non_continuous_headers: return "non_continuous_headers";
    case Misbehavior::invalid_block: return "invalid_block";
    case Misbehavior::unrequested_block: return "unrequested_block";
    case Misbehavior::invalid_compact_block: return "invalid_compact_block";
    case Misbehavior::invalid_block_transactions: return "invalid_block_transactions";
    case Misbehavior::invalid_transaction: return "invalid_transaction";
    case Misbehavior::invalid_vote: return "invalid_vote";
    case Misbehavior::rate_limit_exceeded: return "rate_limit_exceeded";
    case Misbehavior::stalling: return "stalling";
    case Misbehavior::kCount: break;
  }
  return "unknown";
}

}  // namespace cairn::net
