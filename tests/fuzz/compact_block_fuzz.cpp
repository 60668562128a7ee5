// Compact blocks (net/compact_block.h). Input: a 4-byte little-endian length n, then n
// bytes of an encoded CompactBlock, then an encoded BlockTxn whose transactions at even
// positions are offered to the PartialBlock as candidates and those at odd positions form
// the reply to its missing() list.
// A compact block that decodes round-trips byte for byte; PartialBlock never crashes,
// never misses() more slots than the block has, and a block it finishes commits to the
// roots of its header.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "fuzz.h"
#include "net/chain_protocol.h"
#include "net/compact_block.h"

using namespace cairn;
using namespace cairn::net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  size_t n = 0;
  for (size_t i = 0; i < 4; ++i) n |= size_t{data[i]} << (8 * i);
  n = std::min(n, size - 4);
  const ByteSpan compact_bytes(data + 4, n);
  const ByteSpan rest(data + 4 + n, size - 4 - n);

  auto compact = decode_compact_block(compact_bytes);
  if (!compact) return 0;
  const Bytes again = encode(*compact);
  FUZZ_CHECK(std::equal(again.begin(), again.end(), compact_bytes.begin(), compact_bytes.end()));
  auto redecoded = decode_compact_block(again);
  FUZZ_CHECK(redecoded && *redecoded == *compact);

  PartialBlock partial;
  if (!partial.init(*compact)) return 0;
  const size_t total = compact->short_ids.size() + compact->prefilled.size();
  FUZZ_CHECK(partial.transaction_count() == total);

  // Transactions at even positions are offered, those at odd ones form the reply.
  std::vector<Transaction> reply;
  if (auto txn = decode_block_txn(rest)) {
    for (size_t i = 0; i < txn->transactions.size(); ++i) {
      if (i % 2 == 0) {
        partial.offer(txn->transactions[i]);
      } else {
        reply.push_back(std::move(txn->transactions[i]));
      }
    }
  }
  const std::vector<uint32_t> missing = partial.missing();
  FUZZ_CHECK(missing.size() <= compact->short_ids.size());
  FUZZ_CHECK(std::is_sorted(missing.begin(), missing.end()));
  FUZZ_CHECK(missing.empty() || missing.back() < total);

  // Too few or too many is an error, not a crash; more than enough are cut to fit.
  if (reply.size() > missing.size()) reply.resize(missing.size());
  auto block = partial.finish(std::move(reply));
  if (!block) return 0;
  FUZZ_CHECK(block->transactions.size() == total);
  FUZZ_CHECK(compute_tx_root(*block) == block->header.tx_root);
  FUZZ_CHECK(compute_witness_root(*block) == block->header.witness_root);
  FUZZ_CHECK(compute_vote_root(*block) == block->header.vote_root);
  return 0;
}
