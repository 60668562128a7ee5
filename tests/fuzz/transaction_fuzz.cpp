// Transactions: decode, re-encode byte for byte, decode again; ids and sighash computable.
#include <algorithm>
#include <vector>

#include "fuzz.h"
#include "primitives/sighash.h"
#include "primitives/transaction.h"

using namespace cairn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  auto tx = decode_transaction(in);
  if (!tx) return 0;
  const Bytes again = encode(*tx);
  FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin(), in.end()));
  auto redecoded = decode_transaction(again);
  FUZZ_CHECK(redecoded && *redecoded == *tx);

  // The txid hashes a prefix of the encoding: the encoding without witnesses.
  const Bytes prefix = encode_without_witnesses(*tx);
  FUZZ_CHECK(prefix.size() <= again.size() && std::equal(prefix.begin(), prefix.end(), again.begin()));
  FUZZ_CHECK(txid(*tx) == hash(HashContext::txid, prefix));
  FUZZ_CHECK(wtxid(*tx) == hash(HashContext::wtxid, again));

  const std::vector<TxOut> spent(tx->inputs.size());
  auto digests = compute_sighash_digests(*tx, spent);
  FUZZ_CHECK(digests);
  if (!tx->inputs.empty()) {
    const auto last = static_cast<uint32_t>(tx->inputs.size() - 1);
    FUZZ_CHECK(signature_hash(*tx, *digests, last, static_cast<uint8_t>(SighashType::all), Hash256{}));
  }
  return 0;
}
