// Noise: arbitrary bytes as handshake messages never crash either role, and a peer cannot
// get a handshake accepted without the keys. The first byte picks a mode:
//   0  the bytes are the wire input of a responder
//   1  the bytes are the wire input of an initiator (after its message 1)
//   2  an honest handshake whose messages are XORed with the bytes as a mask: it succeeds
//      exactly when the mask is all zero, and then carries the rest as transport data
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz.h"
#include "net/noise.h"

using namespace cairn;
using namespace cairn::net;

namespace {

KeyPair identity(uint8_t n) {
  Seed seed;
  seed.bytes.fill(n);
  return KeyPair::from_seed(seed);
}

// Feeds `input` in chunks of `chunk` + 1 bytes, stopping at the first error.
Status feed(NoiseHandshake& h, ByteSpan input, uint8_t chunk) {
  const size_t step = size_t{chunk} + 1;
  for (size_t i = 0; i < input.size() && !h.finished(); i += step) {
    CAIRN_TRY_STATUS(h.receive(input.subspan(i, std::min(step, input.size() - i))));
  }
  return {};
}

// XORs `mask` (consumed from the front) into `message`; true if any bit changed.
bool apply_mask(Bytes& message, ByteSpan& mask) {
  bool changed = false;
  const size_t n = std::min(message.size(), mask.size());
  for (size_t i = 0; i < n; ++i) {
    message[i] ^= mask[i];
    changed = changed || mask[i] != 0;
  }
  mask = mask.subspan(n);
  return changed;
}

// A handshake may fail (or stall) only if a message was changed.
int failed(bool tampered) {
  FUZZ_CHECK(tampered);
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0] % 3;
  const uint8_t chunk = data[1];
  ByteSpan input(data + 2, size - 2);
  const KeyPair initiator_key = identity(1);
  const KeyPair responder_key = identity(2);
  DeterministicRng rng(7);
  NoiseHandshake initiator(NoiseRole::initiator, initiator_key, rng);
  NoiseHandshake responder(NoiseRole::responder, responder_key, rng);

  if (mode == 0 || mode == 1) {
    NoiseHandshake& target = mode == 0 ? responder : initiator;
    const Status status = feed(target, input, chunk);
    // Without the other side's keys, message 2 or 3 cannot authenticate.
    FUZZ_CHECK(!target.finished());
    if (!status) FUZZ_CHECK(!status.error().message.empty());
    return 0;
  }

  bool tampered = false;
  auto deliver = [&](NoiseHandshake& to, Bytes message) {
    tampered |= apply_mask(message, input);
    return to.receive(message).ok();
  };
  // A changed length prefix can also leave a side waiting for bytes that never come.
  const bool completed = deliver(responder, initiator.take_output()) &&
                         deliver(initiator, responder.take_output()) &&
                         deliver(responder, initiator.take_output()) && responder.finished();
  if (!completed) return failed(tampered);
  FUZZ_CHECK(!tampered);
  FUZZ_CHECK(initiator.finished() && responder.finished());
  NoiseSession i = initiator.take_session();
  NoiseSession r = responder.take_session();
  FUZZ_CHECK(i.remote_peer == PeerId::from_public_key(responder_key.public_key()));
  FUZZ_CHECK(r.remote_peer == PeerId::from_public_key(initiator_key.public_key()));
  auto sealed = i.transport.seal(input);
  FUZZ_CHECK(sealed.ok());
  auto opened = r.transport.open(*sealed);
  FUZZ_CHECK(opened.ok() && Bytes(input.begin(), input.end()) == *opened);
  // Arbitrary bytes as transport messages: an error or nothing, never a crash.
  auto garbage = i.transport.open(input);
  FUZZ_CHECK(!garbage.ok() || garbage->empty());
  return 0;
}
