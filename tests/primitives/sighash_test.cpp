#include "primitives/sighash.h"

#include <gtest/gtest.h>

#include "primitives/samples.h"

namespace cairn {
namespace {

using test::concat;
using test::encode_one;
using test::filled;
using test::sample_spent_outputs;
using test::sample_transaction;

const Hash256 kGenesis = filled<32>(0x77);

SighashDigests digests_of(const Transaction& tx, const std::vector<TxOut>& spent) {
  auto d = compute_sighash_digests(tx, spent);
  EXPECT_TRUE(d) << d.error().message;
  return *d;
}

Hash256 sighash_of(const Transaction& tx, const std::vector<TxOut>& spent, uint32_t input) {
  auto h = signature_hash(tx, digests_of(tx, spent), input, 0x01, kGenesis);
  EXPECT_TRUE(h) << h.error().message;
  return *h;
}

TEST(Sighash, DigestsHashTheDocumentedEncodings) {
  const Transaction tx = sample_transaction();
  const auto spent = sample_spent_outputs();
  const SighashDigests d = digests_of(tx, spent);
  EXPECT_EQ(d.prevouts, hash(HashContext::sighash_prevouts,
                             concat({encode_one(tx.inputs[0].prevout), encode_one(tx.inputs[1].prevout)})));
  Writer values;
  values.u64(spent[0].value);
  values.u64(spent[1].value);
  EXPECT_EQ(d.values, hash(HashContext::sighash_values, values.data()));
  EXPECT_EQ(d.locks,
            hash(HashContext::sighash_locks, concat({encode_one(spent[0].lock), encode_one(spent[1].lock)})));
  EXPECT_EQ(d.outputs, hash(HashContext::sighash_outputs,
                            concat({encode_one(tx.outputs[0]), encode_one(tx.outputs[1])})));
  EXPECT_EQ(d.payload, hash(HashContext::sighash_payload, Bytes{0x00, 0x00}));
}

TEST(Sighash, MessageLayout) {
  const Transaction tx = sample_transaction();
  const SighashDigests d = digests_of(tx, sample_spent_outputs());
  const Bytes message =
      concat({Bytes{0x01}, kGenesis, Bytes{0x01, 0, 0, 0}, Bytes{0xe8, 0x03, 0, 0, 0, 0, 0, 0}, d.prevouts,
              d.values, d.locks, d.outputs, d.payload, Bytes{0x01, 0, 0, 0}});
  ASSERT_EQ(message.size(), 1u + 32 + 4 + 8 + 5 * 32 + 4);
  EXPECT_EQ(test::ok(signature_hash(tx, d, 1, 0x01, kGenesis)), hash(HashContext::sighash, message));
}

TEST(Sighash, CommitsToEverythingButWitnesses) {
  const Transaction tx = sample_transaction();
  const auto spent = sample_spent_outputs();
  const Hash256 base = sighash_of(tx, spent, 0);
  EXPECT_NE(sighash_of(tx, spent, 1), base);

  Transaction unsigned_tx = tx;
  for (auto& in : unsigned_tx.inputs) in.witness = {};
  EXPECT_EQ(sighash_of(unsigned_tx, spent, 0), base);

  auto other_value = spent;
  other_value[1].value += 1;
  EXPECT_NE(sighash_of(tx, other_value, 0), base);
  auto other_lock = spent;
  other_lock[1].lock.kind = OutputLockKind::key_hash;
  EXPECT_NE(sighash_of(tx, other_lock, 0), base);

  Transaction changed = tx;
  changed.outputs[0].value -= 1;
  EXPECT_NE(sighash_of(changed, spent, 0), base);
  changed = tx;
  changed.inputs[1].prevout.index += 1;
  EXPECT_NE(sighash_of(changed, spent, 0), base);
  changed = tx;
  changed.payload = test::sample_coinbase(1).payload;
  EXPECT_NE(sighash_of(changed, spent, 0), base);
  changed = tx;
  changed.lock_time += 1;
  EXPECT_NE(sighash_of(changed, spent, 0), base);

  const SighashDigests d = digests_of(tx, spent);
  EXPECT_NE(test::ok(signature_hash(tx, d, 0, 0x01, filled<32>(0x78))), base);
}

TEST(Sighash, SpentOutputsMustMatchTheInputs) {
  const Transaction tx = sample_transaction();
  for (size_t n : {0u, 1u, 3u}) {
    const std::vector<TxOut> spent(n);
    auto d = compute_sighash_digests(tx, spent);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(d.error().message, "spent outputs: " + std::to_string(n) + " given for 2 inputs");
  }
}

TEST(Sighash, UnknownTypeIsAnError) {
  const Transaction tx = sample_transaction();
  const SighashDigests d = digests_of(tx, sample_spent_outputs());
  for (uint8_t type : std::initializer_list<uint8_t>{0x00, 0x02, 0x03, 0x81, 0xff}) {
    auto h = signature_hash(tx, d, 0, type, kGenesis);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().message, "sighash_type: unknown type " + std::to_string(type));
  }
}

TEST(Sighash, InputIndexMustBeInRange) {
  const Transaction tx = sample_transaction();
  const SighashDigests d = digests_of(tx, sample_spent_outputs());
  auto h = signature_hash(tx, d, 2, 0x01, kGenesis);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().message, "input_index: 2 is out of range for 2 inputs");
}

}  // namespace
}  // namespace cairn
