// libp2p ping (/ipfs/ping/1.0.0, libp2p/specs ping/ping.md): the dialer writes 32 random
// bytes, the listener echoes them, over and over on one stream; the dialer measures the
// round trip. Both sides are bounded by the stream's timeouts.
#pragma once

#include <string_view>

#include "net/connection.h"

namespace cairn::net {

inline constexpr std::string_view kPingProtocolId = "/ipfs/ping/1.0.0";
inline constexpr size_t kPingPayloadSize = 32;

// Echoes payloads until the dialer closes the stream; an Error says why it stopped early.
asio::awaitable<Status> answer_ping(Stream stream);
// One ping on a negotiated stream: the round trip, or an Error if the echo differs.
asio::awaitable<Result<Duration>> ping_once(Stream stream);

}  // namespace cairn::net
