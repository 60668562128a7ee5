#include "chain/parallel_verify.h"

#include <vector>

#include <gtest/gtest.h>

#include "chain/sig_cache.h"
#include "support/keys.h"

namespace cairn {
namespace {

constexpr uint8_t kAll = static_cast<uint8_t>(SighashType::all);

// `count` signed 1-in/2-out transactions, each spending a coin of test key (i % 8).
struct Batch {
  Hash256 genesis = blake3(as_bytes("parallel verify test"));
  std::vector<Transaction> txs;
  std::vector<TxVerifyJob> jobs;
};

Batch make_batch(size_t count) {
  Batch b;
  b.txs.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const KeyPair& k = test::test_key(i % 8);
    Writer w;
    w.u64(i);
    Transaction& tx = b.txs[i];
    tx.inputs = {TxIn{OutPoint{blake3(w.data()), 0}, {}}};
    tx.outputs = {TxOut{kCoin, key_hash_lock(test::test_key(9).public_key())},
                  TxOut{kCoin, key_hash_lock(k.public_key())}};
    const std::vector<TxOut> spent{TxOut{3 * kCoin, key_hash_lock(k.public_key())}};
    const SighashDigests d = compute_sighash_digests(tx, spent).value();
    tx.inputs[0].witness = KeySpend{
        k.public_key(), TypedSignature{k.sign(signature_hash(tx, d, 0, kAll, b.genesis).value()), kAll}};
  }
  for (size_t i = 0; i < count; ++i) {
    const KeyPair& k = test::test_key(i % 8);
    b.jobs.push_back(
        TxVerifyJob{&b.txs[i], {TxOut{3 * kCoin, key_hash_lock(k.public_key())}}, {SpendContext{}}});
  }
  return b;
}

void break_signature(Transaction& tx) {
  std::get<KeySpend>(tx.inputs[0].witness).signature.signature.bytes[1] ^= 1;
}

TEST(ParallelVerify, AllValid) {
  Batch b = make_batch(100);
  ThreadPool pool("verify", 2);
  DirectSignatureChecker checker;
  EXPECT_EQ(verify_parallel(b.jobs, b.genesis, checker, pool), std::nullopt);
  EXPECT_EQ(verify_sequential(b.jobs, b.genesis, checker), std::nullopt);
}

TEST(ParallelVerify, ReportsTheLowestFailureWhateverTheScheduling) {
  Batch b = make_batch(200);
  break_signature(b.txs[150]);
  break_signature(b.txs[37]);
  b.txs[120].inputs[0].witness = std::monostate{};
  DirectSignatureChecker checker;
  const InputFailure expected{37, 0, LockError::bad_signature};
  EXPECT_EQ(verify_sequential(b.jobs, b.genesis, checker), expected);
  for (size_t threads : {size_t{1}, size_t{2}, size_t{3}, size_t{4}}) {
    ThreadPool pool("verify", threads);
    for (int run = 0; run < 5; ++run) EXPECT_EQ(verify_parallel(b.jobs, b.genesis, checker, pool), expected);
  }
}

TEST(ParallelVerify, FailureInTheLastBatch) {
  Batch b = make_batch(2 * kVerifyBatch + 1);
  b.txs.back().inputs[0].witness = std::monostate{};
  ThreadPool pool("verify", 2);
  DirectSignatureChecker checker;
  EXPECT_EQ(verify_parallel(b.jobs, b.genesis, checker, pool),
            (InputFailure{2 * kVerifyBatch, 0, LockError::missing_witness}));
}

TEST(ParallelVerify, NoJobs) {
  ThreadPool pool("verify", 2);
  DirectSignatureChecker checker;
  EXPECT_EQ(verify_parallel({}, Hash256{}, checker, pool), std::nullopt);
}

// The cache is keyed by what a signature commits to, not by txid: a block carrying a
// verified transaction's txid with a changed witness is verified and refused.
TEST(ParallelVerify, CachedTxidWithChangedWitnessIsStillChecked) {
  Batch b = make_batch(20);
  DeterministicRng rng(1);
  SignatureCache cache(rng);
  CachingSignatureChecker checker(cache);
  ThreadPool pool("verify", 2);
  ASSERT_EQ(verify_parallel(b.jobs, b.genesis, checker, pool), std::nullopt);
  EXPECT_EQ(cache.size(), 20u);

  const Txid before = txid(b.txs[4]);
  break_signature(b.txs[4]);
  ASSERT_EQ(txid(b.txs[4]), before);
  EXPECT_EQ(verify_parallel(b.jobs, b.genesis, checker, pool),
            (InputFailure{4, 0, LockError::bad_signature}));
}

}  // namespace
}  // namespace cairn
