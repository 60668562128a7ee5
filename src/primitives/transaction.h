// Transactions: inputs spending outpoints, outputs paying to locks, a typed payload, a
// lock time, and one witness per input. Encoding in docs/consensus.md "Transaction".
//
// The encoding puts the witnesses last, so the txid (hash of the transaction without
// witnesses) is the hash of a prefix of the full encoding and the wtxid the hash of all of it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "crypto/hash.h"
#include "primitives/amount.h"
#include "primitives/lock.h"
#include "util/codec.h"

namespace cairn {

inline constexpr uint32_t kTxVersion = 1;
// Decoder limits (hard caps on what a peer can make us allocate); block limits are tighter
// consensus rules in the consensus layer.
inline constexpr size_t kMaxTxInputs = 10'000;
inline constexpr size_t kMaxTxOutputs = 10'000;
inline constexpr size_t kMaxPayloadBytes = 1'000'000;
inline constexpr size_t kMaxCoinbaseExtraBytes = 100;
// Lock times below this are block heights; at or above it, Unix times (seconds).
inline constexpr uint64_t kLockTimeThreshold = 500'000'000;

using Txid = Hash256;

struct OutPoint {
  Txid txid;
  uint32_t index = 0;
  auto operator<=>(const OutPoint&) const = default;
};

struct TxOut {
  Amount value = 0;
  OutputLock lock;
  bool operator==(const TxOut&) const = default;
};

// DO NOT CHANGE THESE VALUES: consensus. Kinds added by later issues get new numbers.
enum class PayloadKind : uint8_t {
  none = 0,      // an ordinary transfer
  coinbase = 1,  // the first transaction of a block: no inputs; body = height, extra data
  // Staking (primitives/staking.h, docs/consensus.md "Staking and finality").
  bond = 2,      // locks coins as a validator's stake
  unbond = 3,    // starts a validator's exit
  withdraw = 4,  // releases an exited validator's stake to its owner
  slash = 5,     // evidence of a double or surround vote
  // Contracts (primitives/contract.h, docs/contracts.md).
  deploy = 6,   // creates a contract from WebAssembly code
  call = 7,     // runs a contract's method
  upgrade = 8,  // replaces an upgradable contract's code
};
inline constexpr uint8_t kMaxPayloadKind = static_cast<uint8_t>(PayloadKind::upgrade);

struct CoinbaseBody {
  uint64_t height = 0;  // makes every coinbase txid unique (cf. BIP-34)
  Bytes extra;          // miner's data, at most kMaxCoinbaseExtraBytes
  bool operator==(const CoinbaseBody&) const = default;
};

struct Payload {
  PayloadKind kind = PayloadKind::none;
  Bytes body;  // empty for `none`; encode_coinbase_body(...) for `coinbase`
  bool operator==(const Payload&) const = default;
};

struct TxIn {
  OutPoint prevout;
  Witness witness;  // committed by the wtxid only
  bool operator==(const TxIn&) const = default;
};

struct Transaction {
  uint32_t version = kTxVersion;
  std::vector<TxIn> inputs;
  std::vector<TxOut> outputs;
  Payload payload;
  uint64_t lock_time = 0;

  bool is_coinbase() const { return payload.kind == PayloadKind::coinbase; }
  bool operator==(const Transaction&) const = default;
};

void encode(Writer& w, const OutPoint& o);
void encode(Writer& w, const TxOut& o);
void encode(Writer& w, const Payload& p);
// The full encoding, witnesses included.
void encode(Writer& w, const Transaction& tx);
Bytes encode(const Transaction& tx);
// The encoding without witnesses (what the txid hashes).
Bytes encode_without_witnesses(const Transaction& tx);

OutPoint decode_outpoint(Reader& r);
TxOut decode_txout(Reader& r);
Payload decode_payload(Reader& r);
Transaction decode_transaction(Reader& r);
// Decodes exactly one transaction; trailing bytes are an error.
Result<Transaction> decode_transaction(ByteSpan bytes);

Bytes encode_coinbase_body(const CoinbaseBody& body);
Result<CoinbaseBody> decode_coinbase_body(ByteSpan body);

Txid txid(const Transaction& tx);
Hash256 wtxid(const Transaction& tx);

}  // namespace cairn
