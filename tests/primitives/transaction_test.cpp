#include "primitives/transaction.h"

#include <gtest/gtest.h>

#include "primitives/samples.h"

namespace cairn {
namespace {

using test::concat;
using test::decode_one;
using test::encode_one;
using test::expect_decode_error;
using test::expect_strict_framing;
using test::filled;
using test::sample_coinbase;
using test::sample_transaction;

Result<Transaction> decode_tx(ByteSpan b) { return decode_transaction(b); }
Result<OutPoint> decode_outpoint_bytes(ByteSpan b) {
  return decode_one(b, [](Reader& r) { return decode_outpoint(r); });
}
Result<TxOut> decode_txout_bytes(ByteSpan b) {
  return decode_one(b, [](Reader& r) { return decode_txout(r); });
}
Result<Payload> decode_payload_bytes(ByteSpan b) {
  return decode_one(b, [](Reader& r) { return decode_payload(r); });
}

// A transaction with `inputs` unsigned inputs and `outputs` outputs.
Transaction sized_transaction(size_t inputs, size_t outputs) {
  Transaction tx;
  for (size_t i = 0; i < inputs; ++i) tx.inputs.push_back({{filled<32>(1), static_cast<uint32_t>(i)}, {}});
  for (size_t i = 0; i < outputs; ++i) tx.outputs.push_back({i, test::sample_output_lock(2)});
  return tx;
}

// ---- OutPoint, TxOut, Payload ----

TEST(OutPoint, RoundTripsIn36Bytes) {
  const OutPoint o{filled<32>(5), 0x01020304};
  const Bytes bytes = encode_one(o);
  EXPECT_EQ(bytes, concat({o.txid, Bytes{0x04, 0x03, 0x02, 0x01}}));
  EXPECT_EQ(test::ok(decode_outpoint_bytes(bytes)), o);
  expect_strict_framing(bytes, decode_outpoint_bytes);
}

TEST(TxOut, RoundTripsIn41Bytes) {
  const TxOut o{kMaxMoney, {OutputLockKind::lock_hash, filled<32>(6)}};
  const Bytes bytes = encode_one(o);
  ASSERT_EQ(bytes.size(), 41u);
  EXPECT_EQ(test::ok(decode_txout_bytes(bytes)), o);
  expect_strict_framing(bytes, decode_txout_bytes);
}

TEST(TxOut, UnknownLockKindNamesTheField) {
  Bytes bytes = encode_one(TxOut{1, test::sample_output_lock(1)});
  bytes[8] = 9;
  expect_decode_error(bytes, decode_txout_bytes, "lock.kind: unknown output lock kind 9");
}

TEST(Payload, NoneAndCoinbaseRoundTrip) {
  for (const Payload& p : {Payload{}, sample_coinbase(7).payload}) {
    const Bytes bytes = encode_one(p);
    EXPECT_EQ(test::ok(decode_payload_bytes(bytes)), p);
    expect_strict_framing(bytes, decode_payload_bytes);
  }
  EXPECT_EQ(encode_one(Payload{}), (Bytes{0x00, 0x00}));
}

TEST(Payload, UnknownKindIsRejected) {
  expect_decode_error({0x09, 0x00}, decode_payload_bytes, "kind: unknown payload kind 9");
}

TEST(Payload, StakingBodiesMustDecode) {
  // Kinds 2..5 are known; an empty body is not a valid bond, unbond, withdraw or slash.
  for (uint8_t kind = 2; kind <= 5; ++kind) {
    SCOPED_TRACE(kind);
    auto decoded = decode_payload_bytes(Bytes{kind, 0x00});
    ASSERT_FALSE(decoded.ok());
    EXPECT_NE(decoded.error().message.find("body"), std::string::npos) << decoded.error().message;
  }
}

TEST(Payload, NoneMustHaveAnEmptyBody) {
  expect_decode_error({0x00, 0x01, 0xaa}, decode_payload_bytes, "body: must be empty for payload kind none");
}

TEST(Payload, BodyLengthLimit) {
  // At the limit the length is accepted (and the none body then refused as non-empty);
  // one byte more is refused as over the limit before anything is read.
  Writer at_limit;
  at_limit.u8(0);
  at_limit.bytes(Bytes(kMaxPayloadBytes, 0));
  expect_decode_error(at_limit.take(), decode_payload_bytes, "body: must be empty for payload kind none");
  Writer over;
  over.u8(0);
  over.varint(kMaxPayloadBytes + 1);
  expect_decode_error(over.take(), decode_payload_bytes, "body: 1000001 exceeds the limit of 1000000");
}

TEST(CoinbaseBody, RoundTripsAndDecodesStrictly) {
  const CoinbaseBody body{0x0102030405060708, Bytes(kMaxCoinbaseExtraBytes, 'x')};
  const Bytes bytes = encode_coinbase_body(body);
  EXPECT_EQ(test::ok(decode_coinbase_body(bytes)), body);
  expect_strict_framing(bytes, [](ByteSpan b) { return decode_coinbase_body(b); });
  expect_decode_error(
      encode_coinbase_body({1, Bytes(kMaxCoinbaseExtraBytes + 1, 'x')}),
      [](ByteSpan b) { return decode_coinbase_body(b); }, "extra: 101 exceeds the limit of 100");
}

TEST(CoinbaseBody, MalformedBodyFailsThePayload) {
  Bytes body = encode_coinbase_body({5, {}});
  body.push_back(0);
  expect_decode_error(encode_one(Payload{PayloadKind::coinbase, body}), decode_payload_bytes,
                      "body: 1 trailing bytes after the end of the structure");
  expect_decode_error(encode_one(Payload{PayloadKind::coinbase, {1, 2, 3}}), decode_payload_bytes,
                      "body: height: truncated (need 8 bytes, 3 left)");
}

// ---- Transaction ----

TEST(Transaction, SamplesRoundTrip) {
  for (const Transaction& tx : {sample_transaction(), sample_coinbase(3), Transaction{}}) {
    const Bytes bytes = encode(tx);
    EXPECT_EQ(encode_one(tx), bytes);
    EXPECT_EQ(test::ok(decode_transaction(bytes)), tx);
  }
}

TEST(Transaction, EveryTruncationAndTrailingByteIsRejected) {
  expect_strict_framing(encode(sample_transaction()), decode_tx);
  expect_strict_framing(encode(sample_coinbase(3)), decode_tx);
}

TEST(Transaction, WitnessesComeLastAfterTheTxidPrefix) {
  const Transaction tx = sample_transaction();
  const Bytes full = encode(tx);
  const Bytes prefix = encode_without_witnesses(tx);
  ASSERT_LT(prefix.size(), full.size());
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), full.begin()));
  Bytes witnesses;
  for (const auto& in : tx.inputs) {
    const Bytes w = encode_one(in.witness);
    witnesses.insert(witnesses.end(), w.begin(), w.end());
  }
  EXPECT_EQ(concat({prefix, witnesses}), full);
}

