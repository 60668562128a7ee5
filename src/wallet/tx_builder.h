// Building and signing the wallet's transactions: payments to any number of recipients,
// and the staking transactions bond, unbond and withdraw, funded by coin selection
// (coin_selection.h), with change, a fee rate met exactly, and the dust rule.
//
// Fees: `fee_rate` is base units per 1000 bytes of the full encoding (witnesses included),
// as the node's mempool counts. Every input's witness has a known size (a key spend, or a
// revealed key or multisig lock with exactly M signatures), so the size of the signed
// transaction is known before signing and the fee is fee_rate.fee_for(size) exactly (plus
// change too small to keep, when there is no change output).
//
// Dust: no output may be worth less than dust_threshold() (3x the fee of spending it at the
// minimum relay fee rate); change below it goes to the fee.
//
// Signing goes through the Signer interface (keys by public key), so this file knows
// nothing of where keys live. Every signed transaction is checked input by input with
// consensus/lock_eval before it is returned. Functions are pure apart from the Signer:
// thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include "chain/fee_rate.h"
#include "chain/mempool.h"
#include "crypto/ed25519.h"
#include "primitives/contract.h"
#include "primitives/staking.h"
#include "primitives/transaction.h"
#include "util/result.h"
#include "util/rng.h"
#include "wallet/chain_source.h"
#include "wallet/coin_selection.h"

namespace cairn::wallet {

// A derivation path, elements with the hardened bit as in hd.h's derivation_path.
using KeyPath = std::vector<uint32_t>;
inline constexpr size_t kMaxKeyPathDepth = 32;

// Holds private keys and signs 32-byte messages (signature hashes) with them. The wallet
// implements it over its seed; tests and tools use KeyPairSigner. Called from one thread.
class Signer {
 public:
  virtual ~Signer() = default;
  // The signature of `message` by `key`, or nullopt when this signer does not hold `key`.
  virtual std::optional<Signature> sign(const PublicKey& key, const Hash256& message) = 0;
};

// A Signer over key pairs it owns.
class KeyPairSigner final : public Signer {
 public:
  void add(KeyPair key);
  bool holds(const PublicKey& key) const { return keys_.contains(key); }
  std::optional<Signature> sign(const PublicKey& key, const Hash256& message) override;

 private:
  std::map<PublicKey, KeyPair> keys_;
};

// A Signer over a lookup from public key to key pair (e.g. the wallet deriving the key of
// one of its addresses); the key pair is dropped, and so zeroed, after each signature.
class KeyLookupSigner final : public Signer {
 public:
  using Lookup = std::function<std::optional<KeyPair>(const PublicKey&)>;
  explicit KeyLookupSigner(Lookup lookup) : lookup_(std::move(lookup)) {}
  std::optional<Signature> sign(const PublicKey& key, const Hash256& message) override;

 private:
  Lookup lookup_;
};

// A coin the wallet can spend and how: the public key of a key-hash lock, or the revealed
// lock of a lock-hash lock (its root a `key` or a `multi` node; a multisig setup).
struct SpendableCoin {
  Utxo utxo;
  std::variant<PublicKey, Lock> spend;
  // Derivation paths of the wallet's keys among the signing keys (for partially signed
  // transactions and offline signers); may be empty.
  std::map<PublicKey, KeyPath> paths;
};

// Bytes the input spending `coin` adds to the signed transaction (outpoint and witness:
// a key spend, or the lock and a satisfaction with exactly M signatures). Errors: the
// key or lock does not hash to the coin's output lock, or the lock's root is not `key` or
// `multi`.
Result<size_t> input_size(const SpendableCoin& coin);
// Bytes of the input spending a key-hash output (outpoint 36 + key-spend witness 98).
inline constexpr size_t kKeySpendInputSize = 134;

// The smallest output the wallet creates: 3x the fee of spending a key-hash output at the
// minimum relay fee rate (402 base units at the default 1000 per 1000 bytes). Applied to
// every output (a lock-hash recipient's spending size is unknown to the payer).
Amount dust_threshold(FeeRate min_relay_fee = FeeRate{kDefaultMinRelayFeePerKb});

struct Recipient {
  OutputLock lock;
  Amount amount = 0;
};

// How a transaction is funded: shared by every builder.
struct Funding {
  std::vector<SpendableCoin> coins;  // candidates (immature ones are skipped, and counted in errors)
  OutputLock change_lock;
  std::optional<KeyPath> change_path;  // recorded in partially signed transactions
  FeeRate fee_rate;
  FeeRate min_relay_fee{kDefaultMinRelayFeePerKb};  // the dust rule's rate
  FeeRate long_term_fee_rate;                       // see SelectionParams; zero = fee_rate
  uint64_t lock_time = 0;
  // When set, the change output takes a random position among the outputs (privacy);
  // otherwise it is last. (A withdraw's outputs[0] is never moved.)
  Rng* rng = nullptr;
  size_t bnb_max_tries = kBnbMaxTries;
};

// An unsigned transaction and what signing it needs.
struct BuiltTx {
  Transaction tx;                        // every witness empty
  std::vector<SpendableCoin> inputs;     // what input i spends, in input order
  std::optional<uint32_t> change_index;  // the change output, if any
  std::optional<KeyPath> change_path;
  Amount fee = 0;
  size_t size = 0;  // encoded size once signed, exact
  SelectionAlgorithm algorithm = SelectionAlgorithm::branch_and_bound;

