// Staking transactions (docs/consensus.md "Staking and finality"): each rule of bond, unbond
// and withdraw refuses its violation with its reason; dynasty timing; value conservation;
// encodings of the state and undo; apply then undo restores the state exactly.
#include "consensus/staking.h"

#include <random>

#include <gtest/gtest.h>

#include "consensus/finality.h"
#include "consensus/stake_fixture.h"

namespace cairn {
namespace {

using test::bond_tx;
using test::bootstrap;
using test::kFee;
using test::owner_of;
using test::stake_tx;
using test::StakeChain;
using test::test_key;
using test::unbond_signed_tx;
using test::withdraw_tx;

constexpr Amount kStake = 10 * kCoin;
const std::vector<size_t> kFour = {0, 1, 2, 3};

PublicKey pub(size_t k) { return test_key(k).public_key(); }

BlockError reason(const std::optional<BlockRejection>& r) {
  EXPECT_TRUE(r.has_value());
  return r ? r->reason : BlockError::bad_header;
}

TEST(Bond, MinimumStakeBoundary) {
  StakeChain chain;
  const Amount min = chain.params().min_stake;
  EXPECT_EQ(reason(chain.add_block({bond_tx(0, min - 1)})), BlockError::bad_stake);
  EXPECT_EQ(chain.height(), 0u);
  EXPECT_EQ(chain.add_block({bond_tx(0, min)}), std::nullopt);
  const ValidatorRecord& v = chain.state().validators.at(pub(0));
  EXPECT_EQ(v.stake, min);
  EXPECT_EQ(v.owner, owner_of(0));
  EXPECT_EQ(v.start_dynasty, 2u);  // two dynasties after dynasty 0
  EXPECT_EQ(chain.last_flows()[0], (StakeFlow{.released = 0, .locked = min}));
}

TEST(Bond, DuplicateVotingKeyRejected) {
  StakeChain chain;
  EXPECT_EQ(reason(chain.add_block({bond_tx(0, kStake), bond_tx(0, kStake)})), BlockError::bad_stake);
  ASSERT_EQ(chain.add_block({bond_tx(0, kStake)}), std::nullopt);
  EXPECT_EQ(reason(chain.add_block({bond_tx(0, kStake)})), BlockError::bad_stake);
}

TEST(Bond, InputsMustCoverOutputsAndStake) {
  StakeChain chain;
  auto exact = bond_tx(0, kStake);
  exact.spent.value = kStake;  // no fee: still conserves value
  auto short_by_one = bond_tx(1, kStake);
  short_by_one.spent.value = kStake - 1;
  EXPECT_EQ(reason(chain.add_block({short_by_one})), BlockError::bad_stake);
  auto with_change = bond_tx(1, kStake);
  with_change.tx.outputs.push_back({kFee + 1, owner_of(1)});  // change exceeding the fee
  EXPECT_EQ(reason(chain.add_block({with_change})), BlockError::bad_stake);
  EXPECT_EQ(chain.add_block({exact}), std::nullopt);
}

TEST(Bond, MalformedBodyIsBadPayload) {
  StakeChain chain;
  auto t = bond_tx(0, kStake);
  t.tx.payload.body.push_back(0);  // trailing byte
  EXPECT_EQ(reason(chain.add_block({t})), BlockError::bad_payload);
}

TEST(Bond, ActivatesOnlyAfterTwoFinalizedDynasties) {
  StakeChain chain;
  bootstrap(chain, kFour, kStake);
  chain.run(15, kFour);
  const uint64_t d = chain.state().finality.dynasty;
  ASSERT_EQ(chain.add_block({bond_tx(4, kStake)}), std::nullopt);
  const uint64_t bond_height = chain.height();
  EXPECT_EQ(chain.state().validators.at(pub(4)).start_dynasty, d + 2);
  // No finalization for two epochs: the dynasty stays, the new validator may not vote.
  chain.run(2 * chain.params().epoch_length, {});
  EXPECT_EQ(chain.state().finality.dynasty, d);
  auto early = chain.vote(test_key(4), last_justified_epoch(chain.state()), chain.epoch());
  EXPECT_EQ(reason(chain.add_block({}, {early})), BlockError::bad_vote);
  // Finality resumes; after two more dynasty changes the bond is active.
  while (chain.state().finality.dynasty < d + 2) chain.run(1, kFour);
  // When it takes effect, the bond's block is below the finalized checkpoint: no
  // reorganisation can take it out any more.
  EXPECT_GT(last_finalized(chain.state()).epoch * chain.params().epoch_length, bond_height);
  chain.run(1, {});
  ASSERT_TRUE(chain.honest(test_key(4)).has_value());
  EXPECT_EQ(chain.add_block({}, {*chain.honest(test_key(4))}), std::nullopt);
}

// The record's bond id, as the validator's wallet would know it.
Txid bond_id(const StakeChain& chain, size_t k) { return chain.state().validators.at(pub(k)).bond_id; }

TEST(Unbond, SignedByVotingKeyEndsAfterLogoutDelay) {
  StakeChain chain;
  bootstrap(chain, kFour, kStake);
  chain.run(10, kFour);
  const uint64_t d = chain.state().finality.dynasty;
  ASSERT_EQ(chain.add_block({unbond_signed_tx(0, bond_id(chain, 0), chain.genesis())}), std::nullopt);
  const ValidatorRecord& v = chain.state().validators.at(pub(0));
  EXPECT_EQ(v.end_dynasty, d + chain.params().logout_delay_dynasties);
  EXPECT_EQ(v.end_epoch, kUnset);
  // A second unbond is refused.
  EXPECT_EQ(reason(chain.add_block({unbond_signed_tx(0, bond_id(chain, 0), chain.genesis())})),
            BlockError::bad_stake);
  // It still votes until dynasty end + 1 begins; then its end epoch is set.
  while (chain.state().finality.dynasty <= v.end_dynasty) {
    EXPECT_TRUE(in_dynasty(chain.state().validators.at(pub(0)), chain.state().finality.dynasty) ||
                in_dynasty(chain.state().validators.at(pub(0)), chain.state().finality.dynasty - 1));
    chain.run(1, kFour);
  }
  EXPECT_EQ(chain.state().validators.at(pub(0)).end_epoch, chain.epoch());
}

TEST(Unbond, BadSignatureRejected) {
  StakeChain chain;
  ASSERT_EQ(chain.add_block({bond_tx(0, kStake)}), std::nullopt);
  // Signed by another key, and signed over another bond id.
  auto wrong_key = stake_tx(kUnbondPayload,
                            encode_unbond_body({pub(0), test_key(1).sign(unbond_signing_message(
                                                            chain.genesis(), pub(0), bond_id(chain, 0)))}),
                            kFee);
  EXPECT_EQ(reason(chain.add_block({wrong_key})), BlockError::bad_stake);
  EXPECT_EQ(reason(chain.add_block({unbond_signed_tx(0, Txid{}, chain.genesis())})), BlockError::bad_stake);
  EXPECT_EQ(reason(chain.add_block({unbond_signed_tx(1, Txid{}, chain.genesis())})), BlockError::bad_stake);
}

TEST(Unbond, OwnerInputAuthorisesWithoutSignature) {
  StakeChain chain;
  ASSERT_EQ(chain.add_block({bond_tx(0, kStake)}), std::nullopt);
  auto stranger = stake_tx(kUnbondPayload, encode_unbond_body({pub(0), std::nullopt}), kFee);
  EXPECT_EQ(reason(chain.add_block({stranger})), BlockError::bad_stake);
  auto owner = stake_tx(kUnbondPayload, encode_unbond_body({pub(0), std::nullopt}), kFee, {}, owner_of(0));
  EXPECT_EQ(chain.add_block({owner}), std::nullopt);
  EXPECT_NE(chain.state().validators.at(pub(0)).end_dynasty, kUnset);
}

// Bonds key 0, unbonds it, and runs the chain (no validators: dynasties advance every epoch)
// until it has left; returns its end epoch.
uint64_t bond_and_leave(StakeChain& chain) {
  EXPECT_EQ(chain.add_block({bond_tx(0, kStake)}), std::nullopt);
  EXPECT_EQ(chain.add_block({unbond_signed_tx(0, bond_id(chain, 0), chain.genesis())}), std::nullopt);
  while (chain.state().validators.at(pub(0)).end_epoch == kUnset) chain.run(1, {});
  return chain.state().validators.at(pub(0)).end_epoch;
}

TEST(Withdraw, OnlyAfterDelayExactAmountToOwner) {
  StakeChain chain;
  const uint64_t end = bond_and_leave(chain);
  const uint64_t allowed = end + chain.params().withdrawal_delay_epochs;
  while (chain.epoch() + 1 < allowed || !is_checkpoint_height(chain.params(), chain.height() + 1)) {
    // Every block of the epoch before `allowed` refuses the withdrawal.
    EXPECT_EQ(reason(chain.add_block({withdraw_tx(0, kStake, owner_of(0))})), BlockError::bad_stake);
    chain.run(1, {});
  }
  // The next block opens epoch `allowed`.
  EXPECT_EQ(reason(chain.add_block({withdraw_tx(0, kStake - 1, owner_of(0))})), BlockError::bad_stake);
  EXPECT_EQ(reason(chain.add_block({withdraw_tx(0, kStake + 1, owner_of(0))})), BlockError::bad_stake);
  EXPECT_EQ(reason(chain.add_block({withdraw_tx(0, kStake, owner_of(1))})), BlockError::bad_stake);
  EXPECT_EQ(reason(chain.add_block({withdraw_tx(1, kStake, owner_of(1))})), BlockError::bad_stake);
  ASSERT_EQ(chain.add_block({withdraw_tx(0, kStake, owner_of(0))}), std::nullopt);
  EXPECT_EQ(chain.epoch(), allowed);
  EXPECT_EQ(chain.last_flows()[0], (StakeFlow{.released = kStake, .locked = 0}));
  EXPECT_FALSE(chain.state().validators.contains(pub(0)));
}

TEST(Withdraw, StillBondedValidatorCannotWithdraw) {
  StakeChain chain;
  ASSERT_EQ(chain.add_block({bond_tx(0, kStake)}), std::nullopt);
  chain.run(40, {});
  EXPECT_EQ(reason(chain.add_block({withdraw_tx(0, kStake, owner_of(0))})), BlockError::bad_stake);
}

TEST(Unbond, OldSignatureCannotUnbondALaterBond) {
  StakeChain chain;
  const uint64_t end = bond_and_leave(chain);
  const auto replay = unbond_signed_tx(0, bond_id(chain, 0), chain.genesis());
  while (chain.epoch() < end + chain.params().withdrawal_delay_epochs) chain.run(1, {});
  ASSERT_EQ(chain.add_block({withdraw_tx(0, kStake, owner_of(0))}), std::nullopt);
  ASSERT_EQ(chain.add_block({bond_tx(0, kStake)}), std::nullopt);  // the key bonds again
  EXPECT_EQ(reason(chain.add_block({replay})), BlockError::bad_stake);
}

TEST(FinalityParams, WithdrawalDelayExceedsEvidenceWindowOnEveryNetwork) {
  for (const FinalityParams& p : {kMainnetFinality, kTestnetFinality, kRegtestFinality}) {
    EXPECT_GT(p.withdrawal_delay_epochs, p.evidence_window_epochs + p.inclusion_window_epochs);
    EXPECT_TRUE(valid_finality_params(p));
  }
  FinalityParams equal = kRegtestFinality;
  equal.withdrawal_delay_epochs = equal.evidence_window_epochs + equal.inclusion_window_epochs;
  EXPECT_FALSE(valid_finality_params(equal));
}

TEST(StakeEncoding, FinalityStateAndUndoRoundTrip) {
  StakeChain chain;
  bootstrap(chain, kFour, kStake);
  chain.run(12, {0, 1, 2});
  const FinalityState& f = chain.state().finality;
  auto decoded = decode_finality_state(encode(f));
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ(*decoded, f);
  auto undo = decode_stake_undo(encode(chain.last_undo()));
  ASSERT_TRUE(undo) << undo.error().to_string();
  EXPECT_EQ(*undo, chain.last_undo());
  Bytes trailing = encode(f);
  trailing.push_back(0);
  EXPECT_FALSE(decode_finality_state(trailing));
  // Sets must be strictly increasing: a repeated justified epoch does not decode.
  FinalityState two;
  two.justified_epochs = {1, 2};
  Bytes bytes = encode(two);
  constexpr size_t kFirstEpoch = 1 + 8 + 8 + 40 + 40 + 1;  // after version ... count
  ASSERT_EQ(bytes[kFirstEpoch + 8], 2);
  bytes[kFirstEpoch + 8] = 1;
  EXPECT_FALSE(decode_finality_state(bytes));
}

TEST(StakeEncoding, DecoderCapsRefuseLargerCounts) {
  Writer w;
  encode(w, FinalityState{});
  Bytes bytes = w.take();
  // The justified-epochs count sits after version, dynasty, marker and two checkpoints.
  constexpr size_t kCountAt = 1 + 8 + 8 + 40 + 40;
  bytes.resize(kCountAt);
  Writer count;
  count.varint(kMaxEncodedEpochs + 1);
  for (uint8_t b : count.data()) bytes.push_back(b);
  auto decoded = decode_finality_state(bytes);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("justified_epochs"), std::string::npos);
  Writer undo;
  undo.u8(kStakeUndoVersion);
  encode(undo, FinalityState{});
  undo.varint(kMaxEncodedValidators + 1);
  EXPECT_FALSE(decode_stake_undo(undo.data()));
}

// Random blocks (votes by random subsets, bonds, unbonds, invalid blocks); every state along
// the way is restored exactly by undo, a rejected block changes nothing, and the stake
// part of the state root maintained by deltas equals a rebuild.
TEST(StakeUndoProperty, ApplyThenUndoRestoresEveryState) {
  StakeChain chain;
  std::mt19937_64 rng(20261124);
  bootstrap(chain, kFour, kStake);
  std::vector<StakeState> states{chain.state()};
  LtHash root;
  add_stake_elements(root, chain.state());
  size_t next_key = 4;
  for (int i = 0; i < 120; ++i) {
    std::vector<Vote> votes;
    for (size_t k : kFour) {
      if (rng() % 4 != 0) {
        if (auto v = chain.honest(test_key(k))) votes.push_back(*v);
      }
    }
    std::vector<test::StakeTx> txs;
    if (rng() % 10 == 0 && next_key < 12) txs.push_back(bond_tx(next_key++, kStake + rng() % kCoin));
    if (rng() % 25 == 0) {
      const size_t k = rng() % next_key;
      if (chain.state().validators.at(pub(k)).end_dynasty == kUnset) {
        txs.push_back(unbond_signed_tx(k, bond_id(chain, k), chain.genesis()));
      }
    }
    if (rng() % 8 == 0) {
      // An invalid block: its valid part must leave no trace.
      std::vector<Vote> bad = votes;
      bad.push_back(chain.vote(test_key(13), 0, chain.epoch()));
      const StakeState before = chain.state();
      EXPECT_EQ(reason(chain.add_block(txs, bad)), BlockError::bad_vote);
      EXPECT_EQ(chain.state(), before);
    }
    ASSERT_EQ(chain.add_block(txs, votes), std::nullopt) << "block " << i;
    apply_stake_delta(root, chain.state(), chain.last_undo());
    LtHash rebuilt;
    add_stake_elements(rebuilt, chain.state());
    ASSERT_EQ(root, rebuilt) << "block " << i;
    states.push_back(chain.state());
  }
  EXPECT_GT(chain.state().finality.last_finalized.epoch, 2u);
  while (states.size() > 1) {
    states.pop_back();
    revert_stake_delta(root, chain.state(), chain.last_undo());
    chain.pop_block();
    ASSERT_EQ(chain.state(), states.back());
  }
  LtHash rebuilt;
  add_stake_elements(rebuilt, chain.state());
  EXPECT_EQ(root, rebuilt);
}

}  // namespace
}  // namespace cairn
