// A validator's duty: given the finality state at the node's tip, produce the vote for the
// tip's current checkpoint (source = last justified checkpoint, target = the checkpoint of
// the tip's epoch), after slashing protection has allowed it and recorded it durably.
//
// The order is the safety argument: check, record (fsync), sign, return. A crash at any
// point leaves a record at least as strict as the votes that exist. Not thread-safe: one
// validator thread owns it (and its SlashingProtection).
#pragma once

#include <cstdint>
#include <utility>

#include "chain/slashing_protection.h"
#include "consensus/finality.h"
#include "consensus/staking.h"
#include "crypto/ed25519.h"
#include "primitives/block.h"
#include "util/result.h"

namespace cairn {

class Validator {
 public:
  // `protection` must outlive the validator.
  Validator(KeyPair key, SlashingProtection& protection, const BlockHash& genesis)
      : key_(std::move(key)), protection_(protection), genesis_(genesis) {}

  const PublicKey& voting_key() const { return key_.public_key(); }

  // The signed vote for the checkpoint of `target_epoch` (hash `target_hash`, a block of the
  // tip's chain) given `state`, the stake state at the tip. Errors: not a validator of the
  // target epoch's dynasties (invalid_argument), nothing to vote for (the target is not above
  // the last justified epoch), slashing protection refused, or its record could not be written.
  Result<Vote> vote(const StakeState& state, uint64_t target_epoch, const BlockHash& target_hash);

 private:
  KeyPair key_;
  SlashingProtection& protection_;
  BlockHash genesis_;
};

}  // namespace cairn
