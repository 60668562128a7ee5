// The peer store file (net/peer_store.h): any bytes decode or fail cleanly, and what
// decodes re-encodes to the same bytes. The input is tried as a whole file and, so that the
// fuzzer reaches the parser behind the checksum, as a body sealed with a valid checksum.
#include "crypto/hash.h"
#include "fuzz.h"
#include "net/peer_store.h"

using namespace cairn;
using namespace cairn::net;

namespace {

void check(ByteSpan file) {
  auto store = PeerStore::decode(file);
  if (!store) return;
  FUZZ_CHECK(store->size() <= kMaxKnownPeers);
  FUZZ_CHECK(store->bans().size() <= kMaxBans);
  for (const auto& [id, peer] : store->peers()) {
    FUZZ_CHECK(!peer.addresses.empty() && peer.addresses.size() <= kMaxAddressesPerPeer);
  }
  const Bytes again = store->encode();
  FUZZ_CHECK(again.size() == file.size() && std::equal(again.begin(), again.end(), file.begin()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan input(data, size);
  check(input);
  // The checksum of docs/network.md "Peer store file".
  const Hash256 sum = Hasher::derive_key("cairn peer store v1 checksum").update(input).finalize();
  Bytes sealed(input.begin(), input.end());
  sealed.resize(size + sum.bytes.size());
  std::copy(sum.bytes.begin(), sum.bytes.end(), sealed.begin() + static_cast<std::ptrdiff_t>(size));
  check(sealed);
  return 0;
}
