// Multiaddrs: any bytes, read as text and as binary, parse or fail cleanly; whatever parses
// has one canonical form in each representation, and the two convert into each other.
#include <string_view>

#include "fuzz.h"
#include "net/multiaddr.h"

using namespace cairn;
using namespace cairn::net;

namespace {

void check_canonical(const Multiaddr& addr) {
  const Bytes bytes = addr.to_bytes();
  FUZZ_CHECK(bytes.size() <= kMaxMultiaddrLength);
  auto from_bytes = Multiaddr::from_bytes(bytes);
  FUZZ_CHECK(from_bytes && *from_bytes == addr);
  const std::string text = addr.to_string();
  auto from_text = Multiaddr::parse(text);
  FUZZ_CHECK(from_text && *from_text == addr);
  FUZZ_CHECK(from_text->to_string() == text);
  (void)addr.tcp_dial_target();
  (void)addr.peer_id();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan bytes(data, size);
  if (auto addr = Multiaddr::from_bytes(bytes)) {
    // Binary decoding is strict: the input was the canonical encoding.
    FUZZ_CHECK(addr->to_bytes() == Bytes(bytes.begin(), bytes.end()));
    check_canonical(*addr);
  }
  if (auto addr = Multiaddr::parse(std::string_view(reinterpret_cast<const char*>(data), size))) {
    check_canonical(*addr);
  }
  return 0;
}
