// Finality votes: exactly 177 bytes; decode, re-encode byte for byte, decode again.
#include <algorithm>

#include "fuzz.h"
#include "primitives/block.h"

using namespace cairn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  auto vote = decode_vote(in);
  if (!vote) return 0;
  FUZZ_CHECK(size == kVoteBytes);
  const Bytes again = encode(*vote);
  FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin(), in.end()));
  auto redecoded = decode_vote(again);
  FUZZ_CHECK(redecoded && *redecoded == *vote);
  FUZZ_CHECK(vote_id(*vote) == hash(HashContext::vote, in));
  return 0;
}
