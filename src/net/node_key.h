// The node's libp2p identity key, persisted in the data dir.
//
// The file holds the libp2p PrivateKey protobuf of an Ed25519 key (net/identity.h: 68
// bytes, the format go-, js- and rust-libp2p store keys in, so a key can move between
// implementations). It is created with mode 0600, written atomically (a temporary file,
// fsync, rename, fsync of the directory: a crash leaves the old state or the new, never a
// torn key), and on load it is refused, with a message saying what to fix, unless it is a
// regular file (not a symlink), unreadable by group and others, and of a key's size.
//
// The functions do blocking file I/O; call them at start-up, not from a network strand.
// Not safe against two processes creating the same key at once (the data dir is locked).
#pragma once

#include <filesystem>

#include "crypto/ed25519.h"
#include "util/result.h"

namespace cairn::net {

inline constexpr const char* kNodeKeyFileName = "node_key";
// Larger files are refused before reading: the legacy PrivateKey form is 100 bytes.
inline constexpr size_t kMaxNodeKeyFileSize = 128;

// Loads the key at `path`, or generates one (OS CSPRNG) and saves it there if no file
// exists. Any other problem (permissions, type, contents, I/O) is an Error.
Result<KeyPair> load_or_create_node_key(const std::filesystem::path& path);
Result<KeyPair> load_node_key(const std::filesystem::path& path);
// Writes `key` to `path` atomically, replacing any file there.
Status save_node_key(const std::filesystem::path& path, const KeyPair& key);

}  // namespace cairn::net
