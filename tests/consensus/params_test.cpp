#include "consensus/params.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/block_rules.h"
#include "consensus/pow.h"
#include "support/vectors.h"

namespace cairn {
namespace {

TEST(Params, PowLimitsAreCanonicalAndDecode) {
  for (Network net : kAllNetworks) {
    const uint32_t limit = consensus_params(net).pow_limit;
    const auto target = decode_compact(limit);
    ASSERT_TRUE(target) << network_name(net);
    EXPECT_FALSE(target->is_zero());
    EXPECT_EQ(encode_compact(*target), limit) << network_name(net);
  }
}

TEST(Params, TotalSubsidyStaysWithinMaxMoney) {
  for (Network net : kAllNetworks) {
    const ConsensusParams& p = consensus_params(net);
    Amount total = 0;
    for (uint64_t halvings = 0; halvings < 64; ++halvings) {
      const Amount per_block = block_subsidy(p, halvings * p.subsidy.halving_interval);
      ASSERT_LE(per_block, kMaxMoney / p.subsidy.halving_interval);  // so the product cannot wrap
      const auto sum = checked_add(total, per_block * p.subsidy.halving_interval);
      ASSERT_TRUE(sum) << network_name(net) << " passes MAX_MONEY";
      total = *sum;
    }
    EXPECT_LE(total, kMaxMoney);
    EXPECT_EQ(block_subsidy(p, 64 * p.subsidy.halving_interval), 0U);
  }
}

TEST(Params, CheckpointsAndFinality) {
  EXPECT_FALSE(consensus_params(Network::regtest).checkpoint);
  for (Network net : {Network::mainnet, Network::testnet}) {
    const ConsensusParams& p = consensus_params(net);
    ASSERT_TRUE(p.checkpoint);
    EXPECT_EQ(p.checkpoint->height, 0U);
    EXPECT_EQ(p.checkpoint->hash, p.genesis_hash);
  }
  EXPECT_EQ(consensus_params(Network::mainnet).finality.epoch_length, kMainnetFinality.epoch_length);
  EXPECT_EQ(consensus_params(Network::testnet).finality.epoch_length, kTestnetFinality.epoch_length);
  EXPECT_EQ(consensus_params(Network::regtest).finality.epoch_length, kRegtestFinality.epoch_length);
}

TEST(Params, AsertAnchorIsGenesisWithAParentOneSpacingEarlier) {
  const ConsensusParams& p = consensus_params(Network::mainnet);
  const AsertAnchor a = p.asert_anchor();
  EXPECT_EQ(a.height, 0U);
  EXPECT_EQ(a.target, p.genesis.header.target);
  EXPECT_EQ(a.parent_time, static_cast<int64_t>(p.genesis.header.timestamp) - p.target_spacing);
}

std::string hex32(uint32_t v) {
  std::ostringstream out;
  out << "0x" << std::hex << v;
  return out.str();
}

// The rows of docs/consensus.md's "Network parameters" table: name -> {mainnet, testnet, regtest}.
std::map<std::string, std::vector<std::string>> doc_table() {
  const auto path = std::filesystem::path(CAIRN_TESTS_DIR).parent_path() / "docs" / "consensus.md";
  std::istringstream in(test::read_file(path));
  std::map<std::string, std::vector<std::string>> rows;
  bool in_section = false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line.find("Network parameters") != std::string::npos;
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::istringstream row(line.substr(1));
    std::string cell;
    while (std::getline(row, cell, '|')) {
      std::string clean;
      for (char c : cell) {
        if (c != '`' && c != ',' && c != ' ') clean.push_back(c);
      }
      cells.push_back(clean);
    }
    if (cells.size() >= 4) rows[cells[0]] = {cells[1], cells[2], cells[3]};
  }
  return rows;
}

TEST(Params, DocsTableMatchesTheCode) {
  const auto rows = doc_table();
  ASSERT_FALSE(rows.empty()) << "no table in docs/consensus.md \"Network parameters\"";
  size_t column = 0;
  for (Network net : kAllNetworks) {
    const ConsensusParams& p = consensus_params(net);
    const std::map<std::string, std::string> code{
        {"pow_limit", hex32(p.pow_limit)},
        {"target_spacing", std::to_string(p.target_spacing)},
        {"asert_half_life", std::to_string(p.asert_half_life)},
        {"max_future_drift", std::to_string(p.max_future_drift)},
        {"median_time_span", std::to_string(p.median_time_span)},
        {"subsidy.initial", std::to_string(p.subsidy.initial)},
        {"subsidy.halving_interval", std::to_string(p.subsidy.halving_interval)},
        {"coinbase_maturity", std::to_string(p.coinbase_maturity)},
        {"limits.max_bytes", std::to_string(p.limits.max_bytes)},
        {"limits.max_weight", std::to_string(p.limits.max_weight)},
        {"limits.max_transactions", std::to_string(p.limits.max_transactions)},
        {"limits.max_votes", std::to_string(p.limits.max_votes)},
        {"limits.max_tx_gas", std::to_string(p.limits.max_tx_gas)},
        {"limits.max_block_gas", std::to_string(p.limits.max_block_gas)},
        {"finality.epoch_length", std::to_string(p.finality.epoch_length)},
        {"finality.min_stake", std::to_string(p.finality.min_stake)},
        {"genesis.timestamp", std::to_string(p.genesis.header.timestamp)},
        {"genesis.nonce", std::to_string(p.genesis.header.nonce)},
        {"checkpoint", p.checkpoint ? "genesis" : "none"},
    };
    for (const auto& [name, value] : code) {
      auto row = rows.find(name);
      ASSERT_NE(row, rows.end()) << name << " is missing from the docs table";
      EXPECT_EQ(row->second[column], value) << name << " for " << network_name(net);
    }
    ++column;
  }
}

}  // namespace
}  // namespace cairn
