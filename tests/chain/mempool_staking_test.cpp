// Staking transactions in the mempool (docs/mempool.md "Staking"): checked with the
// consensus stake rules against the stake state the caller passes (NextBlock::stake), fees
// counted with the stake flow, one pending staking transaction per voting key, and
// re-checked whenever the chain moves.
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "chain/mempool.h"
#include "chain/regtest_fixture.h"
#include "consensus/finality.h"
#include "primitives/staking.h"
#include "support/keys.h"

namespace cairn {
namespace {

constexpr uint8_t kAll = static_cast<uint8_t>(SighashType::all);
constexpr uint64_t kTipHeight = 1001;  // the next block (1002) is not a checkpoint
constexpr Amount kFunding = 10 * kCoin;
constexpr Amount kBond = 2 * kCoin;
constexpr Amount kFee = 5'000;

class MapCoinView final : public CoinView {
 public:
  Result<std::optional<Coin>> get_coin(const OutPoint& outpoint) const override {
    auto it = coins.find(outpoint);
    if (it == coins.end()) return std::optional<Coin>{};
    return std::optional<Coin>{it->second};
  }
  std::map<OutPoint, Coin> coins;
};

const KeyPair& owner() { return test::test_key(0); }
OutputLock owner_lock() { return key_hash_lock(owner().public_key()); }
PublicKey voting_key(size_t i) { return test::test_key(10 + i).public_key(); }

class MempoolStakingTest : public ::testing::Test {
 protected:
  MempoolStakingTest() : clock_(1'700'000'000), rng_(42), cache_(rng_) {
    next_.height = kTipHeight + 1;
    next_.median_time = 1'700'000'000;
    next_.median_time_at = [](uint64_t height) { return 1'600'000'000 + height * 600; };
    next_.stake = &stake_;
  }

  MempoolOptions options(bool finality = true) const {
    MempoolOptions o;
    o.genesis = genesis_;
    if (finality) o.finality = kRegtestFinality;
    return o;
  }
  Mempool& pool() {
    if (!pool_) pool_ = std::make_unique<Mempool>(options(), clock_, cache_, 7);
    return *pool_;
  }
  MempoolVerdict accept(const Transaction& tx) { return pool().accept(tx, view_, next_); }

  OutPoint fund(uint64_t n) {
    Writer w;
    w.u64(n);
    const OutPoint o{blake3(w.data()), 0};
    view_.coins[o] = Coin{TxOut{kFunding, owner_lock()}, 10, false};
    known_[o] = view_.coins[o].output;
    return o;
  }

  // A transaction with `payload` spending `inputs` (owner's) to owner outputs of `values`.
  Transaction make(const std::vector<OutPoint>& inputs, const std::vector<Amount>& values,
                   Payload payload = {}) {
    Transaction tx;
    tx.payload = std::move(payload);
    std::vector<TxOut> spent;
    for (const auto& in : inputs) {
      tx.inputs.push_back(TxIn{in, {}});
      spent.push_back(known_.at(in));
    }
    for (Amount v : values) tx.outputs.push_back(TxOut{v, owner_lock()});
    const SighashDigests d = compute_sighash_digests(tx, spent).value();
    for (uint32_t i = 0; i < tx.inputs.size(); ++i) {
      tx.inputs[i].witness =
          KeySpend{owner().public_key(),
                   TypedSignature{owner().sign(signature_hash(tx, d, i, kAll, genesis_).value()), kAll}};
    }
    const Txid id = txid(tx);
    for (uint32_t i = 0; i < tx.outputs.size(); ++i) known_[OutPoint{id, i}] = tx.outputs[i];
    return tx;
  }

  Transaction bond(const OutPoint& coin, size_t key, Amount fee, Amount amount = kBond) {
    return make({coin}, {kFunding - amount - fee},
                Payload{kBondPayload, encode_bond_body(BondBody{voting_key(key), owner_lock(), amount})});
  }
  // Authorised by spending a coin of the owner.
  Transaction unbond(const OutPoint& coin, size_t key, Amount fee) {
    return make({coin}, {kFunding - fee},
                Payload{kUnbondPayload, encode_unbond_body(UnbondBody{voting_key(key), std::nullopt})});
  }
  // outputs[0] is the released stake, outputs[1] the change.
  Transaction withdraw(const OutPoint& coin, size_t key, Amount stake, Amount fee) {
    return make({coin}, {stake, kFunding - fee},
                Payload{kWithdrawPayload, encode_withdraw_body(WithdrawBody{voting_key(key)})});
  }
  Vote signed_vote(size_t key, uint64_t target_epoch, uint8_t target) const {
    Vote v;
    v.validator = voting_key(key);
    v.source_epoch = 0;
    v.target_epoch = target_epoch;
    v.target_hash.bytes.fill(target);
    v.signature = test::test_key(10 + key).sign(vote_signing_message(v, genesis_));
    return v;
  }
  Transaction slash(const OutPoint& coin, const Vote& first, const Vote& second, Amount fee) {
    return make({coin}, {kFunding - fee},
                Payload{kSlashPayload, encode_slash_body(SlashBody{first, second})});
  }

  // An active validator record for voting key `key` (dynasty 0 on).
  void register_validator(StakeState& state, size_t key, Amount stake = kBond) const {
    ValidatorRecord r;
    r.voting_key = voting_key(key);
    r.owner = owner_lock();
    r.bond_id.bytes.fill(static_cast<uint8_t>(key));
    r.stake = stake;
    state.validators[r.voting_key] = r;
  }

  // Moves the pool to a chain whose tip stake state is `state` (one block connected).
  void chain_moved(const StakeState& state, bool reorg = false) {
    stake_ = state;
    const Block block;
    if (reorg) {
      pool().update_for_chain(std::span<const Block>(&block, 1), {}, view_, next_);
    } else {
      pool().update_for_chain({}, std::span<const Block>(&block, 1), view_, next_);
    }
  }

  Hash256 genesis_ = blake3(as_bytes("mempool staking test network"));
  ManualClock clock_;
  DeterministicRng rng_;
  SignatureCache cache_;
  MapCoinView view_;
  StakeState stake_ = StakeState::at_genesis(genesis_);
  NextBlock next_;
  std::map<OutPoint, TxOut> known_;
  std::unique_ptr<Mempool> pool_;
};

#define EXPECT_ACCEPTED(verdict) \
  EXPECT_EQ((verdict).status, TxStatus::accepted) << to_string((verdict).reason)

void expect_rejected(const MempoolVerdict& v, MempoolReject why) {
  EXPECT_EQ(v.status, TxStatus::rejected);
  EXPECT_EQ(v.reason, why) << to_string(v.reason);
}

void expect_stake_rejected(const MempoolVerdict& v, BlockError error) {
  expect_rejected(v, MempoolReject::stake_rejected);
  ASSERT_TRUE(v.rule_error.has_value());
  EXPECT_EQ(v.rule_error->reason, error) << v.rule_error->message;
}

TEST_F(MempoolStakingTest, ABondIsAcceptedAndItsFeeIsInputsLessOutputsLessStake) {
  const Transaction tx = bond(fund(1), 0, kFee);
  EXPECT_ACCEPTED(accept(tx));
  EXPECT_EQ(pool().fee(txid(tx)), kFee);
  EXPECT_EQ(pool().pending_staking(voting_key(0)), txid(tx));
  EXPECT_EQ(staking_key(tx), voting_key(0));
  const auto selected = pool().select_for_block({1'000'000, 100});
  ASSERT_EQ(selected.size(), 1u);
  EXPECT_EQ(selected[0], tx);
}

TEST_F(MempoolStakingTest, UnbondWithdrawAndSlashAreAccepted) {
  register_validator(stake_, 0);
  register_validator(stake_, 1);
  register_validator(stake_, 2);
  stake_.validators[voting_key(2)].end_dynasty = 1;
  stake_.validators[voting_key(2)].end_epoch =
      1;  // the next block's epoch is 200: far past the withdrawal delay

  EXPECT_ACCEPTED(accept(unbond(fund(1), 0, kFee)));
  const Transaction w = withdraw(fund(2), 2, kBond, kFee);
  EXPECT_ACCEPTED(accept(w));
  EXPECT_EQ(pool().fee(txid(w)), kFee) << "the released stake counts as input";
  const Transaction s = slash(fund(3), signed_vote(1, 199, 1), signed_vote(1, 199, 2), kFee);
  EXPECT_ACCEPTED(accept(s));
  // The reporter's reward is released to it: stake / slash_reward_divisor more fee.
  EXPECT_EQ(pool().fee(txid(s)), kFee + kBond / kRegtestFinality.slash_reward_divisor);
  EXPECT_EQ(pool().size(), 3u);
}

TEST_F(MempoolStakingTest, StakingNeedsFinalityParametersAndAStakeState) {
  Mempool no_finality(options(false), clock_, cache_, 7);
  expect_rejected(no_finality.accept(bond(fund(1), 0, kFee), view_, next_),
                  MempoolReject::staking_unsupported);
  NextBlock no_state = next_;
  no_state.stake = nullptr;
  expect_rejected(pool().accept(bond(fund(2), 0, kFee), view_, no_state), MempoolReject::staking_unsupported);
  // Ordinary transactions do not need either.
  EXPECT_ACCEPTED(no_finality.accept(make({fund(3)}, {kFunding - kFee}), view_, no_state));
}

TEST_F(MempoolStakingTest, EachStakeRuleRefusalIsReported) {
  register_validator(stake_, 1);
  expect_stake_rejected(accept(bond(fund(1), 0, kFee, kRegtestFinality.min_stake - 1)),
                        BlockError::bad_stake);
  expect_stake_rejected(accept(bond(fund(2), 1, kFee)), BlockError::bad_stake);    // already has a record
  expect_stake_rejected(accept(unbond(fund(3), 3, kFee)), BlockError::bad_stake);  // unknown key
  expect_stake_rejected(accept(withdraw(fund(4), 1, kBond, kFee)), BlockError::bad_stake);  // not exited
  expect_stake_rejected(accept(slash(fund(5), signed_vote(1, 199, 1), signed_vote(1, 199, 1), kFee)),
                        BlockError::bad_evidence);  // the same vote twice proves nothing
  // Outputs and stake exceed the inputs: a bond locking all of its coin and paying change.
  expect_stake_rejected(
      accept(make({fund(6)}, {kFee},
                  Payload{kBondPayload, encode_bond_body(BondBody{voting_key(4), owner_lock(), kFunding})})),
      BlockError::bad_stake);
  expect_stake_rejected(accept(make({fund(7)}, {kFunding - kFee}, Payload{kBondPayload, Bytes{1, 2, 3}})),
                        BlockError::bad_payload);
  EXPECT_EQ(pool().size(), 0u);
}

TEST_F(MempoolStakingTest, TheRelayFeeMinimumAppliesToTheFlowFee) {
  // inputs - outputs is kBond here: only the stake flow shows that nothing is left as fee.
  expect_rejected(accept(bond(fund(1), 0, 0)), MempoolReject::fee_too_low);
  EXPECT_ACCEPTED(accept(bond(fund(2), 0, kFee)));
}

TEST_F(MempoolStakingTest, OnePendingStakingTransactionPerVotingKey) {
  const OutPoint coin = fund(1);
  const Transaction first = bond(coin, 0, kFee);
  EXPECT_ACCEPTED(accept(first));
  expect_rejected(accept(bond(fund(2), 0, kFee)), MempoolReject::stake_key_pending);
  // An unbond of the same key (valid only once the bond confirms) waits its turn too.
  register_validator(stake_, 0);
  expect_rejected(accept(unbond(fund(3), 0, kFee)), MempoolReject::stake_key_pending);
  stake_ = StakeState::at_genesis(genesis_);
  // Other keys are independent.
  EXPECT_ACCEPTED(accept(bond(fund(4), 1, kFee)));
  // A replacement of the pending transaction itself (same coin, higher fee) takes its place.
  const Transaction bumped = bond(coin, 0, 10 * kFee);
  EXPECT_ACCEPTED(accept(bumped));
  EXPECT_FALSE(pool().contains(txid(first)));
  EXPECT_EQ(pool().pending_staking(voting_key(0)), txid(bumped));
}

TEST_F(MempoolStakingTest, BlockTemplatesOrderStakingTransactionsByTheirFlowFeeRate) {
  register_validator(stake_, 2);
  stake_.validators[voting_key(2)].end_dynasty = 1;
  stake_.validators[voting_key(2)].end_epoch = 1;
  // inputs - outputs would make the bond the richest and the withdrawal negative.
  const Transaction b = bond(fund(1), 0, kFee);
  const Transaction w = withdraw(fund(2), 2, kBond, 200 * kFee);
  const Transaction low = make({fund(3)}, {kFunding - 2 * kFee});
  const Transaction high = make({fund(4)}, {kFunding - 100 * kFee});
  for (const auto* tx : {&b, &w, &low, &high}) EXPECT_ACCEPTED(accept(*tx));
  const auto selected = pool().select_for_block({1'000'000, 100});
  EXPECT_EQ(selected, (std::vector<Transaction>{w, high, low, b}));
}

TEST_F(MempoolStakingTest, AConfirmedStakingTransactionFreesItsKey) {
  const Transaction tx = bond(fund(1), 0, kFee);
  EXPECT_ACCEPTED(accept(tx));
  Block block;
  block.transactions = {tx};
  view_.coins.erase(tx.inputs[0].prevout);
  register_validator(stake_, 0);  // what the block did to the stake state
  pool().update_for_chain({}, std::span<const Block>(&block, 1), view_, next_);
  EXPECT_EQ(pool().size(), 0u);
  EXPECT_EQ(pool().pending_staking(voting_key(0)), std::nullopt);
}

TEST_F(MempoolStakingTest, StakingTransactionsTheNewChainRefusesLeaveWithTheirDescendants) {
  register_validator(stake_, 1);
  register_validator(stake_, 2);
  stake_.validators[voting_key(2)].end_dynasty = 1;
  stake_.validators[voting_key(2)].end_epoch = 1;
  const Transaction b = bond(fund(1), 0, kFee);
  const Transaction child = make({OutPoint{txid(b), 0}}, {kFunding - kBond - 3 * kFee});
  const Transaction u = unbond(fund(2), 1, kFee);
  const Transaction w = withdraw(fund(3), 2, kBond, kFee);
  const Transaction plain = make({fund(4)}, {kFunding - kFee});
  for (const auto* tx : {&b, &child, &u, &w, &plain}) EXPECT_ACCEPTED(accept(*tx));

  // A block bonded voting key 0 by another route: the pool's bond (and its child) is void.
  StakeState moved = stake_;
  register_validator(moved, 0);
  chain_moved(moved);
  EXPECT_FALSE(pool().contains(txid(b)));
  EXPECT_FALSE(pool().contains(txid(child)));
  EXPECT_TRUE(pool().contains(txid(u)));
  EXPECT_TRUE(pool().contains(txid(w)));

  // A reorganisation to a chain on which validator 2 has not exited yet (its finalization
  // never happened there) and validator 1 never bonded: the withdrawal and the unbond go.
  StakeState other = StakeState::at_genesis(genesis_);
  register_validator(other, 2);
  other.validators[voting_key(2)].end_dynasty = 5;
  chain_moved(other, true);
  EXPECT_FALSE(pool().contains(txid(u)));
  EXPECT_FALSE(pool().contains(txid(w)));
  EXPECT_TRUE(pool().contains(txid(plain)));
  EXPECT_EQ(pool().pending_staking(voting_key(1)), std::nullopt);
  EXPECT_EQ(pool().size(), 1u);
}

TEST_F(MempoolStakingTest, AChainMoveThatKeepsThemValidKeepsEveryKind) {
  register_validator(stake_, 1);
  register_validator(stake_, 2);
  register_validator(stake_, 3);
  stake_.validators[voting_key(3)].end_dynasty = 1;
  stake_.validators[voting_key(3)].end_epoch = 1;
  const Transaction s = slash(fund(1), signed_vote(1, 199, 1), signed_vote(1, 199, 2), kFee);
  const Transaction b = bond(fund(2), 0, kFee);
  const Transaction u = unbond(fund(3), 2, kFee);
  const Transaction w = withdraw(fund(4), 3, kBond, kFee);
  for (const auto* tx : {&s, &b, &u, &w}) EXPECT_ACCEPTED(accept(*tx));
  const StakeState before = stake_;
  chain_moved(before);
  chain_moved(before, true);
  EXPECT_EQ(pool().size(), 4u);
  EXPECT_EQ(pool().fee(txid(s)), kFee + kBond / kRegtestFinality.slash_reward_divisor);
  EXPECT_EQ(stake_, before) << "the checks work on a copy";
}

TEST_F(MempoolStakingTest, TheNextBlocksEpochTransitionIsApplied) {
  // Parameters where a withdrawal is valid from the very epoch the validator left: whether
  // the next block's transition (which sets the end epoch) ran decides the verdict.
  FinalityParams params = kRegtestFinality;
  params.withdrawal_delay_epochs = 0;
  MempoolOptions o = options();
  o.finality = params;
  Mempool pool(o, clock_, cache_, 7);
  // Validator 2 unbonded with end dynasty 0 and is in no set, so nobody can finalize: the
  // next checkpoint advances the dynasty to 1, which ends it there.
  register_validator(stake_, 2);
  stake_.validators[voting_key(2)].start_dynasty = 5;
  stake_.validators[voting_key(2)].end_dynasty = 0;

  // The next block (1002) is no checkpoint: the validator has not left yet.
  expect_stake_rejected(pool.accept(withdraw(fund(1), 2, kBond, kFee), view_, next_), BlockError::bad_stake);
  // The next block (1005) is epoch 201's checkpoint: its transition sets the end epoch.
  next_.height = 1005;
  EXPECT_ACCEPTED(pool.accept(withdraw(fund(2), 2, kBond, kFee), view_, next_));
  EXPECT_EQ(stake_.validators[voting_key(2)].end_epoch, kUnset) << "the caller's state is untouched";
}

// The same rules through a real regtest chain and MempoolChainListener: a bond the chain
// made void by another route leaves the pool, and one a reorganisation disconnects returns,
// checked against the new tip's stake state.
TEST(MempoolStakingChainTest, FollowsTheChainsStakeStateAcrossAReorganisation) {
  test::RegtestNode node;
  const ConsensusParams& params = node.params();
  MempoolOptions o;
  o.genesis = params.genesis_hash;
  o.coinbase_maturity = params.coinbase_maturity;
  o.finality = params.finality;
  ManualClock clock(1'700'000'000);
  DeterministicRng rng(1);
  SignatureCache cache(rng);
  Mempool pool(o, clock, cache, 7);
  MempoolChainListener listener(pool, *node.manager_);
  node.manager_->add_listener(listener);

  std::vector<Block> blocks;
  for (uint64_t h = 0; h < params.coinbase_maturity + 2; ++h) {
    blocks.push_back(node.next_block());
    ASSERT_EQ(node.submit(blocks.back()), std::nullopt);
  }
  auto bond_from = [&](const Transaction& funding) {
    Transaction tx;
    tx.inputs = {TxIn{OutPoint{txid(funding), 0}, {}}};
    tx.outputs = {TxOut{funding.outputs[0].value - kBond - kFee, test::miner_lock()}};
    tx.payload = Payload{kBondPayload, encode_bond_body(BondBody{voting_key(0), test::miner_lock(), kBond})};
    const auto digests = compute_sighash_digests(tx, funding.outputs).value();
    const Hash256 msg = signature_hash(tx, digests, 0, kAll, params.genesis_hash).value();
    tx.inputs[0].witness =
        KeySpend{test::test_key(0).public_key(), TypedSignature{test::test_key(0).sign(msg), kAll}};
    return tx;
  };
  const Transaction pooled = bond_from(blocks[0].transactions[0]);
  const Transaction mined = bond_from(blocks[1].transactions[0]);
  const MempoolVerdict verdict = pool.accept(pooled, node.manager_->coins(), next_block(*node.manager_));
  ASSERT_EQ(verdict.status, TxStatus::accepted) << to_string(verdict.reason);

  // A miner bonds the same voting key from another coin: the pooled bond is void.
  const uint64_t fork_height = node.manager_->tip().height();
  ASSERT_EQ(node.submit(node.next_block({mined}, kFee)), std::nullopt);
  EXPECT_TRUE(node.manager_->stake().validators.contains(voting_key(0)));
  EXPECT_FALSE(pool.contains(txid(pooled)));
  EXPECT_EQ(pool.size(), 0u);

  // A heavier branch without that block: the bond returns to the pool, valid again.
  test::RegtestNode other;
  other.coinbase_extra_ = {0x0b};
  for (const Block& b : blocks) ASSERT_EQ(other.submit(b), std::nullopt);
  ASSERT_EQ(other.manager_->tip().height(), fork_height);
  for (int i = 0; i < 2; ++i) {
    const Block b = other.next_block();
    ASSERT_EQ(other.submit(b), std::nullopt);
    ASSERT_EQ(node.submit(b), std::nullopt);
  }
  ASSERT_EQ(node.manager_->tip().hash, other.manager_->tip().hash);
  EXPECT_FALSE(node.manager_->stake().validators.contains(voting_key(0)));
  EXPECT_TRUE(pool.contains(txid(mined)));
  EXPECT_EQ(pool.pending_staking(voting_key(0)), txid(mined));
}

}  // namespace
}  // namespace cairn
