#include "wallet/tx_builder.h"

#include <algorithm>
#include <set>
#include <string>

#include "consensus/contract_rules.h"
#include "consensus/lock_eval.h"
#include "primitives/sighash.h"

namespace cairn::wallet {
namespace {

constexpr auto kSighashAll = static_cast<uint8_t>(SighashType::all);

Error invalid(std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; }

std::string input_name(size_t i) { return "input " + std::to_string(i); }

// The keys that may sign a revealed lock, and how many must. REQUIRES: root key or multi.
const std::vector<PublicKey>& lock_keys(const Lock& lock) { return lock.root.keys; }
size_t lock_threshold(const Lock& lock) { return lock.root.tag == LockTag::multi ? lock.root.threshold : 1; }

// Checks that `spend` is how `coin` is spent and that the wallet can size and sign it.
Status check_spend(const TxOut& out, const std::variant<PublicKey, Lock>& spend) {
  if (const auto* key = std::get_if<PublicKey>(&spend)) {
    if (out.lock != key_hash_lock(*key)) return invalid("the key does not hash to the coin's lock");
    return {};
  }
  const Lock& lock = std::get<Lock>(spend);
  if (out.lock != lock_hash_lock(lock)) return invalid("the revealed lock does not hash to the coin's lock");
  if (lock.root.tag != LockTag::key && lock.root.tag != LockTag::multi) {
    return invalid("the wallet spends only single-key and multisig locks");
  }
  if (const LockError e = check_lock(lock); e != LockError::ok) {
    return invalid(std::string("the revealed lock is invalid: ") + to_string(e));
  }
  return {};
}

// A witness of the final size: placeholder signatures by the first M keys.
Witness placeholder_witness(const std::variant<PublicKey, Lock>& spend) {
  std::map<PublicKey, TypedSignature> sigs;
  if (const auto* key = std::get_if<PublicKey>(&spend)) {
    sigs.emplace(*key, TypedSignature{});
  } else {
    const Lock& lock = std::get<Lock>(spend);
    for (size_t i = 0; i < lock_threshold(lock); ++i) sigs.emplace(lock_keys(lock)[i], TypedSignature{});
  }
  return assemble_witness(spend, sigs).value();
}

// What a builder asks of the common path.
struct Plan {
  std::vector<TxOut> outputs;  // before change
  Payload payload;
  Amount locked = 0;              // bond: stake the transaction locks
  Amount released = 0;            // withdraw: stake the transaction releases
  std::vector<size_t> required;   // indices into Funding::coins that must be spent
  size_t fixed_outputs = 0;       // leading outputs the change may not precede
  bool outputs_optional = false;  // contract transactions: the refund is their output
};

Status check_recipient_amounts(std::span<const TxOut> outputs, const Funding& funding) {
  const Amount dust = dust_threshold(funding.min_relay_fee);
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!money_range(outputs[i].value))
      return invalid("output " + std::to_string(i) + ": amount out of range");
    if (outputs[i].value < dust) {
      return invalid("output " + std::to_string(i) + ": " + format_amount(outputs[i].value) +
                     " is below the dust threshold " + format_amount(dust) +
                     " (it would cost more to spend than it is worth)");
    }
  }
  return {};
}

