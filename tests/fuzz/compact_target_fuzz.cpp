// Compact targets (Bitcoin's nBits): decode never crashes; whatever decodes re-encodes to a
// canonical form that decodes to the same value; encoding any 256-bit value gives a
// decodable compact at most that value that keeps at least its top two bytes; block work is
// defined for every input.
#include <algorithm>
#include <cstring>

#include "consensus/pow.h"
#include "fuzz.h"

using namespace cairn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 4) {
    const uint32_t compact =
        uint32_t{data[0]} | uint32_t{data[1]} << 8 | uint32_t{data[2]} << 16 | uint32_t{data[3]} << 24;
    const auto target = decode_compact(compact);
    const Uint256 work = block_work(compact);
    if (target) {
      const uint32_t canonical = encode_compact(*target);
      FUZZ_CHECK(decode_compact(canonical) == target);
      FUZZ_CHECK(encode_compact(*decode_compact(canonical)) == canonical);
      FUZZ_CHECK(work.is_zero() == target->is_zero());
    } else {
      FUZZ_CHECK(work.is_zero());
    }
  }
  if (size >= 32) {
    FixedBytes<32> bytes;
    std::memcpy(bytes.data(), data, 32);
    const Uint256 value = Uint256::from_be_bytes(bytes);
    FUZZ_CHECK(value.to_be_bytes() == bytes);
    const auto rounded = decode_compact(encode_compact(value));
    FUZZ_CHECK(rounded && *rounded <= value);
    // At least the top two bytes survive (three unless the third would set the sign bit).
    const unsigned bytes_used = (value.bit_length() + 7) / 8;
    const unsigned lost_bits = bytes_used > 2 ? 8 * (bytes_used - 2) : 0;
    FUZZ_CHECK(value.shr(lost_bits) == rounded->shr(lost_bits));
  }
  return 0;
}
