// Locks, satisfactions, witnesses and output locks: each decoder is tried on the input;
// whichever accepts it must re-encode it byte for byte and decode its own output again.
#include <algorithm>

#include "fuzz.h"
#include "primitives/lock.h"

using namespace cairn;

namespace {

template <class Decode>
void check_round_trip(ByteSpan in, Decode decode) {
  Reader r(in);
  auto value = decode(r);
  if (!r.finish()) return;
  Writer w;
  encode(w, value);
  FUZZ_CHECK(std::equal(w.data().begin(), w.data().end(), in.begin(), in.end()));
  Reader again(w.data());
  auto redecoded = decode(again);
  FUZZ_CHECK(again.finish() && redecoded == value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  check_round_trip(in, [](Reader& r) { return decode_output_lock(r); });
  check_round_trip(in, [](Reader& r) { return decode_satisfaction(r); });
  check_round_trip(in, [](Reader& r) { return decode_witness(r); });
  if (auto lock = decode_lock(in)) {
    FUZZ_CHECK(size <= kMaxLockBytes);
    const Bytes again = encode(*lock);
    FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin(), in.end()));
    FUZZ_CHECK(lock_hash(*lock) == hash(HashContext::lock, in));
  }
  return 0;
}