Result<BuiltTx> build(Plan plan, const Funding& funding) {
  // The node would refuse the transaction: say so before anything is signed.
  if (funding.fee_rate < funding.min_relay_fee) {
    return invalid("the fee rate " + std::to_string(funding.fee_rate.per_kb) +
                   " per 1000 bytes is below the minimum relay fee rate " +
                   std::to_string(funding.min_relay_fee.per_kb));
  }
  {
    std::set<OutPoint> seen;
    for (const auto& coin : funding.coins) {
      if (!seen.insert(coin.utxo.outpoint).second) {
        return invalid("coin " + coin.utxo.outpoint.txid.hex() + ":" +
                       std::to_string(coin.utxo.outpoint.index) + " is listed twice");
      }
    }
  }
  std::vector<Amount> values;
  for (const auto& out : plan.outputs) values.push_back(out.value);
  values.push_back(plan.locked);
  const std::optional<Amount> spent_total = checked_sum(values);
  if (!spent_total) return invalid("the outputs add up to more than the money supply");
  if (*spent_total < plan.released) return invalid("the transaction releases more than it pays out");
  const Amount target = *spent_total - plan.released;

  std::vector<CoinCandidate> candidates;
  for (const auto& coin : funding.coins) {
    CAIRN_TRY(size_t size, input_size(coin));
    candidates.push_back({coin.utxo.outpoint, coin.utxo.output.value, size, coin.utxo.mature});
  }

  Transaction tx;
  tx.outputs = plan.outputs;
  tx.payload = plan.payload;
  tx.lock_time = funding.lock_time;
  const TxOut change_output{0, funding.change_lock};
  Writer change_writer;
  encode(change_writer, change_output);
  const size_t outputs = tx.outputs.size();

  SelectionParams params;
  params.target = target;
  params.fee_rate = funding.fee_rate;
  params.long_term_fee_rate = funding.long_term_fee_rate;
  params.base_size = encode(tx).size();
  params.change_size = change_writer.size() + varint_size(outputs + 1) - varint_size(outputs);
  params.change_spend_size = kKeySpendInputSize;
  params.min_change = dust_threshold(funding.min_relay_fee);
  // The mempool refuses a transaction without outputs, except a contract transaction.
  params.require_change = plan.outputs.empty() && !plan.outputs_optional;
  params.bnb_max_tries = funding.bnb_max_tries;
  CAIRN_TRY(Selection selection, select_coins(candidates, params, plan.required));

  BuiltTx built;
  std::vector<size_t> chosen = selection.chosen;
  std::sort(chosen.begin(), chosen.end(), [&](size_t a, size_t b) {
    return funding.coins[a].utxo.outpoint < funding.coins[b].utxo.outpoint;
  });
  for (size_t i : chosen) {
    tx.inputs.push_back(TxIn{funding.coins[i].utxo.outpoint, {}});
    built.inputs.push_back(funding.coins[i]);
  }
  if (selection.change > 0) {
    size_t position = tx.outputs.size();
    if (funding.rng != nullptr) {
      position = plan.fixed_outputs + funding.rng->uniform(tx.outputs.size() - plan.fixed_outputs + 1);
    }
    tx.outputs.insert(tx.outputs.begin() + static_cast<std::ptrdiff_t>(position),
                      TxOut{selection.change, funding.change_lock});
    built.change_index = static_cast<uint32_t>(position);
    built.change_path = funding.change_path;
  }

  // The size the selection computed must be the size of the signed transaction: a
  // mismatch would mean a fee below the rate.
  Transaction sized = tx;
  for (size_t i = 0; i < sized.inputs.size(); ++i)
    sized.inputs[i].witness = placeholder_witness(built.inputs[i].spend);
  const size_t size = encode(sized).size();
  if (size != selection.size) {
    return Error{ErrorCode::invalid_argument, "internal error: estimated size " +
                                                  std::to_string(selection.size) +
                                                  " differs from the encoded size " + std::to_string(size)};
  }
  built.tx = std::move(tx);
  built.fee = selection.fee;
  built.size = size;
  built.algorithm = selection.algorithm;
  return built;
}

}  // namespace

void KeyPairSigner::add(KeyPair key) {
  const PublicKey public_key = key.public_key();
  keys_.insert_or_assign(public_key, std::move(key));
}

std::optional<Signature> KeyPairSigner::sign(const PublicKey& key, const Hash256& message) {
  const auto found = keys_.find(key);
  if (found == keys_.end()) return std::nullopt;
  return found->second.sign(message);
}

std::optional<Signature> KeyLookupSigner::sign(const PublicKey& key, const Hash256& message) {
  const std::optional<KeyPair> pair = lookup_(key);
  // A lookup returning some other key would make a signature that fails verification later;
  // refuse it here, where the cause is clear.
  if (!pair || pair->public_key() != key) return std::nullopt;
  return pair->sign(message);
}

Result<size_t> input_size(const SpendableCoin& coin) {
  if (auto s = check_spend(coin.utxo.output, coin.spend); !s) {
    return invalid("coin " + coin.utxo.outpoint.txid.hex() + ":" + std::to_string(coin.utxo.outpoint.index) +
                   ": " + s.error().message);
  }
  Writer w;
  encode(w, coin.utxo.outpoint);
  encode(w, placeholder_witness(coin.spend));
  return w.size();
}

Amount dust_threshold(FeeRate min_relay_fee) { return 3 * min_relay_fee.fee_for(kKeySpendInputSize); }

