#include "net/connection.h"

#include <algorithm>

#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>

#include "net/tcp_transport.h"

namespace cairn::net {
namespace {

using boost::system::error_code;

int64_t to_nanos(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
SteadyClock::time_point from_nanos(int64_t nanos) {
  return SteadyClock::time_point(std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(nanos)));
}
int64_t now_nanos() { return to_nanos(SteadyClock::now()); }

// Waits on a timer used as a condition variable. True if woken by cancel(), false if the
// timeout passed first.
asio::awaitable<bool> wait_signal(asio::steady_timer& signal, Duration timeout) {
  signal.expires_after(timeout);
  error_code ec;
  co_await signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return ec == asio::error::operation_aborted;
}

}  // namespace

// --- TrafficMeter ---

void TrafficMeter::stream_opened(const std::string& protocol) {
  MutexLock lock(mutex_);
  ++traffic_[protocol].streams;
}

void TrafficMeter::received(const std::string& protocol, uint64_t bytes) {
  MutexLock lock(mutex_);
  traffic_[protocol].bytes_in += bytes;
}

void TrafficMeter::sent(const std::string& protocol, uint64_t bytes) {
  MutexLock lock(mutex_);
  traffic_[protocol].bytes_out += bytes;
}

std::map<std::string, ProtocolTraffic> TrafficMeter::snapshot() const {
  MutexLock lock(mutex_);
  return traffic_;
}

// --- Stream: every operation runs on the connection's strand ---

asio::awaitable<Result<Bytes>> Stream::read(size_t max) {
  co_return co_await run_on(connection_->strand(), connection_->stream_read(slot_, max));
}

asio::awaitable<Result<Bytes>> Stream::read_exact(size_t n) {
  Bytes out;
  while (out.size() < n) {
    CAIRN_CO_TRY(Bytes part, co_await read(n - out.size()));
    if (part.empty()) {
      if (out.empty()) co_return out;
      co_return Error{ErrorCode::decode, "stream ended inside a " + std::to_string(n) + "-byte message"};
    }
    out.insert(out.end(), part.begin(), part.end());
  }
  co_return out;
}

asio::awaitable<Status> Stream::write(Bytes data) {
  co_return co_await run_on(connection_->strand(), connection_->stream_write(slot_, std::move(data)));
}

asio::awaitable<Status> Stream::close() {
  co_return co_await run_on(connection_->strand(), connection_->stream_close(slot_));
}

asio::awaitable<void> Stream::reset() {
  co_await asio::co_spawn(connection_->strand(), connection_->stream_reset(slot_), asio::use_awaitable);
}

asio::awaitable<Result<std::string>> Stream::negotiate(MultistreamSelect select) {
  co_return co_await run_on(connection_->strand(), connection_->stream_negotiate(slot_, std::move(select)));
}

// --- Connection ---

Connection::Connection(Strand strand, asio::ip::tcp::socket socket, Direction direction,
                       std::shared_ptr<const KeyPair> identity, ConnectionOptions options,
                       Callbacks callbacks)
    : strand_(std::move(strand)),
      socket_(std::move(socket)),
      direction_(direction),
      identity_(std::move(identity)),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      read_buffer_(kReadChunkSize),
      writer_signal_(strand_),
      drained_signal_(strand_),
      shutdown_signal_(strand_),
      watchdog_timer_(strand_),
      keepalive_timer_(strand_) {}

std::string Connection::name() const {
  if (remote_peer_) return remote_peer_->to_base58();
  if (remote_address_) return remote_address_->to_string();
  return "(unconnected)";
}

asio::awaitable<Status> Connection::establish(std::optional<asio::ip::tcp::endpoint> dial_to,
                                              std::optional<PeerId> expected) {
  auto self = shared_from_this();
  handshake_deadline_ = SteadyClock::now() + options_.handshake_timeout;
  asio::co_spawn(strand_, watchdog(), asio::detached);
  asio::co_spawn(strand_, writer(), asio::detached);

  if (dial_to) {
    remote_address_ = tcp_multiaddr(*dial_to);
    error_code ec;
    co_await socket_.async_connect(*dial_to, asio::redirect_error(asio::use_awaitable, ec));
    if (ec && !closed_) close("connect: " + ec.message());
    if (closed_) co_return closed_error();
  } else {
    error_code ec;
    const auto endpoint = socket_.remote_endpoint(ec);
    if (ec) {
      close("accepted socket has no peer: " + ec.message());
      co_return closed_error();
    }
    remote_address_ = tcp_multiaddr(endpoint);
  }

  if (Status upgraded = co_await upgrade(std::move(expected)); !upgraded) {
    close("upgrade failed: " + upgraded.error().message);
    co_return closed_error();
  }
  handshake_deadline_ = SteadyClock::time_point::max();
  co_return Status{};
}

asio::awaitable<Status> Connection::upgrade(std::optional<PeerId> expected) {
  const bool dialer = direction_ == Direction::outbound;
  const std::vector<std::string> noise_id{std::string(kNoiseProtocolId)};

  // 0. In a private network, the nonces; from here on every byte is XORed (read_raw, send_raw).
  Bytes input;
  if (options_.psk) {
    CAIRN_CO_TRY(input, co_await exchange_pnet_nonces());
  }

  // 1. The security protocol, over the raw socket.
  auto security = dialer ? MultistreamSelect::dialer(noise_id) : MultistreamSelect::listener(noise_id);
  CAIRN_CO_TRY(Bytes leftover, co_await select(security, std::move(input), false));

  // 2. Noise XX. Our payload offers Yamux as the early muxer (NoiseOptions' default).
  NoiseOptions noise_options;
  noise_options.expected_peer = std::move(expected);
  if (!options_.early_muxer) noise_options.stream_muxers.clear();
  NoiseHandshake noise(dialer ? NoiseRole::initiator : NoiseRole::responder, *identity_, rng_, noise_options);
  if (!leftover.empty()) CAIRN_CO_TRY_STATUS(noise.receive(leftover));
  for (;;) {
    send_raw(noise.take_output());
    if (noise.finished()) break;
    CAIRN_CO_TRY(Bytes bytes, co_await read_raw());
    CAIRN_CO_TRY_STATUS(noise.receive(bytes));
  }
  NoiseSession session = noise.take_session();
  remote_peer_ = session.remote_peer;
  transport_.emplace(std::move(session.transport));
  CAIRN_CO_TRY(Bytes plaintext, transport_->open(session.unread));

  // 3. The muxer: agreed inside Noise, or else negotiated over the secured channel.
  if (!session.muxer) {
    const std::vector<std::string> yamux_id{std::string(kYamuxProtocolId)};
    auto muxer = dialer ? MultistreamSelect::dialer(yamux_id) : MultistreamSelect::listener(yamux_id);
    CAIRN_CO_TRY(plaintext, co_await select(muxer, std::move(plaintext), true));
  } else if (*session.muxer != kYamuxProtocolId) {
    co_return Error{ErrorCode::invalid_argument, "unsupported early muxer " + *session.muxer};
  }

  // 4. Yamux; the bytes already received belong to it.
  yamux_.emplace(dialer ? YamuxRole::client : YamuxRole::server, now_nanos(), options_.yamux);
  if (!plaintext.empty()) yamux_->receive(plaintext, now_nanos());
  co_return Status{};
}

asio::awaitable<Result<Bytes>> Connection::exchange_pnet_nonces() {
  PnetNonce nonce{};
  rng_.fill(nonce);
  send_raw(nonce);  // before pnet_ exists: the nonce goes in the clear
  pnet_.emplace(std::move(*options_.psk), nonce);
  options_.psk.reset();  // the session holds the key until the peer's nonce arrives
  const auto deadline = SteadyClock::now() + options_.pnet_nonce_timeout;
  awaiting_pnet_nonce_ = true;
  Bytes plaintext;
  while (!pnet_->ready()) {
    const Duration left = std::min<Duration>(deadline - SteadyClock::now(), options_.handshake_read_timeout);
    CAIRN_CO_TRY(Bytes wire, co_await read_socket(std::max<Duration>(left, Duration::zero())));
    plaintext = pnet_->receive(wire);
  }
  awaiting_pnet_nonce_ = false;
  co_return plaintext;
}

asio::awaitable<Result<Bytes>> Connection::select(MultistreamSelect& selector, Bytes input, bool secured) {
  for (;;) {
    const Bytes output = selector.take_output();
    if (!output.empty()) secured ? send_secured(output) : send_raw(output);
    if (selector.state() == MultistreamSelect::State::negotiated) co_return selector.take_leftover();
    if (selector.state() == MultistreamSelect::State::failed) co_return selector.error();
    // Two statements, not `co_await (secured ? a() : b())`: GCC 12 crashed destroying the
    // awaitable chosen by the conditional.
    if (input.empty() && secured) {
      CAIRN_CO_TRY(input, co_await read_secured());
    } else if (input.empty()) {
      CAIRN_CO_TRY(input, co_await read_raw());
    }
    selector.receive(std::exchange(input, {}));
  }
}

asio::awaitable<Result<Bytes>> Connection::read_raw() {
  const Duration timeout = yamux_ ? options_.idle_timeout : options_.handshake_read_timeout;
  CAIRN_CO_TRY(Bytes bytes, co_await read_socket(timeout));
  if (pnet_) bytes = pnet_->receive(bytes);
  co_return bytes;
}

asio::awaitable<Result<Bytes>> Connection::read_socket(Duration timeout) {
  if (closed_) co_return closed_error();
  set_deadline(read_deadline_, SteadyClock::now() + timeout);
  error_code ec;
  const size_t n = co_await socket_.async_read_some(asio::buffer(read_buffer_),
                                                    asio::redirect_error(asio::use_awaitable, ec));
  read_deadline_ = SteadyClock::time_point::max();
  if (closed_) co_return closed_error();
  if (ec == asio::error::eof) co_return Error{ErrorCode::io, "the peer closed the connection"};
  if (ec) co_return Error{ErrorCode::io, "read: " + ec.message()};
  co_return Bytes(read_buffer_.data(), read_buffer_.data() + n);
}

asio::awaitable<Result<Bytes>> Connection::read_secured() {
  CAIRN_CO_TRY(Bytes wire, co_await read_raw());
  co_return transport_->open(wire);
}

void Connection::send_raw(ByteSpan bytes) {
  if (closed_ || bytes.empty()) return;
  const size_t start = send_queue_.size();
  send_queue_.insert(send_queue_.end(), bytes.begin(), bytes.end());
  if (pnet_) pnet_->seal(std::span<uint8_t>(send_queue_).subspan(start));
  writer_signal_.cancel();
}

void Connection::send_secured(ByteSpan plaintext) {
  if (closed_ || plaintext.empty()) return;
  auto sealed = transport_->seal(plaintext);
  if (!sealed) return close(sealed.error().message);
  send_raw(*sealed);
}

asio::awaitable<void> Connection::serve() {
  auto self = shared_from_this();
  asio::co_spawn(strand_, keepalive(), asio::detached);
  pump();  // events from bytes that arrived with the handshake
  while (!closed_) {
    while (send_queue_.size() > kMaxSendQueueBytes && !closed_) {
      co_await wait_signal(drained_signal_, options_.write_timeout);  // the watchdog bounds the write
    }
    if (closed_) break;
    auto plaintext = co_await read_secured();
    if (!plaintext) {
      close(plaintext.error().message);
      break;
    }
    yamux_->receive(*plaintext, now_nanos());
    pump();
  }
}

void Connection::pump() {
  if (closed_ || !yamux_) return;
  send_secured(yamux_->take_output());
  for (const YamuxEvent& event : yamux_->take_events()) {
    if (closed_) return;
    on_event(event);
  }
  // A deadline earlier than the one the keepalive sleeps towards wakes it to re-arm.
  if (auto deadline = yamux_->next_deadline();
      deadline && from_nanos(*deadline) < keepalive_timer_.expiry()) {
    keepalive_timer_.cancel();
  }
}

void Connection::on_event(const YamuxEvent& event) {
  const auto found = streams_.find(event.stream);
  StreamSlot* slot = found == streams_.end() ? nullptr : found->second.get();
  switch (event.kind) {
    case YamuxEvent::Kind::incoming: {
      auto created = std::make_shared<StreamSlot>(event.stream, strand_);
      streams_[event.stream] = created;
      callbacks_.on_stream(Stream(shared_from_this(), std::move(created)));
      break;
    }
    case YamuxEvent::Kind::accepted:
      break;
    case YamuxEvent::Kind::data:
      if (slot) slot->read_signal.cancel();
      break;
    case YamuxEvent::Kind::closed:
      if (slot) {
        slot->remote_closed = true;
        slot->read_signal.cancel();
        forget_if_done(*slot);
      }
      break;
    case YamuxEvent::Kind::reset:
      if (slot) {
        slot->reset = true;
        slot->read_signal.cancel();
        slot->write_signal.cancel();
        erase_stream(event.stream);
      }
      break;
    case YamuxEvent::Kind::writable:
      if (slot) slot->write_signal.cancel();
      break;
    case YamuxEvent::Kind::go_away:
      callbacks_.log("connection " + name() + ": peer sent GoAway " + std::to_string(event.code));
      break;
    case YamuxEvent::Kind::error:
      close("yamux: " + event.reason);
      break;
  }
}

// Both sides have closed: no event can concern the stream any more (unread data stays
// readable through the Stream, which holds the slot).
void Connection::forget_if_done(const StreamSlot& slot) {
  if (slot.local_closed && slot.remote_closed) erase_stream(slot.id);
}

void Connection::erase_stream(StreamId id) {
  streams_.erase(id);
  if (shutting_down_ && streams_.empty()) shutdown_signal_.cancel();
}

asio::awaitable<void> Connection::writer() {
  auto self = shared_from_this();
  while (!closed_) {
    if (send_queue_.empty()) {
      co_await wait_signal(writer_signal_, Duration::max());
      continue;
    }
    const Bytes batch = std::exchange(send_queue_, {});
    set_deadline(write_deadline_, SteadyClock::now() + options_.write_timeout);
    error_code ec;
    write_in_flight_ = true;
    co_await asio::async_write(socket_, asio::buffer(batch), asio::redirect_error(asio::use_awaitable, ec));
    write_in_flight_ = false;
    write_deadline_ = SteadyClock::time_point::max();
    if (shutting_down_) shutdown_signal_.cancel();
    if (closed_) break;
    if (ec) {
      close("write: " + ec.message());
      break;
    }
    drained_signal_.cancel();
  }
}

asio::awaitable<void> Connection::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    watchdog_timer_.expires_at(std::min({handshake_deadline_, read_deadline_, write_deadline_}));
    error_code ec;
    co_await watchdog_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (closed_) break;
    const auto now = SteadyClock::now();
    if (now >= handshake_deadline_) {
      close("handshake timed out");
    } else if (now >= read_deadline_) {
      close(yamux_                 ? "idle: nothing received in time"
            : awaiting_pnet_nonce_ ? "pnet: no nonce from the peer in time (does it use a pre-shared key?)"
                                   : "handshake read timed out");
    } else if (now >= write_deadline_) {
      close("write timed out: the peer does not read");
    }
  }
}

