// Key and value layouts: round trips, exact bytes, order properties and strict decoding.
#include "storage/keys.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace cairn {
namespace {

template <size_t N>
FixedBytes<N> filled(uint8_t seed) {
  FixedBytes<N> out;
  for (size_t i = 0; i < N; ++i) out.bytes[i] = static_cast<uint8_t>(seed + i);
  return out;
}

Bytes hex(std::string_view h) { return from_hex(h).value(); }

template <class T>
void expect_error(const Result<T>& r, std::string_view message) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, message);
}

Coin sample_coin(uint8_t seed) {
  Coin coin;
  coin.output.value = 5 * kCoin + seed;
  coin.output.lock = {OutputLockKind::lock_hash, filled<32>(seed)};
  coin.height = 1000u + seed;
  coin.coinbase = seed % 2 == 1;
  return coin;
}

TEST(StorageKeys, MetaValuesRoundTrip) {
  EXPECT_EQ(decode_u32_value(encode_u32_value(0xdeadbeef)).value(), 0xdeadbeefu);
  EXPECT_EQ(decode_u64_value(encode_u64_value(UINT64_MAX)).value(), UINT64_MAX);
  for (Network net : kAllNetworks) EXPECT_EQ(decode_network_value(encode_network_value(net)).value(), net);
  EXPECT_EQ(decode_hash_value(encode_hash_value(filled<32>(9))).value(), filled<32>(9));
  const Checkpoint cp{filled<32>(3), 4096};
  EXPECT_EQ(decode_checkpoint(encode(cp)).value(), cp);
  LtHash lt;
  lt.add(as_bytes("element"));
  EXPECT_EQ(decode_lthash_value(lt.to_bytes()).value(), lt);
  EXPECT_EQ(to_hex(meta_key(kMetaSchemaVersion)), to_hex(as_bytes("schema_version")));
}

TEST(StorageKeys, MetaValuesDecodeStrictly) {
  expect_error(decode_u32_value(hex("010203")), "u32 value.value: truncated (need 4 bytes, 3 left)");
  EXPECT_FALSE(decode_u32_value(hex("0102030405")).ok());
  expect_error(decode_network_value(hex("03")), "network value.network: unknown network id 3");
  EXPECT_FALSE(decode_checkpoint(Bytes(39)).ok());
  EXPECT_FALSE(decode_lthash_value(Bytes(2047)).ok());
}

TEST(StorageKeys, BlockIndexKeysHaveTheirLayout) {
  const BlockHash h = filled<32>(0xa0);
  EXPECT_EQ(to_hex(block_index_key(h)), "01" + h.hex());
  EXPECT_EQ(block_index_key(h).size(), kBlockIndexEntryKeyBytes);
  EXPECT_EQ(decode_block_index_key(block_index_key(h)).value(), h);
  EXPECT_EQ(to_hex(best_height_key(0x0102030405060708)), "020102030405060708");
  EXPECT_EQ(best_height_key(7).size(), kBestHeightKeyBytes);
  EXPECT_EQ(decode_best_height_key(best_height_key(UINT64_MAX)).value(), UINT64_MAX);
  const Bytes prefix = best_height_prefix();
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), best_height_key(42).begin()));

  expect_error(decode_block_index_key(best_height_key(1)), "block index key.tag: expected 1, got 2");
  expect_error(decode_best_height_key(block_index_key(h)), "best height key.tag: expected 2, got 1");
}

TEST(StorageKeys, BigEndianHeightsIterateInHeightOrder) {
  const std::vector<uint64_t> heights = {0,         1, 255, 256, 65535, 65536, 0xffffffff, uint64_t{1} << 32,
                                         UINT64_MAX};
  for (size_t i = 1; i < heights.size(); ++i) {
    EXPECT_LT(best_height_key(heights[i - 1]), best_height_key(heights[i])) << heights[i];
  }
}

TEST(StorageKeys, BlockIndexEntryRoundTripsAndChecksStatus) {
  BlockIndexEntry e;
  e.header.height = 77;
  e.header.prev = filled<32>(1);
  e.header.nonce = 0x1122334455667788;
  e.status = kBlockHaveBody | kBlockHaveUndo | kBlockValid;
  e.cumulative_work = filled<32>(200);
  const Bytes encoded = encode(e);
  EXPECT_EQ(encoded.size(), kHeaderBytes + 1 + 32);
  EXPECT_EQ(decode_block_index_entry(encoded).value(), e);

  e.status = kBlockStatusMask;
  EXPECT_TRUE(decode_block_index_entry(encode(e)).ok());
  e.status = kBlockStatusMask + 1;
  expect_error(decode_block_index_entry(encode(e)), "block index entry.status: unknown status bits 32");
  Bytes truncated = encoded;
  truncated.pop_back();
  EXPECT_FALSE(decode_block_index_entry(truncated).ok());
}

