// multistream-select: arbitrary bytes from a peer, to either role, never crash the state
// machine, and how the bytes are split into reads makes no difference: the input whole and
// the input one byte at a time give the same outcome, the same output and the same
// leftover bytes.
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz.h"
#include "net/multistream.h"

using namespace cairn;
using namespace cairn::net;

namespace {

struct Run {
  MultistreamSelect::State state;
  Bytes output;
  Bytes leftover;
  std::string protocol;
};

// Feeds `input` in pieces of `chunk` bytes until the negotiation ends.
Run run(MultistreamSelect m, ByteSpan input, size_t chunk) {
  Run r{m.state(), m.take_output(), {}, {}};
  for (size_t i = 0; i < input.size() && m.state() == MultistreamSelect::State::negotiating; i += chunk) {
    m.receive(input.subspan(i, std::min(chunk, input.size() - i)));
    const Bytes out = m.take_output();
    r.output.insert(r.output.end(), out.begin(), out.end());
  }
  r.state = m.state();
  if (r.state == MultistreamSelect::State::negotiated) {
    r.leftover = m.take_leftover();
    r.protocol = m.protocol();
  }
  return r;
}

MultistreamSelect make(uint8_t selector) {
  if (selector % 3 == 0) return MultistreamSelect::listener({"/noise", "/yamux/1.0.0", "/ipfs/ping/1.0.0"});
  if (selector % 3 == 1) return MultistreamSelect::dialer({"/tls/1.0.0", "/noise"});
  return MultistreamSelect::dialer({"/yamux/1.0.0"}, /*optimistic=*/true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan input(data + 1, size - 1);
  const Run whole = run(make(data[0]), input, input.size() + 1);
  const Run bytewise = run(make(data[0]), input, 1);
  FUZZ_CHECK(whole.state == bytewise.state);
  FUZZ_CHECK(whole.output == bytewise.output);
  FUZZ_CHECK(whole.protocol == bytewise.protocol);
  // Byte by byte, the machine stops right after the concluding message, so the rest of
  // the input is exactly what whole-input leftover must be.
  if (whole.state == MultistreamSelect::State::negotiated) {
    FUZZ_CHECK(bytewise.leftover.empty());
    FUZZ_CHECK(whole.leftover.size() <= input.size());
    FUZZ_CHECK(std::equal(whole.leftover.begin(), whole.leftover.end(),
                          input.end() - static_cast<std::ptrdiff_t>(whole.leftover.size())));
  }
  return 0;
}
