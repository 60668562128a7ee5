// Yamux: arbitrary frames from a peer never crash a session of either role, and memory
// stays bounded: buffered data never exceeds the session budget, each call's output is
// proportional to its input. The first byte picks the role and how the input is cut into
// reads; between reads the session's streams are read and the timer runs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>

#include "fuzz.h"
#include "net/yamux.h"

using namespace cairn;
using namespace cairn::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const YamuxRole role = (data[0] & 1) ? YamuxRole::client : YamuxRole::server;
  const size_t step = size_t{1} + (data[0] >> 1) * 16;
  YamuxConfig config;
  config.max_streams = 8;
  config.max_session_buffer = config.max_streams * kYamuxInitialWindow;
  YamuxSession session(role, 0, config);
  session.take_output();
  int64_t now = 0;
  std::set<StreamId> streams;  // every stream the peer opened
  for (size_t i = 1; i < size; i += step) {
    const size_t n = std::min(step, size - i);
    now += 1'000'000'000;
    session.receive({data + i, n}, now);
    // At most one reply (pong, RST) per frame begun in these bytes, plus a GoAway.
    FUZZ_CHECK(session.take_output().size() <= (n / kYamuxHeaderSize + 2) * kYamuxHeaderSize);
    for (const auto& event : session.take_events()) {
      if (event.kind == YamuxEvent::Kind::error) FUZZ_CHECK(session.failed() && !event.reason.empty());
      if (event.kind == YamuxEvent::Kind::incoming) streams.insert(event.stream);
    }
    size_t buffered = 0;
    for (StreamId id : streams) buffered += session.readable(id);
    FUZZ_CHECK(buffered <= config.max_session_buffer);
    FUZZ_CHECK(session.stream_count() <= config.max_streams);
    if (data[i] & 1) {
      for (StreamId id : streams) session.read(id, SIZE_MAX);
      session.take_output();
    }
    session.on_timer(now);
    session.take_output();
  }
  return 0;
}
