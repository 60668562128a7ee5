#include "net/siphash.h"

#include <bit>

namespace cairn::net {
namespace {

uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// The state v0..v3 of the paper, with its ARX round (SipRound).
struct State {
  uint64_t v0, v1, v2, v3;

  void round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }

  // c = 2 compression rounds per message word.
  void compress(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

}  // namespace

SipHashKey siphash_key(const FixedBytes<16>& key) {
  return SipHashKey{.k0 = load_le64(key.data()), .k1 = load_le64(key.data() + 8)};
}

uint64_t siphash24(const SipHashKey& key, ByteSpan message) {
  // "somepseudorandomlygeneratedbytes", the paper's initialisation constants.
  State s{.v0 = key.k0 ^ 0x736f6d6570736575ULL,
          .v1 = key.k1 ^ 0x646f72616e646f6dULL,
          .v2 = key.k0 ^ 0x6c7967656e657261ULL,
          .v3 = key.k1 ^ 0x7465646279746573ULL};
  const size_t full = message.size() - message.size() % 8;
  for (size_t i = 0; i < full; i += 8) s.compress(load_le64(message.data() + i));
  // The last word: the remaining 0..7 bytes, zero padding, and the message length mod 256
  // in the top byte.
  uint64_t last = static_cast<uint64_t>(message.size() & 0xff) << 56;
  for (size_t i = full; i < message.size(); ++i)
    last |= static_cast<uint64_t>(message[i]) << (8 * (i - full));
  s.compress(last);
  // d = 4 finalisation rounds.
  s.v2 ^= 0xff;
  s.round();
  s.round();
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace cairn::net
