// One libp2p connection over TCP, driven by C++20 coroutines on its own strand: the upgrade
// (in a private network first the pnet nonce exchange, after which every byte is XORed with
// XSalsa20 (pnet.h); then multistream-select "/noise" -> Noise XX -> Yamux, the muxer taken
// from Noise's early negotiation or else multistream-selected) and then the Yamux streams on
// top. shut_down() closes gracefully: Yamux GoAway, then the open streams get a grace period.
//
//   coroutines  establish() (connect, upgrade) then serve() (the read loop), plus a writer
//               (the only one writing to the socket), a watchdog (deadlines) and a keepalive
//               driving Yamux's timer; all run on strand(), so the state needs no lock
//   deadlines   the whole upgrade, every socket read and every socket write are bounded; a
//               missed deadline closes the connection
//   back-pressure  bytes waiting for the socket are capped at kMaxSendQueueBytes: above it
//               the read loop pauses, so a peer that does not read cannot make us buffer its
//               requests' answers without limit (Beast's queue_limit)
//   failures    every failure closes the connection with a logged reason; none throws
//
// Stream is the application's handle on one Yamux stream; its operations hop onto the
// connection's strand, so they may be awaited from any executor. A Stream keeps its
// connection alive.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Asio (DESIGN.md, GCC 12)
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "crypto/ed25519.h"
#include "net/coro.h"
#include "net/identity.h"
#include "net/multiaddr.h"
#include "net/multistream.h"
#include "net/noise.h"
#include "net/pnet.h"
#include "net/yamux.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/thread_annotations.h"

namespace cairn::net {

using SteadyClock = std::chrono::steady_clock;
using Duration = SteadyClock::duration;

// Defaults of ConnectionOptions.
inline constexpr Duration kDefaultHandshakeTimeout = std::chrono::seconds(15);  // connect + upgrade
inline constexpr Duration kDefaultHandshakeReadTimeout = std::chrono::seconds(10);
// Once upgraded, Yamux pings every 30 s and the peer must answer within 15 s, so a healthy
// connection is never silent this long.
inline constexpr Duration kDefaultIdleTimeout = std::chrono::seconds(60);
inline constexpr Duration kDefaultWriteTimeout = std::chrono::seconds(30);
inline constexpr Duration kDefaultStreamTimeout = std::chrono::seconds(30);
// In a private network, how long we wait for the peer's nonce (js-libp2p waits 1 s).
inline constexpr Duration kDefaultPnetNonceTimeout = std::chrono::seconds(5);
// Bytes queued for the socket above which the read loop pauses.
inline constexpr size_t kMaxSendQueueBytes = 1024 * 1024;
// One socket read.
inline constexpr size_t kReadChunkSize = 64 * 1024;

struct ConnectionOptions {
  Duration handshake_timeout = kDefaultHandshakeTimeout;
  Duration handshake_read_timeout = kDefaultHandshakeReadTimeout;
  Duration idle_timeout = kDefaultIdleTimeout;
  Duration write_timeout = kDefaultWriteTimeout;
  // How long a stream read or a write refused for lack of buffer space waits.
  Duration stream_timeout = kDefaultStreamTimeout;
  // Offer Yamux inside the Noise handshake (libp2p's inlined muxer negotiation). Off, the
  // muxer is negotiated with multistream-select after the handshake.
  bool early_muxer = true;
  YamuxConfig yamux;
  // The private network's key (pnet.h): set, the connection speaks only to peers holding the
  // same key. Both sides must agree; a mismatch fails the upgrade (multistream or Noise sees
  // noise) and the connection closes.
  std::optional<Psk> psk;
  Duration pnet_nonce_timeout = kDefaultPnetNonceTimeout;
};

enum class Direction : uint8_t { inbound, outbound };

// Traffic of one negotiated protocol: the payload bytes its streams carried after the
// negotiation (multistream-select's own bytes are not counted) and the streams opened for it,
// inbound and outbound.
struct ProtocolTraffic {
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t streams = 0;
  bool operator==(const ProtocolTraffic&) const = default;
};

// Per-protocol traffic counters shared by the connections of one host. Only negotiated
// protocols are counted, so the map holds at most the protocols we serve or asked for.
// Thread-safe.
class TrafficMeter {
 public:
  void stream_opened(const std::string& protocol);
  void received(const std::string& protocol, uint64_t bytes);
  void sent(const std::string& protocol, uint64_t bytes);
  std::map<std::string, ProtocolTraffic> snapshot() const;