asio::awaitable<void> Connection::keepalive() {
  auto self = shared_from_this();
  while (!closed_) {
    const auto deadline = yamux_->next_deadline();
    if (!deadline) break;
    keepalive_timer_.expires_at(from_nanos(*deadline));
    error_code ec;
    co_await keepalive_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (closed_) break;
    if (!ec) {
      yamux_->on_timer(now_nanos());
      pump();
    }
  }
}

void Connection::set_deadline(SteadyClock::time_point& deadline, SteadyClock::time_point at) {
  deadline = at;
  if (at < watchdog_timer_.expiry()) watchdog_timer_.cancel();
}

Error Connection::closed_error() const { return Error{ErrorCode::io, "connection closed: " + close_reason_}; }

void Connection::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = reason;
  callbacks_.log("connection " + name() + " closed: " + reason);
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  writer_signal_.cancel();
  drained_signal_.cancel();
  watchdog_timer_.cancel();
  keepalive_timer_.cancel();
  shutdown_signal_.cancel();
  for (auto& [id, slot] : streams_) {
    slot->read_signal.cancel();
    slot->write_signal.cancel();
  }
  streams_.clear();
  callbacks_.on_closed(*this);
}

asio::awaitable<void> Connection::shut_down(Duration grace, std::string reason) {
  auto self = shared_from_this();
  if (closed_ || shutting_down_) co_return;
  if (!yamux_) {  // still handshaking: nothing to finish
    close(reason);
    co_return;
  }
  shutting_down_ = true;
  yamux_->go_away(GoAwayCode::normal);
  pump();
  const auto deadline = SteadyClock::now() + grace;
  // The read loop keeps serving the open streams; each one that ends, and each finished
  // write, wakes us to look again.
  while (!closed_ && (!streams_.empty() || !send_queue_.empty() || write_in_flight_) &&
         SteadyClock::now() < deadline) {
    co_await wait_signal(shutdown_signal_, deadline - SteadyClock::now());
  }
  if (closed_) co_return;
  if (!streams_.empty()) {
    reason += " (" + std::to_string(streams_.size()) + " stream(s) still open after the grace period)";
  }
  close(reason);
}

