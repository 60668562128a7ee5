#include "net/yamux.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "util/rng.h"

namespace cairn::net {
namespace {

using Kind = YamuxEvent::Kind;

constexpr uint8_t kData = 0;
constexpr uint8_t kWindowUpdate = 1;
constexpr uint8_t kPing = 2;
constexpr uint8_t kGoAway = 3;
constexpr uint16_t kSyn = 1;
constexpr uint16_t kAck = 2;
constexpr uint16_t kFin = 4;
constexpr uint16_t kRst = 8;
constexpr int64_t kMs = 1'000'000;

struct Frame {
  uint8_t version;
  uint8_t type;
  uint16_t flags;
  uint32_t stream;
  uint32_t length;
  bool operator==(const Frame&) const = default;
};

Bytes frame(uint8_t type, uint16_t flags, uint32_t stream, uint32_t length, ByteSpan payload = {},
            uint8_t version = 0) {
  Bytes out{version, type, static_cast<uint8_t>(flags >> 8), static_cast<uint8_t>(flags)};
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(stream >> (8 * i)));
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(length >> (8 * i)));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// The frame headers in `wire`, Data payloads skipped.
std::vector<Frame> frames(const Bytes& wire) {
  std::vector<Frame> out;
  size_t pos = 0;
  while (pos + kYamuxHeaderSize <= wire.size()) {
    auto be32 = [&](size_t at) {
      return uint32_t{wire[at]} << 24 | uint32_t{wire[at + 1]} << 16 | uint32_t{wire[at + 2]} << 8 |
             wire[at + 3];
    };
    Frame f{wire[pos], wire[pos + 1], static_cast<uint16_t>(wire[pos + 2] << 8 | wire[pos + 3]),
            be32(pos + 4), be32(pos + 8)};
    out.push_back(f);
    pos += kYamuxHeaderSize + (f.type == kData ? f.length : 0);
  }
  return out;
}

bool has_event(const std::vector<YamuxEvent>& events, Kind kind, StreamId stream = 0) {
  for (const auto& e : events) {
    if (e.kind == kind && (stream == 0 || e.stream == stream)) return true;
  }
  return false;
}

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 31);
  return b;
}

// A client and a server wired back to back; pump() delivers output until both are quiet.
struct Link {
  int64_t now = 0;
  YamuxSession client;
  YamuxSession server;
  std::vector<YamuxEvent> client_events;
  std::vector<YamuxEvent> server_events;

  explicit Link(YamuxConfig config = {})
      : client(YamuxRole::client, 0, config), server(YamuxRole::server, 0, config) {}

  void pump() {
    for (int i = 0; i < 1000; ++i) {
      Bytes to_server = client.take_output();
      Bytes to_client = server.take_output();
      if (to_server.empty() && to_client.empty()) break;
      server.receive(to_server, now);
      client.receive(to_client, now);
    }
    auto append = [](std::vector<YamuxEvent>& into, std::vector<YamuxEvent> events) {
      into.insert(into.end(), events.begin(), events.end());
    };
    append(client_events, client.take_events());
    append(server_events, server.take_events());
  }
};

TEST(Yamux, OpenAcceptDataCloseBothWays) {
  Link link;
  auto id = link.client.open_stream();
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 1u);
  ASSERT_TRUE(link.client.write(*id, as_bytes("hello")).ok());
  link.pump();
  EXPECT_TRUE(has_event(link.server_events, Kind::incoming, *id));
  EXPECT_TRUE(has_event(link.server_events, Kind::data, *id));
  EXPECT_EQ(link.server.read(*id, 100), Bytes(as_bytes("hello").begin(), as_bytes("hello").end()));
  EXPECT_FALSE(has_event(link.client_events, Kind::accepted));  // no ACK before the server's first frame

  ASSERT_TRUE(link.server.write(*id, as_bytes("world")).ok());
  link.pump();
  EXPECT_TRUE(has_event(link.client_events, Kind::accepted, *id));
  EXPECT_EQ(link.client.read(*id, 3), Bytes(as_bytes("wor").begin(), as_bytes("wor").end()));
  EXPECT_EQ(link.client.read(*id, 100), Bytes(as_bytes("ld").begin(), as_bytes("ld").end()));

  ASSERT_TRUE(link.client.close(*id).ok());
  EXPECT_FALSE(link.client.write(*id, as_bytes("late")).ok());
  link.pump();
  EXPECT_TRUE(has_event(link.server_events, Kind::closed, *id));
  ASSERT_TRUE(link.server.write(*id, as_bytes("bye")).ok());  // half-closed: the other way still works
  ASSERT_TRUE(link.server.close(*id).ok());
  link.pump();
  EXPECT_TRUE(has_event(link.client_events, Kind::closed, *id));
  EXPECT_EQ(link.server.stream_count(), 0u);
  EXPECT_EQ(link.client.stream_count(), 1u);  // "bye" is still unread
  EXPECT_EQ(link.client.read(*id, 100), Bytes(as_bytes("bye").begin(), as_bytes("bye").end()));
  EXPECT_EQ(link.client.stream_count(), 0u);
}

