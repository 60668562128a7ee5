// The subcommands that build, sign and broadcast transactions: send, bond, unbond,
// withdraw, multisig and pst (wallet_commands.h has the grammar).
#include <algorithm>
#include <cctype>
#include <ostream>

#include <nlohmann/json.hpp>

#include "primitives/address.h"
#include "wallet/multisig.h"
#include "wallet/pst.h"
#include "wallet_context.h"
#include "wallet_input.h"

namespace cairn::app {
namespace {

// The record `next_address(chain)` would hand out, when it is derived already (peeking
// writes nothing: a cancelled or failed send leaves the wallet as it was).
const wallet::AddressRecord* peek_next(const wallet::Wallet& w, wallet::Chain chain) {
  const uint32_t index = w.data().next_index(chain);
  for (const auto& r : w.addresses()) {
    if (r.chain == chain && r.index == index && r.public_key) return &r;
  }
  return nullptr;
}

// The wallet's spendable coins as the builder takes them (with their keys' paths).
Result<std::vector<wallet::SpendableCoin>> own_coins(wallet::Wallet& w, wallet::ChainSource& chain) {
  CAIRN_TRY(const std::vector<wallet::OwnedCoin> owned, w.spendable_coins(chain));
  std::vector<wallet::SpendableCoin> coins;
  for (const wallet::OwnedCoin& c : owned) {
    if (!c.address.public_key) continue;  // watched, not owned
    const PublicKey& key = *c.address.public_key;
    coins.push_back(wallet::SpendableCoin{c.utxo, key, {{key, address_path(w, c.address)}}});
  }
  return coins;
}

std::string address_of(Network net, const OutputLock& lock) { return encode_address(net, lock); }

// The confirmation summary of a built transaction.
std::string describe(const WalletContext& ctx, const wallet::BuiltTx& built, const FeeRate& rate,
                     const std::string& what) {
  std::string text =
      what + " from wallet '" + ctx.o.wallet + "' (" + std::string(network_name(ctx.net())) + ")\n";
  text += "  inputs (" + std::to_string(built.inputs.size()) + "):\n";
  Amount in = 0;
  for (const auto& coin : built.inputs) {
    in += coin.utxo.output.value;
    text += "    " + format_amount(coin.utxo.output.value) + "  " + coin.utxo.outpoint.txid.hex() + ":" +
            std::to_string(coin.utxo.outpoint.index) + "  " + address_of(ctx.net(), coin.utxo.output.lock) +
            "\n";
  }
  text += "  outputs (" + std::to_string(built.tx.outputs.size()) + "):\n";
  for (size_t i = 0; i < built.tx.outputs.size(); ++i) {
    const TxOut& o = built.tx.outputs[i];
    const bool change = built.change_index && *built.change_index == i;
    text += "    " + format_amount(o.value) + "  " + address_of(ctx.net(), o.lock) +
            (change ? "  (change)" : "") + "\n";
  }
  text += "  total in: " + format_amount(in) + "\n";
  text += "  fee: " + format_amount(built.fee) + " (" + std::to_string(built.size) + " bytes at " +
          std::to_string(rate.per_kb) + " base units per 1000 bytes)\n";
  text += built.change_index
              ? "  change: " + format_amount(built.tx.outputs[*built.change_index].value) + "\n"
              : std::string("  change: none (any remainder below the dust threshold is fee)\n");
  return text;
}

json built_json(const WalletContext& ctx, const wallet::BuiltTx& built, const FeeRate& rate) {
  json inputs = json::array();
  for (const auto& coin : built.inputs) {
    inputs.push_back({{"txid", coin.utxo.outpoint.txid.hex()},
                      {"index", coin.utxo.outpoint.index},
                      {"value", units(coin.utxo.output.value)},
                      {"address", address_of(ctx.net(), coin.utxo.output.lock)}});
  }
  json outputs = json::array();
  for (size_t i = 0; i < built.tx.outputs.size(); ++i) {
    const TxOut& o = built.tx.outputs[i];
    outputs.push_back({{"address", address_of(ctx.net(), o.lock)},
                       {"value", units(o.value)},
                       {"change", built.change_index && *built.change_index == i}});
  }
  return {{"inputs", inputs},
          {"outputs", outputs},
          {"fee", units(built.fee)},
          {"fee_rate", units(rate.per_kb)},
          {"size", built.size}};
}

// Shows the summary, asks (unless --yes), signs, checks, broadcasts and records the
// pending spend; `change` is the address record the change went to (marked used).
int sign_and_send(WalletContext& ctx, wallet::Wallet& w, wallet::ChainSource& chain,
                  const wallet::BuiltTx& built, const FeeRate& rate, const std::string& what,
                  std::optional<wallet::Chain> mark_chain, const std::string& mark_label) {
  std::ostream& shown = ctx.json ? ctx.err : ctx.out;
  shown << describe(ctx, built, rate, what);
  if (!ctx.o.yes && !confirm_on_terminal("Sign and broadcast?", ctx.err)) {
    return ctx.fail("cancelled: nothing was signed or sent (pass --yes to skip the question)");
  }
  auto keys = wallet_keys(ctx, w);
  if (!keys) return ctx.fail(keys.error());
  WalletSigner signer(w, *keys);
  auto tx = wallet::sign_transaction(built, signer, genesis_hash(ctx.net()));
  if (!tx) return ctx.fail("signing: " + tx.error().message);
  auto id = chain.broadcast(*tx);
  if (!id) return ctx.fail(id.error().message + " (nothing was sent)");
  std::vector<OutPoint> spent;
  for (const TxIn& in : tx->inputs) spent.push_back(in.prevout);
  std::string warning;
  if (auto recorded = w.add_pending(spent, *id); !recorded) warning = recorded.error().message;
  if (mark_chain) {
    if (auto marked = w.next_address(*mark_chain, mark_label, &*keys); !marked)
      warning = marked.error().message;
  }
  if (!warning.empty())
    ctx.err << "cairn: " << ctx.command << ": sent, but the wallet file: " << warning << "\n";
  if (ctx.json) {
    json doc = built_json(ctx, built, rate);
    doc["txid"] = id->hex();
    ctx.out << doc.dump(2) << "\n";
  } else {
    ctx.out << "sent: " << id->hex() << "\n";
  }
  return 0;
}

// The change destination: the next change address (peeked; marked once sent).
Result<const wallet::AddressRecord*> change_record(WalletContext& ctx, wallet::Wallet& w) {
  if (const auto* record = peek_next(w, wallet::Chain::change)) return record;
  // The lookahead is used up: derive more, which needs the keys.
  CAIRN_TRY(const wallet::WalletKeys keys, wallet_keys(ctx, w));
  if (const auto* record = peek_next(w, wallet::Chain::change)) return record;
  return Error{ErrorCode::not_found, "no change address could be derived"};
}

// The fee rate (--fee-rate or the node's estimate), the wallet's spendable coins and its
// next change address: what a transaction this wallet pays for needs.
Result<wallet::Funding> own_funding(WalletContext& ctx, wallet::Wallet& w, wallet::ChainSource& chain) {
  wallet::Funding funding;
  CAIRN_TRY(funding.fee_rate, fee_rate(ctx, chain));
  CAIRN_TRY(funding.coins, own_coins(w, chain));
  CAIRN_TRY(const wallet::AddressRecord* change, change_record(ctx, w));
  funding.change_lock = key_hash_lock(*change->public_key);
  funding.change_path = address_path(w, *change);
  // The change output at a random position, so the order does not tell which output it is.
  funding.rng = &ctx.rng;
  return funding;
}

Result<wallet::Wallet> open_spending_wallet(const WalletContext& ctx) {
  CAIRN_TRY(wallet::Wallet w, open_wallet(ctx));
  if (w.watch_only()) {
    return Error{ErrorCode::invalid_argument,
                 "wallet '" + ctx.o.wallet +
                     "' is watch-only: it cannot sign (create a PST with `pst create` "
                     "and sign it where the keys are)"};
  }
  return w;
}

// A validator's record from the node (staking_get_validator).
Result<json> validator_record(const WalletContext& ctx, const PublicKey& key) {
  CallResult result = ctx.client.call("staking_get_validator", json{{"voting_key", key.hex()}});
  if (auto* failure = std::get_if<CallFailure>(&result)) {
    return Error{ErrorCode::not_found, "cairnd staking_get_validator: " + failure->to_string()};
  }
  return std::get<json>(std::move(result));
}

Result<PublicKey> voting_key(const WalletContext& ctx) {
  auto key = wallet::parse_public_key(ctx.o.voting_key);
  if (!key) return Error{key.error().code, "--voting-key: " + key.error().message};
  return key;
}

Result<wallet::Pst> read_pst_file(const std::string& file) {
  CAIRN_TRY(const Bytes bytes, read_input(file, 2 * wallet::kMaxPstBytes));
  auto pst = wallet::read_pst(bytes);
  if (!pst)
    return Error{pst.error().code,
                 "'" + file + "' is not a partially signed transaction: " + pst.error().message};
  return pst;
}

Status write_pst(const WalletContext& ctx, const std::string& file, const wallet::Pst& pst) {
  const Status written = write_output(ctx, file, wallet::encode_pst_base64(pst) + "\n");
  if (!written) return Error{written.error().code, "--out: " + written.error().message};
  return {};
}

bool all_inputs_complete(const wallet::Pst& pst) {
  const auto status = wallet::pst_input_status(pst);
  return std::all_of(status.begin(), status.end(), [](const auto& s) { return s.complete(); });
}

std::string status_text(const wallet::Pst& pst) {
  std::string text;
  const auto status = wallet::pst_input_status(pst);
  size_t complete = 0;
  for (size_t i = 0; i < status.size(); ++i) {
    if (status[i].complete()) ++complete;
    text += "  input " + std::to_string(i) + ": " + std::to_string(status[i].present) + " of " +
            std::to_string(status[i].required) + " signatures needed (" + std::to_string(status[i].keys) +
            " keys)\n";
  }
  text += complete == status.size() ? "  complete: ready for `pst finalize`\n"
                                    : "  incomplete: " + std::to_string(status.size() - complete) +
                                          " inputs need more signatures\n";
  return text;
}

json summary_json(const wallet::PstSummary& s) {
  json inputs = json::array();
  for (const auto& in : s.inputs) {
    inputs.push_back({{"txid", in.prevout.txid.hex()},
                      {"index", in.prevout.index},
                      {"value", units(in.value)},
                      {"address", in.address},
                      {"signatures", in.status.present},
                      {"required", in.status.required},
                      {"keys", in.status.keys}});
  }
  json outputs = json::array();
  for (const auto& o : s.outputs) {
    outputs.push_back({{"address", o.address}, {"value", units(o.value)}, {"change", o.change}});
  }
  json doc{{"txid", s.txid.hex()}, {"inputs", inputs}, {"outputs", outputs},
           {"fee", units(s.fee)},  {"size", s.size},   {"complete", s.complete}};
  if (s.stake_locked) doc["stake_locked"] = units(*s.stake_locked);
  if (s.stake_released) doc["stake_released"] = units(*s.stake_released);
  return doc;
}

std::string trimmed(const Bytes& bytes) {
  std::string text(bytes.begin(), bytes.end());
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  text.erase(text.begin(), std::find_if_not(text.begin(), text.end(), space));
  text.erase(std::find_if_not(text.rbegin(), text.rend(), space).base(), text.end());
  return text;
}

}  // namespace

int run_send(WalletContext& ctx) {
  auto w = open_spending_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  auto recipients = parse_recipients(ctx, &*w, ctx.o.pairs);
  if (!recipients) return ctx.fail(recipients.error());
  RpcChainSource chain(ctx.client, ctx.net());
  auto funding = own_funding(ctx, *w, chain);
  if (!funding) return ctx.fail(funding.error());
  auto built = wallet::build_payment(*recipients, *funding);
  if (!built) return ctx.fail(built.error());
  return sign_and_send(ctx, *w, chain, *built, funding->fee_rate, "send",
                       built->change_index ? std::optional(wallet::Chain::change) : std::nullopt, "change");
}

int run_bond(WalletContext& ctx) {
  auto key = voting_key(ctx);
  if (!key) return ctx.fail(key.error());
  auto stake = parse_coins(ctx.o.stake, "--stake");
  if (!stake) return ctx.fail(stake.error());
  auto w = open_spending_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  // The owner: --owner, else the wallet's next receive address. When the owner is the
  // wallet's, the bond's change goes to it, so the owner holds a coin whose spending later
  // authorises `unbond` (consensus) without the voting key.
  // A copy: deriving more addresses (top_up) may move the wallet's records.
  std::optional<wallet::AddressRecord> owner_record;
  OutputLock owner;
  if (!ctx.o.owner.empty()) {
    auto lock = parse_address(ctx, ctx.o.owner, "--owner");
    if (!lock) return ctx.fail(lock.error());
    owner = *lock;
    if (const auto* record = w->find_address(ctx.o.owner); record != nullptr && record->public_key) {
      owner_record = *record;
    }
  } else {
    const auto* record = peek_next(*w, wallet::Chain::receive);
    if (record == nullptr)
      return ctx.fail("no unused receive address is derived: pass --owner, or unlock first");
    owner_record = *record;
    owner = key_hash_lock(*record->public_key);
  }
  const bool new_owner_address = ctx.o.owner.empty();
  RpcChainSource chain(ctx.client, ctx.net());
  auto funding = own_funding(ctx, *w, chain);
  if (!funding) return ctx.fail(funding.error());
  if (owner_record) {
    funding->change_lock = owner;
    funding->change_path = address_path(*w, *owner_record);
  }
  auto built = wallet::build_bond(BondBody{*key, owner, *stake}, *funding);
  if (!built) return ctx.fail(built.error());
  (ctx.json ? ctx.err : ctx.out) << "bond: " << format_amount(*stake) << " as the stake of voting key "
                                 << key->hex() << ", returned to " << address_of(ctx.net(), owner) << "\n";
  // What the change went to is marked used once sent: the new owner address, or the next
  // change address.
  std::optional<wallet::Chain> mark;
  if (!owner_record) mark = wallet::Chain::change;
  if (new_owner_address) mark = wallet::Chain::receive;
  return sign_and_send(ctx, *w, chain, *built, funding->fee_rate, "bond", mark,
                       new_owner_address ? "stake owner" : "change");
}

int run_unbond(WalletContext& ctx) {
  auto key = voting_key(ctx);
  if (!key) return ctx.fail(key.error());
  auto w = open_spending_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  auto record = validator_record(ctx, *key);
  if (!record) return ctx.fail(record.error());
  const std::string owner = record->value("owner", "");
  auto owner_lock = parse_address(ctx, owner, "the validator's owner");
  if (!owner_lock) return ctx.fail(owner_lock.error());
  if (w->find_address(owner) == nullptr) {
    return ctx.fail("the stake's owner " + owner + " is not an address of wallet '" + ctx.o.wallet +
                    "': the unbond is authorised by spending one of its coins");
  }
  RpcChainSource chain(ctx.client, ctx.net());
  auto funding = own_funding(ctx, *w, chain);
  if (!funding) return ctx.fail(funding.error());
  auto built = wallet::build_unbond(UnbondBody{*key, std::nullopt}, *owner_lock, *funding);
  if (!built) return ctx.fail(built.error());
  return sign_and_send(ctx, *w, chain, *built, funding->fee_rate, "unbond",
                       built->change_index ? std::optional(wallet::Chain::change) : std::nullopt, "change");
}

int run_withdraw(WalletContext& ctx) {
  auto key = voting_key(ctx);
  if (!key) return ctx.fail(key.error());
  auto w = open_spending_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  auto record = validator_record(ctx, *key);
  if (!record) return ctx.fail(record.error());
  auto owner_lock = parse_address(ctx, record->value("owner", ""), "the validator's owner");
  if (!owner_lock) return ctx.fail(owner_lock.error());
  auto stake = amount_field(*record, "stake");
  if (!stake) return ctx.fail(stake.error());
  if (*stake == 0) return ctx.fail("the validator has no stake to withdraw (slashed, or nothing bonded)");
  RpcChainSource chain(ctx.client, ctx.net());
  auto funding = own_funding(ctx, *w, chain);
  if (!funding) return ctx.fail(funding.error());
  auto built = wallet::build_withdraw(*key, *owner_lock, *stake, *funding);
  if (!built) return ctx.fail(built.error());
  return sign_and_send(ctx, *w, chain, *built, funding->fee_rate, "withdraw",
                       built->change_index ? std::optional(wallet::Chain::change) : std::nullopt, "change");
}

int run_multisig_create(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  std::vector<PublicKey> keys;
  for (const std::string& hex : ctx.o.keys) {
    auto key = wallet::parse_public_key(hex);
    if (!key) return ctx.fail("--key " + hex + ": " + key.error().message);
    keys.push_back(*key);
  }
  auto spec = wallet::make_multisig(ctx.o.threshold, std::move(keys));
  if (!spec) return ctx.fail(spec.error());
  wallet::MultisigSetup setup;
  setup.threshold = spec->threshold;
  setup.keys = spec->keys;
  setup.address = wallet::multisig_address(ctx.net(), *spec);
  setup.lock = wallet::multisig_lock(*spec);
  setup.label = ctx.o.label;
  size_t own = 0;
  for (const PublicKey& key : setup.keys) {
    if (std::any_of(w->addresses().begin(), w->addresses().end(),
                    [&](const wallet::AddressRecord& r) { return r.public_key == key; })) {
      ++own;
    }
  }
  if (w->find_multisig(setup.address) == nullptr) {
    if (auto added = w->add_multisig(setup); !added) return ctx.fail(added.error());
  }
  if (ctx.json) {
    ctx.out << json{{"address", setup.address},
                    {"threshold", setup.threshold},
                    {"keys", setup.keys.size()},
                    {"own_keys", own},
                    {"descriptor", wallet::format_multisig(*spec)}}
                   .dump(2)
            << "\n";
  } else {
    ctx.out << setup.address << "\n";
    ctx.err << setup.threshold << "-of-" << setup.keys.size() << " multisig; this wallet holds " << own
            << " of the keys\n";
  }
  return 0;
}

int run_multisig_key(WalletContext& ctx) {
  auto w = open_spending_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  Result<wallet::AddressRecord> record = Error{ErrorCode::not_found, ""};
  if (w->needs_keys(wallet::Chain::receive)) {
    auto keys = wallet_keys(ctx, *w);
    if (!keys) return ctx.fail(keys.error());
    record = w->next_address(wallet::Chain::receive, "multisig key", &*keys);
  } else {
    record = w->next_address(wallet::Chain::receive, "multisig key");
  }
  if (!record) return ctx.fail(record.error());
  const std::string path =
      wallet::derivation_path_string(w->network(), w->data().account, record->chain, record->index);
  if (ctx.json) {
    ctx.out << json{{"public_key", record->public_key->hex()}, {"path", path}, {"address", record->address}}
                   .dump(2)
            << "\n";
  } else {
    ctx.out << record->public_key->hex() << "\n";
    ctx.err << "(" << path << "; give this key to the co-signers for `cairn wallet multisig create`)\n";
  }
  return 0;
}

int run_multisig_list(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  json docs = json::array();
  for (const auto& m : w->multisig()) {
    json keys = json::array();
    for (const auto& k : m.keys) keys.push_back(k.hex());
    docs.push_back({{"address", m.address}, {"threshold", m.threshold}, {"keys", keys}, {"label", m.label}});
  }
  if (ctx.json) {
    ctx.out << docs.dump(2) << "\n";
    return 0;
  }
  if (docs.empty()) ctx.out << "no multisig setups\n";
  for (const auto& m : w->multisig()) {
    ctx.out << m.address << "  " << m.threshold << "-of-" << m.keys.size()
            << (m.label.empty() ? "" : "  " + m.label) << "\n";
  }
  return 0;
}

int run_pst_create(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  auto recipients = parse_recipients(ctx, &*w, ctx.o.pairs);
  if (!recipients) return ctx.fail(recipients.error());
  RpcChainSource chain(ctx.client, ctx.net());
  wallet::Funding funding;
  bool own = ctx.o.from.empty();
  if (!own) {
    auto rate = fee_rate(ctx, chain);
    if (!rate) return ctx.fail(rate.error());
    funding.fee_rate = *rate;
    const wallet::MultisigSetup* setup = w->find_multisig(ctx.o.from);
    if (setup == nullptr) {
      return ctx.fail("--from " + ctx.o.from + " is not a multisig address of wallet '" + ctx.o.wallet +
                      "' (add it with `cairn wallet multisig create`)");
    }
    auto utxos = chain.utxos(setup->address);
    if (!utxos) return ctx.fail(utxos.error());
    std::map<PublicKey, wallet::KeyPath> paths;
    for (const auto& r : w->addresses()) {
      if (r.public_key &&
          std::find(setup->keys.begin(), setup->keys.end(), *r.public_key) != setup->keys.end()) {
        paths[*r.public_key] = address_path(*w, r);
      }
    }
    const auto pending = w->pending_outpoints();
    for (const auto& utxo : *utxos) {
      if (pending.contains(utxo.outpoint)) continue;
      funding.coins.push_back(wallet::SpendableCoin{utxo, setup->lock, paths});
    }
    funding.change_lock = lock_hash_lock(setup->lock);
    funding.rng = &ctx.rng;
  } else {
    auto own_funds = own_funding(ctx, *w, chain);
    if (!own_funds) return ctx.fail(own_funds.error());
    funding = std::move(*own_funds);
  }
  auto built = wallet::build_payment(*recipients, funding);
  if (!built) return ctx.fail(built.error());
  auto pst = wallet::create_pst(*built, genesis_hash(ctx.net()));
  if (!pst) return ctx.fail(pst.error());
  if (auto written = write_pst(ctx, ctx.o.out, *pst); !written) return ctx.fail(written.error());
  if (own && built->change_index) {
    if (auto marked = w->next_address(wallet::Chain::change, "change"); !marked) {
      ctx.err << "cairn: " << ctx.command << ": marking the change address: " << marked.error().message
              << "\n";
    }
  }
  std::ostream& shown = ctx.json || ctx.o.out == "-" ? ctx.err : ctx.out;
  shown << describe(ctx, *built, funding.fee_rate, "partially signed transaction");
  // With --out - the PST itself is the output on stdout; JSON would corrupt it.
  if (ctx.json && ctx.o.out != "-") {
    json doc = built_json(ctx, *built, funding.fee_rate);
    doc["txid"] = txid(built->tx).hex();
    doc["out"] = ctx.o.out;
    ctx.out << doc.dump(2) << "\n";
  }
  return 0;
}

int run_pst_sign(WalletContext& ctx) {
  auto pst = read_pst_file(ctx.o.file);
  if (!pst) return ctx.fail(pst.error());
  auto w = open_spending_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  auto keys = wallet_keys(ctx, *w);
  if (!keys) return ctx.fail(keys.error());
  WalletSigner signer(*w, *keys);
  auto added = wallet::sign_pst(*pst, signer, genesis_hash(ctx.net()));
  if (!added) return ctx.fail(added.error());
  if (*added == 0) {
    return ctx.fail("wallet '" + ctx.o.wallet +
                    "' holds none of the keys that still have to sign (nothing written)");
  }
  const std::string out = ctx.o.out.empty() ? ctx.o.file : ctx.o.out;
  if (auto written = write_pst(ctx, out, *pst); !written) return ctx.fail(written.error());
  std::ostream& shown = ctx.json || out == "-" ? ctx.err : ctx.out;
  shown << "added " << *added << " signature" << (*added == 1 ? "" : "s") << "\n" << status_text(*pst);
  if (ctx.json && out != "-") {
    ctx.out << json{{"added", *added}, {"complete", all_inputs_complete(*pst)}, {"out", out}}.dump(2) << "\n";
  }
  return 0;
}

int run_pst_combine(WalletContext& ctx) {
  std::vector<wallet::Pst> psts;
  for (const std::string& file : ctx.o.files) {
    auto pst = read_pst_file(file);
    if (!pst) return ctx.fail(pst.error());
    psts.push_back(std::move(*pst));
  }
  auto combined = wallet::combine_psts(psts);
  if (!combined) return ctx.fail(combined.error());
  if (auto written = write_pst(ctx, ctx.o.out, *combined); !written) return ctx.fail(written.error());
  std::ostream& shown = ctx.json || ctx.o.out == "-" ? ctx.err : ctx.out;
  shown << "combined " << psts.size() << " PSTs\n" << status_text(*combined);
  if (ctx.json && ctx.o.out != "-") {
    ctx.out << json{{"combined", psts.size()},
                    {"complete", all_inputs_complete(*combined)},
                    {"out", ctx.o.out}}
                   .dump(2)
            << "\n";
  }
  return 0;
}

int run_pst_finalize(WalletContext& ctx) {
  auto pst = read_pst_file(ctx.o.file);
  if (!pst) return ctx.fail(pst.error());
  if (pst->genesis != genesis_hash(ctx.net())) {
    return ctx.fail("the PST is for another network than " + std::string(network_name(ctx.net())));
  }
  auto tx = wallet::finalize_pst(*pst);
  if (!tx) return ctx.fail(tx.error());
  const Status written = write_output(ctx, ctx.o.out, to_hex(encode(*tx)) + "\n");
  if (!written) return ctx.fail("--out: " + written.error().message);
  if (ctx.json && ctx.o.out != "-") {
    ctx.out << json{{"txid", txid(*tx).hex()}, {"out", ctx.o.out}}.dump(2) << "\n";
  } else if (ctx.o.out != "-") {
    ctx.out << "finalized " << txid(*tx).hex() << " into " << ctx.o.out
            << " (send it with `pst broadcast`)\n";
  }
  return 0;
}

int run_pst_broadcast(WalletContext& ctx) {
  auto bytes = read_input(ctx.o.file, 2 * wallet::kMaxPstBytes);
  if (!bytes) return ctx.fail(bytes.error());
  std::optional<Transaction> tx;
  if (auto pst = wallet::read_pst(*bytes); pst) {
    if (pst->genesis != genesis_hash(ctx.net())) {
      return ctx.fail("the PST is for another network than " + std::string(network_name(ctx.net())));
    }
    auto finalized = wallet::finalize_pst(*pst);
    if (!finalized) return ctx.fail(finalized.error());
    tx = std::move(*finalized);
  } else {
    auto raw = from_hex(trimmed(*bytes));
    if (!raw)
      return ctx.fail("'" + ctx.o.file +
                      "' is neither a PST nor a transaction's hex: " + pst.error().message);
    auto decoded = decode_transaction(*raw);
    if (!decoded)
      return ctx.fail("'" + ctx.o.file + "': the hex is not a transaction: " + decoded.error().message);
    tx = std::move(*decoded);
  }
  RpcChainSource chain(ctx.client, ctx.net());
  auto id = chain.broadcast(*tx);
  if (!id) return ctx.fail(id.error());
  if (ctx.json) {
    ctx.out << json{{"txid", id->hex()}}.dump(2) << "\n";
  } else {
    ctx.out << "sent: " << id->hex() << "\n";
  }
  return 0;
}

int run_pst_show(WalletContext& ctx) {
  auto pst = read_pst_file(ctx.o.file);
  if (!pst) return ctx.fail(pst.error());
  auto summary = wallet::summarize_pst(*pst, ctx.net());
  if (!summary) return ctx.fail(summary.error());
  if (ctx.json) {
    ctx.out << summary_json(*summary).dump(2) << "\n";
  } else {
    ctx.out << wallet::format_pst_summary(*summary);
  }
  return 0;
}

}  // namespace cairn::app