asio::awaitable<Result<Stream>> Connection::open_stream() {
  if (closed_) co_return closed_error();
  CAIRN_CO_TRY(StreamId id, yamux_->open_stream());
  auto slot = std::make_shared<StreamSlot>(id, strand_);
  streams_[id] = slot;
  pump();
  co_return Stream(shared_from_this(), std::move(slot));
}

// --- stream operations, on the strand ---

void Connection::count_received(const StreamSlot& slot, size_t bytes) {
  // Bytes read during the negotiation belong to multistream-select, not to a protocol.
  if (callbacks_.traffic && !slot.protocol.empty() && bytes > 0)
    callbacks_.traffic->received(slot.protocol, bytes);
}

asio::awaitable<Result<Bytes>> Connection::stream_read(std::shared_ptr<StreamSlot> slot, size_t max) {
  for (;;) {
    if (!slot->pending.empty()) {
      const size_t n = std::min(max, slot->pending.size());
      Bytes out(slot->pending.begin(), slot->pending.begin() + static_cast<std::ptrdiff_t>(n));
      slot->pending.erase(slot->pending.begin(), slot->pending.begin() + static_cast<std::ptrdiff_t>(n));
      count_received(*slot, out.size());
      co_return out;
    }
    if (closed_) co_return closed_error();
    if (slot->reset) co_return Error{ErrorCode::io, "stream reset"};
    if (yamux_->readable(slot->id) > 0) {
      Bytes out = yamux_->read(slot->id, max);
      pump();  // reading returned window credit to the peer
      count_received(*slot, out.size());
      co_return out;
    }
    if (slot->remote_closed) co_return Bytes{};
    if (!co_await wait_signal(slot->read_signal, options_.stream_timeout)) {
      co_return Error{ErrorCode::io, "stream read timed out"};
    }
  }
}

