// Blocks: decode, re-encode byte for byte, decode again; the header roots are computable.
#include <algorithm>

#include "fuzz.h"
#include "primitives/block.h"

using namespace cairn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  auto block = decode_block(in);
  if (!block) return 0;
  const Bytes again = encode(*block);
  FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin(), in.end()));
  auto redecoded = decode_block(again);
  FUZZ_CHECK(redecoded && *redecoded == *block);
  // Equal roots for equal lists: ids and Merkle roots are deterministic functions of the bytes.
  FUZZ_CHECK(compute_tx_root(*block) == compute_tx_root(*redecoded));
  FUZZ_CHECK(compute_witness_root(*block) == compute_witness_root(*redecoded));
  FUZZ_CHECK(compute_vote_root(*block) == compute_vote_root(*redecoded));
  return 0;
}