TEST(Yamux, StreamIdsFollowTheRole) {
  Link link;
  EXPECT_EQ(*link.client.open_stream(), 1u);
  EXPECT_EQ(*link.client.open_stream(), 3u);
  EXPECT_EQ(*link.server.open_stream(), 2u);
  EXPECT_EQ(*link.server.open_stream(), 4u);
  link.pump();
  EXPECT_EQ(link.client.stream_count(), 4u);
  EXPECT_EQ(link.server.stream_count(), 4u);
}

TEST(Yamux, FlowControlBlocksTheWriterUntilAWindowUpdate) {
  Link link;
  const StreamId id = *link.client.open_stream();
  const Bytes data = pattern(kYamuxInitialWindow + 1000, 1);
  ASSERT_TRUE(link.client.write(id, data).ok());
  link.pump();
  EXPECT_EQ(link.client.send_window(id), 0u);
  EXPECT_EQ(link.server.readable(id), kYamuxInitialWindow);
  // Reading less than half a window grants nothing yet.
  Bytes got = link.server.read(id, kYamuxInitialWindow / 2 - 1);
  link.pump();
  EXPECT_EQ(link.client.send_window(id), 0u);
  Bytes more = link.server.read(id, kYamuxInitialWindow);
  got.insert(got.end(), more.begin(), more.end());
  link.pump();
  EXPECT_EQ(link.server.readable(id), 1000u);
  more = link.server.read(id, 2000);
  got.insert(got.end(), more.begin(), more.end());
  EXPECT_EQ(got, data);
}

TEST(Yamux, WindowViolationIsAProtocolError) {
  YamuxSession server(YamuxRole::server, 0);
  server.take_output();
  server.receive(frame(kWindowUpdate, kSyn, 1, 0), 0);
  const Bytes full(kYamuxInitialWindow, 0xaa);
  server.receive(frame(kData, 0, 1, kYamuxInitialWindow, full), 0);  // exactly the window: fine
  EXPECT_FALSE(server.failed());
  server.take_output();
  server.receive(frame(kData, 0, 1, 1, Bytes{1}), 0);  // one byte beyond it
  EXPECT_TRUE(server.failed());
  EXPECT_EQ(frames(server.take_output()), (std::vector<Frame>{{0, kGoAway, 0, 0, 1}}));
  auto events = server.take_events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, Kind::error);
  EXPECT_NE(events.back().reason.find("window violation"), std::string::npos) << events.back().reason;
  EXPECT_FALSE(server.next_deadline().has_value());
}

TEST(Yamux, StreamLimitRefusesTheExtraSynWithRst) {
  YamuxSession server(YamuxRole::server, 0);
  server.take_output();
  for (uint32_t i = 0; i < kYamuxDefaultMaxStreams; ++i)
    server.receive(frame(kWindowUpdate, kSyn, 2 * i + 1, 0), 0);
  EXPECT_EQ(server.stream_count(), kYamuxDefaultMaxStreams);
  EXPECT_TRUE(frames(server.take_output()).empty());
  const uint32_t extra = 2 * kYamuxDefaultMaxStreams + 1;
  server.receive(frame(kData, kSyn, extra, 3, Bytes{1, 2, 3}), 0);
  EXPECT_FALSE(server.failed());
  EXPECT_EQ(server.stream_count(), kYamuxDefaultMaxStreams);
  EXPECT_EQ(frames(server.take_output()), (std::vector<Frame>{{0, kWindowUpdate, kRst, extra, 0}}));
  // The refused frame's payload was skipped: the next frame parses.
  server.receive(frame(kPing, kSyn, 0, 77), 0);
  EXPECT_EQ(frames(server.take_output()), (std::vector<Frame>{{0, kPing, kAck, 0, 77}}));
}

