// A validator's slashing protection (EIP-3076 style, minimal form): per voting key, the
// highest source and target epochs it has signed and the signing message of its latest
// vote. A vote is allowed only if it cannot form a double or surround vote with anything
// signed before: its target is above every signed target (or it is the identical latest
// vote again) and its source is not below any signed source.
//
// The record lives in one file, rewritten durably (write, fsync, rename, fsync of the
// directory) BEFORE check_and_record returns success, so a crash after signing can never
// forget a vote. Copying the file along with the key protects a restored validator too.
// File format in docs/consensus.md "Staking and finality". Not thread-safe: one validator
// thread owns it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "primitives/block.h"
#include "util/result.h"

namespace cairn {

inline constexpr uint8_t kSlashingProtectionVersion = 1;
inline constexpr size_t kMaxProtectedKeys = 100'000;  // decoder cap

struct SignedVotes {
  uint64_t max_source_epoch = 0;
  uint64_t max_target_epoch = 0;
  Hash256 latest_signing_message;  // of the vote with max_target_epoch
  bool operator==(const SignedVotes&) const = default;
};

class SlashingProtection {
 public:
  // Loads the record at `path` (a missing file is an empty record). Refuses a corrupt file
  // and one made for another network (genesis).
  static Result<SlashingProtection> open(std::filesystem::path path, const BlockHash& genesis);

  // Refuses (ErrorCode::invalid_argument, naming the conflict) a vote that could conflict
  // with one signed before; otherwise records it durably and returns success. `message` is
  // vote_signing_message(vote, genesis).
  Status check_and_record(const Vote& vote, const Hash256& message);

  std::optional<SignedVotes> find(const PublicKey& key) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  SlashingProtection(std::filesystem::path path, const BlockHash& genesis)
      : path_(std::move(path)), genesis_(genesis) {}
  Bytes encode_file(const std::map<PublicKey, SignedVotes>& records) const;
  Status save(const std::map<PublicKey, SignedVotes>& records) const;

  std::filesystem::path path_;
  BlockHash genesis_;
  std::map<PublicKey, SignedVotes> records_;
};

}  // namespace cairn
