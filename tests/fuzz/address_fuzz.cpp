// Addresses: any string decodes or fails cleanly on every network; one that decodes
// re-encodes to itself (in lower case, as BIP-173 allows an all-upper-case form); and any
// OutputLock built from the input round-trips through its address.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "fuzz.h"
#include "primitives/address.h"

using namespace cairn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });

  int decoded_on = 0;
  for (Network net : kAllNetworks) {
    auto lock = decode_address(net, text);
    if (!lock) continue;
    ++decoded_on;
    FUZZ_CHECK(encode_address(net, *lock) == lower);
    auto again = decode_address(net, lower);
    FUZZ_CHECK(again && *again == *lock);
  }
  FUZZ_CHECK(decoded_on <= 1);  // the prefix names one network

  if (size >= 1 + Hash256::kSize) {
    OutputLock lock{data[0] % 2 == 0 ? OutputLockKind::key_hash : OutputLockKind::lock_hash, {}};
    std::copy(data + 1, data + 1 + Hash256::kSize, lock.hash.bytes.begin());
    for (Network net : kAllNetworks) {
      auto again = decode_address(net, encode_address(net, lock));
      FUZZ_CHECK(again && *again == lock);
    }
  }
  return 0;
}
