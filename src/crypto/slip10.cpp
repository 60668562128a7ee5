#include "crypto/slip10.h"

#include <algorithm>
#include <array>
#include <cassert>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace cairn::slip10 {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr std::string_view kMasterHmacKey = "ed25519 seed";
// Path elements longer than this are not quoted back in errors.
constexpr size_t kMaxQuotedElement = 16;

// HMAC-SHA512(key, data) split into the node's key (left half) and chain code (right half).
Result<ExtendedKey> hmac_node(ByteSpan key, ByteSpan data) {
  std::array<uint8_t, 2 * kKeyBytes> digest{};
  unsigned int digest_size = 0;
  if (HMAC(EVP_sha512(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), digest.data(),
           &digest_size) == nullptr ||
      digest_size != digest.size()) {
    OPENSSL_cleanse(digest.data(), digest.size());
    return Error{ErrorCode::crypto, "HMAC-SHA512 failed (OpenSSL)"};
  }
  ExtendedKey node{SecretBytes::copy_of(ByteSpan(digest).first(kKeyBytes)),
                   SecretBytes::copy_of(ByteSpan(digest).last(kKeyBytes))};
  OPENSSL_cleanse(digest.data(), digest.size());
  return node;
}

std::string element_name(size_t position, std::string_view text) {
  std::string name = "path element " + std::to_string(position);
  const bool printable = std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (!text.empty() && text.size() <= kMaxQuotedElement && printable) {
    name += " \"";
    name += text;
    name += "\"";
  }
  return name;
}

// One element of a path: decimal digits without a sign or leading zero, below 2^31,
// then ' or h.
Result<uint32_t> parse_element(size_t position, std::string_view text) {
  const auto fail = [&](const std::string& why) {
    return Error{ErrorCode::invalid_argument, element_name(position, text) + ": " + why};
  };
  if (text.empty()) return fail("empty (two slashes in a row, or a slash at the end?)");
  const bool hardened = text.back() == '\'' || text.back() == 'h';
  const std::string_view digits = hardened ? text.substr(0, text.size() - 1) : text;
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return fail("expected a decimal index followed by ' or h, e.g. 44'");
  }
  if (digits.size() > 1 && digits[0] == '0') return fail("leading zeros are not allowed");
  uint64_t index = 0;
  for (char c : digits) {
    index = index * 10 + static_cast<uint64_t>(c - '0');
    if (index >= kHardened) return fail("the index must be below 2^31 (2147483648)");
  }
  if (!hardened) {
    return fail(
        "not hardened; Ed25519 keys (SLIP-0010) have hardened derivation only, so write it with ' or h, "
        "e.g. " +
        std::string(digits) + "'");
  }
  return static_cast<uint32_t>(index) | kHardened;
}

}  // namespace

Result<ExtendedKey> master_key(ByteSpan seed) {
  if (seed.size() < kMinSeedBytes || seed.size() > kMaxSeedBytes) {
    return Error{ErrorCode::invalid_argument, "a SLIP-0010 seed is " + std::to_string(kMinSeedBytes) +
                                                  " to " + std::to_string(kMaxSeedBytes) + " bytes, not " +
                                                  std::to_string(seed.size())};
  }
  return hmac_node(as_bytes(kMasterHmacKey), seed);
}

Result<ExtendedKey> derive_child(const ExtendedKey& parent, uint32_t index) {
  assert(parent.key.size() == kKeyBytes && parent.chain_code.size() == kKeyBytes);
  if (index < kHardened) {
    return Error{ErrorCode::invalid_argument, "index " + std::to_string(index) +
                                                  " is not hardened: Ed25519 keys (SLIP-0010) have hardened "
                                                  "derivation only"};
  }
  // 0x00 ‖ parent key ‖ ser32(index), big-endian.
  std::array<uint8_t, 1 + kKeyBytes + 4> data{};
  std::copy(parent.key.span().begin(), parent.key.span().end(), data.begin() + 1);
  for (size_t i = 0; i < 4; ++i) data[1 + kKeyBytes + i] = static_cast<uint8_t>(index >> (24 - 8 * i));
  auto child = hmac_node(parent.chain_code.span(), data);
  OPENSSL_cleanse(data.data(), data.size());
  return child;
}

Result<ExtendedKey> derive_path(ByteSpan seed, std::span<const uint32_t> path) {
  CAIRN_TRY(ExtendedKey node, master_key(seed));
  for (uint32_t index : path) {
    CAIRN_TRY(node, derive_child(node, index));
  }
  return node;
}

Result<std::vector<uint32_t>> parse_path(std::string_view path) {
  if (path.empty()) return Error{ErrorCode::invalid_argument, "empty path: expected e.g. m/44'/1'/0'/0'/0'"};
  if (path[0] != 'm' || (path.size() > 1 && path[1] != '/')) {
    return Error{ErrorCode::invalid_argument, "a path starts with m/ (e.g. m/44'/1'/0'/0'/0'), or is just m"};
  }
  std::vector<uint32_t> indexes;
  if (path.size() == 1) return indexes;
  std::string_view rest = path.substr(2);
  for (size_t position = 1;; ++position) {
    if (position > kMaxPathDepth) {
      return Error{ErrorCode::limit, "the path is deeper than " + std::to_string(kMaxPathDepth) + " levels"};
    }
    const size_t slash = rest.find('/');
    CAIRN_TRY(const uint32_t index, parse_element(position, rest.substr(0, slash)));
    indexes.push_back(index);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return indexes;
}

std::string format_path(std::span<const uint32_t> path) {
  std::string out = "m";
  for (uint32_t index : path) {
    out += '/';
    out += std::to_string(index & ~kHardened);
    if (index >= kHardened) out += '\'';
  }
  return out;
}

KeyPair key_pair(const ExtendedKey& node) {
  assert(node.key.size() == kKeyBytes);
  Seed seed;
  std::copy(node.key.span().begin(), node.key.span().end(), seed.bytes.begin());
  KeyPair pair = KeyPair::from_seed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return pair;
}

}  // namespace cairn::slip10
