// Cairn's chain protocol messages (net/chain_protocol.h): the first byte picks a decoder,
// the rest is its input. Whatever decodes re-encodes to the same bytes and decodes again
// to the same value. The last selector builds a locator for a fuzzed tip height.
#include <algorithm>
#include <cstdint>

#include "fuzz.h"
#include "net/chain_protocol.h"

using namespace cairn;
using namespace cairn::net;

namespace {

// decode -> encode must give back the input exactly, and decode again the same value.
template <class Decode>
void round_trip(ByteSpan in, Decode decode) {
  auto value = decode(in);
  if (!value) return;
  const Bytes again = encode(*value);
  FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin(), in.end()));
  auto redecoded = decode(again);
  FUZZ_CHECK(redecoded && *redecoded == *value);
}

void check_locator(ByteSpan in) {
  uint64_t tip = 0;
  for (size_t i = 0; i < std::min<size_t>(in.size(), 8); ++i) tip |= uint64_t{in[i]} << (8 * i);
  uint64_t previous = tip;
  bool first = true;
  const auto locator = build_locator(
      [&](uint64_t height) {
        FUZZ_CHECK(height <= tip && (first || height < previous));
        first = false;
        previous = height;
        BlockHash h;
        for (size_t i = 0; i < 8; ++i) h.bytes[i] = static_cast<uint8_t>(height >> (8 * i));
        return h;
      },
      tip);
  FUZZ_CHECK(!locator.empty() && locator.size() <= kMaxLocatorHashes);
  FUZZ_CHECK(locator.back().is_zero());  // genesis (height 0) last
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan in(data + 1, size - 1);
  switch (data[0] % 9) {
    case 0:
      round_trip(in, [](ByteSpan b) { return decode_status(b); });
      break;
    case 1:
      round_trip(in, [](ByteSpan b) { return decode_get_headers(b); });
      break;
    case 2:
      round_trip(in, [](ByteSpan b) { return decode_headers(b); });
      break;
    case 3:
      round_trip(in, [](ByteSpan b) { return decode_get_blocks(b); });
      break;
    case 4:
      round_trip(in, [](ByteSpan b) { return decode_get_block_txn(b); });
      break;
    case 5:
      round_trip(in, [](ByteSpan b) { return decode_block_txn(b); });
      break;
    case 6:
      round_trip(in, [](ByteSpan b) { return decode_tx_gossip(b); });
      break;
    case 7:
      round_trip(in, [](ByteSpan b) { return decode_vote_gossip(b); });
      break;
    default:
      check_locator(in);
      break;
  }
  return 0;
}
