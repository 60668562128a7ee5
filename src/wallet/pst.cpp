#include "wallet/pst.h"

#include <algorithm>
#include <array>

#include "chain/fee_rate.h"
#include "consensus/lock_eval.h"
#include "primitives/address.h"
#include "primitives/sighash.h"
#include "primitives/staking.h"
#include "util/codec.h"

namespace cairn::wallet {
namespace {

constexpr auto kSighashAll = static_cast<uint8_t>(SighashType::all);
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// Base64 of kMaxPstBytes.
constexpr size_t kMaxPstTextBytes = (kMaxPstBytes + 2) / 3 * 4;

Error invalid(std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; }
std::string input_name(size_t i) { return "input " + std::to_string(i); }

std::string base64_encode(ByteSpan in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    const size_t n = std::min<size_t>(3, in.size() - i);
    uint32_t v = static_cast<uint32_t>(in[i]) << 16;
    if (n > 1) v |= static_cast<uint32_t>(in[i + 1]) << 8;
    if (n > 2) v |= in[i + 2];
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += n > 1 ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out += n > 2 ? kBase64Alphabet[v & 63] : '=';
  }
  return out;
}

// Strict RFC 4648 base64 with padding: whole quanta, padding only at the end, and the
// unused bits of the last symbol zero (so each byte string has one text form).
Result<Bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return Error{ErrorCode::decode, "base64: length is not a multiple of 4"};
  std::array<int, 256> value{};
  value.fill(-1);
  for (size_t i = 0; i < kBase64Alphabet.size(); ++i)
    value[static_cast<uint8_t>(kBase64Alphabet[i])] = static_cast<int>(i);
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    size_t padding = 0;
    if (last && text[i + 3] == '=') padding = text[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      int d = 0;
      if (j < 4 - padding) {
        d = value[static_cast<uint8_t>(c)];
        if (d < 0)
          return Error{ErrorCode::decode, "base64: invalid character at offset " + std::to_string(i + j)};
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    if ((padding == 1 && (v & 0xff) != 0) || (padding == 2 && (v & 0xffff) != 0)) {
      return Error{ErrorCode::decode, "base64: non-zero bits after the last byte"};
    }
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (padding < 2) out.push_back(static_cast<uint8_t>(v >> 8));
    if (padding < 1) out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

void encode_path(Writer& w, const KeyPath& path) {
  w.varint(path.size());
  for (uint32_t element : path) w.u32(element);
}

KeyPath decode_path(Reader& r) {
  KeyPath path(r.count("path", kMaxKeyPathDepth));
  for (auto& element : path) element = r.u32("path element");
  return path;
}

// The keys that may sign input `in`: the revealed lock's keys, or the key of a key hash
// (known, or else none).
std::vector<PublicKey> signing_keys(const PstInput& in) {
  if (in.lock) return in.lock->root.keys;
  if (in.key) return {*in.key};
  return {};
}

bool is_signing_key(const PstInput& in, const PublicKey& key) {
  if (in.lock)
    return std::find(in.lock->root.keys.begin(), in.lock->root.keys.end(), key) != in.lock->root.keys.end();
  return in.spent.lock == key_hash_lock(key);
}

size_t required_signatures(const PstInput& in) {
  return in.lock && in.lock->root.tag == LockTag::multi ? in.lock->root.threshold : 1;
}

// The spend of input `in` as the builder describes it (a key hash with an unknown key is
// sized like any key spend).
std::variant<PublicKey, Lock> spend_of(const PstInput& in) {
  if (in.lock) return *in.lock;
  return in.key.value_or(PublicKey{});
}

// The semantic rules of one decoded input (the codec checked the bytes).
void check_input(Reader& r, const PstInput& in) {
  if (!r.ok()) return;
  if (!money_range(in.spent.value)) return r.fail(ErrorCode::decode, "spent.value", "out of the money range");
  if (in.spent.lock.kind == OutputLockKind::lock_hash) {
    if (!in.lock) return r.fail(ErrorCode::decode, "lock", "a lock-hash input must reveal its lock");
    if (in.key) return r.fail(ErrorCode::decode, "key", "only key-hash inputs carry a key");
    if (lock_hash_lock(*in.lock) != in.spent.lock) {
      return r.fail(ErrorCode::decode, "lock", "does not hash to the spent output's lock");
    }
    if (in.lock->root.tag != LockTag::key && in.lock->root.tag != LockTag::multi) {
      return r.fail(ErrorCode::decode, "lock", "only single-key and multisig locks are supported");
    }
    if (const LockError e = check_lock(*in.lock); e != LockError::ok) {
      return r.fail(ErrorCode::decode, "lock", std::string("invalid: ") + to_string(e));
    }
  } else {
    if (in.lock) return r.fail(ErrorCode::decode, "lock", "only lock-hash inputs reveal a lock");
    if (in.key && key_hash_lock(*in.key) != in.spent.lock) {
      return r.fail(ErrorCode::decode, "key", "does not hash to the spent output's lock");
    }
  }
  for (const auto& [key, path] : in.paths) {
    if (!is_signing_key(in, key))
      return r.fail(ErrorCode::decode, "paths", "a key that cannot sign this input");
  }
  for (const auto& [key, sig] : in.signatures) {
    if (!is_signing_key(in, key))
      return r.fail(ErrorCode::decode, "signatures", "a key that cannot sign this input");
  }
}

PstInput decode_input(Reader& r) {
  PstInput in;
  in.spent = decode_txout(r);
  const uint8_t has_lock = r.u8("has_lock");
  if (has_lock > 1) r.fail(ErrorCode::decode, "has_lock", "must be 0 or 1");
  if (has_lock == 1) in.lock = decode_lock(r);
  const uint8_t has_key = r.u8("has_key");
  if (has_key > 1) r.fail(ErrorCode::decode, "has_key", "must be 0 or 1");
  if (has_key == 1) in.key = r.fixed<32>("key");
  const size_t paths = r.count("paths", kMaxMultisigKeys);
  for (size_t i = 0; i < paths && r.ok(); ++i) {
    auto guard = r.scope("paths", static_cast<int64_t>(i));
    const PublicKey key = r.fixed<32>("key");
    KeyPath path = decode_path(r);
    if (r.ok() && !in.paths.empty() && !(in.paths.rbegin()->first < key)) {
      r.fail(ErrorCode::decode, "key", "keys not strictly increasing");
    }
    in.paths.emplace(key, std::move(path));
  }
  const size_t signatures = r.count("signatures", kMaxMultisigKeys);
  for (size_t i = 0; i < signatures && r.ok(); ++i) {
    auto guard = r.scope("signatures", static_cast<int64_t>(i));
    const PublicKey key = r.fixed<32>("key");
    const TypedSignature sig = decode_typed_signature(r);
    if (r.ok() && !in.signatures.empty() && !(in.signatures.rbegin()->first < key)) {
      r.fail(ErrorCode::decode, "key", "keys not strictly increasing");
    }
    in.signatures.emplace(key, sig);
  }
  check_input(r, in);
  return in;
}

// Every signature present verifies over its input's signature hash.
Status verify_signatures(const Pst& pst) {
  std::vector<TxOut> spent;
  for (const auto& in : pst.inputs) spent.push_back(in.spent);
  CAIRN_TRY(const SighashDigests digests, compute_sighash_digests(pst.tx, spent));
  for (uint32_t i = 0; i < pst.inputs.size(); ++i) {
    if (pst.inputs[i].signatures.empty()) continue;
    CAIRN_TRY(const Hash256 message, signature_hash(pst.tx, digests, i, kSighashAll, pst.genesis));
    for (const auto& [key, sig] : pst.inputs[i].signatures) {
      if (sig.type != kSighashAll || !verify(key, message, sig.signature)) {
        return Error{ErrorCode::verify,
                     input_name(i) + ": the signature by key " + key.hex() + " does not verify"};
      }
    }
  }
  return {};
}

template <class Map>
Status merge_into(Map& into, const Map& from, const std::string& what) {
  for (const auto& [key, value] : from) {
    auto [it, inserted] = into.emplace(key, value);
    if (!inserted && !(it->second == value)) return invalid(what + " by key " + key.hex() + " conflict");
  }
  return {};
}

}  // namespace

Bytes encode_pst(const Pst& pst) {
  Writer w;
  w.raw(as_bytes(kPstMagic));
  w.u8(kPstVersion);
  w.raw(pst.genesis);
  encode(w, pst.tx);
  for (const auto& in : pst.inputs) {
    encode(w, in.spent);
    w.u8(in.lock ? 1 : 0);
    if (in.lock) encode(w, *in.lock);
    w.u8(in.key ? 1 : 0);
    if (in.key) w.raw(*in.key);
    w.varint(in.paths.size());
    for (const auto& [key, path] : in.paths) {
      w.raw(key);
      encode_path(w, path);
    }
    w.varint(in.signatures.size());
    for (const auto& [key, sig] : in.signatures) {
      w.raw(key);
      encode(w, sig);
    }
  }
  for (const auto& out : pst.outputs) {
    w.u8(out.path ? 1 : 0);
    if (out.path) encode_path(w, *out.path);
  }
  return w.take();
}

Result<Pst> decode_pst(ByteSpan bytes) {
  if (bytes.size() > kMaxPstBytes) {
    return Error{ErrorCode::limit, "a partially signed transaction is at most " +
                                       std::to_string(kMaxPstBytes) + " bytes, got " +
                                       std::to_string(bytes.size())};
  }
  Reader r(bytes);
  const ByteSpan magic = r.take("magic", kPstMagic.size());
  if (r.ok() && !std::equal(magic.begin(), magic.end(), as_bytes(kPstMagic).begin())) {
    r.fail(ErrorCode::decode, "magic", "not a partially signed transaction (no CAIRNPST magic)");
  }
  const uint8_t version = r.u8("version");
  if (r.ok() && version != kPstVersion) {
    r.fail(ErrorCode::decode, "version", "unknown version " + std::to_string(version));
  }
  Pst pst;
  pst.genesis = r.fixed<32>("genesis");
  {
    auto guard = r.scope("transaction");
    pst.tx = decode_transaction(r);
  }
  if (r.ok()) {
    if (pst.tx.is_coinbase()) r.fail(ErrorCode::decode, "transaction", "a coinbase cannot be signed");
    for (const auto& in : pst.tx.inputs) {
      if (r.ok() && !std::holds_alternative<std::monostate>(in.witness)) {
        r.fail(ErrorCode::decode, "transaction",
               "witnesses must be empty (signatures go in the input records)");
      }
    }
  }
  for (size_t i = 0; i < pst.tx.inputs.size() && r.ok(); ++i) {
    auto guard = r.scope("inputs", static_cast<int64_t>(i));
    pst.inputs.push_back(decode_input(r));
  }
  for (size_t i = 0; i < pst.tx.outputs.size() && r.ok(); ++i) {
    auto guard = r.scope("outputs", static_cast<int64_t>(i));
    PstOutput out;
    const uint8_t has_path = r.u8("has_path");
    if (has_path > 1) r.fail(ErrorCode::decode, "has_path", "must be 0 or 1");
    if (has_path == 1) out.path = decode_path(r);
    pst.outputs.push_back(std::move(out));
  }
  return r.finish(std::move(pst));
}

std::string encode_pst_base64(const Pst& pst) { return base64_encode(encode_pst(pst)); }

Result<Pst> decode_pst_base64(std::string_view text) {
  if (text.size() > kMaxPstTextBytes) {
    return Error{ErrorCode::limit, "a partially signed transaction is at most " +
                                       std::to_string(kMaxPstTextBytes) + " base64 characters"};
  }
  CAIRN_TRY(Bytes bytes, base64_decode(text));
  return decode_pst(bytes);
}

Result<Pst> read_pst(ByteSpan contents) {
  if (contents.size() >= kPstMagic.size() &&
      std::equal(kPstMagic.begin(), kPstMagic.end(), contents.begin(),
                 [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; })) {
    return decode_pst(contents);
  }
  std::string_view text(reinterpret_cast<const char*>(contents.data()), contents.size());
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return decode_pst_base64(text);
}

Result<Pst> create_pst(const BuiltTx& built, const Hash256& genesis) {
  if (built.inputs.size() != built.tx.inputs.size())
    return invalid("the transaction and its coins differ in count");
  Pst pst;
  pst.genesis = genesis;
  pst.tx = built.tx;
  for (auto& in : pst.tx.inputs) in.witness = std::monostate{};
  for (const auto& coin : built.inputs) {
    PstInput in;
    in.spent = coin.utxo.output;
    if (const auto* key = std::get_if<PublicKey>(&coin.spend)) {
      in.key = *key;
    } else {
      in.lock = std::get<Lock>(coin.spend);
    }
    for (const auto& [key, path] : coin.paths) {
      if (is_signing_key(in, key)) in.paths.emplace(key, path);
    }
    pst.inputs.push_back(std::move(in));
  }
  pst.outputs.resize(pst.tx.outputs.size());
  if (built.change_index && built.change_path && *built.change_index < pst.outputs.size()) {
    pst.outputs[*built.change_index].path = built.change_path;
  }
  // What we hand out must be what every reader accepts.
  CAIRN_TRY(Pst checked, decode_pst(encode_pst(pst)));
  return checked;
}

Result<size_t> sign_pst(Pst& pst, Signer& signer, const Hash256& genesis) {
  if (pst.genesis != genesis) {
    return invalid("the partially signed transaction is for another network (genesis " + pst.genesis.hex() +
                   ")");
  }
  std::vector<TxOut> spent;
  for (const auto& in : pst.inputs) spent.push_back(in.spent);
  CAIRN_TRY(const SighashDigests digests, compute_sighash_digests(pst.tx, spent));
  size_t added = 0;
  for (uint32_t i = 0; i < pst.inputs.size(); ++i) {
    PstInput& in = pst.inputs[i];
    CAIRN_TRY(const Hash256 message, signature_hash(pst.tx, digests, i, kSighashAll, pst.genesis));
    for (const auto& key : signing_keys(in)) {
      if (in.signatures.contains(key)) continue;
      if (auto sig = signer.sign(key, message)) {
        in.signatures.emplace(key, TypedSignature{*sig, kSighashAll});
        ++added;
      }
    }
  }
  return added;
}

Result<Pst> combine_psts(std::span<const Pst> psts) {
  if (psts.empty()) return invalid("nothing to combine");
  Pst out = psts.front();
  for (size_t n = 1; n < psts.size(); ++n) {
    const Pst& other = psts[n];
    if (other.genesis != out.genesis)
      return invalid("the partially signed transactions are for different networks");
    if (other.tx != out.tx) {
      return invalid("the partially signed transactions are of different transactions (" +
                     txid(out.tx).hex() + " and " + txid(other.tx).hex() + ")");
    }
    for (size_t i = 0; i < out.inputs.size(); ++i) {
      PstInput& into = out.inputs[i];
      const PstInput& from = other.inputs[i];
      if (into.spent != from.spent || into.lock != from.lock) {
        return invalid(input_name(i) + ": the spent outputs differ");
      }
      if (!into.key) into.key = from.key;
      if (from.key && into.key != from.key) return invalid(input_name(i) + ": the keys differ");
      CAIRN_TRY_STATUS(merge_into(into.paths, from.paths, input_name(i) + ": derivation paths"));
      CAIRN_TRY_STATUS(merge_into(into.signatures, from.signatures, input_name(i) + ": signatures"));
    }
    for (size_t i = 0; i < out.outputs.size(); ++i) {
      auto& into = out.outputs[i].path;
      const auto& from = other.outputs[i].path;
      if (!into) into = from;
      if (from && into != from)
        return invalid("output " + std::to_string(i) + ": the derivation paths conflict");
    }
  }
  CAIRN_TRY_STATUS(verify_signatures(out));
  return out;
}

std::vector<PstInputStatus> pst_input_status(const Pst& pst) {
  std::vector<PstInputStatus> out;
  for (const auto& in : pst.inputs) {
    PstInputStatus s;
    s.present = in.signatures.size();
    s.required = required_signatures(in);
    s.keys = in.lock ? in.lock->root.keys.size() : 1;
    out.push_back(s);
  }
  return out;
}

Result<Transaction> finalize_pst(const Pst& pst) {
  CAIRN_TRY_STATUS(verify_signatures(pst));
  Transaction tx = pst.tx;
  std::string missing;
  for (size_t i = 0; i < pst.inputs.size(); ++i) {
    const PstInput& in = pst.inputs[i];
    if (!in.lock && !in.key) {
      if (!missing.empty()) missing += "; ";
      missing += input_name(i) + ": the public key is unknown, so it cannot be signed";
      continue;
    }
    auto witness = assemble_witness(spend_of(in), in.signatures);
    if (!witness) {
      if (!missing.empty()) missing += "; ";
      missing += input_name(i) + ": " + witness.error().message;
      continue;
    }
    tx.inputs[i].witness = std::move(*witness);
  }
  if (!missing.empty()) return invalid("not ready to finalize: " + missing);
  std::vector<TxOut> spent;
  for (const auto& in : pst.inputs) spent.push_back(in.spent);
  CAIRN_TRY_STATUS(verify_signed(tx, spent, pst.genesis));
  return tx;
}

Result<PstSummary> summarize_pst(const Pst& pst, Network net) {
  PstSummary s;
  s.txid = txid(pst.tx);
  s.payload = pst.tx.payload.kind;
  const std::vector<PstInputStatus> status = pst_input_status(pst);
  std::vector<Amount> in_values;
  Transaction sized = pst.tx;
  s.complete = true;
  for (size_t i = 0; i < pst.inputs.size(); ++i) {
    const PstInput& in = pst.inputs[i];
    s.inputs.push_back(
        {pst.tx.inputs[i].prevout, in.spent.value, encode_address(net, in.spent.lock), status[i]});
    in_values.push_back(in.spent.value);
    s.complete = s.complete && status[i].complete();
    // Placeholder signatures by the first M keys: the finalized size.
    std::map<PublicKey, TypedSignature> placeholders;
    const std::vector<PublicKey> keys =
        in.lock ? in.lock->root.keys : std::vector<PublicKey>{in.key.value_or(PublicKey{})};
    for (size_t k = 0; k < required_signatures(in) && k < keys.size(); ++k)
      placeholders.emplace(keys[k], TypedSignature{});
    if (auto witness = assemble_witness(spend_of(in), placeholders))
      sized.inputs[i].witness = std::move(*witness);
  }
  s.size = encode(sized).size();
  std::vector<Amount> out_values;
  for (size_t i = 0; i < pst.tx.outputs.size(); ++i) {
    const TxOut& out = pst.tx.outputs[i];
    s.outputs.push_back({encode_address(net, out.lock), out.value, pst.outputs[i].path.has_value()});
    out_values.push_back(out.value);
  }
  if (s.payload == kBondPayload) {
    CAIRN_TRY(const BondBody body, decode_bond_body(pst.tx.payload.body));
    s.stake_locked = body.amount;
    out_values.push_back(body.amount);
  } else if (s.payload == kWithdrawPayload && !pst.tx.outputs.empty()) {
    s.stake_released = pst.tx.outputs[0].value;
    in_values.push_back(pst.tx.outputs[0].value);
  }
  const auto in_sum = checked_sum(in_values);
  const auto out_sum = checked_sum(out_values);
  if (!in_sum || !out_sum) return invalid("amounts leave the money range");
  if (*in_sum < *out_sum) return invalid("the outputs exceed the inputs");
  s.fee = *in_sum - *out_sum;
  return s;
}

std::string format_pst_summary(const PstSummary& s) {
  std::string out = "transaction " + s.txid.hex() + "\n";
  if (s.stake_locked) out += "bond: locks " + format_amount(*s.stake_locked) + " as stake\n";
  if (s.payload == kUnbondPayload) out += "unbond: starts a validator's exit\n";
  if (s.stake_released) out += "withdraw: releases " + format_amount(*s.stake_released) + " of stake\n";
  out += "inputs (" + std::to_string(s.inputs.size()) + "):\n";
  for (size_t i = 0; i < s.inputs.size(); ++i) {
    const auto& in = s.inputs[i];
    out += "  " + std::to_string(i) + ": " + format_amount(in.value) + " from " + in.address + " (" +
           in.prevout.txid.hex() + ":" + std::to_string(in.prevout.index) + "), signatures " +
           std::to_string(in.status.present) + " of " + std::to_string(in.status.required);
    if (in.status.keys > 1) {
      out +=
          " (" + std::to_string(in.status.required) + "-of-" + std::to_string(in.status.keys) + " multisig)";
    }
    out += in.status.complete() ? ", complete\n" : ", incomplete\n";
  }
  out += "outputs (" + std::to_string(s.outputs.size()) + "):\n";
  for (size_t i = 0; i < s.outputs.size(); ++i) {
    out += "  " + std::to_string(i) + ": " + format_amount(s.outputs[i].value) + " to " +
           s.outputs[i].address + (s.outputs[i].change ? " (change)\n" : "\n");
  }
  out += "fee " + format_amount(s.fee) + " for " + std::to_string(s.size) + " bytes\n";
  out += s.complete ? "ready to finalize\n" : "needs more signatures\n";
  return out;
}

}  // namespace cairn::wallet