TEST(StorageKeys, BlockKeysAndUndoRoundTrip) {
  const BlockHash h = filled<32>(5);
  EXPECT_EQ(block_key(h), Bytes(h.begin(), h.end()));
  EXPECT_EQ(decode_block_key(block_key(h)).value(), h);
  const BlockUndo undo{{sample_coin(1), sample_coin(2), sample_coin(3)}};
  EXPECT_EQ(decode_block_undo(encode(undo)).value(), undo);
  EXPECT_EQ(decode_block_undo(encode(BlockUndo{})).value(), BlockUndo{});
  EXPECT_EQ(to_hex(encode(BlockUndo{})), "00");
}

TEST(StorageKeys, UndoCoinCountIsCappedAtItsLimit) {
  Writer at_limit;
  at_limit.varint(kMaxUndoCoins);  // allowed, then truncated: no coin follows
  expect_error(decode_block_undo(at_limit.data()),
               "block undo.spent[0].value: truncated (need 8 bytes, 0 left)");
  Writer over;
  over.varint(kMaxUndoCoins + 1);
  expect_error(decode_block_undo(over.data()), "block undo.spent: 1000001 exceeds the limit of 1000000");
}

TEST(StorageKeys, UtxoKeysAreTxidThenBigEndianIndex) {
  const OutPoint o{filled<32>(0x10), 0x01020304};
  EXPECT_EQ(to_hex(utxo_key(o)), o.txid.hex() + "01020304");
  EXPECT_EQ(utxo_key(o).size(), kUtxoKeyBytes);
  EXPECT_EQ(decode_utxo_key(utxo_key(o)).value(), o);
  // Outputs of one transaction iterate in index order, and outpoints in OutPoint order.
  const std::vector<uint32_t> indexes = {0, 1, 255, 256, 65536, UINT32_MAX};
  for (size_t i = 1; i < indexes.size(); ++i) {
    const OutPoint lo{o.txid, indexes[i - 1]};
    const OutPoint hi{o.txid, indexes[i]};
    EXPECT_LT(utxo_key(lo), utxo_key(hi));
  }
  EXPECT_LT(utxo_key({filled<32>(1), UINT32_MAX}), utxo_key({filled<32>(2), 0}));
  EXPECT_FALSE(decode_utxo_key(Bytes(kUtxoKeyBytes - 1)).ok());
  EXPECT_FALSE(decode_utxo_key(Bytes(kUtxoKeyBytes + 1)).ok());
}

TEST(StorageKeys, CoinValuesRoundTrip) {
  const Coin coin = sample_coin(3);
  EXPECT_EQ(encode_coin_value(coin).size(), 8u + 33 + 8 + 1);  // docs/storage.md
  EXPECT_EQ(decode_coin_value(encode_coin_value(coin)).value(), coin);
  Bytes bad = encode_coin_value(coin);
  bad.back() = 2;
  expect_error(decode_coin_value(bad), "coin.coinbase: must be 0 or 1, got 2");
}

TEST(StorageKeys, TxIndexRoundTrips) {
  const Txid t = filled<32>(0x33);
  EXPECT_EQ(decode_tx_index_key(tx_index_key(t)).value(), t);
  const TxLocation loc{filled<32>(0x44), 0x01020304};
  EXPECT_EQ(to_hex(encode(loc)), loc.block.hex() + "04030201");
  EXPECT_EQ(decode_tx_location(encode(loc)).value(), loc);
}

TEST(StorageKeys, AddressKeysHaveTheirLayoutAndOrder) {
  AddressKey k;
  k.lock = {OutputLockKind::key_hash, filled<32>(0x50)};
  k.height = 0x0a0b;
  k.outpoint = {filled<32>(0x60), 2};
  const Bytes key = address_key(k);
  EXPECT_EQ(key.size(), kAddressKeyBytes);
  EXPECT_EQ(to_hex(key), "01" + k.lock.hash.hex() + "0000000000000a0b" + k.outpoint.txid.hex() + "00000002");
  EXPECT_EQ(decode_address_key(key).value(), k);
  const Bytes prefix = address_prefix(k.lock);
  EXPECT_EQ(prefix.size(), kAddressPrefixBytes);
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), key.begin()));

  // One address's entries sort by height, then txid, then output index.
  std::vector<AddressKey> ordered;
  for (uint64_t h : {uint64_t{1}, uint64_t{255}, uint64_t{256}, uint64_t{1} << 40}) {
    for (uint32_t index : {0u, 1u, 256u}) {
      AddressKey e = k;
      e.height = h;
      e.outpoint.index = index;
      ordered.push_back(e);
    }
  }
  for (size_t i = 1; i < ordered.size(); ++i) EXPECT_LT(address_key(ordered[i - 1]), address_key(ordered[i]));

  Bytes bad_kind = key;
  bad_kind[0] = 3;
  expect_error(decode_address_key(bad_kind), "address key.kind: unknown output lock kind 3");
}

