// Ed25519 through libsodium: signing and (consensus) verification of a 32-byte message,
// which is what every input's sighash and every vote's signing message is.
//
// Numbers are only meaningful as ratios on the same machine (bench/README.md).
#include <cstdint>

#include <benchmark/benchmark.h>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "util/rng.h"

namespace {

struct Fixture {
  cairn::KeyPair key;
  cairn::Hash256 message;
};

Fixture make_fixture() {
  cairn::DeterministicRng rng(11);
  cairn::Seed seed;
  rng.fill(seed.span());
  cairn::Hash256 message;
  rng.fill(message.span());
  return Fixture{cairn::KeyPair::from_seed(seed), message};
}

void BM_Ed25519Sign(benchmark::State& state) {
  const Fixture fx = make_fixture();
  for (auto _ : state) {
    auto signature = fx.key.sign(fx.message);
    benchmark::DoNotOptimize(signature);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("signatures");
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
  const Fixture fx = make_fixture();
  const cairn::Signature signature = fx.key.sign(fx.message);
  if (!cairn::verify(fx.key.public_key(), fx.message, signature)) {
    state.SkipWithError("a fresh signature does not verify");
    return;
  }
  for (auto _ : state) {
    bool ok = cairn::verify(fx.key.public_key(), fx.message, signature);
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("verifications");
}
BENCHMARK(BM_Ed25519Verify);

}  // namespace
