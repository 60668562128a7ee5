#include "net/yamux.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>

namespace cairn::net {
namespace {

// DO NOT CHANGE THESE VALUES: the spec's frame types and flags.
constexpr uint8_t kTypeData = 0;
constexpr uint8_t kTypeWindowUpdate = 1;
constexpr uint8_t kTypePing = 2;
constexpr uint8_t kTypeGoAway = 3;
constexpr uint16_t kFlagSyn = 0x1;
constexpr uint16_t kFlagAck = 0x2;
constexpr uint16_t kFlagFin = 0x4;
constexpr uint16_t kFlagRst = 0x8;

uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

void put_be(Bytes& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

}  // namespace

YamuxSession::YamuxSession(YamuxRole role, int64_t now, YamuxConfig config)
    : role_(role), config_(config), now_(now), next_stream_id_(role == YamuxRole::client ? 1 : 2) {
  assert(config_.max_window >= kYamuxInitialWindow && config_.max_frame_payload >= config_.max_window);
  // An immediate ping gives window auto-tuning a round-trip time to work with.
  send_ping(now);
}

YamuxSession::Stream* YamuxSession::find(StreamId id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

const YamuxSession::Stream* YamuxSession::find(StreamId id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

size_t YamuxSession::readable(StreamId id) const {
  const Stream* s = find(id);
  return s ? buffered(*s) : 0;
}

uint32_t YamuxSession::send_window(StreamId id) const {
  const Stream* s = find(id);
  return s ? s->send_credit : 0;
}

uint32_t YamuxSession::receive_window(StreamId id) const {
  const Stream* s = find(id);
  return s ? s->window : 0;
}

void YamuxSession::send_frame(uint8_t type, uint16_t flags, StreamId stream, uint32_t length,
                              ByteSpan payload) {
  output_.push_back(kYamuxVersion);
  output_.push_back(type);
  put_be(output_, flags, 2);
  put_be(output_, stream, 4);
  put_be(output_, length, 4);
  output_.insert(output_.end(), payload.begin(), payload.end());
}

void YamuxSession::fail(GoAwayCode code, std::string reason) {
  if (failed_) return;
  send_frame(kTypeGoAway, 0, 0, static_cast<uint32_t>(code));
  failed_ = true;
  streams_.clear();
  total_window_ = 0;
  total_queued_ = 0;
  awaiting_ack_ = 0;
  events_.push_back({YamuxEvent::Kind::error, 0, static_cast<uint32_t>(code), "yamux: " + std::move(reason)});
}

void YamuxSession::receive(ByteSpan bytes, int64_t now) {
  now_ = std::max(now_, now);
  while (!bytes.empty() && !failed_) {
    if (payload_left_ > 0) {
      const uint32_t n = static_cast<uint32_t>(std::min<size_t>(payload_left_, bytes.size()));
      if (payload_stream_ != 0) handle_data(payload_stream_, bytes.first(n));
      payload_left_ -= n;
      bytes = bytes.subspan(n);
      if (payload_left_ == 0) end_of_frame();
      continue;
    }
    const size_t n = std::min(kYamuxHeaderSize - header_fill_, bytes.size());
    std::copy_n(bytes.begin(), n, header_bytes_.begin() + static_cast<ptrdiff_t>(header_fill_));
    header_fill_ += n;
    bytes = bytes.subspan(n);
    if (header_fill_ < kYamuxHeaderSize) break;
    header_fill_ = 0;
    const uint8_t* h = header_bytes_.data();
    handle_header({h[0], h[1], static_cast<uint16_t>(h[2] << 8 | h[3]), be32(h + 4), be32(h + 8)});
  }
}

void YamuxSession::handle_header(const Header& header) {
  if (header.version != kYamuxVersion) {
    return fail(GoAwayCode::protocol_error, "unsupported version " + std::to_string(header.version));
  }
  switch (header.type) {
    case kTypeData:
    case kTypeWindowUpdate:
      return handle_stream_frame(header);
    case kTypePing:
      return handle_ping(header);
    case kTypeGoAway:
      if (header.stream != 0) return fail(GoAwayCode::protocol_error, "GoAway on a stream id other than 0");
      remote_go_away_ = true;
      events_.push_back({YamuxEvent::Kind::go_away, 0, header.length, {}});
      return;
    default:
      return fail(GoAwayCode::protocol_error, "unknown frame type " + std::to_string(header.type));
  }
}

void YamuxSession::handle_ping(const Header& header) {
  if (header.stream != 0) return fail(GoAwayCode::protocol_error, "Ping on a stream id other than 0");
  if (header.flags & kFlagSyn) {
    send_frame(kTypePing, kFlagAck, 0, header.length);
  } else if ((header.flags & kFlagAck) && ping_outstanding_ == header.length) {
    rtt_ = now_ - ping_sent_at_;
    ping_outstanding_.reset();
  }
}

void YamuxSession::handle_stream_frame(const Header& header) {
  const StreamId id = header.stream;
  const bool is_data = header.type == kTypeData;
  if (id == 0) return fail(GoAwayCode::protocol_error, "Data or WindowUpdate on stream id 0");
  if (is_data && header.length > config_.max_frame_payload) {
    return fail(GoAwayCode::protocol_error, "Data frame of " + std::to_string(header.length) +
                                                " bytes exceeds the maximum of " +
                                                std::to_string(config_.max_frame_payload));
  }
  // By default a Data payload is read and discarded.
  payload_left_ = is_data ? header.length : 0;
  payload_stream_ = 0;
  payload_flags_ = 0;
  if ((header.flags & kFlagSyn) && !accept_inbound(header)) return;
  Stream* s = find(id);
  // An unknown stream is one we reset or finished while the peer was still sending.
  if (!s) return;
  if ((header.flags & kFlagAck) && s->awaiting_ack) {
    s->awaiting_ack = false;
    --awaiting_ack_;
    events_.push_back({YamuxEvent::Kind::accepted, id, 0, {}});
  }
  if (header.flags & kFlagRst) {
    remove(id);
    events_.push_back({YamuxEvent::Kind::reset, id, 0, {}});
    return;
  }
  if (is_data) {
    if (header.length > 0 && s->remote_closed) {
      return fail(GoAwayCode::protocol_error, "Data on stream " + std::to_string(id) + " after its FIN");
    }
    if (header.length > s->receive_credit) {
      return fail(GoAwayCode::protocol_error, "window violation on stream " + std::to_string(id) + ": " +
                                                  std::to_string(header.length) + " bytes sent, " +
                                                  std::to_string(s->receive_credit) + " granted");
    }
    s->receive_credit -= header.length;
    payload_stream_ = id;
    payload_flags_ = header.flags;
    if (header.length == 0) end_of_frame();
    return;
  }
  const uint64_t credit = uint64_t{s->send_credit} + header.length;
  if (credit > std::numeric_limits<uint32_t>::max()) {
    return fail(GoAwayCode::protocol_error, "send window of stream " + std::to_string(id) + " overflows");
  }
  s->send_credit = static_cast<uint32_t>(credit);
  if (header.flags & kFlagFin) remote_fin(id, *s);
  if ((s = find(id))) flush(id, *s);
}

bool YamuxSession::accept_inbound(const Header& header) {
  const StreamId id = header.stream;
  const bool peer_is_client = role_ == YamuxRole::server;
  if ((id % 2 == 1) != peer_is_client) {
    fail(GoAwayCode::protocol_error, "the peer opened stream " + std::to_string(id) + " with our parity");
    return false;
  }
  if (streams_.contains(id)) {
    fail(GoAwayCode::protocol_error, "the peer reopened open stream " + std::to_string(id));
    return false;
  }
  if (local_go_away_ || streams_.size() >= config_.max_streams ||
      total_window_ + kYamuxInitialWindow > config_.max_session_buffer) {
    send_frame(kTypeWindowUpdate, kFlagRst, id, 0);
    return false;
  }
  Stream& s = streams_[id];
  s.ack_pending = true;
  s.last_window_update = now_;
  total_window_ += s.window;
  events_.push_back({YamuxEvent::Kind::incoming, id, 0, {}});
  return true;
}

void YamuxSession::handle_data(StreamId id, ByteSpan bytes) {
  Stream& s = streams_.at(id);
  // Reclaim consumed space before growing; bounded by the window either way.
  if (s.received_offset > 0 && s.received_offset >= s.received.size() / 2) {
    s.received.erase(s.received.begin(), s.received.begin() + static_cast<ptrdiff_t>(s.received_offset));
    s.received_offset = 0;
  }
  s.received.insert(s.received.end(), bytes.begin(), bytes.end());
  if (events_.empty() || events_.back().kind != YamuxEvent::Kind::data || events_.back().stream != id) {
    events_.push_back({YamuxEvent::Kind::data, id, 0, {}});
  }
}

void YamuxSession::end_of_frame() {
  const StreamId id = std::exchange(payload_stream_, 0);
  const uint16_t flags = std::exchange(payload_flags_, 0);
  Stream* s = id != 0 ? find(id) : nullptr;
  if (s && (flags & kFlagFin)) remote_fin(id, *s);
}

void YamuxSession::remote_fin(StreamId id, Stream& s) {
  if (!s.remote_closed) {
    s.remote_closed = true;
    events_.push_back({YamuxEvent::Kind::closed, id, 0, {}});
  }
  remove_if_done(id);
}

void YamuxSession::remove_if_done(StreamId id) {
  const Stream& s = streams_.at(id);
  if (s.fin_sent && s.remote_closed && buffered(s) == 0) remove(id);
}

void YamuxSession::remove(StreamId id) {
  const Stream& s = streams_.at(id);
  total_window_ -= s.window;
  total_queued_ -= s.queued.size();
  if (s.awaiting_ack) --awaiting_ack_;
  streams_.erase(id);
}

uint16_t YamuxSession::ack_flag(Stream& s) { return std::exchange(s.ack_pending, false) ? kFlagAck : 0; }

void YamuxSession::flush(StreamId id, Stream& s) {
  size_t sent = 0;
  while (sent < s.queued.size() && s.send_credit > 0) {
    const size_t n = std::min({s.queued.size() - sent, size_t{s.send_credit}, size_t{kYamuxMaxSendFrame}});
    const bool last = sent + n == s.queued.size() && s.local_closed;
    const uint16_t flags = static_cast<uint16_t>(ack_flag(s) | (last ? kFlagFin : 0));
    send_frame(kTypeData, flags, id, static_cast<uint32_t>(n), ByteSpan(s.queued).subspan(sent, n));
    s.fin_sent = s.fin_sent || last;
    s.send_credit -= static_cast<uint32_t>(n);
    sent += n;
  }
  s.queued.erase(s.queued.begin(), s.queued.begin() + static_cast<ptrdiff_t>(sent));
  total_queued_ -= sent;
  if (s.queued.empty()) {
    if (s.local_closed && !s.fin_sent) {
      send_frame(kTypeWindowUpdate, static_cast<uint16_t>(ack_flag(s) | kFlagFin), id, 0);
      s.fin_sent = true;
    }
    if (std::exchange(s.want_writable, false)) events_.push_back({YamuxEvent::Kind::writable, id, 0, {}});
  }
  remove_if_done(id);
}

void YamuxSession::maybe_update_window(StreamId id, Stream& s) {
  if (s.remote_closed) return;  // no more data will come: credit would be wasted
  uint64_t grant = uint64_t{s.window} - s.receive_credit - buffered(s);
  // Updating for every read would cost a frame each; half a window keeps the peer busy.
  if (grant < s.window / 2) return;
  // Updates due faster than two round trips mean the window, not the network, limits the
  // stream: double it, within max_window and the session budget.
  if (rtt_ && now_ - s.last_window_update < 2 * *rtt_ && s.window < config_.max_window) {
    const uint32_t growth = std::min(s.window, config_.max_window - s.window);
    if (total_window_ + growth <= config_.max_session_buffer) {
      s.window += growth;
      total_window_ += growth;
      grant += growth;
    }
  }
  s.receive_credit += static_cast<uint32_t>(grant);
  s.last_window_update = now_;
  send_frame(kTypeWindowUpdate, ack_flag(s), id, static_cast<uint32_t>(grant));
}

void YamuxSession::send_ping(int64_t now) {
  const uint32_t value = next_ping_value_++;
  send_frame(kTypePing, kFlagSyn, 0, value);
  ping_outstanding_ = value;
  ping_sent_at_ = now;
  next_ping_at_ = now + config_.keepalive_interval;
}

std::optional<int64_t> YamuxSession::next_deadline() const {
  if (failed_) return std::nullopt;
  if (ping_outstanding_) return ping_sent_at_ + config_.ping_timeout;
  return next_ping_at_;
}

void YamuxSession::on_timer(int64_t now) {
  now_ = std::max(now_, now);
  if (failed_) return;
  if (ping_outstanding_) {
    if (now_ >= ping_sent_at_ + config_.ping_timeout) {
      fail(GoAwayCode::internal_error,
           "keepalive: ping unanswered for " + std::to_string((now_ - ping_sent_at_) / 1'000'000) + " ms");
    }
  } else if (now_ >= next_ping_at_) {
    send_ping(now_);
  }
}

Result<StreamId> YamuxSession::open_stream() {
  auto refuse = [](const std::string& why) {
    return Error{ErrorCode::limit, "yamux: cannot open a stream: " + why};
  };
  if (failed_) return refuse("the session has failed");
  if (local_go_away_ || remote_go_away_) return refuse("the session is going away");
  if (streams_.size() >= config_.max_streams)
    return refuse(std::to_string(config_.max_streams) + " streams open");
  if (awaiting_ack_ >= kYamuxMaxAckBacklog) return refuse("too many streams await the peer's ACK");
  if (total_window_ + kYamuxInitialWindow > config_.max_session_buffer)
    return refuse("the session buffer is full");
  if (next_stream_id_ > std::numeric_limits<StreamId>::max()) return refuse("stream ids are exhausted");
  const auto id = static_cast<StreamId>(next_stream_id_);
  next_stream_id_ += 2;
  Stream& s = streams_[id];
  s.awaiting_ack = true;
  s.last_window_update = now_;
  ++awaiting_ack_;
  total_window_ += s.window;
  send_frame(kTypeWindowUpdate, kFlagSyn, id, 0);
  return id;
}

Status YamuxSession::write(StreamId id, ByteSpan data) {
  Stream* s = find(id);
  if (!s || s->local_closed) {
    return Error{ErrorCode::invalid_argument,
                 "yamux: stream " + std::to_string(id) + " is not open for writing"};
  }
  if (s->queued.size() + data.size() > config_.max_stream_send_buffer ||
      total_queued_ + data.size() > config_.max_session_send_buffer) {
    s->want_writable = true;
    return Error{ErrorCode::limit, "yamux: send buffer full on stream " + std::to_string(id)};
  }
  s->queued.insert(s->queued.end(), data.begin(), data.end());
  total_queued_ += data.size();
  flush(id, *s);
  return {};
}

Bytes YamuxSession::read(StreamId id, size_t max) {
  Stream* s = find(id);
  if (!s) return {};
  const size_t n = std::min(max, buffered(*s));
  const auto begin = s->received.begin() + static_cast<ptrdiff_t>(s->received_offset);
  Bytes out(begin, begin + static_cast<ptrdiff_t>(n));
  s->received_offset += n;
  if (s->received_offset == s->received.size()) {
    s->received.clear();
    s->received_offset = 0;
  }
  maybe_update_window(id, *s);
  remove_if_done(id);
  return out;
}

Status YamuxSession::close(StreamId id) {
  Stream* s = find(id);
  if (!s) return Error{ErrorCode::invalid_argument, "yamux: stream " + std::to_string(id) + " is not open"};
  if (s->local_closed) return {};
  s->local_closed = true;
  flush(id, *s);
  return {};
}

void YamuxSession::reset(StreamId id) {
  Stream* s = find(id);
  if (!s) return;
  send_frame(kTypeWindowUpdate, static_cast<uint16_t>(ack_flag(*s) | kFlagRst), id, 0);
  remove(id);
}

void YamuxSession::go_away(GoAwayCode code) {
  if (failed_ || local_go_away_) return;
  local_go_away_ = true;
  send_frame(kTypeGoAway, 0, 0, static_cast<uint32_t>(code));
}

}  // namespace cairn::net