asio::awaitable<Status> Connection::stream_write(std::shared_ptr<StreamSlot> slot, Bytes data) {
  size_t offset = 0;
  while (offset < data.size()) {
    if (closed_) co_return closed_error();
    if (slot->reset) co_return Error{ErrorCode::io, "stream reset"};
    const size_t n = std::min<size_t>(data.size() - offset, kYamuxMaxSendFrame);
    const Status written = yamux_->write(slot->id, ByteSpan(data).subspan(offset, n));
    if (written) {
      offset += n;
      pump();
      if (callbacks_.traffic && !slot->protocol.empty()) callbacks_.traffic->sent(slot->protocol, n);
      continue;
    }
    if (written.error().code != ErrorCode::limit) co_return written.error();
    // The send buffers are full: Yamux reports `writable` once the peer's credit drains them.
    if (!co_await wait_signal(slot->write_signal, options_.stream_timeout)) {
      co_return Error{ErrorCode::io, "stream write timed out"};
    }
  }
  co_return Status{};
}

asio::awaitable<Status> Connection::stream_close(std::shared_ptr<StreamSlot> slot) {
  if (closed_) co_return closed_error();
  if (slot->local_closed || slot->reset) co_return Status{};
  slot->local_closed = true;
  const Status closed = yamux_->close(slot->id);
  pump();
  forget_if_done(*slot);
  co_return closed;
}

asio::awaitable<void> Connection::stream_reset(std::shared_ptr<StreamSlot> slot) {
  if (closed_ || slot->reset) co_return;
  slot->reset = true;
  yamux_->reset(slot->id);
  erase_stream(slot->id);
  pump();
}

asio::awaitable<Result<std::string>> Connection::stream_negotiate(std::shared_ptr<StreamSlot> slot,
                                                                  MultistreamSelect selector) {
  for (;;) {
    if (Bytes output = selector.take_output(); !output.empty()) {
      CAIRN_CO_TRY_STATUS(co_await stream_write(slot, std::move(output)));
    }
    if (selector.state() == MultistreamSelect::State::negotiated) {
      slot->pending = selector.take_leftover();
      slot->protocol = selector.protocol();
      if (callbacks_.traffic) callbacks_.traffic->stream_opened(slot->protocol);
      co_return slot->protocol;
    }
    if (selector.state() == MultistreamSelect::State::failed) co_return selector.error();
    CAIRN_CO_TRY(Bytes input, co_await stream_read(slot, kMaxMultistreamMessageLength));
    if (input.empty()) co_return Error{ErrorCode::io, "stream closed during protocol negotiation"};
    selector.receive(input);
  }
}

}  // namespace cairn::net