  std::vector<TxOut> spent_outputs() const;
};

// A payment to `recipients` (at least one; each at or above the dust threshold).
Result<BuiltTx> build_payment(std::span<const Recipient> recipients, const Funding& funding);

// Bonds `body.amount` as `body.voting_key`'s stake, returned later to `body.owner`. The
// amount is locked (not an output); the outputs are the change. The consensus minimum
// stake is the node's to check.
Result<BuiltTx> build_bond(const BondBody& body, const Funding& funding);

// Starts the exit of `body.voting_key`. With body.signature (the voting key's signature over
// unbond_signing_message(genesis, voting key, bond txid)) any coins fund it; without one,
// `owner` must be given and a coin locked to it is spent, which authorises the unbond
// (consensus: an input spending a coin of the owner lock).
Result<BuiltTx> build_unbond(const UnbondBody& body, const std::optional<OutputLock>& owner,
                             const Funding& funding);

// Releases the stake of an exited validator: outputs[0] pays exactly `stake` (the
// validator record's stake) to `owner`, as consensus requires; the fee comes from the
// funding coins (a transaction needs inputs), whose change follows.
Result<BuiltTx> build_withdraw(const PublicKey& voting_key, const OutputLock& owner, Amount stake,
                               const Funding& funding);

// A contract transaction (deploy, call or upgrade; docs/contracts.md §2) carrying
// `payload`, paying `recipients` (usually none). The coins selected cover the outputs +
// the payload's value + gas_limit × gas_price (the most its gas can cost) + the fee for the
// transaction's bytes at funding.fee_rate (BuiltTx::fee); the unused gas (and the value of
// a failed execution) comes back to the caller as the refund output execution creates.
// The caller is the Account of the coin input 0 spends (contract_caller). Errors: not a
// contract payload, a body that does not decode, value or maximum gas fee outside the
// money range, or not enough coins.
Result<BuiltTx> build_contract(const Payload& payload, const Funding& funding,
                               std::span<const Recipient> recipients = {});

// The caller of a built contract transaction: the Account of the coin its input 0 spends.
Result<Account> contract_caller(const BuiltTx& built);

// The id the contract of a built deploy will have (docs/contracts.md §1):
// contract_id(caller, salt, contract_code_hash(code)). Error: not a deploy, or no input.
Result<ContractId> deployed_contract_id(const BuiltTx& built);

// The witness of an input spending with `spend` (a key-hash key or a revealed lock) from
// the signatures gathered for it: a KeySpend, or a LockSpend whose satisfaction holds the
// first M of `signatures` in key order (signatures by other keys are ignored). Error: too
// few, e.g. "1 of 2 signatures present, 1 more needed (2-of-3 multisig)".
Result<Witness> assemble_witness(const std::variant<PublicKey, Lock>& spend,
                                 const std::map<PublicKey, TypedSignature>& signatures);

// Signs every input through `signer` (a multisig input with the first M of its keys the
// signer holds, in key order), then checks every input with lock_eval. Errors name the
// input: a key the signer does not hold, too few multisig keys (use a partially signed
// transaction), or a verification failure.
Result<Transaction> sign_transaction(const BuiltTx& built, Signer& signer, const Hash256& genesis);

// Checks every input of a signed `tx` against the outputs it spends with
// consensus/lock_eval (the wallet's last line before broadcasting). The wallet's locks have
// no relative time-locks, so none are checked here (the spend context is all zero).
Status verify_signed(const Transaction& tx, std::span<const TxOut> spent, const Hash256& genesis);

}  // namespace cairn::wallet
