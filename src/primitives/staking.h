// Staking payloads (bond, unbond, withdraw, slash) and the validator record that the stake
// state keeps per voting key, with their canonical encodings and state-root elements.
// Encodings in docs/consensus.md "Staking and finality". Values only: thread-compatible.
#pragma once

#include <cstdint>
#include <optional>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "primitives/amount.h"
#include "primitives/block.h"
#include "primitives/coin.h"
#include "primitives/lock.h"
#include "primitives/transaction.h"
#include "util/codec.h"

namespace cairn {

// The payload kinds of staking transactions (transaction.h).
inline constexpr PayloadKind kBondPayload = PayloadKind::bond;
inline constexpr PayloadKind kUnbondPayload = PayloadKind::unbond;
inline constexpr PayloadKind kWithdrawPayload = PayloadKind::withdraw;
inline constexpr PayloadKind kSlashPayload = PayloadKind::slash;

bool is_staking_payload(PayloadKind kind);

// Registers `voting_key` as a validator with `amount` of stake; `owner` receives it back.
struct BondBody {
  PublicKey voting_key;
  OutputLock owner;
  Amount amount = 0;
  bool operator==(const BondBody&) const = default;
};

// Starts the exit of `voting_key`. Authorised either by `signature` (the voting key over
// unbond_signing_message) or, when absent, by an input spending a coin locked to the owner.
struct UnbondBody {
  PublicKey voting_key;
  std::optional<Signature> signature;
  bool operator==(const UnbondBody&) const = default;
};

// Releases the stake of an exited validator to its owner (outputs[0]).
struct WithdrawBody {
  PublicKey voting_key;
  bool operator==(const WithdrawBody&) const = default;
};

// Two signed votes of one validator that conflict (double or surround vote).
struct SlashBody {
  Vote first;
  Vote second;
  bool operator==(const SlashBody&) const = default;
};

Bytes encode_bond_body(const BondBody& body);
Bytes encode_unbond_body(const UnbondBody& body);
Bytes encode_withdraw_body(const WithdrawBody& body);
Bytes encode_slash_body(const SlashBody& body);
// Strict: exactly one body, no trailing bytes.
Result<BondBody> decode_bond_body(ByteSpan body);
Result<UnbondBody> decode_unbond_body(ByteSpan body);
Result<WithdrawBody> decode_withdraw_body(ByteSpan body);
Result<SlashBody> decode_slash_body(ByteSpan body);

// What the voting key signs to unbond:
//   H("cairn v1 unbond sign", genesis ‖ voting key ‖ bond id)
// The bond id (txid of the bond) makes the signature useless for any later bond of the key.
Hash256 unbond_signing_message(const BlockHash& genesis, const PublicKey& voting_key, const Txid& bond_id);

inline constexpr uint8_t kValidatorRecordVersion = 1;
// "Not set" for end dynasty and end epoch.
inline constexpr uint64_t kUnset = UINT64_MAX;

// One validator in the stake state. A validator belongs to dynasty d's set when
// start_dynasty <= d < end_dynasty and it is not slashed.
struct ValidatorRecord {
  PublicKey voting_key;
  OutputLock owner;
  Txid bond_id;                   // txid of the bond transaction
  Amount stake = 0;               // current stake (rewards compound into it)
  uint64_t start_dynasty = 0;     // bond dynasty + 2
  uint64_t end_dynasty = kUnset;  // unbond dynasty + logout delay
  uint64_t end_epoch = kUnset;    // first epoch in which it was in neither dynasty set
  bool slashed = false;           // slashed: stake 0, a tombstone that blocks the key forever
  bool operator==(const ValidatorRecord&) const = default;
};

void encode(Writer& w, const ValidatorRecord& record);
ValidatorRecord decode_validator_record(Reader& r);
Bytes encode(const ValidatorRecord& record);
Result<ValidatorRecord> decode_validator_record(ByteSpan bytes);

// The first byte of a stake state element (StateElementKind, coin.h).
inline constexpr uint8_t kValidatorStateElement = static_cast<uint8_t>(StateElementKind::validator);
inline constexpr uint8_t kFinalityStateElement = static_cast<uint8_t>(StateElementKind::finality);

// The state-root element of one validator: 2 u8 ‖ encode(record).
Bytes validator_state_element(const ValidatorRecord& record);

}  // namespace cairn