TEST(StorageKeys, AddressEntriesRoundTrip) {
  AddressEntry unspent{12345, true, std::nullopt};
  EXPECT_EQ(to_hex(encode(unspent)),
            "3930000000000000"
            "01"
            "00");
  EXPECT_EQ(decode_address_entry(encode(unspent)).value(), unspent);
  AddressEntry spent{kMaxMoney, false, SpentBy{filled<32>(7), 3, 900}};
  EXPECT_EQ(encode(spent).size(), 8u + 1 + 1 + 32 + 4 + 8);
  EXPECT_EQ(decode_address_entry(encode(spent)).value(), spent);

  Bytes bad = encode(unspent);
  bad[9] = 2;
  expect_error(decode_address_entry(bad), "address entry.spent: must be 0 or 1, got 2");
  bad = encode(unspent);
  bad[8] = 2;
  expect_error(decode_address_entry(bad), "address entry.coinbase: must be 0 or 1, got 2");
  bad = encode(unspent);
  bad[9] = 1;  // says spent, but no spender follows
  EXPECT_FALSE(decode_address_entry(bad).ok());
}

TEST(StorageKeys, ContractKeysHaveTheirLayout) {
  ContractId id;
  id.bytes.fill(7);
  EXPECT_EQ(contract_record_key(id).size(), 33u);
  EXPECT_EQ(contract_record_key(id)[0], 1);
  const Bytes storage = contract_storage_key(id, Bytes{0xaa, 0xbb});
  EXPECT_EQ(storage.size(), 35u);
  EXPECT_EQ(storage[0], 2);
  EXPECT_EQ(decode_contract_storage_key(storage).value(), (std::pair{id, Bytes{0xaa, 0xbb}}));
  EXPECT_FALSE(decode_contract_storage_key(contract_storage_key(id, {})).ok());  // no key
  EXPECT_FALSE(decode_contract_storage_key(contract_record_key(id)).ok());       // wrong tag
  EXPECT_EQ(contract_code_key(id)[0], 3);
  EXPECT_EQ(contract_receipt_key(id)[0], 4);
  EXPECT_EQ(contract_undo_key(id)[0], 6);
}

TEST(StorageKeys, EventKeysSortByContractThenChainOrder) {
  ContractId id;
  id.bytes.fill(9);
  const EventKey key{id, 0x0102, 3, 4};
  const Bytes encoded = contract_event_key(key);
  ASSERT_EQ(encoded.size(), kEventKeyBytes);
  EXPECT_EQ(encoded[0], 5);
  EXPECT_EQ(decode_contract_event_key(encoded).value(), key);
  // Big-endian fields: byte order is chain order within one contract's prefix.
  EXPECT_LT(contract_event_key(EventKey{id, 1, 9, 9}), contract_event_key(EventKey{id, 2, 0, 0}));
  EXPECT_LT(contract_event_key(EventKey{id, 2, 0, 9}), contract_event_key(EventKey{id, 2, 1, 0}));
  const Bytes prefix = contract_event_prefix(id);
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), encoded.begin()));
  EXPECT_FALSE(decode_contract_event_key(Bytes(encoded.begin(), encoded.end() - 1)).ok());

  const Event event{id, {id}, {1, 2}};
  EXPECT_EQ(decode_event_entry(encode_event_entry(id, event)).value(), (std::pair{Txid(id), event}));
}

TEST(StorageKeys, ContractUndoRoundTrips) {
  ContractId id;
  id.bytes.fill(1);
  ContractUndo undo;
  undo.records = {{id, ContractRecord{id, std::nullopt, 5, 70}}, {id, std::nullopt}};
  undo.storage = {{id, Bytes{1}, Bytes{2, 3}}, {id, Bytes{4}, std::nullopt}};
  undo.codes = {id};
  EXPECT_EQ(decode_contract_undo(encode(undo)).value(), undo);
  EXPECT_EQ(decode_contract_undo(encode(ContractUndo{})).value(), ContractUndo{});
  Bytes wrong_version = encode(undo);
  wrong_version[0] = 2;
  EXPECT_FALSE(decode_contract_undo(wrong_version).ok());
  Bytes trailing = encode(undo);
  trailing.push_back(0);
  EXPECT_FALSE(decode_contract_undo(trailing).ok());
}

}  // namespace
}  // namespace cairn
