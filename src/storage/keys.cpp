#include "storage/keys.h"

#include <string>

namespace cairn {
namespace {

// Key fields that must sort numerically are big-endian; the codec's integers are
// little-endian, so keys write and read them here.
void put_be(Writer& w, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) w.u8(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t get_be(Reader& r, const char* field, int bytes) {
  uint64_t v = 0;
  for (uint8_t b : r.take(field, static_cast<size_t>(bytes))) v = (v << 8) | b;
  return v;
}

void expect_tag(Reader& r, BlockIndexTag tag) {
  const uint8_t got = r.u8("tag");
  if (r.ok() && got != static_cast<uint8_t>(tag)) {
    r.fail(ErrorCode::decode, "tag",
           "expected " + std::to_string(static_cast<unsigned>(tag)) + ", got " + std::to_string(got));
  }
}

// Decodes one whole value or key with `decode`, naming it `what` in errors.
template <class F>
auto decode_all(ByteSpan in, const char* what, F decode)
    -> Result<decltype(decode(std::declval<Reader&>()))> {
  Reader r(in);
  auto guard = r.scope(what);
  auto out = decode(r);
  return r.finish(std::move(out));
}

Hash256 read_hash(Reader& r, const char* field) { return r.fixed<32>(field); }

}  // namespace

// ---- meta ----

ByteSpan meta_key(std::string_view name) { return as_bytes(name); }

Bytes encode_u32_value(uint32_t v) {
  Writer w;
  w.u32(v);
  return w.take();
}
Result<uint32_t> decode_u32_value(ByteSpan value) {
  return decode_all(value, "u32 value", [](Reader& r) { return r.u32("value"); });
}

Bytes encode_u64_value(uint64_t v) {
  Writer w;
  w.u64(v);
  return w.take();
}
Result<uint64_t> decode_u64_value(ByteSpan value) {
  return decode_all(value, "u64 value", [](Reader& r) { return r.u64("value"); });
}

Bytes encode_network_value(Network net) { return {static_cast<uint8_t>(net)}; }
Result<Network> decode_network_value(ByteSpan value) {
  return decode_all(value, "network value", [](Reader& r) {
    const uint8_t v = r.u8("network");
    if (r.ok() && v > static_cast<uint8_t>(Network::regtest)) {
      r.fail(ErrorCode::decode, "network", "unknown network id " + std::to_string(v));
    }
    return static_cast<Network>(v);
  });
}

Bytes encode_hash_value(const Hash256& hash) { return Bytes(hash.begin(), hash.end()); }
Result<Hash256> decode_hash_value(ByteSpan value) {
  return decode_all(value, "hash value", [](Reader& r) { return read_hash(r, "hash"); });
}

Bytes encode(const Checkpoint& c) {
  Writer w;
  w.raw(c.hash);
  w.u64(c.height);
  return w.take();
}
Result<Checkpoint> decode_checkpoint(ByteSpan value) {
  return decode_all(value, "checkpoint", [](Reader& r) {
    Checkpoint c;
    c.hash = read_hash(r, "hash");
    c.height = r.u64("height");
    return c;
  });
}

Result<LtHash> decode_lthash_value(ByteSpan value) { return LtHash::from_bytes(value); }

// ---- block_index ----

Bytes block_index_key(const BlockHash& hash) {
  Writer w;
  w.u8(static_cast<uint8_t>(BlockIndexTag::entry));
  w.raw(hash);
  return w.take();
}
Result<BlockHash> decode_block_index_key(ByteSpan key) {
  return decode_all(key, "block index key", [](Reader& r) {
    expect_tag(r, BlockIndexTag::entry);
    return read_hash(r, "hash");
  });
}

Bytes best_height_key(uint64_t height) {
  Writer w;
  w.u8(static_cast<uint8_t>(BlockIndexTag::best_height));
  put_be(w, height, 8);
  return w.take();
}
Result<uint64_t> decode_best_height_key(ByteSpan key) {
  return decode_all(key, "best height key", [](Reader& r) {
    expect_tag(r, BlockIndexTag::best_height);
    return get_be(r, "height", 8);
  });
}
Bytes best_height_prefix() { return {static_cast<uint8_t>(BlockIndexTag::best_height)}; }

Bytes encode(const BlockIndexEntry& e) {
  Writer w;
  encode(w, e.header);
  w.u8(e.status);
  w.raw(e.cumulative_work);
  return w.take();
}
Result<BlockIndexEntry> decode_block_index_entry(ByteSpan value) {
  return decode_all(value, "block index entry", [](Reader& r) {
    BlockIndexEntry e;
    {
      auto guard = r.scope("header");
      e.header = decode_header(r);
    }
    e.status = r.u8("status");
    if (r.ok() && (e.status & ~kBlockStatusMask) != 0) {
      r.fail(ErrorCode::decode, "status",
             "unknown status bits " + std::to_string(e.status & ~kBlockStatusMask));
    }
    e.cumulative_work = read_hash(r, "cumulative_work");
    return e;
  });
}

// ---- block_bodies and undo ----

Bytes block_key(const BlockHash& hash) { return encode_hash_value(hash); }
Result<BlockHash> decode_block_key(ByteSpan key) {
  return decode_all(key, "block key", [](Reader& r) { return read_hash(r, "hash"); });
}

Bytes encode(const BlockUndo& u) {
  Writer w;
  w.varint(u.spent.size());
  for (const auto& coin : u.spent) encode(w, coin);
  return w.take();
}
Result<BlockUndo> decode_block_undo(ByteSpan value) {
  return decode_all(value, "block undo", [](Reader& r) {
    BlockUndo u;
    const size_t n = r.count("spent", kMaxUndoCoins);
    for (size_t i = 0; i < n && r.ok(); ++i) {
      auto guard = r.scope("spent", static_cast<int64_t>(i));
      u.spent.push_back(decode_coin(r));
    }
    return u;
  });
}

// ---- utxo ----

namespace {
void put_outpoint_key(Writer& w, const OutPoint& o) {
  w.raw(o.txid);
  put_be(w, o.index, 4);
}
OutPoint get_outpoint_key(Reader& r) {
  OutPoint o;
  o.txid = read_hash(r, "txid");
  o.index = static_cast<uint32_t>(get_be(r, "index", 4));
  return o;
}
}  // namespace

Bytes utxo_key(const OutPoint& outpoint) {
  Writer w;
  put_outpoint_key(w, outpoint);
  return w.take();
}
Result<OutPoint> decode_utxo_key(ByteSpan key) { return decode_all(key, "utxo key", get_outpoint_key); }

Bytes encode_coin_value(const Coin& coin) {
  Writer w;
  encode(w, coin);
  return w.take();
}
Result<Coin> decode_coin_value(ByteSpan value) {
  return decode_all(value, "coin", [](Reader& r) { return decode_coin(r); });
}

// ---- tx_index ----

Bytes tx_index_key(const Txid& txid) { return encode_hash_value(txid); }
Result<Txid> decode_tx_index_key(ByteSpan key) {
  return decode_all(key, "tx index key", [](Reader& r) { return read_hash(r, "txid"); });
}

Bytes encode(const TxLocation& loc) {
  Writer w;
  w.raw(loc.block);
  w.u32(loc.position);
  return w.take();
}
Result<TxLocation> decode_tx_location(ByteSpan value) {
  return decode_all(value, "tx location", [](Reader& r) {
    TxLocation loc;
    loc.block = read_hash(r, "block");
    loc.position = r.u32("position");
    return loc;
  });
}

// ---- address_index ----

Bytes address_prefix(const OutputLock& lock) {
  Writer w;
  encode(w, lock);  // kind u8 ‖ hash: the same bytes as the lock's canonical encoding
  return w.take();
}

Bytes address_key(const AddressKey& k) {
  Writer w;
  encode(w, k.lock);
  put_be(w, k.height, 8);
  put_outpoint_key(w, k.outpoint);
  return w.take();
}
Result<AddressKey> decode_address_key(ByteSpan key) {
  return decode_all(key, "address key", [](Reader& r) {
    AddressKey k;
    k.lock = decode_output_lock(r);
    k.height = get_be(r, "height", 8);
    k.outpoint = get_outpoint_key(r);
    return k;
  });
}

Bytes encode(const AddressEntry& e) {
  Writer w;
  w.u64(e.value);
  w.u8(e.coinbase ? 1 : 0);
  w.u8(e.spent ? 1 : 0);
  if (e.spent) {
    w.raw(e.spent->txid);
    w.u32(e.spent->input);
    w.u64(e.spent->height);
  }
  return w.take();
}
Result<AddressEntry> decode_address_entry(ByteSpan value) {
  return decode_all(value, "address entry", [](Reader& r) {
    AddressEntry e;
    e.value = r.u64("value");
    const uint8_t coinbase = r.u8("coinbase");
    if (r.ok() && coinbase > 1)
      r.fail(ErrorCode::decode, "coinbase", "must be 0 or 1, got " + std::to_string(coinbase));
    e.coinbase = coinbase == 1;
    const uint8_t spent = r.u8("spent");
    if (r.ok() && spent > 1)
      r.fail(ErrorCode::decode, "spent", "must be 0 or 1, got " + std::to_string(spent));
    if (r.ok() && spent == 1) {
      SpentBy by;
      by.txid = read_hash(r, "spent_by.txid");
      by.input = r.u32("spent_by.input");
      by.height = r.u64("spent_by.height");
      e.spent = by;
    }
    return e;
  });
}

Bytes stake_validator_key(const PublicKey& voting_key) {
  Bytes key = stake_validator_prefix();
  key.insert(key.end(), voting_key.bytes.begin(), voting_key.bytes.end());
  return key;
}

Bytes stake_validator_prefix() { return Bytes{static_cast<uint8_t>(StakeTag::validator)}; }

Bytes stake_finality_key() { return Bytes{static_cast<uint8_t>(StakeTag::finality)}; }

Bytes stake_undo_key(const BlockHash& block) {
  Bytes key{static_cast<uint8_t>(StakeTag::undo)};
  key.insert(key.end(), block.bytes.begin(), block.bytes.end());
  return key;
}

namespace {

Bytes tagged(ContractTag tag, ByteSpan rest) {
  Bytes key{static_cast<uint8_t>(tag)};
  key.insert(key.end(), rest.begin(), rest.end());
  return key;
}

void expect_contract_tag(Reader& r, ContractTag tag) {
  const uint8_t got = r.u8("tag");
  if (r.ok() && got != static_cast<uint8_t>(tag)) {
    r.fail(ErrorCode::decode, "tag",
           "expected " + std::to_string(static_cast<unsigned>(tag)) + ", got " + std::to_string(got));
  }
}

}  // namespace

Bytes contract_record_key(const ContractId& id) { return tagged(ContractTag::record, id); }

Bytes contract_record_prefix() { return Bytes{static_cast<uint8_t>(ContractTag::record)}; }

Bytes contract_storage_key(const ContractId& id, ByteSpan key) {
  Bytes out = tagged(ContractTag::storage, id);
  out.insert(out.end(), key.begin(), key.end());
  return out;
}

Bytes contract_storage_prefix() { return Bytes{static_cast<uint8_t>(ContractTag::storage)}; }

Result<std::pair<ContractId, Bytes>> decode_contract_storage_key(ByteSpan key) {
  return decode_all(key, "contract storage key", [](Reader& r) {
    expect_contract_tag(r, ContractTag::storage);
    const ContractId id = read_hash(r, "contract");
    const ByteSpan rest = r.take("key", r.remaining());
    if (r.ok() && rest.empty()) r.fail(ErrorCode::decode, "key", "empty");
    return std::pair{id, Bytes(rest.begin(), rest.end())};
  });
}

Bytes contract_code_key(const Hash256& code_hash) { return tagged(ContractTag::code, code_hash); }

Bytes contract_receipt_key(const Txid& txid) { return tagged(ContractTag::receipt, txid); }

Bytes contract_undo_key(const BlockHash& block) { return tagged(ContractTag::undo, block); }

Bytes contract_event_prefix(const ContractId& id) { return tagged(ContractTag::event, id); }

Bytes contract_event_key(const EventKey& k) {
  Writer w;
  w.raw(contract_event_prefix(k.contract));
  put_be(w, k.height, 8);
  put_be(w, k.position, 4);
  put_be(w, k.index, 4);
  return w.take();
}

Result<EventKey> decode_contract_event_key(ByteSpan key) {
  return decode_all(key, "contract event key", [](Reader& r) {
    expect_contract_tag(r, ContractTag::event);
    EventKey k;
    k.contract = read_hash(r, "contract");
    k.height = get_be(r, "height", 8);
    k.position = static_cast<uint32_t>(get_be(r, "position", 4));
    k.index = static_cast<uint32_t>(get_be(r, "index", 4));
    return k;
  });
}

Bytes encode_event_entry(const Txid& txid, const Event& event) {
  Writer w;
  w.raw(txid);
  encode(w, event);
  return w.take();
}

Result<std::pair<Txid, Event>> decode_event_entry(ByteSpan value) {
  return decode_all(value, "event entry", [](Reader& r) {
    const Txid txid = read_hash(r, "txid");
    return std::pair{txid, decode_event(r)};
  });
}

Bytes encode(const ContractUndo& u) {
  Writer w;
  w.u8(kContractUndoVersion);
  w.varint(u.records.size());
  for (const auto& record : u.records) {
    w.raw(record.id);
    w.u8(record.before ? 1 : 0);
    if (record.before) encode(w, *record.before);
  }
  w.varint(u.storage.size());
  for (const auto& entry : u.storage) {
    w.raw(entry.id);
    w.bytes(entry.key);
    w.u8(entry.before ? 1 : 0);
    if (entry.before) w.bytes(*entry.before);
  }
  w.varint(u.codes.size());
  for (const Hash256& code : u.codes) w.raw(code);
  return w.take();
}

Result<ContractUndo> decode_contract_undo(ByteSpan value) {
  return decode_all(value, "contract undo", [](Reader& r) {
    ContractUndo u;
    if (const uint8_t version = r.u8("version"); r.ok() && version != kContractUndoVersion)
      r.fail(ErrorCode::decode, "version", "unknown contract undo version " + std::to_string(version));
    const size_t records = r.count("records", kMaxUndoContracts);
    for (size_t i = 0; i < records && r.ok(); ++i) {
      auto scope = r.scope("records", static_cast<int64_t>(i));
      ContractUndo::Record record;
      record.id = read_hash(r, "id");
      if (r.flag("present")) record.before = decode_contract_record(r);
      u.records.push_back(std::move(record));
    }
    const size_t entries = r.count("storage", kMaxUndoStorageEntries);
    for (size_t i = 0; i < entries && r.ok(); ++i) {
      auto scope = r.scope("storage", static_cast<int64_t>(i));
      ContractUndo::Entry entry;
      entry.id = read_hash(r, "id");
      entry.key = r.bytes("key", kMaxStorageKeyBytes);
      if (r.flag("present")) entry.before = r.bytes("value", kMaxStorageValueBytes);
      u.storage.push_back(std::move(entry));
    }
    const size_t codes = r.count("codes", kMaxUndoContracts);
    for (size_t i = 0; i < codes && r.ok(); ++i) u.codes.push_back(read_hash(r, "code"));
    return u;
  });
}

}  // namespace cairn
