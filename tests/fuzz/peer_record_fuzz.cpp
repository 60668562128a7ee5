// Signed peer records (gossipsub PX, identify): any bytes open or fail cleanly, and what
// opens was signed by the peer it names, within the address limit.
#include "fuzz.h"
#include "net/peer_record.h"

using namespace cairn;
using namespace cairn::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto record = open_peer_record(ByteSpan(data, size));
  if (!record) return 0;
  FUZZ_CHECK(size <= kMaxSignedPeerRecordSize);
  FUZZ_CHECK(record->addresses.size() <= kMaxPeerRecordAddresses);
  FUZZ_CHECK(record->peer.public_key().ok());
  return 0;
}