TEST(Yamux, OpenStreamLimitsAndAckBacklog) {
  YamuxSession client(YamuxRole::client, 0);
  for (size_t i = 0; i < kYamuxMaxAckBacklog; ++i) ASSERT_TRUE(client.open_stream().ok());
  auto refused = client.open_stream();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::limit);
}

TEST(Yamux, SessionBufferLimitRefusesStreams) {
  YamuxConfig config;
  config.max_session_buffer = 2 * kYamuxInitialWindow;
  YamuxSession server(YamuxRole::server, 0, config);
  server.take_output();
  server.receive(frame(kWindowUpdate, kSyn, 1, 0), 0);
  server.receive(frame(kWindowUpdate, kSyn, 3, 0), 0);
  EXPECT_EQ(server.stream_count(), 2u);
  server.receive(frame(kWindowUpdate, kSyn, 5, 0), 0);
  EXPECT_EQ(server.stream_count(), 2u);
  EXPECT_EQ(frames(server.take_output()), (std::vector<Frame>{{0, kWindowUpdate, kRst, 5, 0}}));
  EXPECT_FALSE(server.open_stream().ok());
}

TEST(Yamux, MalformedFramesAreProtocolErrors) {
  struct Case {
    const char* name;
    Bytes bytes;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"version", frame(kPing, kSyn, 0, 1, {}, 1), "unsupported version"},
      {"type", frame(4, 0, 0, 0), "unknown frame type"},
      {"parity", frame(kWindowUpdate, kSyn, 2, 0), "with our parity"},
      {"ping stream", frame(kPing, kSyn, 1, 0), "Ping on a stream"},
      {"goaway stream", frame(kGoAway, 0, 1, 0), "GoAway on a stream"},
      {"stream zero", frame(kData, 0, 0, 0), "stream id 0"},
      {"frame size", frame(kData, kSyn, 1, kYamuxDefaultMaxWindow + 1), "exceeds the maximum"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    YamuxSession server(YamuxRole::server, 0);
    server.receive(c.bytes, 0);
    ASSERT_TRUE(server.failed());
    const auto events = server.take_events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_NE(events[0].reason.find(c.reason), std::string::npos) << events[0].reason;
    EXPECT_EQ(events[0].code, static_cast<uint32_t>(GoAwayCode::protocol_error));
  }
}

TEST(Yamux, DuplicateSynAndDataAfterFinAreProtocolErrors) {
  YamuxSession server(YamuxRole::server, 0);
  server.receive(frame(kWindowUpdate, kSyn, 1, 0), 0);
  server.receive(frame(kWindowUpdate, kSyn, 1, 0), 0);
  EXPECT_TRUE(server.failed());

  YamuxSession other(YamuxRole::server, 0);
  other.receive(frame(kData, kSyn | kFin, 1, 1, Bytes{1}), 0);
  EXPECT_FALSE(other.failed());
  other.receive(frame(kData, 0, 1, 1, Bytes{2}), 0);
  EXPECT_TRUE(other.failed());
}

TEST(Yamux, MaxFramePayloadBoundary) {
  YamuxConfig config;
  config.max_window = kYamuxInitialWindow;
  config.max_frame_payload = kYamuxInitialWindow;
  YamuxSession server(YamuxRole::server, 0, config);
  server.receive(frame(kData, kSyn, 1, kYamuxInitialWindow, Bytes(kYamuxInitialWindow)), 0);
  EXPECT_FALSE(server.failed());
  server.receive(frame(kData, kSyn, 3, kYamuxInitialWindow + 1), 0);
  EXPECT_TRUE(server.failed());
}

TEST(Yamux, ResetByEitherSide) {
  Link link;
  const StreamId id = *link.client.open_stream();
  ASSERT_TRUE(link.client.write(id, as_bytes("x")).ok());
  link.pump();
  link.server.reset(id);
  EXPECT_EQ(link.server.stream_count(), 0u);
  link.pump();
  EXPECT_TRUE(has_event(link.client_events, Kind::reset, id));
  EXPECT_EQ(link.client.stream_count(), 0u);
  EXPECT_FALSE(link.client.write(id, as_bytes("y")).ok());
  EXPECT_FALSE(link.client.failed() || link.server.failed());
}

