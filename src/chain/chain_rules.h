// What the chain manager needs from the consensus rules, injected so that issue [C]'s rules
// (proof of work, ASERT, rewards, finality) slot in without touching the manager:
// header checks given the parent, the work a header proves, the stateless checks of a
// block, the subsidy and coinbase maturity, and the genesis block.
//
// The contextual checks that need the UTXO set (inputs exist and are unspent, amounts,
// maturity, locks and signatures) are the chain manager's (chain_manager.h): they are the
// same whatever the consensus parameters are.
//
// Implementations are pure functions of their inputs and thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "consensus/block_error.h"
#include "consensus/finality_params.h"
#include "consensus/uint256.h"
#include "primitives/amount.h"
#include "primitives/block.h"
#include "util/bytes.h"

namespace cairn {

// Cumulative proof of work: an unsigned 256-bit integer (consensus/uint256.h), stored
// big-endian so that it compares as bytes and persists as-is in the block index
// (docs/storage.md).
struct ChainWork {
  FixedBytes<32> value;

  static ChainWork from_u64(uint64_t v) { return from_uint256(Uint256::from_u64(v)); }
  static ChainWork from_uint256(const Uint256& v) { return ChainWork{v.to_be_bytes()}; }
  Uint256 to_uint256() const { return Uint256::from_be_bytes(value); }
  // this + other; nullopt when the sum does not fit in 256 bits.
  std::optional<ChainWork> checked_add(const ChainWork& other) const;

  auto operator<=>(const ChainWork&) const = default;
  bool operator==(const ChainWork&) const = default;
};

// The parent a header is checked against.
struct ParentInfo {
  BlockHash hash;
  BlockHeader header;
  // Of the block being checked: the median timestamp of the parent and up to 10 of its
  // ancestors (BIP-113), which a new header's timestamp must exceed under [C]'s rules.
  uint64_t median_time_past = 0;
  // The node's clock (Unix seconds) when the header is checked: a timestamp too far ahead
  // of it is refused (time_too_new), so the same header may pass later.
  uint64_t now = 0;
};

class ChainRules {
 public:
  virtual ~ChainRules() = default;

  // The network's first block; its hash is the sighash's genesis hash.
  virtual const Block& genesis() const = 0;
  // Header rules given the parent (height, version, time, proof of work, difficulty).
  virtual std::optional<BlockRejection> check_header(const BlockHeader& header,
                                                     const ParentInfo& parent) const = 0;
  // The work `header` proves; added to the parent's cumulative work.
  virtual ChainWork block_work(const BlockHeader& header) const = 0;
  // Checks that need no chain state: roots (BlockError::mutated), coinbase shape, limits.
  virtual std::optional<BlockRejection> check_block(const Block& block) const = 0;
  // New coins the coinbase at `height` may claim besides the fees.
  virtual Amount block_subsidy(uint64_t height) const = 0;
  // Blocks a coinbase output must wait: spendable at height >= coin height + maturity.
  virtual uint64_t coinbase_maturity() const = 0;
  // Staking and finality (consensus/finality.h) when the network has them; nullptr when it
  // has not (TestChainRules), and the manager then keeps no stake state.
  virtual const FinalityParams* finality() const { return nullptr; }
};

// FOR TESTS ONLY: no proof of work. Work is 1 per block, or the header's `target` field
// when it is non-zero (so tests can build a shorter chain with more work). Checks the
// header version and height, the three roots, and the coinbase shape (first transaction,
// the only one, no inputs, body height = header height).
class TestChainRules final : public ChainRules {
 public:
  static constexpr Amount kSubsidy = 50 * kCoin;
  static constexpr uint64_t kDefaultCoinbaseMaturity = 5;

  explicit TestChainRules(Block genesis, uint64_t coinbase_maturity = kDefaultCoinbaseMaturity)
      : genesis_(std::move(genesis)), coinbase_maturity_(coinbase_maturity) {}

  const Block& genesis() const override { return genesis_; }
  std::optional<BlockRejection> check_header(const BlockHeader& header,
                                             const ParentInfo& parent) const override;
  ChainWork block_work(const BlockHeader& header) const override;
  std::optional<BlockRejection> check_block(const Block& block) const override;
  Amount block_subsidy(uint64_t /*height*/) const override { return kSubsidy; }
  uint64_t coinbase_maturity() const override { return coinbase_maturity_; }

 private:
  Block genesis_;
  uint64_t coinbase_maturity_;
};

}  // namespace cairn
