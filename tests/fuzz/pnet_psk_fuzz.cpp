// The pnet key file parser (net/pnet.h): arbitrary bytes never crash it, and a key it accepts
// reads back the same from each of the three encodings written canonically.
#include <string>

#include <sodium.h>

#include "fuzz.h"
#include "net/pnet.h"

using namespace cairn;
using namespace cairn::net;

namespace {

Bytes file_with(std::string_view encoding, std::string_view key_text) {
  std::string file(kPskV1Header);
  file.append("\n").append(encoding).append("\n").append(key_text);
  return Bytes(file.begin(), file.end());
}

void check_reads_back(const Bytes& file, ByteSpan key) {
  const auto again = Psk::parse_file(file);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(Bytes(again->key().begin(), again->key().end()) == Bytes(key.begin(), key.end()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto psk = Psk::parse_file(ByteSpan(data, size));
  if (!psk) {
    FUZZ_CHECK(!psk.error().message.empty());
    return 0;
  }
  const ByteSpan key = psk->key();
  FUZZ_CHECK(key.size() == kPskLength);
  check_reads_back(file_with("/base16/", to_hex(key)), key);
  std::string base64(sodium_base64_ENCODED_LEN(kPskLength, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(base64.data(), base64.size(), key.data(), key.size(), sodium_base64_VARIANT_ORIGINAL);
  base64.resize(base64.size() - 1);  // the terminating NUL
  check_reads_back(file_with("/base64/", base64), key);
  check_reads_back(
      file_with("/bin/", std::string_view(reinterpret_cast<const char*>(key.data()), key.size())), key);
  return 0;
}
