#include "net/node_key.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include <sys/stat.h>
#include <unistd.h>

#include "net/identity.h"
#include "util/file.h"

namespace cairn::net {
namespace {

// The node key file's errors say what the file is.
Error about_node_key(const Error& e) { return Error{e.code, "node key: " + e.message}; }

}  // namespace

Status save_node_key(const std::filesystem::path& path, const KeyPair& key) {
  Bytes encoded = encode_private_key(key);
  Status written = write_file_atomically(path, encoded, /*replace=*/true);
  secure_zero(encoded.data(), encoded.size());
  if (!written) return about_node_key(written.error());
  return {};
}

Result<KeyPair> load_node_key(const std::filesystem::path& path) {
  auto bytes = read_private_file(path, kMaxNodeKeyFileSize);
  if (!bytes) return about_node_key(bytes.error());
  auto key = decode_private_key(*bytes);
  secure_zero(bytes->data(), bytes->size());
  if (!key) {
    return Error{
        ErrorCode::invalid_argument,
        "node key file " + path.string() + " does not hold a libp2p Ed25519 key: " + key.error().message};
  }
  return key;
}

Result<KeyPair> load_or_create_node_key(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) return load_node_key(path);
  if (errno != ENOENT)
    return Error{ErrorCode::io, "node key: cannot stat " + path.string() + ": " + std::strerror(errno)};
  KeyPair key = KeyPair::generate();
  CAIRN_TRY_STATUS(save_node_key(path, key));
  return key;
}

}  // namespace cairn::net
