// Bech32m decoding of arbitrary text: never crashes, and whatever decodes is canonical —
// encoding the decoded HRP and data gives back the input in lower case, and decoding
// that gives the same HRP and data.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/bech32m.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = cairn::bech32m_decode(text);
  if (!decoded) {
    FUZZ_CHECK(!decoded.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(text.size() <= cairn::kBech32MaxLength);
  for (uint8_t value : decoded->data) FUZZ_CHECK(value < 32);

  std::string lowered(text);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const std::string encoded = cairn::bech32m_encode(decoded->hrp, decoded->data);
  FUZZ_CHECK(encoded == lowered);

  auto again = cairn::bech32m_decode(encoded);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->hrp == decoded->hrp && again->data == decoded->data);
  return 0;
}
