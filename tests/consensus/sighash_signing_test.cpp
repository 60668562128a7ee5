// What a signature commits to (docs/consensus.md §6), seen from the verifier: after an
// input is signed, changing any committed field of the transaction, of the outputs it
// spends or of the network invalidates it; changing another input's witness does not.
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/lock_eval.h"
#include "support/keys.h"

namespace cairn {
namespace {

constexpr uint8_t kAll = static_cast<uint8_t>(SighashType::all);

const KeyPair& key(size_t index) { return test::test_key(index); }

// A 2-of-3 multisig over keys 1, 2 and 3.
Lock multisig_lock() {
  LockNode node;
  node.tag = LockTag::multi;
  node.threshold = 2;
  node.keys = {key(1).public_key(), key(2).public_key(), key(3).public_key()};
  return Lock{kLockVersion, node};
}

// A signed transaction with everything its signatures need to be checked:
//   input 0  key spend by key 0
//   input 1  2-of-3 multisig, signed by keys 1 and 2
//   input 2  key spend by key 0 again, of an output with the same lock as input 0's
struct SignedTx {
  Transaction tx;
  std::vector<TxOut> spent;
  Hash256 genesis;
};

TypedSignature sign(const SignedTx& s, const SighashDigests& digests, uint32_t input, size_t k) {
  return TypedSignature{key(k).sign(signature_hash(s.tx, digests, input, kAll, s.genesis).value()), kAll};
}

Satisfaction multisig_sat(std::optional<TypedSignature> a, std::optional<TypedSignature> b,
                          std::optional<TypedSignature> c) {
  Satisfaction sat;
  sat.tag = LockTag::multi;
  sat.signatures = {std::move(a), std::move(b), std::move(c)};
  return sat;
}

SignedTx make_signed_tx() {
  SignedTx s;
  s.genesis = blake3(as_bytes("sighash test network"));
  const Txid funding = blake3(as_bytes("funding"));
  s.tx.lock_time = 77;
  s.tx.inputs = {TxIn{OutPoint{funding, 0}, {}}, TxIn{OutPoint{funding, 1}, {}},
                 TxIn{OutPoint{funding, 2}, {}}};
  s.spent = {TxOut{2 * kCoin, key_hash_lock(key(0).public_key())},
             TxOut{5 * kCoin, lock_hash_lock(multisig_lock())},
             TxOut{3 * kCoin, key_hash_lock(key(0).public_key())}};
  s.tx.outputs = {TxOut{4 * kCoin, key_hash_lock(key(3).public_key())},
                  TxOut{5 * kCoin, lock_hash_lock(multisig_lock())}};

  const SighashDigests digests = compute_sighash_digests(s.tx, s.spent).value();
  s.tx.inputs[0].witness = KeySpend{key(0).public_key(), sign(s, digests, 0, 0)};
  s.tx.inputs[1].witness =
      LockSpend{multisig_lock(), multisig_sat(sign(s, digests, 1, 1), sign(s, digests, 1, 2), std::nullopt)};
  s.tx.inputs[2].witness = KeySpend{key(0).public_key(), sign(s, digests, 2, 0)};
  return s;
}

// The verdict for every input, with the digests computed once from the (possibly changed)
// transaction, spent outputs and network, as the chain does.
std::vector<LockError> verify_all(const SignedTx& s, SignatureChecker& checker) {
  const SighashDigests digests = compute_sighash_digests(s.tx, s.spent).value();
  std::vector<LockError> out;
  for (uint32_t i = 0; i < s.tx.inputs.size(); ++i) {
    out.push_back(verify_input(s.tx, i, s.spent[i], digests, s.genesis, SpendContext{}, checker));
  }
  return out;
}

std::vector<LockError> verify_all(const SignedTx& s) {
  DirectSignatureChecker checker;
  return verify_all(s, checker);
}

const std::vector<LockError> kAllOk(3, LockError::ok);

TEST(SighashSigning, SignedTransactionVerifies) { EXPECT_EQ(verify_all(make_signed_tx()), kAllOk); }

// ---- every committed field ----

struct Mutation {
  const char* name;
  void (*apply)(SignedTx&);
};

void PrintTo(const Mutation& m, std::ostream* os) { *os << m.name; }

// None of these touch input 0's own lock, so input 0 still reveals the right key and can
// only fail on its signature. Other inputs may fail for other reasons (a changed lock).
const Mutation kMutations[] = {
    {"OwnPrevout", [](SignedTx& s) { s.tx.inputs[0].prevout.index ^= 1; }},
    {"OtherPrevoutTxid", [](SignedTx& s) { s.tx.inputs[1].prevout.txid.bytes[0] ^= 1; }},
    {"OtherPrevoutIndex", [](SignedTx& s) { s.tx.inputs[2].prevout.index += 1; }},
    {"OwnSpentValue", [](SignedTx& s) { s.spent[0].value -= 1; }},
    {"OtherSpentValue", [](SignedTx& s) { s.spent[1].value += 1; }},
    {"OtherSpentLockHash", [](SignedTx& s) { s.spent[1].lock.hash.bytes[31] ^= 1; }},
    {"OtherSpentLockKind", [](SignedTx& s) { s.spent[2].lock.kind = OutputLockKind::lock_hash; }},
    {"FirstOutputValue", [](SignedTx& s) { s.tx.outputs[0].value += 1; }},
    {"SecondOutputValue", [](SignedTx& s) { s.tx.outputs[1].value -= 1; }},
    {"OutputLockHash", [](SignedTx& s) { s.tx.outputs[1].lock.hash.bytes[7] ^= 0x80; }},
    {"OutputLockKind", [](SignedTx& s) { s.tx.outputs[0].lock.kind = OutputLockKind::lock_hash; }},
    {"AddOutput",
     [](SignedTx& s) {
       s.tx.outputs.push_back(TxOut{1, key_hash_lock(key(1).public_key())});
     }},
    {"RemoveOutput", [](SignedTx& s) { s.tx.outputs.pop_back(); }},
    {"SwapOutputs", [](SignedTx& s) { std::swap(s.tx.outputs[0], s.tx.outputs[1]); }},
    {"PayloadBody", [](SignedTx& s) { s.tx.payload.body = {0x00}; }},
    {"PayloadKind", [](SignedTx& s) { s.tx.payload.kind = PayloadKind::coinbase; }},
    {"LockTime", [](SignedTx& s) { s.tx.lock_time += 1; }},
    {"Version", [](SignedTx& s) { s.tx.version = 2; }},
    {"Network", [](SignedTx& s) { s.genesis = blake3(as_bytes("another network")); }},
    {"AddInput",
     [](SignedTx& s) {
       s.tx.inputs.push_back(TxIn{OutPoint{blake3(as_bytes("more")), 0}, {}});
       s.spent.push_back(TxOut{kCoin, key_hash_lock(key(0).public_key())});
     }},
    {"RemoveInput",
     [](SignedTx& s) {
       s.tx.inputs.pop_back();
       s.spent.pop_back();
     }},
};

class SighashCommitment : public ::testing::TestWithParam<Mutation> {};

TEST_P(SighashCommitment, ChangingTheFieldInvalidatesEverySignature) {
  SignedTx s = make_signed_tx();
  GetParam().apply(s);
  const std::vector<LockError> verdicts = verify_all(s);
  EXPECT_EQ(verdicts[0], LockError::bad_signature);
  for (size_t i = 0; i < verdicts.size(); ++i) {
    EXPECT_NE(verdicts[i], LockError::ok) << "input " << i << ": " << to_string(verdicts[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(SighashSigning, SighashCommitment, ::testing::ValuesIn(kMutations),
                         [](const ::testing::TestParamInfo<Mutation>& p) {
                           return std::string(p.param.name);
                         });

// ---- index, type and witnesses ----

TEST(SighashSigning, SignatureCannotMoveToAnotherInput) {
  // Inputs 0 and 2 spend outputs of the same key; only the input index tells their
  // signatures apart.
  SignedTx s = make_signed_tx();
  std::swap(s.tx.inputs[0].witness, s.tx.inputs[2].witness);
  EXPECT_EQ(verify_all(s), (std::vector{LockError::bad_signature, LockError::ok, LockError::bad_signature}));

  s = make_signed_tx();
  s.tx.inputs[2].witness = s.tx.inputs[0].witness;
  EXPECT_EQ(verify_all(s), (std::vector{LockError::ok, LockError::ok, LockError::bad_signature}));
}

TEST(SighashSigning, UndefinedSighashTypeIsInvalid) {
  for (const uint8_t type : std::initializer_list<uint8_t>{0x00, 0x02, 0x03, 0x80, 0x81, 0x83, 0xff}) {
    SignedTx s = make_signed_tx();
    std::get<KeySpend>(s.tx.inputs[0].witness).signature.type = type;
    std::get<LockSpend>(s.tx.inputs[1].witness).satisfaction.signatures[1]->type = type;
    EXPECT_EQ(verify_all(s),
              (std::vector{LockError::bad_sighash_type, LockError::bad_sighash_type, LockError::ok}))
        << static_cast<int>(type);
  }
}

TEST(SighashSigning, OtherInputsWitnessesAreNotCommitted) {
  SignedTx s = make_signed_tx();
  const Txid id = txid(s.tx);
  const Hash256 wid = wtxid(s.tx);

  // Input 1 gathers its third signature after inputs 0 and 2 have signed.
  const SighashDigests digests = compute_sighash_digests(s.tx, s.spent).value();
  std::get<LockSpend>(s.tx.inputs[1].witness).satisfaction.signatures[2] = sign(s, digests, 1, 3);
  EXPECT_EQ(verify_all(s), kAllOk);
  EXPECT_EQ(txid(s.tx), id);
  EXPECT_NE(wtxid(s.tx), wid);

  // Input 2 is unsigned again: only input 2 fails.
  s.tx.inputs[2].witness = std::monostate{};
  EXPECT_EQ(verify_all(s), (std::vector{LockError::ok, LockError::ok, LockError::missing_witness}));
}

// ---- digests once, each signature once ----

// Records every check it is asked to make.
class RecordingChecker final : public SignatureChecker {
 public:
  bool verify(const Hash256& message, const PublicKey& key, const Signature& signature) override {
    calls.emplace_back(message, key, signature);
    return direct_.verify(message, key, signature);
  }
  std::vector<std::tuple<Hash256, PublicKey, Signature>> calls;

 private:
  DirectSignatureChecker direct_;
};

TEST(SighashSigning, EachSignatureIsCheckedOnceOverItsInputsSighash) {
  const SignedTx s = make_signed_tx();
  const SighashDigests digests = compute_sighash_digests(s.tx, s.spent).value();
  RecordingChecker checker;
  for (uint32_t i = 0; i < s.tx.inputs.size(); ++i) {
    EXPECT_EQ(verify_input(s.tx, i, s.spent[i], digests, s.genesis, {}, checker), LockError::ok);
  }

  const auto message = [&](uint32_t i) { return signature_hash(s.tx, digests, i, kAll, s.genesis).value(); };
  const auto& multi = std::get<LockSpend>(s.tx.inputs[1].witness).satisfaction.signatures;
  const std::vector<std::tuple<Hash256, PublicKey, Signature>> expected = {
      {message(0), key(0).public_key(), std::get<KeySpend>(s.tx.inputs[0].witness).signature.signature},
      {message(1), key(1).public_key(), multi[0]->signature},
      {message(1), key(2).public_key(), multi[1]->signature},
      {message(2), key(0).public_key(), std::get<KeySpend>(s.tx.inputs[2].witness).signature.signature},
  };
  EXPECT_EQ(checker.calls, expected);
}

TEST(SighashSigning, VerifierUsesTheDigestsItIsGiven) {
  // verify_input never recomputes the per-transaction digests: the caller computes them
  // once for all inputs. Spoiling any one of them therefore fails every signature.
  const SignedTx s = make_signed_tx();
  const SighashDigests good = compute_sighash_digests(s.tx, s.spent).value();
  Hash256 SighashDigests::*const fields[] = {&SighashDigests::prevouts, &SighashDigests::values,
                                             &SighashDigests::locks, &SighashDigests::outputs,
                                             &SighashDigests::payload};
  DirectSignatureChecker checker;
  for (auto field : fields) {
    SighashDigests spoiled = good;
    (spoiled.*field).bytes[0] ^= 1;
    for (uint32_t i = 0; i < s.tx.inputs.size(); ++i) {
      EXPECT_EQ(verify_input(s.tx, i, s.spent[i], good, s.genesis, {}, checker), LockError::ok);
      EXPECT_EQ(verify_input(s.tx, i, s.spent[i], spoiled, s.genesis, {}, checker), LockError::bad_signature);
    }
  }
}

}  // namespace
}  // namespace cairn