std::vector<TxOut> BuiltTx::spent_outputs() const {
  std::vector<TxOut> out;
  for (const auto& coin : inputs) out.push_back(coin.utxo.output);
  return out;
}

Result<BuiltTx> build_payment(std::span<const Recipient> recipients, const Funding& funding) {
  if (recipients.empty()) return invalid("a payment needs at least one recipient");
  if (recipients.size() >= kMaxTxOutputs) return invalid("too many recipients");
  Plan plan;
  for (const auto& r : recipients) plan.outputs.push_back(TxOut{r.amount, r.lock});
  CAIRN_TRY_STATUS(check_recipient_amounts(plan.outputs, funding));
  return build(std::move(plan), funding);
}

Result<BuiltTx> build_bond(const BondBody& body, const Funding& funding) {
  if (body.amount == 0 || !money_range(body.amount)) return invalid("the stake must be a positive amount");
  Plan plan;
  plan.payload = Payload{kBondPayload, encode_bond_body(body)};
  plan.locked = body.amount;
  return build(std::move(plan), funding);
}

Result<BuiltTx> build_unbond(const UnbondBody& body, const std::optional<OutputLock>& owner,
                             const Funding& funding) {
  Plan plan;
  plan.payload = Payload{kUnbondPayload, encode_unbond_body(body)};
  if (!body.signature) {
    if (!owner) return invalid("an unbond needs the voting key's signature or the owner lock");
    // The owner's smallest spendable coin authorises the unbond; selection adds others.
    std::optional<size_t> pick;
    for (size_t i = 0; i < funding.coins.size(); ++i) {
      const auto& utxo = funding.coins[i].utxo;
      if (utxo.output.lock != *owner || !utxo.mature) continue;
      if (!pick || utxo.output.value < funding.coins[*pick].utxo.output.value) pick = i;
    }
    if (!pick) {
      return invalid(
          "an unbond without the voting key's signature must spend a coin of the owner, and the wallet has "
          "no "
          "spendable coin paying the owner lock: send a little to the owner address first");
    }
    plan.required.push_back(*pick);
  }
  return build(std::move(plan), funding);
}

Result<BuiltTx> build_withdraw(const PublicKey& voting_key, const OutputLock& owner, Amount stake,
                               const Funding& funding) {
  if (stake == 0 || !money_range(stake)) return invalid("the stake to withdraw must be a positive amount");
  Plan plan;
  plan.payload = Payload{kWithdrawPayload, encode_withdraw_body(WithdrawBody{voting_key})};
  plan.outputs.push_back(TxOut{stake, owner});
  plan.released = stake;
  plan.fixed_outputs = 1;  // consensus: outputs[0] pays the stake to the owner
  return build(std::move(plan), funding);
}

Result<BuiltTx> build_contract(const Payload& payload, const Funding& funding,
                               std::span<const Recipient> recipients) {
  if (!is_contract_payload(payload.kind)) return invalid("not a deploy, call or upgrade payload");
  auto terms = contract_terms(payload);
  if (!terms) return invalid("the contract payload does not decode: " + terms.error().message);
  const std::optional<Amount> max_fee = max_gas_fee(terms->gas);
  if (!max_fee) return invalid("gas limit × gas price is beyond the money supply");
  if (!money_range(terms->value)) return invalid("the value is beyond the money supply");
  const std::optional<Amount> locked = checked_sum(std::vector<Amount>{terms->value, *max_fee});
  if (!locked) return invalid("value + gas limit × gas price is beyond the money supply");
  if (recipients.size() >= kMaxTxOutputs) return invalid("too many recipients");
  Plan plan;
  for (const auto& r : recipients) plan.outputs.push_back(TxOut{r.amount, r.lock});
  CAIRN_TRY_STATUS(check_recipient_amounts(plan.outputs, funding));
  plan.payload = payload;
  plan.locked = *locked;
  plan.outputs_optional = true;
  return build(std::move(plan), funding);
}

Result<Account> contract_caller(const BuiltTx& built) {
  if (built.inputs.empty()) return invalid("a contract transaction needs an input (its caller)");
  return account_of(built.inputs.front().utxo.output.lock);
}