TEST(Yamux, PingMeasuresTheRoundTrip) {
  Link link;
  link.now = 5 * kMs;
  link.pump();
  ASSERT_TRUE(link.client.rtt().has_value());
  EXPECT_EQ(*link.client.rtt(), 5 * kMs);
  EXPECT_EQ(link.client.next_deadline(), kYamuxDefaultKeepaliveInterval);
}

TEST(Yamux, KeepaliveSendsPingsAndFailsWhenUnanswered) {
  YamuxSession client(YamuxRole::client, 0);
  Bytes first = client.take_output();
  ASSERT_EQ(frames(first).size(), 1u);
  const uint32_t value = frames(first)[0].length;
  client.receive(frame(kPing, kAck, 0, value), 1 * kMs);
  EXPECT_EQ(client.next_deadline(), kYamuxDefaultKeepaliveInterval);
  client.on_timer(kYamuxDefaultKeepaliveInterval - 1);
  EXPECT_TRUE(client.take_output().empty());
  client.on_timer(kYamuxDefaultKeepaliveInterval);
  const auto ping = frames(client.take_output());
  ASSERT_EQ(ping.size(), 1u);
  EXPECT_EQ(ping[0].type, kPing);
  EXPECT_EQ(ping[0].flags, kSyn);
  const int64_t timeout_at = kYamuxDefaultKeepaliveInterval + kYamuxDefaultPingTimeout;
  EXPECT_EQ(client.next_deadline(), timeout_at);
  client.on_timer(timeout_at - 1);
  EXPECT_FALSE(client.failed());
  client.on_timer(timeout_at);
  EXPECT_TRUE(client.failed());
  const auto events = client.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].reason.find("keepalive"), std::string::npos);
}

TEST(Yamux, GoAwayStopsNewStreams) {
  Link link;
  const StreamId open = *link.client.open_stream();
  link.pump();
  link.client.go_away(GoAwayCode::normal);
  EXPECT_FALSE(link.client.open_stream().ok());
  link.pump();
  ASSERT_TRUE(has_event(link.server_events, Kind::go_away));
  EXPECT_FALSE(link.server.open_stream().ok());
  // A stream the server opens anyway (raw SYN) is refused; the open stream carries on.
  link.client.receive(frame(kWindowUpdate, kSyn, 2, 0), 0);
  EXPECT_EQ(frames(link.client.take_output()), (std::vector<Frame>{{0, kWindowUpdate, kRst, 2, 0}}));
  ASSERT_TRUE(link.server.write(open, as_bytes("still here")).ok());
  link.pump();
  EXPECT_EQ(link.client.readable(open), 10u);
}

TEST(Yamux, SendBufferLimitAndWritableEvent) {
  Link link;
  const StreamId id = *link.client.open_stream();
  link.pump();
  // The first window's worth leaves at once; the buffer then fills to its limit exactly.
  ASSERT_TRUE(link.client.write(id, Bytes(kYamuxInitialWindow)).ok());
  ASSERT_TRUE(link.client.write(id, Bytes(kYamuxDefaultMaxStreamSendBuffer)).ok());
  auto refused = link.client.write(id, Bytes(1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::limit);
  link.pump();
  while (link.server.readable(id) > 0) {
    link.server.read(id, 1 << 20);
    link.pump();
  }
  EXPECT_TRUE(has_event(link.client_events, Kind::writable, id));
  EXPECT_TRUE(link.client.write(id, Bytes(1)).ok());
}

TEST(Yamux, WindowGrowsWhenTheReaderKeepsUpButNotBeyondMax) {
  YamuxConfig config;
  config.max_window = 4 * kYamuxInitialWindow;
  Link link(config);
  link.now = 10 * kMs;
  link.pump();  // measures a 10 ms round trip
  const StreamId id = *link.client.open_stream();
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(link.client.write(id, Bytes(256 * 1024)).ok());
    link.pump();
    link.server.read(id, SIZE_MAX);
    link.pump();
    link.now += kMs;  // updates come far faster than two round trips
  }
  EXPECT_EQ(link.server.receive_window(id), config.max_window);
  EXPECT_EQ(link.client.send_window(id) + link.server.readable(id) <= config.max_window, true);
}

TEST(Yamux, UnknownStreamFramesAreIgnored) {
  YamuxSession server(YamuxRole::server, 0);
  server.take_output();
  server.receive(frame(kData, 0, 9, 4, Bytes{1, 2, 3, 4}), 0);
  server.receive(frame(kWindowUpdate, kRst, 11, 0), 0);
  EXPECT_FALSE(server.failed());
  EXPECT_TRUE(server.take_output().empty());
}

