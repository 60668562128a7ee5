#include "chain/slashing_protection.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>

#include "util/codec.h"
#include "util/file.h"

namespace cairn {
namespace {

// The checksum guards against torn or damaged files (not against an attacker who can
// write the file: that one can also delete it).
constexpr std::string_view kChecksumContext = "cairn v1 slashing protection checksum";
constexpr size_t kChecksumBytes = 32;
constexpr size_t kMaxFileBytes =
    1 + 32 + kMaxVarintBytes + kMaxProtectedKeys * (32 + 8 + 8 + 32) + kChecksumBytes;

Error io_error(const std::string& what, const std::filesystem::path& path, int err = errno) {
  return Error{ErrorCode::io,
               "slashing protection: " + what + " " + path.string() + ": " + std::strerror(err)};
}

Error corrupt(const std::filesystem::path& path, const std::string& why) {
  return Error{ErrorCode::decode, "slashing protection file " + path.string() + " is unusable (" + why +
                                      "); do not vote until it is restored from a backup"};
}

}  // namespace

Result<SlashingProtection> SlashingProtection::open(std::filesystem::path path, const BlockHash& genesis) {
  SlashingProtection protection(std::move(path), genesis);
  std::error_code ec;
  if (!std::filesystem::exists(protection.path_, ec)) {
    if (ec) return io_error("cannot check", protection.path_, ec.value());
    return protection;
  }
  const auto size = std::filesystem::file_size(protection.path_, ec);
  if (ec) return io_error("cannot stat", protection.path_, ec.value());
  if (size > kMaxFileBytes) return corrupt(protection.path_, "too large");
  std::ifstream in(protection.path_, std::ios::binary);
  Bytes bytes(static_cast<size_t>(size));
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
    return io_error("cannot read", protection.path_);
  }
  if (bytes.size() < kChecksumBytes) return corrupt(protection.path_, "truncated");
  const ByteSpan body(bytes.data(), bytes.size() - kChecksumBytes);
  const Hash256 checksum = derive_key(kChecksumContext, body);
  if (!std::equal(checksum.bytes.begin(), checksum.bytes.end(), bytes.end() - kChecksumBytes)) {
    return corrupt(protection.path_, "checksum mismatch");
  }
  Reader r(body);
  const uint8_t version = r.u8("version");
  if (r.ok() && version != kSlashingProtectionVersion)
    r.fail(ErrorCode::decode, "version", "unknown version");
  const BlockHash file_genesis = r.fixed<32>("genesis");
  const size_t n = r.count("keys", kMaxProtectedKeys);
  std::optional<PublicKey> last;
  for (size_t i = 0; i < n && r.ok(); ++i) {
    const PublicKey key = r.fixed<32>("key");
    SignedVotes votes;
    votes.max_source_epoch = r.u64("max_source_epoch");
    votes.max_target_epoch = r.u64("max_target_epoch");
    votes.latest_signing_message = r.fixed<32>("latest_signing_message");
    if (r.ok() && last && !(*last < key)) r.fail(ErrorCode::decode, "key", "keys not in increasing order");
    last = key;
    protection.records_[key] = votes;
  }
  if (auto done = r.finish(); !done) return corrupt(protection.path_, done.error().message);
  if (file_genesis != genesis) return corrupt(protection.path_, "it belongs to another network");
  return protection;
}

Bytes SlashingProtection::encode_file(const std::map<PublicKey, SignedVotes>& records) const {
  Writer w;
  w.u8(kSlashingProtectionVersion);
  w.raw(genesis_);
  w.varint(records.size());
  for (const auto& [key, votes] : records) {
    w.raw(key);
    w.u64(votes.max_source_epoch);
    w.u64(votes.max_target_epoch);
    w.raw(votes.latest_signing_message);
  }
  const Hash256 checksum = derive_key(kChecksumContext, w.data());
  w.raw(checksum);
  return w.take();
}

Status SlashingProtection::save(const std::map<PublicKey, SignedVotes>& records) const {
  if (auto written = write_file_atomically(path_, encode_file(records), /*replace=*/true); !written) {
    return Error{written.error().code, "slashing protection: " + written.error().message};
  }
  return {};
}

Status SlashingProtection::check_and_record(const Vote& vote, const Hash256& message) {
  auto it = records_.find(vote.validator);
  if (it != records_.end()) {
    const SignedVotes& signed_before = it->second;
    if (vote.target_epoch == signed_before.max_target_epoch &&
        message == signed_before.latest_signing_message) {
      return {};  // the identical vote again: signing it twice conflicts with nothing
    }
    if (vote.target_epoch <= signed_before.max_target_epoch) {
      return Error{ErrorCode::invalid_argument,
                   "refusing to sign: target epoch " + std::to_string(vote.target_epoch) +
                       " is not above the highest signed target " +
                       std::to_string(signed_before.max_target_epoch) + " (double or surrounded vote)"};
    }
    if (vote.source_epoch < signed_before.max_source_epoch) {
      return Error{ErrorCode::invalid_argument,
                   "refusing to sign: source epoch " + std::to_string(vote.source_epoch) +
                       " is below the highest signed source " +
                       std::to_string(signed_before.max_source_epoch) + " (surround vote)"};
    }
  }
  auto next = records_;
  SignedVotes& entry = next[vote.validator];
  entry.max_source_epoch = std::max(entry.max_source_epoch, vote.source_epoch);
  entry.max_target_epoch = vote.target_epoch;
  entry.latest_signing_message = message;
  CAIRN_TRY_STATUS(save(next));
  records_ = std::move(next);
  return {};
}

std::optional<SignedVotes> SlashingProtection::find(const PublicKey& key) const {
  auto it = records_.find(key);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

}  // namespace cairn