 private:
  mutable Mutex mutex_;
  std::map<std::string, ProtocolTraffic> traffic_ GUARDED_BY(mutex_);
};

class Connection;

// Connection-side state of one stream. Touched only on the connection's strand.
struct StreamSlot {
  StreamSlot(StreamId stream_id, const Strand& strand)
      : id(stream_id), read_signal(strand), write_signal(strand) {}
  StreamId id;
  std::string protocol;  // once negotiated
  Bytes pending;         // received after the protocol negotiation, not yet read
  bool remote_closed = false;
  bool local_closed = false;
  bool reset = false;
  // Timers used as condition variables: cancel() wakes the one coroutine waiting.
  asio::steady_timer read_signal;
  asio::steady_timer write_signal;
};

class Stream {
 public:
  Stream(std::shared_ptr<Connection> connection, std::shared_ptr<StreamSlot> slot)
      : connection_(std::move(connection)), slot_(std::move(slot)) {}

  // Up to `max` (> 0) bytes; empty once the peer has closed its side and everything was
  // read. Error if the stream was reset, the connection closed or nothing came in time.
  asio::awaitable<Result<Bytes>> read(size_t max);
  // Exactly `n` bytes; empty if the peer closed its side before sending any, an Error if it
  // closed in the middle.
  asio::awaitable<Result<Bytes>> read_exact(size_t n);
  asio::awaitable<Status> write(Bytes data);
  // Half-close: the peer reads end-of-stream after our data.
  asio::awaitable<Status> close();
  asio::awaitable<void> reset();
  // Agrees on the stream's protocol with `select` (a dialer or listener) and returns it.
  asio::awaitable<Result<std::string>> negotiate(MultistreamSelect select);

  Connection& connection() const { return *connection_; }
  // REQUIRES: negotiate() succeeded.
  const std::string& protocol() const { return slot_->protocol; }

 private:
  std::shared_ptr<Connection> connection_;
  std::shared_ptr<StreamSlot> slot_;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Callbacks {
    // A peer opened a stream (called on the strand; it must not block).
    std::function<void(Stream)> on_stream;
    // The connection closed (called once, on the strand).
    std::function<void(Connection&)> on_closed;
    std::function<void(const std::string&)> log;
    // Counts every stream's protocol and payload bytes, if set.
    std::shared_ptr<TrafficMeter> traffic = nullptr;
  };

  // `socket` must be bound to `strand`; it is connected already when inbound.
  Connection(Strand strand, asio::ip::tcp::socket socket, Direction direction,
             std::shared_ptr<const KeyPair> identity, ConnectionOptions options, Callbacks callbacks);

  // Connects to `dial_to` (outbound) and upgrades. Outbound, `expected` (if any) is the peer
  // the handshake must authenticate. On failure the connection is closed. Run on strand().
  asio::awaitable<Status> establish(std::optional<asio::ip::tcp::endpoint> dial_to,
                                    std::optional<PeerId> expected);
  // The read loop of an established connection, until it closes. Run on strand().
  asio::awaitable<void> serve();
  // Closes the socket and fails every stream; logs `reason`. Idempotent. Call on strand().
  void close(const std::string& reason);
  // Graceful close: sends Yamux GoAway(normal) (no new streams either way), lets the open
  // streams finish for up to `grace` while the connection keeps serving them, flushes what
  // is queued for the socket, then close()s with `reason`. Returns once closed (a second call
  // while the first waits returns at once). Run on strand().
  asio::awaitable<void> shut_down(Duration grace, std::string reason = "shut down");

  // A new outbound stream (protocol not negotiated yet). Run on strand().
  asio::awaitable<Result<Stream>> open_stream();