// Many streams both ways, output cut at random points and delivered in random order of
// sides, reads of random sizes: every byte arrives intact and in order.
TEST(Yamux, RandomInterleavingsDeliverEverything) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    DeterministicRng rng(seed);
    YamuxSession client(YamuxRole::client, 0);
    YamuxSession server(YamuxRole::server, 0);
    std::map<StreamId, Bytes> sent_by_client, sent_by_server, got_by_client, got_by_server;
    for (int i = 0; i < 6; ++i) {
      const StreamId a = *client.open_stream();
      sent_by_client[a] = pattern(rng.uniform(600'000), static_cast<uint8_t>(i));
      const StreamId b = *server.open_stream();
      sent_by_server[b] = pattern(rng.uniform(600'000), static_cast<uint8_t>(i + 100));
    }
    std::map<StreamId, size_t> client_offset, server_offset;
    Bytes to_server, to_client;
    int64_t now = 0;
    auto write_some = [&](YamuxSession& session, std::map<StreamId, Bytes>& sent,
                          std::map<StreamId, size_t>& offset) {
      for (auto& [id, data] : sent) {
        size_t& off = offset[id];
        if (off == data.size()) continue;
        const size_t n = std::min<size_t>(data.size() - off, 1 + rng.uniform(200'000));
        if (session.write(id, ByteSpan(data).subspan(off, n)).ok()) off += n;
        if (off == data.size()) {
          EXPECT_TRUE(session.close(id).ok());
        }
      }
    };
    auto read_some = [&](YamuxSession& session, std::map<StreamId, Bytes>& got,
                         const std::map<StreamId, Bytes>& peer_sent) {
      for (const auto& entry : peer_sent) {
        const StreamId id = entry.first;
        Bytes chunk = session.read(id, 1 + rng.uniform(300'000));
        got[id].insert(got[id].end(), chunk.begin(), chunk.end());
      }
    };
    auto deliver_some = [&](Bytes& queue, YamuxSession& to) {
      const size_t n = queue.empty() ? 0 : 1 + rng.uniform(queue.size());
      to.receive(ByteSpan(queue).first(n), now);
      queue.erase(queue.begin(), queue.begin() + static_cast<ptrdiff_t>(n));
    };
    for (int step = 0; step < 4000; ++step) {
      now += kMs;
      switch (rng.uniform(4)) {
        case 0:
          write_some(client, sent_by_client, client_offset);
          write_some(server, sent_by_server, server_offset);
          break;
        case 1:
          read_some(client, got_by_client, sent_by_server);
          read_some(server, got_by_server, sent_by_client);
          break;
        case 2:
          deliver_some(to_server, server);
          break;
        default:
          deliver_some(to_client, client);
          break;
      }
      Bytes out = client.take_output();
      to_server.insert(to_server.end(), out.begin(), out.end());
      out = server.take_output();
      to_client.insert(to_client.end(), out.begin(), out.end());
      client.take_events();
      server.take_events();
      ASSERT_FALSE(client.failed() || server.failed());
    }
    // Each side half-closes the streams the other opened (it wrote nothing on them), then
    // everything left is drained; fully closed and read streams are gone.
    for (const auto& entry : sent_by_server) EXPECT_TRUE(client.close(entry.first).ok());
    for (const auto& entry : sent_by_client) EXPECT_TRUE(server.close(entry.first).ok());
    for (int i = 0; i < 200; ++i) {
      write_some(client, sent_by_client, client_offset);
      write_some(server, sent_by_server, server_offset);
      read_some(client, got_by_client, sent_by_server);
      read_some(server, got_by_server, sent_by_client);
      server.receive(std::exchange(to_server, {}), now);
      client.receive(std::exchange(to_client, {}), now);
      Bytes out = client.take_output();
      to_server.insert(to_server.end(), out.begin(), out.end());
      out = server.take_output();
      to_client.insert(to_client.end(), out.begin(), out.end());
    }
    EXPECT_EQ(got_by_server, sent_by_client);
    EXPECT_EQ(got_by_client, sent_by_server);
    EXPECT_EQ(client.stream_count(), 0u);
    EXPECT_EQ(server.stream_count(), 0u);
  }
}

}  // namespace
}  // namespace cairn::net
