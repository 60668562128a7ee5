// Keystore parsing of arbitrary bytes: never crashes; whatever parses has KDF costs within
// the bounds and exactly the size its header announces. Inputs that ask for libsodium's
// minimum Argon2id cost are also opened with the seed corpus password "fuzz": the parser
// accepts costs up to 2 GiB, which would stall the fuzzer, so this target (not the
// production code) picks the cheap inputs to decrypt. Whatever opens must hold a secret of
// the announced size, and a voting key must match its stored public key.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "crypto/keystore.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const cairn::ByteSpan file(data, size);
  auto info = cairn::read_keystore_info(file);
  if (!info) {
    FUZZ_CHECK(!info.error().message.empty());
    FUZZ_CHECK(!cairn::open_keystore(file, "fuzz").ok());
    return 0;
  }
  FUZZ_CHECK(cairn::check_kdf_params(info->kdf).ok());
  FUZZ_CHECK(size == cairn::kKeystoreFixedHeaderBytes + info->public_data.size() + 2 + info->secret_size +
                         cairn::kKeystoreTagBytes);
  if (info->kdf != cairn::kMinimumKdfParams) return 0;

  auto opened = cairn::open_keystore(file, "fuzz");
  if (!opened) return 0;
  FUZZ_CHECK(opened->secret.size() == info->secret_size);
  FUZZ_CHECK(opened->info.public_data == info->public_data);
  if (info->kind == cairn::KeystoreKind::validator_voting_key) {
    auto key = cairn::open_validator_keystore(file, "fuzz");
    FUZZ_CHECK(key.ok());
    FUZZ_CHECK(std::equal(info->public_data.begin(), info->public_data.end(), key->public_key().begin()));
  }
  return 0;
}
