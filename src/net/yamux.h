// Yamux, protocol id "/yamux/1.0.0" (hashicorp/yamux spec.md, libp2p/specs yamux/README.md),
// as a sans-I/O session: decrypted bytes and the time in; bytes to send, events and a timer
// deadline out. The caller owns the connection and calls take_output() after every call.
//
//   frame       12-byte header, big-endian: version (0) u8, type u8, flags u16, stream id u32,
//               length u32; a Data frame's payload (length bytes) follows the header
//   types       0 Data, 1 WindowUpdate (length = window delta), 2 Ping (length = opaque value,
//               SYN asks, ACK answers), 3 GoAway (length = code); Ping and GoAway use id 0
//   flags       SYN opens a stream, ACK accepts it, FIN half-closes, RST resets
//   stream ids  the client (dialer) uses odd ids, the server even; 0 is the session
//   windows     every stream starts with 256 KiB of credit each way; only Data payload counts
//
// Cairn's choices within the spec:
//   - a stream is opened with a WindowUpdate SYN right away; an inbound stream is acknowledged
//     (ACK) with the first frame the application causes on it, as libp2p recommends
//   - receive windows grow (doubling, up to max_window) when a window update is due less than
//     two round trips after the previous one, measured by pings — and only while the sum of
//     all streams' windows stays within max_session_buffer, so received-but-unread data per
//     session is bounded by it (a new stream, whose 256 KiB the spec fixes, is refused with
//     RST when it would not fit)
//   - a peer that sends beyond the credit it was given, opens a stream with the wrong parity
//     or a used id, sends a frame larger than max_frame_payload, a version other than 0 or an
//     unknown type commits a protocol error: the session sends GoAway(protocol error) and fails
//   - a ping is sent when the session starts (to measure the round trip) and every
//     keepalive_interval; a ping unanswered after ping_timeout fails the session
//
// Not thread-safe: one session per connection, driven from one strand.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

inline constexpr std::string_view kYamuxProtocolId = "/yamux/1.0.0";
inline constexpr size_t kYamuxHeaderSize = 12;
inline constexpr uint8_t kYamuxVersion = 0;
// The spec's initial window; both sides assume it for every new stream.
inline constexpr uint32_t kYamuxInitialWindow = 256 * 1024;
// libp2p: at most 256 outbound streams may wait for the peer's ACK.
inline constexpr size_t kYamuxMaxAckBacklog = 256;
// Data frames we send are at most this large, so streams interleave fairly.
inline constexpr uint32_t kYamuxMaxSendFrame = 64 * 1024;

// Defaults of YamuxConfig.
inline constexpr uint32_t kYamuxDefaultMaxWindow = 16 * 1024 * 1024;
// libp2p asks implementations to buffer at least 256 unacknowledged inbound streams.
inline constexpr size_t kYamuxDefaultMaxStreams = 256;
inline constexpr uint64_t kYamuxDefaultMaxSessionBuffer = 64 * 1024 * 1024;
inline constexpr size_t kYamuxDefaultMaxStreamSendBuffer = 1024 * 1024;
inline constexpr size_t kYamuxDefaultMaxSessionSendBuffer = 16 * 1024 * 1024;
inline constexpr int64_t kYamuxDefaultKeepaliveInterval = 30'000'000'000;  // ns
inline constexpr int64_t kYamuxDefaultPingTimeout = 15'000'000'000;        // ns

static_assert(kYamuxDefaultMaxStreams * kYamuxInitialWindow <= kYamuxDefaultMaxSessionBuffer,
              "every concurrent stream must fit its initial window in the session budget");

using StreamId = uint32_t;

// DO NOT CHANGE THESE VALUES: the spec's GoAway codes.
enum class GoAwayCode : uint32_t { normal = 0, protocol_error = 1, internal_error = 2 };

enum class YamuxRole : uint8_t { client, server };  // client: the side that dialled

struct YamuxConfig {
  uint32_t max_window = kYamuxDefaultMaxWindow;                 // largest receive window a stream grows to
  size_t max_streams = kYamuxDefaultMaxStreams;                 // open streams, both directions together
  uint64_t max_session_buffer = kYamuxDefaultMaxSessionBuffer;  // sum of receive windows
  // A peer's Data frame larger than this is a protocol error; it must admit max_window,
  // since other implementations send up to the whole window in one frame.
  uint32_t max_frame_payload = kYamuxDefaultMaxWindow;
  size_t max_stream_send_buffer = kYamuxDefaultMaxStreamSendBuffer;    // queued writes per stream
  size_t max_session_send_buffer = kYamuxDefaultMaxSessionSendBuffer;  // and for all streams
  int64_t keepalive_interval = kYamuxDefaultKeepaliveInterval;
  int64_t ping_timeout = kYamuxDefaultPingTimeout;
};

struct YamuxEvent {
  enum class Kind : uint8_t {
    incoming,  // the peer opened `stream`
    accepted,  // the peer acknowledged a stream we opened
    data,      // `stream` has bytes to read()
    closed,    // the peer half-closed `stream` (FIN): no more data will arrive
    reset,     // `stream` was reset by the peer (or refused); it is gone
    writable,  // `stream`'s send queue, after a write was refused, has drained
    go_away,   // the peer will accept no new streams; `code` is its GoAway code
    error,     // the session failed (`reason`); nothing more will happen on it
  };
  Kind kind;
  StreamId stream = 0;
  uint32_t code = 0;
  std::string reason;
};

