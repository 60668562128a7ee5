// The RPC cookie (as Bitcoin Core does it): at start-up cairnd writes a fresh random secret to
// <network datadir>/rpc.cookie (mode 0600) and removes it at shutdown; a local `cairn` reads
// it and authenticates as user "__cookie__" with HTTP Basic. Whoever can read the data dir may
// control the node; nobody else can.
//
// File format: one line, `__cookie__:<64 lowercase hex digits>`.
#pragma once

#include <filesystem>
#include <string>

#include "util/result.h"

namespace cairn::rpc {

inline constexpr const char* kCookieUser = "__cookie__";
inline constexpr const char* kCookieFileName = "rpc.cookie";
inline constexpr size_t kCookieSecretBytes = 32;

struct Credentials {
  std::string user;
  std::string password;
};

// Writes a new cookie with a secret from the OS CSPRNG, replacing any stale one atomically;
// the secret written.
Result<std::string> write_cookie(const std::filesystem::path& file);

// Reads a cookie written by write_cookie(); errors say what to do ("is cairnd running with
// this --datadir and --network?").
Result<Credentials> read_cookie(const std::filesystem::path& file);

// Removes the cookie; a missing file is fine.
void remove_cookie(const std::filesystem::path& file);

}  // namespace cairn::rpc
