#include "consensus/params.h"

#include "consensus/genesis.h"

namespace cairn {
namespace {

// Shared by every network: a block of 2 MB at most, its weight at most twice that, so
// signatures can use half of the weight budget (docs/consensus.md "Block rules").
constexpr BlockLimits kBlockLimits{.max_bytes = 2'000'000,
                                   .max_weight = 4'000'000,
                                   .max_transactions = 20'000,
                                   .max_votes = 4'096,
                                   .max_tx_gas = 20'000'000,
                                   .max_block_gas = 100'000'000};
constexpr size_t kMedianTimeSpan = 11;

// 2025-12-01T00:00:00Z.
constexpr uint64_t kGenesisTime = 1'764'547'200;

ConsensusParams with_genesis(ConsensusParams p, const GenesisSpec& spec, bool checkpoint_at_genesis) {
  p.genesis = build_genesis(spec);
  p.genesis_hash = block_hash(p.genesis.header);
  // The release process moves the checkpoint forward to a recent finalized block; until
  // the first release it is the genesis block itself.
  if (checkpoint_at_genesis) p.checkpoint = WeakSubjectivityCheckpoint{0, p.genesis_hash};
  return p;
}

ConsensusParams mainnet() {
  ConsensusParams p;
  p.network = Network::mainnet;
  p.pow_limit = 0x1e00ffff;
  p.target_spacing = 120;
  p.asert_half_life = 172'800;
  p.max_future_drift = 900;
  p.median_time_span = kMedianTimeSpan;
  p.subsidy = SubsidyParams{.initial = 10 * kCoin, .halving_interval = 1'050'000};
  p.coinbase_maturity = 100;
  p.limits = kBlockLimits;
  p.finality = kMainnetFinality;
  return with_genesis(p,
                      GenesisSpec{.timestamp = kGenesisTime,
                                  .target = p.pow_limit,
                                  .nonce = 39'184'040,
                                  .message = "Cairn mainnet: one stone on another marks the way"},
                      true);
}

ConsensusParams testnet() {
  ConsensusParams p = mainnet();
  p.network = Network::testnet;
  p.pow_limit = 0x1f00ffff;
  p.asert_half_life = 3'600;
  p.finality = kTestnetFinality;
  return with_genesis(p,
                      GenesisSpec{.timestamp = kGenesisTime,
                                  .target = p.pow_limit,
                                  .nonce = 30'474,
                                  .message = "Cairn testnet: stones to practise on"},
                      true);
}

ConsensusParams regtest() {
  ConsensusParams p;
  p.network = Network::regtest;
  p.pow_limit = 0x207fffff;
  p.target_spacing = 1;
  p.asert_half_life = 3'600;
  p.max_future_drift = 7'200;
  p.median_time_span = kMedianTimeSpan;
  p.subsidy = SubsidyParams{.initial = 50 * kCoin, .halving_interval = 150};
  p.coinbase_maturity = 10;
  p.limits = kBlockLimits;
  p.finality = kRegtestFinality;
  return with_genesis(
      p,
      GenesisSpec{.timestamp = kGenesisTime, .target = p.pow_limit, .nonce = 6, .message = "Cairn regtest"},
      false);
}

}  // namespace

AsertAnchor ConsensusParams::asert_anchor() const {
  // Genesis timestamps are fixed constants far below 2^62, so the casts are exact.
  return AsertAnchor{.height = 0,
                     .parent_time = static_cast<int64_t>(genesis.header.timestamp) - target_spacing,
                     .target = genesis.header.target};
}

const ConsensusParams& consensus_params(Network network) {
  // Built once, never modified: the table is immutable after initialisation.
  static const ConsensusParams kMainnet = mainnet();
  static const ConsensusParams kTestnet = testnet();
  static const ConsensusParams kRegtest = regtest();
  switch (network) {
    case Network::mainnet:
      return kMainnet;
    case Network::testnet:
      return kTestnet;
    case Network::regtest:
      break;
  }
  return kRegtest;
}

}  // namespace cairn