class YamuxSession {
 public:
  // `now` is a monotonic time in nanoseconds, the same clock as every later call's.
  YamuxSession(YamuxRole role, int64_t now, YamuxConfig config = {});

  // Feeds bytes from the connection. Protocol errors fail the session (see the header).
  void receive(ByteSpan bytes, int64_t now);
  // When on_timer() must next be called (keepalive ping or ping timeout); nullopt once failed.
  std::optional<int64_t> next_deadline() const;
  void on_timer(int64_t now);

  // Opens an outbound stream. Error (limit) when the stream or ACK-backlog limit, the session
  // budget or the stream ids are exhausted, or after a GoAway either way.
  Result<StreamId> open_stream();
  // Queues `data` on `stream`; it is sent as the peer grants window. Error (limit) if the
  // stream's or the session's send buffer would overflow — a writable event follows once the
  // stream's queue has drained; error (invalid_argument) if the stream is unknown or closed.
  Status write(StreamId stream, ByteSpan data);
  // Up to `max` received bytes of `stream` (fewer if fewer are buffered); reading returns
  // credit to the peer.
  Bytes read(StreamId stream, size_t max);
  // Half-close: FIN after the queued data.
  Status close(StreamId stream);
  // Drops `stream` at once and tells the peer (RST).
  void reset(StreamId stream);
  // Sends GoAway: no new streams either way; open streams carry on.
  void go_away(GoAwayCode code);

  Bytes take_output() { return std::exchange(output_, {}); }
  std::vector<YamuxEvent> take_events() { return std::exchange(events_, {}); }

  bool failed() const { return failed_; }
  size_t stream_count() const { return streams_.size(); }
  // Bytes buffered for read() on `stream`, 0 if unknown.
  size_t readable(StreamId stream) const;
  // Credit the peer currently grants `stream` for our data, 0 if unknown.
  uint32_t send_window(StreamId stream) const;
  // The receive window `stream` has grown to, 0 if unknown.
  uint32_t receive_window(StreamId stream) const;
  // The last measured round trip (ns), if any ping has been answered.
  std::optional<int64_t> rtt() const { return rtt_; }

 private:
  struct Stream {
    bool ack_pending = false;   // inbound: our first frame must carry ACK
    bool awaiting_ack = false;  // outbound: the peer has not acknowledged it yet
    bool local_closed = false;  // close() was called (the FIN may still be queued)
    bool fin_sent = false;
    bool remote_closed = false;                     // FIN received
    bool want_writable = false;                     // a write was refused: report when the queue drains
    uint32_t window = kYamuxInitialWindow;          // receive window target
    uint32_t receive_credit = kYamuxInitialWindow;  // bytes the peer may still send
    uint32_t send_credit = kYamuxInitialWindow;     // bytes we may still send
    int64_t last_window_update = 0;
    Bytes received;
    size_t received_offset = 0;
    Bytes queued;  // written, not yet sent
  };
  struct Header {
    uint8_t version;
    uint8_t type;
    uint16_t flags;
    StreamId stream;
    uint32_t length;
  };

  void handle_header(const Header& header);
  void handle_stream_frame(const Header& header);
  void handle_ping(const Header& header);
  void handle_data(StreamId id, ByteSpan bytes);
  void end_of_frame();
  void remote_fin(StreamId id, Stream& stream);
  bool accept_inbound(const Header& header);
  void send_frame(uint8_t type, uint16_t flags, StreamId stream, uint32_t length, ByteSpan payload = {});
  uint16_t ack_flag(Stream& stream);
  void flush(StreamId id, Stream& stream);
  void maybe_update_window(StreamId id, Stream& stream);
  void remove_if_done(StreamId id);
  void remove(StreamId id);
  void send_ping(int64_t now);
  void fail(GoAwayCode code, std::string reason);
  size_t buffered(const Stream& stream) const { return stream.received.size() - stream.received_offset; }
  Stream* find(StreamId id);
  const Stream* find(StreamId id) const;

  YamuxRole role_;
  YamuxConfig config_;
  int64_t now_;
  std::map<StreamId, Stream> streams_;
  uint64_t next_stream_id_;
  uint64_t total_window_ = 0;  // sum of the streams' receive windows
  size_t total_queued_ = 0;    // sum of the streams' send queues
  size_t awaiting_ack_ = 0;
  bool local_go_away_ = false;
  bool remote_go_away_ = false;
  bool failed_ = false;

  // Frame parsing across receive() calls.
  std::array<uint8_t, kYamuxHeaderSize> header_bytes_{};
  size_t header_fill_ = 0;
  uint32_t payload_left_ = 0;    // of the current Data frame
  StreamId payload_stream_ = 0;  // 0: discard the payload
  uint16_t payload_flags_ = 0;   // applied once the payload has arrived

  // Keepalive.
  uint32_t next_ping_value_ = 1;
  std::optional<uint32_t> ping_outstanding_;
  int64_t ping_sent_at_ = 0;
  int64_t next_ping_at_ = 0;
  std::optional<int64_t> rtt_;

  Bytes output_;
  std::vector<YamuxEvent> events_;
};

}  // namespace cairn::net