TEST(Transaction, TxidExcludesWitnessesAndWtxidIncludesThem) {
  const Transaction tx = sample_transaction();
  EXPECT_EQ(txid(tx), hash(HashContext::txid, encode_without_witnesses(tx)));
  EXPECT_EQ(wtxid(tx), hash(HashContext::wtxid, encode(tx)));
  EXPECT_NE(txid(tx), wtxid(tx));

  Transaction resigned = tx;
  std::get<KeySpend>(resigned.inputs[0].witness).signature.signature.bytes[0] ^= 1;
  EXPECT_EQ(txid(resigned), txid(tx));
  EXPECT_NE(wtxid(resigned), wtxid(tx));

  Transaction unsigned_tx = tx;
  for (auto& in : unsigned_tx.inputs) in.witness = {};
  EXPECT_EQ(txid(unsigned_tx), txid(tx));
  EXPECT_NE(wtxid(unsigned_tx), wtxid(tx));

  Transaction changed = tx;
  changed.lock_time += 1;
  EXPECT_NE(txid(changed), txid(tx));
}

TEST(Transaction, UnknownVersionIsRejected) {
  for (uint32_t version : {0u, 2u, 0xffffffffu}) {
    Transaction tx = sample_transaction();
    tx.version = version;
    expect_decode_error(encode(tx), decode_tx,
                        "version: unknown transaction version " + std::to_string(version));
  }
}

TEST(Transaction, InputCountLimit) {
  const Transaction at_limit = sized_transaction(kMaxTxInputs, 1);
  EXPECT_EQ(test::ok(decode_transaction(encode(at_limit))), at_limit);
  auto over = decode_transaction(encode(sized_transaction(kMaxTxInputs + 1, 1)));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::limit);
  EXPECT_EQ(over.error().message, "inputs: 10001 exceeds the limit of 10000");
}

TEST(Transaction, OutputCountLimit) {
  const Transaction at_limit = sized_transaction(1, kMaxTxOutputs);
  EXPECT_EQ(test::ok(decode_transaction(encode(at_limit))), at_limit);
  expect_decode_error(encode(sized_transaction(1, kMaxTxOutputs + 1)), decode_tx,
                      "outputs: 10001 exceeds the limit of 10000");
}

TEST(Transaction, HugeCountsFailFastOnShortInput) {
  // A count at the limit with no elements behind it: truncated at the first element.
  Writer w;
  w.u32(kTxVersion);
  w.varint(kMaxTxInputs);
  expect_decode_error(w.take(), decode_tx, "inputs[0].prevout.txid: truncated (need 32 bytes, 0 left)");
}

TEST(Transaction, NonCanonicalCountIsRejected) {
  const Bytes bytes = concat({Bytes{0x01, 0, 0, 0}, Bytes{0x80, 0x00}});
  expect_decode_error(bytes, decode_tx, "inputs: non-canonical varint (redundant trailing zero group)");
  const Bytes overlong = concat({Bytes{0x01, 0, 0, 0, 0x00}, Bytes(10, 0xff)});
  expect_decode_error(overlong, decode_tx, "outputs: varint overflows 64 bits");
}

TEST(Transaction, ErrorsNameTheElement) {
  const Transaction tx = sample_transaction();
  const Bytes bytes = encode(tx);
  const size_t prefix = encode_without_witnesses(tx).size();
  // version, input count, the first input and 34 of the second input's 36 bytes.
  const Bytes cut(bytes.begin(), bytes.begin() + 4 + 1 + 36 + 34);
  expect_decode_error(cut, decode_tx, "inputs[1].prevout.index: truncated (need 4 bytes, 2 left)");
  Bytes bad_witness = bytes;
  bad_witness[prefix] = 7;
  expect_decode_error(bad_witness, decode_tx, "witnesses[0].kind: unknown witness kind 7");
  Bytes bad_lock = bytes;
  bad_lock[4 + 1 + 2 * 36 + 1 + 41 + 8] = 0;  // outputs[1].lock.kind
  expect_decode_error(bad_lock, decode_tx, "outputs[1].lock.kind: unknown output lock kind 0");
  Bytes bad_satisfaction = bytes;
  const size_t second_witness = prefix + encode_one(tx.inputs[0].witness).size();
  bad_satisfaction[second_witness + 1 + encode(std::get<LockSpend>(tx.inputs[1].witness).lock).size()] = 0;
  expect_decode_error(bad_satisfaction, decode_tx, "witnesses[1].satisfaction.tag: unknown tag 0");
}

}  // namespace
}  // namespace cairn
