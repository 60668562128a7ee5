// wallet.json (wallet/wallet_file.h): the file is local, but a user may be handed one (a
// watch-only setup, a restored backup) and a damaged disk may produce anything. Any text
// the strict parser accepts must serialize to text that parses to the same value, and
// serializing that again must give the same text (the format has one spelling).
#include <string_view>

#include "fuzz.h"
#include "wallet/wallet_file.h"

using namespace cairn;
using namespace cairn::wallet;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_wallet_json(text);
  if (!parsed) return 0;
  const std::string canonical = serialize_wallet_json(*parsed);
  auto again = parse_wallet_json(canonical);
  FUZZ_CHECK(again && *again == *parsed);
  FUZZ_CHECK(serialize_wallet_json(*again) == canonical);
  return 0;
}
