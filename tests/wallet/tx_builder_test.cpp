// Transaction building and signing: exact fees per encoded size, change, the dust rule,
// many inputs, multisig inputs, the staking transactions as consensus wants them, and every
// signed input checked with consensus/lock_eval.
#include "wallet/tx_builder.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/lock_eval.h"
#include "primitives/sighash.h"
#include "primitives/staking.h"
#include "wallet/multisig.h"
#include "wallet/test_keys.h"

namespace cairn::wallet {
namespace {

using test_keys::genesis;
using test_keys::key;
using test_keys::pub;

OutPoint outpoint(uint32_t n) {
  OutPoint o;
  o.txid.bytes[0] = 0xaa;
  o.txid.bytes[1] = static_cast<uint8_t>(n >> 8);
  o.txid.bytes[2] = static_cast<uint8_t>(n);
  o.index = n % 3;
  return o;
}

SpendableCoin key_coin(uint32_t n, size_t key_index, Amount value, bool mature = true) {
  SpendableCoin c;
  c.utxo.outpoint = outpoint(n);
  c.utxo.output = TxOut{value, key_hash_lock(pub(key_index))};
  c.utxo.height = 10;
  c.utxo.mature = mature;
  c.spend = pub(key_index);
  return c;
}

MultisigSpec two_of_three() { return make_multisig(2, {pub(1), pub(2), pub(3)}).value(); }

SpendableCoin multisig_coin(uint32_t n, Amount value) {
  SpendableCoin c;
  c.utxo.outpoint = outpoint(n);
  c.utxo.output = TxOut{value, multisig_output_lock(two_of_three())};
  c.spend = multisig_lock(two_of_three());
  return c;
}

KeyPairSigner signer_of(std::initializer_list<size_t> indexes) {
  KeyPairSigner s;
  for (size_t i : indexes) s.add(KeyPair::from_seed(key(i).seed()));
  return s;
}

Funding funding(std::vector<SpendableCoin> coins, FeeRate rate = FeeRate{1'000}) {
  Funding f;
  f.coins = std::move(coins);
  f.change_lock = key_hash_lock(pub(9));
  f.fee_rate = rate;
  return f;
}

Amount sum_inputs(const BuiltTx& b) {
  Amount total = 0;
  for (const auto& c : b.inputs) total += c.utxo.output.value;
  return total;
}

Amount sum_outputs(const Transaction& tx) {
  Amount total = 0;
  for (const auto& o : tx.outputs) total += o.value;
  return total;
}

// Every input of `tx` verifies under lock_eval, independently of the builder's own check.
void expect_all_inputs_verify(const Transaction& tx, const BuiltTx& built) {
  const std::vector<TxOut> spent = built.spent_outputs();
  const auto digests = compute_sighash_digests(tx, spent).value();
  DirectSignatureChecker checker;
  for (uint32_t i = 0; i < tx.inputs.size(); ++i) {
    EXPECT_EQ(verify_input(tx, i, spent[i], digests, genesis(), SpendContext{}, checker), LockError::ok)
        << "input " << i;
  }
}

TEST(TxBuilder, PaymentWithChangePaysTheRateExactly) {
  const std::vector<Recipient> to = {{key_hash_lock(pub(7)), 30'000}};
  for (Amount rate : {1'000u, 1'234u, 25'000u}) {
    auto built = build_payment(to, funding({key_coin(1, 0, 100'000), key_coin(2, 0, 20'000)}, FeeRate{rate}));
    ASSERT_TRUE(built.ok()) << built.error().message;
    KeyPairSigner signer = signer_of({0});
    auto signed_tx = sign_transaction(*built, signer, genesis());
    ASSERT_TRUE(signed_tx.ok()) << signed_tx.error().message;
    const size_t size = encode(*signed_tx).size();
    EXPECT_EQ(built->size, size);
    EXPECT_EQ(built->fee, FeeRate{rate}.fee_for(size));
    ASSERT_TRUE(built->change_index);
    EXPECT_EQ(signed_tx->outputs[*built->change_index].lock, key_hash_lock(pub(9)));
    EXPECT_EQ(sum_inputs(*built), sum_outputs(*signed_tx) + built->fee);
    EXPECT_EQ(txid(*signed_tx), txid(built->tx));  // signing changes witnesses only
    expect_all_inputs_verify(*signed_tx, *built);
  }
}

TEST(TxBuilder, InputSizeIsExactPerKind) {
  EXPECT_EQ(input_size(key_coin(1, 0, 1'000)).value(), kKeySpendInputSize);
  // A 2-of-3 lock spend: outpoint 36, witness kind 1, lock (version, tag, threshold, count,
  // 3 keys), satisfaction (tag, count, 3 presence bytes, 2 signatures).
  EXPECT_EQ(input_size(multisig_coin(1, 1'000)).value(),
            36u + 1 + (1 + 1 + 1 + 1 + 96) + (1 + 1 + 3 + 2 * 65));
  SpendableCoin wrong = key_coin(1, 0, 1'000);
  wrong.spend = pub(1);
  EXPECT_FALSE(input_size(wrong).ok());
}

TEST(TxBuilder, DustOutputsAreRefused) {
  const Amount dust = dust_threshold();
  EXPECT_EQ(dust, 402u);
  const std::vector<SpendableCoin> coins = {key_coin(1, 0, 100'000)};
  std::vector<Recipient> to = {{key_hash_lock(pub(7)), dust - 1}};
  auto refused = build_payment(to, funding(coins));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("dust"), std::string::npos);
  to[0].amount = dust;
  EXPECT_TRUE(build_payment(to, funding(coins)).ok());
}

TEST(TxBuilder, ChangeBelowDustGoesToTheFee) {
  // One input, one output, change of 401 if it were made.
  const std::vector<Recipient> to = {{key_hash_lock(pub(7)), 50'000}};
  auto probe = build_payment(to, funding({key_coin(1, 0, 60'000)}));
  ASSERT_TRUE(probe.ok());
  ASSERT_TRUE(probe->change_index);
  const Amount fee_with_change = probe->fee;
  auto built = build_payment(to, funding({key_coin(1, 0, 50'000 + fee_with_change + dust_threshold() - 1)}));
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_FALSE(built->change_index);
  EXPECT_EQ(built->tx.outputs.size(), 1u);
  EXPECT_EQ(built->fee, fee_with_change + dust_threshold() - 1);
  EXPECT_GE(built->fee, FeeRate{1'000}.fee_for(built->size));
}

TEST(TxBuilder, ManyInputsAllSignedAndVerified) {
  std::vector<SpendableCoin> coins;
  for (uint32_t i = 0; i < 200; ++i) coins.push_back(key_coin(i, i % 5, 1'000));
  const std::vector<Recipient> to = {{key_hash_lock(pub(7)), 150'000}, {key_hash_lock(pub(8)), 10'000}};
  auto built = build_payment(to, funding(coins));
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_GT(built->tx.inputs.size(), 128u);  // a two-byte input count
  KeyPairSigner signer = signer_of({0, 1, 2, 3, 4});
  auto signed_tx = sign_transaction(*built, signer, genesis());
  ASSERT_TRUE(signed_tx.ok()) << signed_tx.error().message;
  EXPECT_EQ(encode(*signed_tx).size(), built->size);
  EXPECT_GE(built->fee, FeeRate{1'000}.fee_for(built->size));
  expect_all_inputs_verify(*signed_tx, *built);
  EXPECT_TRUE(std::is_sorted(built->tx.inputs.begin(), built->tx.inputs.end(),
                             [](const TxIn& a, const TxIn& b) { return a.prevout < b.prevout; }));
}

TEST(TxBuilder, InsufficientFundsMentionsImmatureCoins) {
  const std::vector<Recipient> to = {{key_hash_lock(pub(7)), 50'000}};
  auto built = build_payment(to, funding({key_coin(1, 0, 10'000), key_coin(2, 0, 5 * kCoin, false)}));
  ASSERT_FALSE(built.ok());
  EXPECT_NE(built.error().message.find("insufficient funds"), std::string::npos);
  EXPECT_NE(built.error().message.find("immature"), std::string::npos);
}

TEST(TxBuilder, SignerWithoutTheKeyIsAnError) {
  const std::vector<Recipient> to = {{key_hash_lock(pub(7)), 5'000}};
  auto built = build_payment(to, funding({key_coin(1, 0, 10'000)}));
  ASSERT_TRUE(built.ok());
  KeyPairSigner signer = signer_of({1});
  auto signed_tx = sign_transaction(*built, signer, genesis());
  ASSERT_FALSE(signed_tx.ok());
  EXPECT_NE(signed_tx.error().message.find("does not hold key"), std::string::npos);
}

TEST(TxBuilder, KeyLookupSignerDerivesKeysOnDemand) {
  const std::vector<Recipient> to = {{key_hash_lock(pub(7)), 5'000}};
  auto built = build_payment(to, funding({key_coin(1, 3, 10'000)}));
  ASSERT_TRUE(built.ok());
  size_t lookups = 0;
  KeyLookupSigner signer([&](const PublicKey& k) -> std::optional<KeyPair> {
    ++lookups;
    if (k != pub(3)) return std::nullopt;
    return KeyPair::from_seed(key(3).seed());
  });
  auto signed_tx = sign_transaction(*built, signer, genesis());
  ASSERT_TRUE(signed_tx.ok()) << signed_tx.error().message;
  EXPECT_EQ(lookups, 1u);
  expect_all_inputs_verify(*signed_tx, *built);
  // A lookup that answers with another key signs nothing.
  KeyLookupSigner wrong(
      [&](const PublicKey&) -> std::optional<KeyPair> { return KeyPair::from_seed(key(4).seed()); });
  EXPECT_FALSE(sign_transaction(*built, wrong, genesis()).ok());
}

TEST(TxBuilder, MultisigInputSignedWithEnoughKeys) {
  const std::vector<Recipient> to = {{key_hash_lock(pub(7)), 40'000}};
  auto built = build_payment(to, funding({multisig_coin(1, 100'000)}));
  ASSERT_TRUE(built.ok()) << built.error().message;
  KeyPairSigner two = signer_of({3, 1});
  auto signed_tx = sign_transaction(*built, two, genesis());
  ASSERT_TRUE(signed_tx.ok()) << signed_tx.error().message;
  EXPECT_EQ(encode(*signed_tx).size(), built->size);
  EXPECT_EQ(built->fee, FeeRate{1'000}.fee_for(built->size));
  expect_all_inputs_verify(*signed_tx, *built);

  KeyPairSigner one = signer_of({2});
  auto refused = sign_transaction(*built, one, genesis());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("partially signed"), std::string::npos);
}

TEST(TxBuilder, SingleKeyLockSpend) {
  Lock lock;
  lock.root.tag = LockTag::key;
  lock.root.keys = {pub(6)};
  SpendableCoin coin;
  coin.utxo.outpoint = outpoint(1);
  coin.utxo.output = TxOut{50'000, lock_hash_lock(lock)};
  coin.spend = lock;
  // outpoint 36, witness kind 1, lock (version, tag, key 32), satisfaction (tag, present, 65).
  EXPECT_EQ(input_size(coin).value(), 36u + 1 + 34 + 67);
  const std::vector<Recipient> to = {{key_hash_lock(pub(7)), 20'000}};
  auto built = build_payment(to, funding({coin}));
  ASSERT_TRUE(built.ok()) << built.error().message;
  KeyPairSigner signer = signer_of({6});
  auto signed_tx = sign_transaction(*built, signer, genesis());
  ASSERT_TRUE(signed_tx.ok()) << signed_tx.error().message;
  EXPECT_EQ(encode(*signed_tx).size(), built->size);
  expect_all_inputs_verify(*signed_tx, *built);
}

TEST(TxBuilder, VerifySignedCatchesATamperedTransaction) {
  const std::vector<Recipient> to = {{key_hash_lock(pub(7)), 5'000}};
  auto built = build_payment(to, funding({key_coin(1, 0, 10'000)}));
  ASSERT_TRUE(built.ok());
  KeyPairSigner signer = signer_of({0});
  auto signed_tx = sign_transaction(*built, signer, genesis());
  ASSERT_TRUE(signed_tx.ok());
  Transaction tampered = *signed_tx;
  tampered.outputs[0].value += 1;
  const auto spent = built->spent_outputs();
  EXPECT_TRUE(verify_signed(*signed_tx, spent, genesis()).ok());
  EXPECT_FALSE(verify_signed(tampered, spent, genesis()).ok());
  Hash256 other = genesis();
  other.bytes[0] ^= 1;
  EXPECT_FALSE(verify_signed(*signed_tx, spent, other).ok());
}

TEST(TxBuilder, BondLocksTheStakeAndKeepsChange) {
  const BondBody body{pub(20), key_hash_lock(pub(0)), 10 * kCoin};
  auto built = build_bond(body, funding({key_coin(1, 0, 12 * kCoin), key_coin(2, 0, 3 * kCoin)}));
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(built->tx.payload.kind, PayloadKind::bond);
  EXPECT_EQ(decode_bond_body(built->tx.payload.body).value(), body);
  ASSERT_EQ(built->tx.outputs.size(), 1u);  // the change: a transaction needs an output
  EXPECT_EQ(sum_inputs(*built), sum_outputs(built->tx) + body.amount + built->fee);
  EXPECT_EQ(built->fee, FeeRate{1'000}.fee_for(built->size));
  KeyPairSigner signer = signer_of({0});
  auto signed_tx = sign_transaction(*built, signer, genesis());
  ASSERT_TRUE(signed_tx.ok()) << signed_tx.error().message;
  expect_all_inputs_verify(*signed_tx, *built);

  EXPECT_FALSE(
      build_bond(BondBody{pub(20), key_hash_lock(pub(0)), 0}, funding({key_coin(1, 0, kCoin)})).ok());
  // Exactly the stake with nothing left for fee and change.
  EXPECT_FALSE(build_bond(body, funding({key_coin(1, 0, 10 * kCoin)})).ok());
}

TEST(TxBuilder, UnbondByTheOwnersCoin) {
  const OutputLock owner = key_hash_lock(pub(4));
  const UnbondBody body{pub(20), std::nullopt};
  // A larger coin of another key and a small one of the owner: the owner's must be spent.
  auto built = build_unbond(body, owner, funding({key_coin(1, 0, kCoin), key_coin(2, 4, 1'000)}));
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(decode_unbond_body(built->tx.payload.body).value(), body);
  const auto spent = built->spent_outputs();
  EXPECT_TRUE(std::any_of(spent.begin(), spent.end(), [&](const TxOut& o) { return o.lock == owner; }));
  EXPECT_FALSE(built->tx.outputs.empty());
  KeyPairSigner signer = signer_of({0, 4});
  auto signed_tx = sign_transaction(*built, signer, genesis());
  ASSERT_TRUE(signed_tx.ok()) << signed_tx.error().message;
  expect_all_inputs_verify(*signed_tx, *built);

  auto no_owner_coin = build_unbond(body, owner, funding({key_coin(1, 0, kCoin)}));
  ASSERT_FALSE(no_owner_coin.ok());
  EXPECT_NE(no_owner_coin.error().message.find("owner"), std::string::npos);
  EXPECT_FALSE(build_unbond(body, std::nullopt, funding({key_coin(1, 0, kCoin)})).ok());
}

TEST(TxBuilder, UnbondByTheVotingKeySignature) {
  Txid bond_id;
  bond_id.bytes.fill(7);
  const Hash256 message = unbond_signing_message(genesis(), pub(20), bond_id);
  const UnbondBody body{pub(20), key(20).sign(message)};
  auto built = build_unbond(body, std::nullopt, funding({key_coin(1, 0, kCoin)}));
  ASSERT_TRUE(built.ok()) << built.error().message;
  const UnbondBody decoded = decode_unbond_body(built->tx.payload.body).value();
  ASSERT_TRUE(decoded.signature);
  EXPECT_TRUE(verify(pub(20), message, *decoded.signature));
}

TEST(TxBuilder, WithdrawPaysTheStakeToTheOwnerFirst) {
  const OutputLock owner = key_hash_lock(pub(4));
  const Amount stake = 10 * kCoin;
  Funding f = funding({key_coin(1, 0, 50'000)});
  DeterministicRng rng(7);
  f.rng = &rng;
  for (int round = 0; round < 8; ++round) {
    auto built = build_withdraw(pub(20), owner, stake, f);
    ASSERT_TRUE(built.ok()) << built.error().message;
    EXPECT_EQ(decode_withdraw_body(built->tx.payload.body).value().voting_key, pub(20));
    ASSERT_GE(built->tx.outputs.size(), 2u);
    EXPECT_EQ(built->tx.outputs[0], (TxOut{stake, owner}));
    EXPECT_EQ(built->change_index, 1u);
    // inputs + released = outputs + fee.
    EXPECT_EQ(sum_inputs(*built) + stake, sum_outputs(built->tx) + built->fee);
    EXPECT_EQ(built->fee, FeeRate{1'000}.fee_for(built->size));
  }
}

TEST(TxBuilder, ChangePositionFromTheRng) {
  std::vector<Recipient> to;
  for (size_t i = 0; i < 4; ++i) to.push_back({key_hash_lock(pub(10 + i)), 10'000});
  Funding f = funding({key_coin(1, 0, kCoin)});
  DeterministicRng rng(1);
  f.rng = &rng;
  std::vector<bool> seen(5, false);
  for (int round = 0; round < 64; ++round) {
    auto built = build_payment(to, f);
    ASSERT_TRUE(built.ok());
    ASSERT_TRUE(built->change_index);
    ASSERT_LT(*built->change_index, 5u);
    seen[*built->change_index] = true;
    EXPECT_EQ(built->tx.outputs[*built->change_index].lock, f.change_lock);
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](bool b) { return b; }));
  // Without an Rng, change is last.
  f.rng = nullptr;
  EXPECT_EQ(build_payment(to, f).value().change_index, 4u);
}

TEST(TxBuilder, RefusesDuplicateCoinsAndRatesBelowTheRelayMinimum) {
  const std::vector<Recipient> to = {{key_hash_lock(pub(7)), 5'000}};
  EXPECT_FALSE(build_payment(to, funding({key_coin(1, 0, 10'000), key_coin(1, 0, 10'000)})).ok());
  EXPECT_FALSE(build_payment(to, funding({key_coin(1, 0, 10'000)}, FeeRate{0})).ok());
  auto below = build_payment(to, funding({key_coin(1, 0, 10'000)}, FeeRate{kDefaultMinRelayFeePerKb - 1}));
  ASSERT_FALSE(below.ok());
  EXPECT_NE(below.error().message.find("minimum relay fee"), std::string::npos);
  EXPECT_TRUE(build_payment(to, funding({key_coin(1, 0, 10'000)}, FeeRate{kDefaultMinRelayFeePerKb})).ok());
  EXPECT_FALSE(build_payment({}, funding({key_coin(1, 0, 10'000)})).ok());
}

}  // namespace
}  // namespace cairn::wallet
