// Partially signed transactions: binary and base64 round trips, strict decoding, signing by
// separate signers, combining (and refusing conflicts), finalizing (and refusing with the
// count still missing), and the summary. The 2-of-3 spend signed by three separate
// signers is checked input by input with consensus/lock_eval.
#include "wallet/pst.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/lock_eval.h"
#include "primitives/address.h"
#include "primitives/sighash.h"
#include "wallet/multisig.h"
#include "wallet/test_keys.h"

namespace cairn::wallet {
namespace {

using test_keys::genesis;
using test_keys::key;
using test_keys::pub;

MultisigSpec spec() { return make_multisig(2, {pub(1), pub(2), pub(3)}).value(); }

OutPoint outpoint(uint32_t n) {
  OutPoint o;
  o.txid.bytes[0] = 0xbb;
  o.txid.bytes[1] = static_cast<uint8_t>(n);
  o.index = n;
  return o;
}

SpendableCoin multisig_coin(uint32_t n, Amount value) {
  SpendableCoin c;
  c.utxo.outpoint = outpoint(n);
  c.utxo.output = TxOut{value, multisig_output_lock(spec())};
  c.spend = multisig_lock(spec());
  c.paths[pub(1)] = {0x8000002c, 0x80000001, 0x80000000, 0x80000000, 0x80000004};
  return c;
}

SpendableCoin key_coin(uint32_t n, size_t k, Amount value) {
  SpendableCoin c;
  c.utxo.outpoint = outpoint(n);
  c.utxo.output = TxOut{value, key_hash_lock(pub(k))};
  c.spend = pub(k);
  return c;
}

KeyPairSigner signer_of(std::initializer_list<size_t> indexes) {
  KeyPairSigner s;
  for (size_t i : indexes) s.add(KeyPair::from_seed(key(i).seed()));
  return s;
}

// A spend of two multisig coins and one key coin to key 7, change back to the multisig.
BuiltTx built() {
  Funding f;
  f.coins = {multisig_coin(1, 30'000), multisig_coin(2, 40'000), key_coin(3, 5, 20'000)};
  f.change_lock = multisig_output_lock(spec());
  f.change_path = KeyPath{1, 2, 3};
  f.fee_rate = FeeRate{2'000};
  const std::vector<Recipient> to = {{key_hash_lock(pub(7)), 80'000}};
  return build_payment(to, f).value();
}

Pst unsigned_pst() { return create_pst(built(), genesis()).value(); }

TEST(Pst, CreateRecordsSpentOutputsLocksKeysAndPaths) {
  const BuiltTx b = built();
  const Pst pst = create_pst(b, genesis()).value();
  ASSERT_EQ(pst.inputs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(pst.inputs[i].spent, b.inputs[i].utxo.output);
    EXPECT_TRUE(pst.inputs[i].signatures.empty());
    if (pst.inputs[i].spent.lock.kind == OutputLockKind::lock_hash) {
      EXPECT_EQ(pst.inputs[i].lock, multisig_lock(spec()));
      EXPECT_EQ(pst.inputs[i].paths.size(), 1u);
    } else {
      EXPECT_EQ(pst.inputs[i].key, pub(5));
    }
  }
  ASSERT_TRUE(b.change_index);
  EXPECT_EQ(pst.outputs[*b.change_index].path, (KeyPath{1, 2, 3}));
}

TEST(Pst, BinaryAndBase64RoundTrip) {
  Pst pst = unsigned_pst();
  KeyPairSigner signer = signer_of({1, 5});
  ASSERT_EQ(sign_pst(pst, signer, genesis()).value(), 3u);
  const Bytes bytes = encode_pst(pst);
  EXPECT_TRUE(std::equal(kPstMagic.begin(), kPstMagic.end(), bytes.begin()));
  EXPECT_EQ(decode_pst(bytes).value(), pst);
  const std::string text = encode_pst_base64(pst);
  EXPECT_EQ(text.size() % 4, 0u);
  EXPECT_EQ(decode_pst_base64(text).value(), pst);
  EXPECT_EQ(read_pst(bytes).value(), pst);
  const std::string file = "\n  " + text + "\r\n";
  EXPECT_EQ(read_pst(as_bytes(file)).value(), pst);
}

TEST(Pst, TwoOfThreeSignedByThreeSeparateSignersVerifies) {
  const Pst base = unsigned_pst();
  std::vector<Pst> copies;
  for (size_t k : {size_t{1}, size_t{2}, size_t{3}}) {
    Pst copy = decode_pst_base64(encode_pst_base64(base)).value();  // as if sent to another machine
    KeyPairSigner signer = signer_of({k});
    EXPECT_EQ(sign_pst(copy, signer, genesis()).value(), 2u);  // its slot in each multisig input
    copies.push_back(copy);
  }
  Pst keyholder = base;
  KeyPairSigner five = signer_of({5});
  EXPECT_EQ(sign_pst(keyholder, five, genesis()).value(), 1u);
  copies.push_back(keyholder);

  auto combined = combine_psts(copies);
  ASSERT_TRUE(combined.ok()) << combined.error().message;
  for (const auto& status : pst_input_status(*combined)) EXPECT_TRUE(status.complete());
  auto tx = finalize_pst(*combined);
  ASSERT_TRUE(tx.ok()) << tx.error().message;

  std::vector<TxOut> spent;
  for (const auto& in : combined->inputs) spent.push_back(in.spent);
  const auto digests = compute_sighash_digests(*tx, spent).value();
  DirectSignatureChecker checker;
  for (uint32_t i = 0; i < tx->inputs.size(); ++i) {
    EXPECT_EQ(verify_input(*tx, i, spent[i], digests, genesis(), SpendContext{}, checker), LockError::ok);
  }
  EXPECT_EQ(encode(*tx).size(), summarize_pst(*combined, Network::regtest).value().size);
  EXPECT_EQ(txid(*tx), txid(base.tx));
  // Exactly M signatures in each satisfaction, the first in key order.
  for (const auto& in : tx->inputs) {
    if (const auto* spend = std::get_if<LockSpend>(&in.witness)) {
      ASSERT_EQ(spend->satisfaction.signatures.size(), 3u);
      EXPECT_TRUE(spend->satisfaction.signatures[0] && spend->satisfaction.signatures[1]);
      EXPECT_FALSE(spend->satisfaction.signatures[2]);
    }
  }
}

TEST(Pst, FinalizeSaysHowManySignaturesAreMissing) {
  Pst pst = unsigned_pst();
  KeyPairSigner one = signer_of({2});
  ASSERT_EQ(sign_pst(pst, one, genesis()).value(), 2u);
  auto tx = finalize_pst(pst);
  ASSERT_FALSE(tx.ok());
  const std::string& m = tx.error().message;
  EXPECT_NE(m.find("1 of 2 signatures present, 1 more needed (2-of-3 multisig)"), std::string::npos) << m;
  EXPECT_NE(m.find("0 of 1 signatures present"), std::string::npos) << m;  // the key input
  const auto status = pst_input_status(pst);
  EXPECT_EQ(status[0].present + status[1].present + status[2].present, 2u);
}

TEST(Pst, CombineRefusesConflictsAndOtherTransactions) {
  Pst a = unsigned_pst();
  KeyPairSigner signer = signer_of({1});
  ASSERT_TRUE(sign_pst(a, signer, genesis()).ok());
  Pst b = a;
  // A different signature by the same key on the same input.
  for (auto& in : b.inputs) {
    if (!in.signatures.empty()) {
      in.signatures.begin()->second.signature.bytes[0] ^= 1;
      break;
    }
  }
  auto conflict = combine_psts(std::vector<Pst>{a, b});
  ASSERT_FALSE(conflict.ok());
  EXPECT_NE(conflict.error().message.find("conflict"), std::string::npos);

  // A forged (non-verifying) signature alone is refused too.
  auto forged = combine_psts(std::vector<Pst>{b});
  EXPECT_FALSE(forged.ok());

  Pst other = a;
  other.tx.lock_time = 5;
  auto different = combine_psts(std::vector<Pst>{a, other});
  ASSERT_FALSE(different.ok());
  EXPECT_NE(different.error().message.find("different transactions"), std::string::npos);

  Pst elsewhere = a;
  elsewhere.genesis.bytes[0] ^= 1;
  EXPECT_FALSE(combine_psts(std::vector<Pst>{a, elsewhere}).ok());
  EXPECT_FALSE(combine_psts(std::vector<Pst>{}).ok());
  // Combining a PST with itself changes nothing.
  EXPECT_EQ(combine_psts(std::vector<Pst>{a, a}).value(), a);
}

TEST(Pst, SigningIsForOneNetworkOnlyAndIdempotent) {
  Pst pst = unsigned_pst();
  KeyPairSigner signer = signer_of({1});
  Hash256 other = genesis();
  other.bytes[31] ^= 1;
  EXPECT_FALSE(sign_pst(pst, signer, other).ok());
  EXPECT_EQ(sign_pst(pst, signer, genesis()).value(), 2u);
  EXPECT_EQ(sign_pst(pst, signer, genesis()).value(), 0u);
  KeyPairSigner stranger = signer_of({9});
  EXPECT_EQ(sign_pst(pst, stranger, genesis()).value(), 0u);
}

TEST(Pst, EveryTruncationIsRefused) {
  Pst pst = unsigned_pst();
  KeyPairSigner signer = signer_of({1, 2});
  ASSERT_TRUE(sign_pst(pst, signer, genesis()).ok());
  const Bytes bytes = encode_pst(pst);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_pst(ByteSpan(bytes.data(), n)).ok()) << n;
  }
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(decode_pst(longer).ok());
}

TEST(Pst, MalformedContentIsRefused) {
  const Pst pst = unsigned_pst();
  const Bytes good = encode_pst(pst);
  auto refused_with = [](Bytes bytes, const std::string& what) {
    auto r = decode_pst(bytes);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
  };
  Bytes bad = good;
  bad[0] = 'X';
  refused_with(bad, "magic");
  bad = good;
  bad[8] = 2;
  refused_with(bad, "unknown version");

  // A signature by a key outside the lock.
  Pst stranger = pst;
  stranger.inputs[0].signatures[pub(9)] = TypedSignature{};
  refused_with(encode_pst(stranger), "cannot sign");
  // A key-hash input with a key that does not hash to it.
  Pst wrong_key = pst;
  for (auto& in : wrong_key.inputs) {
    if (in.key) in.key = pub(6);
  }
  refused_with(encode_pst(wrong_key), "does not hash");
  // A lock-hash input without its lock.
  Pst no_lock = pst;
  for (auto& in : no_lock.inputs) in.lock.reset();
  refused_with(encode_pst(no_lock), "reveal its lock");
  // Witnesses in the transaction.
  Pst witnessed = pst;
  witnessed.tx.inputs[0].witness = KeySpend{};
  refused_with(encode_pst(witnessed), "witnesses must be empty");
  // Path deeper than the limit; at the limit it decodes.
  Pst deep = pst;
  deep.outputs[0].path = KeyPath(kMaxKeyPathDepth, 1);
  EXPECT_TRUE(decode_pst(encode_pst(deep)).ok());
  deep.outputs[0].path = KeyPath(kMaxKeyPathDepth + 1, 1);
  EXPECT_FALSE(decode_pst(encode_pst(deep)).ok());
  // Over the size limit.
  EXPECT_EQ(decode_pst(Bytes(kMaxPstBytes + 1, 0)).error().code, ErrorCode::limit);
}

TEST(Pst, Base64IsStrict) {
  const std::string text = encode_pst_base64(unsigned_pst());
  EXPECT_FALSE(decode_pst_base64(text.substr(0, text.size() - 1)).ok());
  std::string bad = text;
  bad[5] = '*';
  EXPECT_FALSE(decode_pst_base64(bad).ok());
  EXPECT_FALSE(decode_pst_base64("").ok());
  EXPECT_FALSE(read_pst(as_bytes("not a pst")).ok());
  // "QQ==" is "A"; "QR==" carries non-zero unused bits and is not canonical.
  EXPECT_FALSE(decode_pst_base64("QR==").ok());
}

TEST(Pst, SummaryShowsAmountsFeeAndCompleteness) {
  const BuiltTx b = built();
  Pst pst = create_pst(b, genesis()).value();
  auto summary = summarize_pst(pst, Network::regtest);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->fee, b.fee);
  EXPECT_EQ(summary->size, b.size);
  EXPECT_FALSE(summary->complete);
  EXPECT_EQ(summary->inputs.size(), 3u);
  ASSERT_TRUE(b.change_index);
  EXPECT_TRUE(summary->outputs[*b.change_index].change);
  EXPECT_EQ(summary->outputs[0].address == encode_address(Network::regtest, key_hash_lock(pub(7))) ||
                summary->outputs[1].address == encode_address(Network::regtest, key_hash_lock(pub(7))),
            true);
  const std::string text = format_pst_summary(*summary);
  EXPECT_NE(text.find("0 of 2 (2-of-3 multisig)"), std::string::npos) << text;
  EXPECT_NE(text.find("(change)"), std::string::npos) << text;
  EXPECT_NE(text.find("needs more signatures"), std::string::npos) << text;

  KeyPairSigner all = signer_of({1, 2, 5});
  ASSERT_TRUE(sign_pst(pst, all, genesis()).ok());
  EXPECT_TRUE(summarize_pst(pst, Network::regtest).value().complete);
}

TEST(Pst, SummaryOfABond) {
  Funding f;
  f.coins = {key_coin(1, 5, 20 * kCoin)};
  f.change_lock = key_hash_lock(pub(5));
  f.fee_rate = FeeRate{1'000};
  const BuiltTx b = build_bond(BondBody{pub(20), key_hash_lock(pub(5)), 10 * kCoin}, f).value();
  const PstSummary s = summarize_pst(create_pst(b, genesis()).value(), Network::regtest).value();
  EXPECT_EQ(s.stake_locked, 10 * kCoin);
  EXPECT_EQ(s.fee, b.fee);
}

}  // namespace
}  // namespace cairn::wallet
