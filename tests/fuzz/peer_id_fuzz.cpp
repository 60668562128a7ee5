// Peer ids: any text parses or fails cleanly, and a parsed id prints in both text forms
// that parse back to it; any bytes as a multihash likewise round-trip.
#include <string_view>

#include "fuzz.h"
#include "net/identity.h"

using namespace cairn;
using namespace cairn::net;

namespace {

void check_round_trip(const PeerId& id) {
  auto b58 = PeerId::parse(id.to_base58());
  FUZZ_CHECK(b58 && *b58 == id);
  auto cid = PeerId::parse(id.to_cid());
  FUZZ_CHECK(cid && *cid == id);
  // An embedded key survives its canonical re-encoding.
  if (auto key = id.public_key()) FUZZ_CHECK(PeerId::from_public_key(*key).public_key().value() == *key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (auto id = PeerId::parse(std::string_view(reinterpret_cast<const char*>(data), size)))
    check_round_trip(*id);
  if (auto id = PeerId::from_multihash(ByteSpan(data, size))) {
    FUZZ_CHECK(id->multihash() == Bytes(data, data + size));
    check_round_trip(*id);
  }
  if (auto key = decode_public_key(ByteSpan(data, size))) {
    FUZZ_CHECK(decode_public_key(encode_public_key(*key)).value() == *key);
  }
  return 0;
}
