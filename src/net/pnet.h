// libp2p private networks (pnet, libp2p specs pnet/Private-Networks-PSK-V1.md): every peer of
// the network holds the same 32-byte pre-shared key (PSK); each side of a connection sends a
// random 24-byte nonce and then XORs everything it sends (multistream, Noise, Yamux) with the
// XSalsa20 keystream of (PSK, its nonce). A peer without the key cannot even negotiate the
// security protocol. pnet gives no integrity; Noise still authenticates the peer.
//
//   Psk              the key, parsed from the v1 key file ("/key/swarm/psk/1.0.0/", then
//                    "/base16/", "/base64/" or "/bin/", then the 32-byte key); wiped on
//                    destruction
//   XSalsa20Stream   one direction's keystream; XORs chunks of any size, keeping its
//                    position across them
//   PnetSession      sans-I/O, both directions of one connection: the nonce exchange and
//                    the two keystreams
//
// Not thread-safe: one owner (a connection's strand) at a time.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>

#include "crypto/secret.h"
#include "util/bytes.h"
#include "util/result.h"

namespace cairn::net {

inline constexpr size_t kPskLength = 32;
inline constexpr size_t kPnetNonceLength = 24;
// A v1 key file is about 100 bytes; anything larger is refused before parsing.
inline constexpr size_t kMaxPskFileSize = 1024;
inline constexpr std::string_view kPskV1Header = "/key/swarm/psk/1.0.0/";

using PnetNonce = std::array<uint8_t, kPnetNonceLength>;

class Psk {
 public:
  // Exactly kPskLength bytes.
  static Result<Psk> from_bytes(ByteSpan key);
  // The key file format: the header line, an encoding line (/base16/, /base64/ or /bin/),
  // then the key. Lines end in "\n" or "\r\n". With /base16/ and /base64/ the key is the
  // third line (trailing spaces, tabs and line ends after it are ignored, nothing else
  // may follow); with /bin/ the rest of the file is the key, exactly 32 bytes.
  static Result<Psk> parse_file(ByteSpan contents);
  // Reads and parses the key file at `path` (a regular file, mode 0600 or stricter, at most
  // kMaxPskFileSize bytes). Blocking file I/O.
  static Result<Psk> load(const std::filesystem::path& path);

  Psk(const Psk& other) : key_(SecretBytes::copy_of(other.key_.span())) {}
  Psk& operator=(const Psk& other) {
    if (this != &other) key_ = SecretBytes::copy_of(other.key_.span());
    return *this;
  }
  Psk(Psk&&) noexcept = default;
  Psk& operator=(Psk&&) noexcept = default;

  ByteSpan key() const { return key_.span(); }

 private:
  explicit Psk(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

// The XSalsa20 keystream of (key, nonce) from byte 0 on.
class XSalsa20Stream {
 public:
  XSalsa20Stream(const Psk& psk, const PnetNonce& nonce);
  XSalsa20Stream(const XSalsa20Stream&) = delete;
  XSalsa20Stream& operator=(const XSalsa20Stream&) = delete;
  ~XSalsa20Stream();

  // XORs `data` in place with the next data.size() keystream bytes.
  void apply(std::span<uint8_t> data);
  uint64_t position() const { return position_; }

 private:
  std::array<uint8_t, kPskLength> key_;
  PnetNonce nonce_;
  uint64_t position_ = 0;
};

class PnetSession {
 public:
  // `local_nonce` must be random (the OS CSPRNG): a repeated nonce reuses the keystream.
  PnetSession(Psk psk, const PnetNonce& local_nonce);

  // What to send before anything else: the local nonce, in the clear.
  ByteSpan local_nonce() const { return local_nonce_; }
  // Encrypts outbound bytes in place (usable before the peer's nonce is known).
  void seal(std::span<uint8_t> data) { outbound_.apply(data); }
  // Consumes bytes from the peer: the first kPnetNonceLength are its nonce, everything
  // after is decrypted and returned.
  Bytes receive(ByteSpan bytes);
  // The peer's nonce has been received.
  bool ready() const { return inbound_.has_value(); }

 private:
  std::optional<Psk> psk_;  // until the inbound keystream exists
  PnetNonce local_nonce_;
  XSalsa20Stream outbound_;
  Bytes partial_nonce_;
  std::optional<XSalsa20Stream> inbound_;
};

}  // namespace cairn::net
