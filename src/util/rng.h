// Randomness is injected: logic code draws from an Rng so that tests and simulations can
// replay it. Key generation uses crypto's OsRng (the kernel's CSPRNG through libsodium).
#pragma once

#include <cstdint>
#include <span>

namespace cairn {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(std::span<uint8_t> out) = 0;
  uint64_t next_u64();
  // Uniform in [0, bound); bound must be > 0.
  uint64_t uniform(uint64_t bound);
};

// A fast deterministic generator (xoshiro256**) for tests and simulations. Never for keys.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(uint64_t seed);
  void fill(std::span<uint8_t> out) override;

 private:
  uint64_t next();
  uint64_t s_[4];
};

}  // namespace cairn
