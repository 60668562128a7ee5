#include "primitives/transaction.h"

#include <string>

#include "primitives/contract.h"
#include "primitives/staking.h"

namespace cairn {
namespace {

// Everything but the witnesses: the txid's preimage and a prefix of the full encoding.
void encode_prefix(Writer& w, const Transaction& tx) {
  w.u32(tx.version);
  w.varint(tx.inputs.size());
  for (const auto& in : tx.inputs) encode(w, in.prevout);
  w.varint(tx.outputs.size());
  for (const auto& out : tx.outputs) encode(w, out);
  encode(w, tx.payload);
  w.u64(tx.lock_time);
}

CoinbaseBody read_coinbase_body(Reader& r) {
  CoinbaseBody body;
  body.height = r.u64("height");
  body.extra = r.bytes("extra", kMaxCoinbaseExtraBytes);
  return body;
}

template <class Body>
void check_body(Reader& r, const Result<Body>& body) {
  if (!body) r.fail(body.error().code, "body", body.error().message);
}

// The body of each kind must itself decode strictly, so a payload has one encoding.
void check_payload_body(Reader& r, const Payload& p) {
  switch (p.kind) {
    case PayloadKind::none:
      if (!p.body.empty()) r.fail(ErrorCode::decode, "body", "must be empty for payload kind none");
      return;
    case PayloadKind::coinbase:
      return check_body(r, decode_coinbase_body(p.body));
    case PayloadKind::bond:
      return check_body(r, decode_bond_body(p.body));
    case PayloadKind::unbond:
      return check_body(r, decode_unbond_body(p.body));
    case PayloadKind::withdraw:
      return check_body(r, decode_withdraw_body(p.body));
    case PayloadKind::slash:
      return check_body(r, decode_slash_body(p.body));
    case PayloadKind::deploy:
      return check_body(r, decode_deploy_body(p.body));
    case PayloadKind::call:
      return check_body(r, decode_call_body(p.body));
    case PayloadKind::upgrade:
      return check_body(r, decode_upgrade_body(p.body));
  }
}

}  // namespace

void encode(Writer& w, const OutPoint& o) {
  w.raw(o.txid);
  w.u32(o.index);
}

void encode(Writer& w, const TxOut& o) {
  w.u64(o.value);
  encode(w, o.lock);
}

void encode(Writer& w, const Payload& p) {
  w.u8(static_cast<uint8_t>(p.kind));
  w.bytes(p.body);
}

void encode(Writer& w, const Transaction& tx) {
  encode_prefix(w, tx);
  for (const auto& in : tx.inputs) encode(w, in.witness);
}

Bytes encode(const Transaction& tx) {
  Writer w;
  encode(w, tx);
  return w.take();
}

Bytes encode_without_witnesses(const Transaction& tx) {
  Writer w;
  encode_prefix(w, tx);
  return w.take();
}

OutPoint decode_outpoint(Reader& r) {
  OutPoint o;
  o.txid = r.fixed<32>("txid");
  o.index = r.u32("index");
  return o;
}

TxOut decode_txout(Reader& r) {
  TxOut o;
  o.value = r.u64("value");
  auto scope = r.scope("lock");
  o.lock = decode_output_lock(r);
  return o;
}

Payload decode_payload(Reader& r) {
  Payload p;
  const uint8_t kind = r.u8("kind");
  if (r.ok() && kind > kMaxPayloadKind) {
    r.fail(ErrorCode::decode, "kind", "unknown payload kind " + std::to_string(kind));
    return p;
  }
  p.kind = static_cast<PayloadKind>(kind);
  p.body = r.bytes("body", kMaxPayloadBytes);
  if (r.ok()) check_payload_body(r, p);
  return p;
}

Transaction decode_transaction(Reader& r) {
  Transaction tx;
  tx.version = r.u32("version");
  if (r.ok() && tx.version != kTxVersion) {
    r.fail(ErrorCode::decode, "version", "unknown transaction version " + std::to_string(tx.version));
    return tx;
  }
  // Loops stop at the first error: a hostile count must not cost a pass over empty elements.
  const size_t n_inputs = r.count("inputs", kMaxTxInputs);
  for (size_t i = 0; i < n_inputs && r.ok(); ++i) {
    auto scope = r.scope("inputs", static_cast<int64_t>(i));
    auto prevout = r.scope("prevout");
    tx.inputs.push_back(TxIn{decode_outpoint(r), {}});
  }
  const size_t n_outputs = r.count("outputs", kMaxTxOutputs);
  for (size_t i = 0; i < n_outputs && r.ok(); ++i) {
    auto scope = r.scope("outputs", static_cast<int64_t>(i));
    tx.outputs.push_back(decode_txout(r));
  }
  {
    auto scope = r.scope("payload");
    tx.payload = decode_payload(r);
  }
  tx.lock_time = r.u64("lock_time");
  for (size_t i = 0; i < tx.inputs.size() && r.ok(); ++i) {
    auto scope = r.scope("witnesses", static_cast<int64_t>(i));
    tx.inputs[i].witness = decode_witness(r);
  }
  return tx;
}

Result<Transaction> decode_transaction(ByteSpan bytes) {
  Reader r(bytes);
  Transaction tx = decode_transaction(r);
  return r.finish(std::move(tx));
}

Bytes encode_coinbase_body(const CoinbaseBody& body) {
  Writer w;
  w.u64(body.height);
  w.bytes(body.extra);
  return w.take();
}

Result<CoinbaseBody> decode_coinbase_body(ByteSpan bytes) {
  Reader r(bytes);
  CoinbaseBody body = read_coinbase_body(r);
  return r.finish(std::move(body));
}

Txid txid(const Transaction& tx) { return hash(HashContext::txid, encode_without_witnesses(tx)); }

Hash256 wtxid(const Transaction& tx) { return hash(HashContext::wtxid, encode(tx)); }

}  // namespace cairn