Result<ContractId> deployed_contract_id(const BuiltTx& built) {
  if (built.tx.payload.kind != kDeployPayload) return invalid("not a deploy transaction");
  auto body = decode_deploy_body(built.tx.payload.body);
  if (!body) return invalid("the deploy body does not decode: " + body.error().message);
  CAIRN_TRY(const Account caller, contract_caller(built));
  return contract_id(caller, body->salt, contract_code_hash(body->code));
}

Result<Witness> assemble_witness(const std::variant<PublicKey, Lock>& spend,
                                 const std::map<PublicKey, TypedSignature>& signatures) {
  if (const auto* key = std::get_if<PublicKey>(&spend)) {
    const auto found = signatures.find(*key);
    if (found == signatures.end()) return invalid("0 of 1 signatures present, 1 more needed");
    return Witness{KeySpend{*key, found->second}};
  }
  const Lock& lock = std::get<Lock>(spend);
  if (lock.root.tag != LockTag::key && lock.root.tag != LockTag::multi) {
    return invalid("the wallet spends only single-key and multisig locks");
  }
  const size_t needed = lock_threshold(lock);
  Satisfaction sat;
  sat.tag = lock.root.tag;
  size_t present = 0;
  for (const auto& key : lock_keys(lock)) {
    const auto found = signatures.find(key);
    if (found != signatures.end() && present < needed) {
      sat.signatures.emplace_back(found->second);
      ++present;
    } else {
      sat.signatures.emplace_back(std::nullopt);
    }
  }
  if (present < needed) {
    std::string message = std::to_string(present) + " of " + std::to_string(needed) +
                          " signatures present, " + std::to_string(needed - present) + " more needed";
    if (lock.root.tag == LockTag::multi) {
      message +=
          " (" + std::to_string(needed) + "-of-" + std::to_string(lock.root.keys.size()) + " multisig)";
    }
    return invalid(std::move(message));
  }
  return Witness{LockSpend{lock, std::move(sat)}};
}

Result<Transaction> sign_transaction(const BuiltTx& built, Signer& signer, const Hash256& genesis) {
  Transaction tx = built.tx;
  if (tx.inputs.size() != built.inputs.size())
    return invalid("the transaction and its spent coins differ in count");
  const std::vector<TxOut> spent = built.spent_outputs();
  CAIRN_TRY(const SighashDigests digests, compute_sighash_digests(tx, spent));
  for (uint32_t i = 0; i < tx.inputs.size(); ++i) {
    const auto& spend = built.inputs[i].spend;
    CAIRN_TRY_STATUS(check_spend(spent[i], spend));
    CAIRN_TRY(const Hash256 message, signature_hash(tx, digests, i, kSighashAll, genesis));
    std::vector<PublicKey> keys;
    size_t needed = 1;
    if (const auto* key = std::get_if<PublicKey>(&spend)) {
      keys.push_back(*key);
    } else {
      keys = lock_keys(std::get<Lock>(spend));
      needed = lock_threshold(std::get<Lock>(spend));
    }
    std::map<PublicKey, TypedSignature> signatures;
    for (const auto& key : keys) {
      if (signatures.size() == needed) break;
      if (auto sig = signer.sign(key, message)) signatures.emplace(key, TypedSignature{*sig, kSighashAll});
    }
    if (signatures.size() < needed) {
      if (keys.size() == 1) return invalid(input_name(i) + ": the signer does not hold key " + keys[0].hex());
      return invalid(input_name(i) + ": the signer holds " + std::to_string(signatures.size()) + " of the " +
                     std::to_string(needed) +
                     " keys this multisig needs: use a partially signed transaction");
    }
    CAIRN_TRY(tx.inputs[i].witness, assemble_witness(spend, signatures));
  }
  CAIRN_TRY_STATUS(verify_signed(tx, spent, genesis));
  return tx;
}

Status verify_signed(const Transaction& tx, std::span<const TxOut> spent, const Hash256& genesis) {
  CAIRN_TRY(const SighashDigests digests, compute_sighash_digests(tx, spent));
  DirectSignatureChecker checker;
  for (uint32_t i = 0; i < tx.inputs.size(); ++i) {
    const LockError e = verify_input(tx, i, spent[i], digests, genesis, SpendContext{}, checker);
    if (e != LockError::ok) {
      return Error{ErrorCode::verify, input_name(i) + " does not verify: " + std::string(to_string(e))};
    }
  }
  return {};
}

}  // namespace cairn::wallet
