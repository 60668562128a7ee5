// Key and value layouts of the chain state: the on-disk format, byte by byte in
// docs/storage.md. DO NOT CHANGE an encoding here without bumping kSchemaVersion
// (storage/schema.h) and documenting the change there.
//
// Keys are built so that the store's byte order is the order that iteration needs:
// heights and output indexes are big-endian, so "all outputs of a txid" and "an address's
// history by height" are contiguous ranges in order. Values use the canonical codec
// (util/codec.h). Decoders are strict: a value or key that is truncated, has bytes left
// over, or holds an unknown tag is an Error naming the field, since it means corruption.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "consensus/contract_rules.h"
#include "crypto/lthash.h"
#include "primitives/block.h"
#include "primitives/coin.h"
#include "primitives/contract.h"
#include "primitives/network.h"
#include "primitives/transaction.h"
#include "storage/kv.h"

namespace cairn {

// ---- meta -------------------------------------------------------------------------------

// DO NOT CHANGE THESE STRINGS: they are meta keys on disk (ASCII, so tools can read them).
inline constexpr std::string_view kMetaSchemaVersion = "schema_version";  // u32
inline constexpr std::string_view kMetaNetwork = "network";               // u8 Network
inline constexpr std::string_view kMetaBestTip = "best_tip";              // block hash
inline constexpr std::string_view kMetaFinalized = "finalized";           // Checkpoint
inline constexpr std::string_view kMetaPruneHeight = "prune_height";      // u64
inline constexpr std::string_view kMetaStateLtHash = "state_lthash";      // LtHash lanes

ByteSpan meta_key(std::string_view name);

// The last finalized checkpoint: no reorganisation may cross it.
struct Checkpoint {
  BlockHash hash;
  uint64_t height = 0;
  bool operator==(const Checkpoint&) const = default;
};

Bytes encode_u32_value(uint32_t v);
Result<uint32_t> decode_u32_value(ByteSpan value);
Bytes encode_u64_value(uint64_t v);
Result<uint64_t> decode_u64_value(ByteSpan value);
Bytes encode_network_value(Network net);
Result<Network> decode_network_value(ByteSpan value);
Bytes encode_hash_value(const Hash256& hash);
Result<Hash256> decode_hash_value(ByteSpan value);
Bytes encode(const Checkpoint& c);
Result<Checkpoint> decode_checkpoint(ByteSpan value);
Result<LtHash> decode_lthash_value(ByteSpan value);  // encode with LtHash::to_bytes()

// ---- block_index ------------------------------------------------------------------------

// The first byte of every block_index key. DO NOT CHANGE THESE VALUES: on disk.
enum class BlockIndexTag : uint8_t {
  entry = 0x01,        // ‖ block hash        -> BlockIndexEntry
  best_height = 0x02,  // ‖ height u64 BE    -> hash of the best chain's block at that height
};

// Bits of BlockIndexEntry::status. DO NOT CHANGE THESE VALUES: on disk.
enum BlockStatus : uint8_t {
  kBlockHaveBody = 0x01,        // block_bodies holds the block (cleared when pruned)
  kBlockHaveUndo = 0x02,        // undo holds its undo data (cleared when pruned)
  kBlockValid = 0x04,           // connected successfully once: fully valid in its chain
  kBlockFailed = 0x08,          // invalid because of its own content
  kBlockFailedAncestor = 0x10,  // descends from a kBlockFailed block
};
inline constexpr uint8_t kBlockStatusMask = 0x1f;  // bits outside it do not decode

struct BlockIndexEntry {
  BlockHeader header;
  uint8_t status = 0;       // BlockStatus bits
  Hash256 cumulative_work;  // sum of the work of the chain up to this block, 256-bit big-endian
  bool operator==(const BlockIndexEntry&) const = default;
};

inline constexpr size_t kBlockIndexEntryKeyBytes = 1 + 32;
inline constexpr size_t kBestHeightKeyBytes = 1 + 8;

Bytes block_index_key(const BlockHash& hash);
Result<BlockHash> decode_block_index_key(ByteSpan key);
Bytes best_height_key(uint64_t height);
Result<uint64_t> decode_best_height_key(ByteSpan key);
// The prefix of every best_height key (iterate it for the best chain in height order).
Bytes best_height_prefix();

Bytes encode(const BlockIndexEntry& e);
Result<BlockIndexEntry> decode_block_index_entry(ByteSpan value);

// ---- block_bodies and undo --------------------------------------------------------------

// Both keyed by the block hash alone; block_bodies values are encode(Block).
Bytes block_key(const BlockHash& hash);
Result<BlockHash> decode_block_key(ByteSpan key);

// What disconnecting a block needs: the coins it spent, in block order (transactions in
// order, each one's inputs in order; the coinbase spends none).
struct BlockUndo {
  std::vector<Coin> spent;
  bool operator==(const BlockUndo&) const = default;
};
// Decoder cap on spent coins; the consensus block-size limit is tighter.
inline constexpr size_t kMaxUndoCoins = 1'000'000;

Bytes encode(const BlockUndo& u);
Result<BlockUndo> decode_block_undo(ByteSpan value);

// ---- utxo -------------------------------------------------------------------------------

// txid ‖ index u32 BE: a transaction's outputs are adjacent and in index order.
inline constexpr size_t kUtxoKeyBytes = 32 + 4;
Bytes utxo_key(const OutPoint& outpoint);
Result<OutPoint> decode_utxo_key(ByteSpan key);
Bytes encode_coin_value(const Coin& coin);
Result<Coin> decode_coin_value(ByteSpan value);

// ---- tx_index ---------------------------------------------------------------------------

struct TxLocation {
  BlockHash block;
  uint32_t position = 0;  // index of the transaction in the block
  bool operator==(const TxLocation&) const = default;
};

Bytes tx_index_key(const Txid& txid);
Result<Txid> decode_tx_index_key(ByteSpan key);
Bytes encode(const TxLocation& loc);
Result<TxLocation> decode_tx_location(ByteSpan value);

// ---- address_index ----------------------------------------------------------------------

// One output paid to a lock: lock kind u8 ‖ lock hash ‖ height u64 BE ‖ txid ‖ index u32 BE.
// An address's outputs form one range (address_prefix), in the order they were created.
struct AddressKey {
  OutputLock lock;
  uint64_t height = 0;  // of the block that created the output
  OutPoint outpoint;
  bool operator==(const AddressKey&) const = default;
};
inline constexpr size_t kAddressKeyBytes = 1 + 32 + 8 + 32 + 4;
inline constexpr size_t kAddressPrefixBytes = 1 + 32;

// Which input of which transaction spent an indexed output.
struct SpentBy {
  Txid txid;
  uint32_t input = 0;
  uint64_t height = 0;
  bool operator==(const SpentBy&) const = default;
};

// What a wallet restore needs of one output besides its key: its value, whether it is a
// coinbase (maturity), and whether and where it was spent (history, balance).
struct AddressEntry {
  Amount value = 0;
  bool coinbase = false;
  std::optional<SpentBy> spent;
  bool operator==(const AddressEntry&) const = default;
};

Bytes address_key(const AddressKey& k);
Result<AddressKey> decode_address_key(ByteSpan key);
Bytes address_prefix(const OutputLock& lock);
Bytes encode(const AddressEntry& e);
Result<AddressEntry> decode_address_entry(ByteSpan value);

// ---- stake ------------------------------------------------------------------------------

// The first byte of every stake key. DO NOT CHANGE THESE VALUES: on disk.
enum class StakeTag : uint8_t {
  validator = 1,  // ‖ voting key (32): encode(ValidatorRecord)
  finality = 2,   // (alone): encode(FinalityState) of the tip
  undo = 3,       // ‖ block hash (32): encode(StakeUndo) of a connected block
};

Bytes stake_validator_key(const PublicKey& voting_key);
Bytes stake_validator_prefix();
Bytes stake_finality_key();
Bytes stake_undo_key(const BlockHash& block);

// ---- contracts --------------------------------------------------------------------------

// The first byte of every contracts key. DO NOT CHANGE THESE VALUES: on disk.
enum class ContractTag : uint8_t {
  record = 1,   // ‖ contract id (32): encode(ContractRecord)
  storage = 2,  // ‖ contract id (32) ‖ storage key: the value
  code = 3,     // ‖ code hash (32): the original module
  receipt = 4,  // ‖ txid (32): encode(Receipt) of a best-chain contract transaction
  event = 5,    // ‖ EventKey: txid (32) ‖ encode(Event)
  undo = 6,     // ‖ block hash (32): encode(ContractUndo) of a connected block
};

Bytes contract_record_key(const ContractId& id);
Bytes contract_record_prefix();
Bytes contract_storage_key(const ContractId& id, ByteSpan key);
// Every storage entry of every contract (the audit walks it); split with
// decode_contract_storage_key.
Bytes contract_storage_prefix();
Result<std::pair<ContractId, Bytes>> decode_contract_storage_key(ByteSpan key);
Bytes contract_code_key(const Hash256& code_hash);
Bytes contract_receipt_key(const Txid& txid);
Bytes contract_undo_key(const BlockHash& block);

// An event in the order the chain emitted it: contract id ‖ height u64 BE ‖ position u32 BE
// (of the transaction in its block) ‖ index u32 BE (of the event in its receipt). A
// contract's events form one range (contract_event_prefix), oldest first.
struct EventKey {
  ContractId contract;
  uint64_t height = 0;
  uint32_t position = 0;
  uint32_t index = 0;
  bool operator==(const EventKey&) const = default;
};
inline constexpr size_t kEventKeyBytes = 1 + 32 + 8 + 4 + 4;
Bytes contract_event_key(const EventKey& k);
Result<EventKey> decode_contract_event_key(ByteSpan key);
Bytes contract_event_prefix(const ContractId& id);
// The event's value: the txid that emitted it, then the event.
Bytes encode_event_entry(const Txid& txid, const Event& event);
Result<std::pair<Txid, Event>> decode_event_entry(ByteSpan value);

// What disconnecting a block needs to restore its contract state: each contract record
// and storage entry the block changed, with its value before the block (nullopt: absent),
// sorted by id, then key; and the codes the block stored first. Created outputs and
// events are found through the receipts.
struct ContractUndo {
  struct Record {
    ContractId id;
    std::optional<ContractRecord> before;
    bool operator==(const Record&) const = default;
  };
  struct Entry {
    ContractId id;
    Bytes key;
    std::optional<Bytes> before;
    bool operator==(const Entry&) const = default;
  };
  std::vector<Record> records;
  std::vector<Entry> storage;
  std::vector<Hash256> codes;  // code hashes
  bool operator==(const ContractUndo&) const = default;
  bool empty() const { return records.empty() && storage.empty() && codes.empty(); }
};
inline constexpr uint8_t kContractUndoVersion = 1;
// Decoder caps: a block's gas bounds its writes far below these.
inline constexpr size_t kMaxUndoContracts = 1'000'000;
inline constexpr size_t kMaxUndoStorageEntries = 10'000'000;

Bytes encode(const ContractUndo& u);
Result<ContractUndo> decode_contract_undo(ByteSpan value);

}  // namespace cairn
