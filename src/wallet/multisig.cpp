#include "wallet/multisig.h"

#include <algorithm>
#include <cctype>

#include "primitives/address.h"

namespace cairn::wallet {
namespace {

constexpr std::string_view kTextPrefix = "multi(";

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Error invalid(std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; }

}  // namespace

Result<MultisigSpec> make_multisig(uint32_t threshold, std::vector<PublicKey> keys) {
  if (keys.empty()) return invalid("a multisig needs at least one key");
  if (keys.size() > kMaxMultisigKeys) {
    return invalid("a multisig has at most " + std::to_string(kMaxMultisigKeys) + " keys, got " +
                   std::to_string(keys.size()));
  }
  if (threshold < 1 || threshold > keys.size()) {
    return invalid("threshold " + std::to_string(threshold) + " is outside 1.." +
                   std::to_string(keys.size()) + " (the number of keys)");
  }
  std::sort(keys.begin(), keys.end());
  if (auto dup = std::adjacent_find(keys.begin(), keys.end()); dup != keys.end()) {
    return invalid("key " + dup->hex() + " appears more than once");
  }
  return MultisigSpec{threshold, std::move(keys)};
}

Lock multisig_lock(const MultisigSpec& spec) {
  Lock lock;
  lock.root.tag = LockTag::multi;
  lock.root.threshold = spec.threshold;
  lock.root.keys = spec.keys;
  return lock;
}

OutputLock multisig_output_lock(const MultisigSpec& spec) { return lock_hash_lock(multisig_lock(spec)); }

std::string multisig_address(Network net, const MultisigSpec& spec) {
  return encode_address(net, multisig_output_lock(spec));
}

Result<MultisigSpec> multisig_from_lock(const Lock& lock) {
  if (lock.version != kLockVersion)
    return invalid("lock version " + std::to_string(lock.version) + " is unknown");
  if (lock.root.tag != LockTag::multi) return invalid("the lock is not a multisig lock");
  CAIRN_TRY(MultisigSpec spec, make_multisig(lock.root.threshold, lock.root.keys));
  // Another key order would be another lock hash, so another address: refuse it rather
  // than silently describe a different address.
  if (spec.keys != lock.root.keys) return invalid("the multisig lock's keys are not in sorted order");
  return spec;
}

Result<MultisigSpec> multisig_from_lock_bytes(ByteSpan encoded) {
  CAIRN_TRY(Lock lock, decode_lock(encoded));
  return multisig_from_lock(lock);
}

std::string format_multisig(const MultisigSpec& spec) {
  std::string out(kTextPrefix);
  out += std::to_string(spec.threshold);
  for (const auto& key : spec.keys) {
    out += ',';
    out += key.hex();
  }
  out += ')';
  return out;
}

Result<MultisigSpec> parse_multisig(std::string_view text) {
  text = trim(text);
  if (!text.starts_with(kTextPrefix) || !text.ends_with(")")) {
    return invalid("a multisig is written multi(M,KEY,KEY,...)");
  }
  text.remove_prefix(kTextPrefix.size());
  text.remove_suffix(1);
  std::vector<std::string_view> fields;
  while (true) {
    const size_t comma = text.find(',');
    fields.push_back(trim(text.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (fields.size() > kMaxMultisigKeys + 1) {
      return invalid("a multisig has at most " + std::to_string(kMaxMultisigKeys) + " keys");
    }
  }
  const std::string_view m = fields.front();
  if (m.empty() || m.size() > 2 ||
      !std::all_of(m.begin(), m.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid("multisig threshold '" + std::string(m) + "' is not a number from 1 to " +
                   std::to_string(kMaxMultisigKeys));
  }
  const auto threshold = static_cast<uint32_t>(std::stoul(std::string(m)));
  std::vector<PublicKey> keys;
  for (size_t i = 1; i < fields.size(); ++i) {
    auto key = parse_public_key(fields[i]);
    if (!key) return invalid("multisig key " + std::to_string(i) + ": " + key.error().message);
    keys.push_back(*key);
  }
  return make_multisig(threshold, std::move(keys));
}

Result<PublicKey> parse_public_key(std::string_view hex) {
  hex = trim(hex);
  if (hex.size() != 2 * PublicKey::kSize) {
    return invalid("a public key is " + std::to_string(2 * PublicKey::kSize) + " hex digits, got " +
                   std::to_string(hex.size()) + " characters");
  }
  auto key = PublicKey::from_hex(hex);
  if (!key) return invalid("a public key is hex digits only");
  return *key;
}

}  // namespace cairn::wallet
