// Block headers: exactly 192 bytes; decode, re-encode byte for byte, decode again.
#include <algorithm>

#include "fuzz.h"
#include "primitives/block.h"

using namespace cairn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  auto header = decode_header(in);
  if (!header) return 0;
  FUZZ_CHECK(size == kHeaderBytes);
  const Bytes again = encode(*header);
  FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin(), in.end()));
  auto redecoded = decode_header(again);
  FUZZ_CHECK(redecoded && *redecoded == *header);
  FUZZ_CHECK(block_hash(*header) == hash(HashContext::header, in));
  return 0;
}