  const Strand& strand() const { return strand_; }
  Direction direction() const { return direction_; }
  bool closed() const { return closed_; }
  // Why the connection closed; empty while it is open. Read on strand() (on_closed may).
  const std::string& close_reason() const { return close_reason_; }
  // Set once establish() has succeeded.
  const PeerId& remote_peer() const { return *remote_peer_; }
  const Multiaddr& remote_address() const { return *remote_address_; }
  // A short name for log lines: the peer id if known, else the address.
  std::string name() const;

 private:
  friend class Stream;

  asio::awaitable<Status> upgrade(std::optional<PeerId> expected);
  // Runs `select` over the raw socket (before Noise) or the secured channel, starting with
  // `input` already received; returns the bytes that came after the negotiation.
  asio::awaitable<Result<Bytes>> select(MultistreamSelect& select, Bytes input, bool secured);
  // In a private network: sends our nonce, waits (bounded) for the peer's; returns the
  // plaintext that came after it.
  asio::awaitable<Result<Bytes>> exchange_pnet_nonces();
  // The next bytes below Noise: from the socket, decrypted in a private network.
  asio::awaitable<Result<Bytes>> read_raw();
  // One socket read as it came, bounded by `timeout` (the watchdog closes on expiry).
  asio::awaitable<Result<Bytes>> read_socket(Duration timeout);
  // Queues bytes for the writer; in a private network they are encrypted here, in order.
  asio::awaitable<Result<Bytes>> read_secured();
  void send_raw(ByteSpan bytes);
  void send_secured(ByteSpan plaintext);
  // Sends Yamux's output and handles its events.
  void pump();
  void on_event(const YamuxEvent& event);
  void forget_if_done(const StreamSlot& slot);
  void erase_stream(StreamId id);

  asio::awaitable<void> writer();
  asio::awaitable<void> watchdog();
  asio::awaitable<void> keepalive();
  void set_deadline(SteadyClock::time_point& deadline, SteadyClock::time_point at);
  Error closed_error() const;

  void count_received(const StreamSlot& slot, size_t bytes);
  asio::awaitable<Result<Bytes>> stream_read(std::shared_ptr<StreamSlot> slot, size_t max);
  asio::awaitable<Status> stream_write(std::shared_ptr<StreamSlot> slot, Bytes data);
  asio::awaitable<Status> stream_close(std::shared_ptr<StreamSlot> slot);
  asio::awaitable<void> stream_reset(std::shared_ptr<StreamSlot> slot);
  asio::awaitable<Result<std::string>> stream_negotiate(std::shared_ptr<StreamSlot> slot,
                                                        MultistreamSelect select);

  Strand strand_;
  asio::ip::tcp::socket socket_;
  Direction direction_;
  std::shared_ptr<const KeyPair> identity_;
  ConnectionOptions options_;
  Callbacks callbacks_;
  OsRng rng_;

  bool closed_ = false;
  std::string close_reason_;
  std::optional<PeerId> remote_peer_;
  std::optional<Multiaddr> remote_address_;
  std::optional<PnetSession> pnet_;
  bool awaiting_pnet_nonce_ = false;
  std::optional<NoiseTransport> transport_;
  std::optional<YamuxSession> yamux_;
  std::map<StreamId, std::shared_ptr<StreamSlot>> streams_;
  Bytes read_buffer_;

  Bytes send_queue_;  // bytes for the writer, at most about kMaxSendQueueBytes
  asio::steady_timer writer_signal_;
  asio::steady_timer drained_signal_;  // wakes the read loop paused by back-pressure
  bool write_in_flight_ = false;
  bool shutting_down_ = false;
  asio::steady_timer shutdown_signal_;  // wakes shut_down(): a stream ended or a write finished

  SteadyClock::time_point handshake_deadline_ = SteadyClock::time_point::max();
  SteadyClock::time_point read_deadline_ = SteadyClock::time_point::max();
  SteadyClock::time_point write_deadline_ = SteadyClock::time_point::max();
  asio::steady_timer watchdog_timer_;
  asio::steady_timer keepalive_timer_;
};

}  // namespace cairn::net
