#include "net/ping.h"

#include "crypto/ed25519.h"

namespace cairn::net {

asio::awaitable<Status> answer_ping(Stream stream) {
  for (;;) {
    CAIRN_CO_TRY(Bytes payload, co_await stream.read_exact(kPingPayloadSize));
    if (payload.empty()) co_return Status{};  // the dialer is done
    CAIRN_CO_TRY_STATUS(co_await stream.write(std::move(payload)));
  }
}

asio::awaitable<Result<Duration>> ping_once(Stream stream) {
  Bytes payload(kPingPayloadSize);
  OsRng().fill(payload);
  const auto sent = SteadyClock::now();
  CAIRN_CO_TRY_STATUS(co_await stream.write(payload));
  CAIRN_CO_TRY(Bytes echo, co_await stream.read_exact(kPingPayloadSize));
  const Duration rtt = SteadyClock::now() - sent;
  if (echo != payload) co_return Error{ErrorCode::verify, "ping: the echo differs from the payload"};
  co_return rtt;
}

}  // namespace cairn::net
