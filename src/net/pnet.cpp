#include "net/pnet.h"

#include <algorithm>
#include <string>

#include <sodium.h>

#include "util/file.h"

namespace cairn::net {
namespace {

constexpr size_t kXSalsa20BlockSize = 64;

Error malformed(const std::string& what) {
  return Error{ErrorCode::invalid_argument, "pnet key file: " + what};
}

// Takes one line (without its "\n" or "\r\n") off the front of `rest`; nullopt if there
// is no line end.
std::optional<std::string_view> take_line(std::string_view& rest) {
  const size_t end = rest.find('\n');
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view line = rest.substr(0, end);
  rest.remove_prefix(end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

Result<Psk> decode_text_key(std::string_view text, bool base64) {
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  if (text.find_first_of("\r\n") != std::string_view::npos) {
    return malformed("unexpected content after the key line");
  }
  std::array<uint8_t, kPskLength + 1> key{};  // one spare byte: a longer key must not fit
  size_t length = 0;
  const char* end = nullptr;
  const int status =
      base64 ? sodium_base642bin(key.data(), key.size(), text.data(), text.size(), nullptr, &length, &end,
                                 sodium_base64_VARIANT_ORIGINAL)
             : sodium_hex2bin(key.data(), key.size(), text.data(), text.size(), nullptr, &length, &end);
  const bool whole = status == 0 && end == text.data() + text.size();
  auto psk = Psk::from_bytes(ByteSpan(key.data(), std::min(length, kPskLength)));
  sodium_memzero(key.data(), key.size());
  const std::string encoding = base64 ? "base64" : "base16";
  if (length > kPskLength)
    return malformed("the " + encoding + " key is longer than " + std::to_string(kPskLength) + " bytes");
  if (!whole) return malformed("the key line is not valid " + encoding);
  if (!psk)
    return malformed("the " + encoding + " key is " + std::to_string(length) + " bytes, not " +
                     std::to_string(kPskLength));
  return psk;
}

}  // namespace

Result<Psk> Psk::from_bytes(ByteSpan key) {
  if (key.size() != kPskLength) {
    return Error{ErrorCode::invalid_argument, "a pre-shared key is " + std::to_string(kPskLength) +
                                                  " bytes, not " + std::to_string(key.size())};
  }
  return Psk(SecretBytes::copy_of(key));
}

Result<Psk> Psk::parse_file(ByteSpan contents) {
  if (contents.size() > kMaxPskFileSize) {
    return Error{ErrorCode::limit,
                 "pnet key file: larger than " + std::to_string(kMaxPskFileSize) + " bytes"};
  }
  std::string_view rest(reinterpret_cast<const char*>(contents.data()), contents.size());
  const auto header = take_line(rest);
  if (!header) return malformed("no header line (expected " + std::string(kPskV1Header) + ")");
  if (*header != kPskV1Header) {
    return malformed("unsupported header: the first line must be " + std::string(kPskV1Header));
  }
  const auto encoding = take_line(rest);
  if (!encoding) return malformed("no encoding line (/base16/, /base64/ or /bin/) after the header");
  if (*encoding == "/base16/") return decode_text_key(rest, false);
  if (*encoding == "/base64/") return decode_text_key(rest, true);
  if (*encoding == "/bin/") {
    if (rest.size() != kPskLength) {
      return malformed("a /bin/ key is the " + std::to_string(kPskLength) +
                       " bytes after the encoding line, found " + std::to_string(rest.size()));
    }
    return from_bytes(ByteSpan(reinterpret_cast<const uint8_t*>(rest.data()), rest.size()));
  }
  return malformed("unknown encoding line (expected /base16/, /base64/ or /bin/)");
}

Result<Psk> Psk::load(const std::filesystem::path& path) {
  auto bytes = read_private_file(path, kMaxPskFileSize);
  if (!bytes)
    return Error{bytes.error().code, "pnet key file " + path.string() + ": " + bytes.error().message};
  auto psk = parse_file(*bytes);
  sodium_memzero(bytes->data(), bytes->size());
  if (!psk) return Error{psk.error().code, path.string() + ": " + psk.error().message};
  return psk;
}

XSalsa20Stream::XSalsa20Stream(const Psk& psk, const PnetNonce& nonce) : nonce_(nonce) {
  std::copy(psk.key().begin(), psk.key().end(), key_.begin());
}

XSalsa20Stream::~XSalsa20Stream() { sodium_memzero(key_.data(), key_.size()); }

void XSalsa20Stream::apply(std::span<uint8_t> data) {
  // libsodium starts at a block boundary: a chunk that begins inside a block first XORs the
  // rest of that block's keystream.
  if (const size_t offset = position_ % kXSalsa20BlockSize; offset != 0 && !data.empty()) {
    std::array<uint8_t, kXSalsa20BlockSize> block{};
    crypto_stream_xsalsa20_xor_ic(block.data(), block.data(), block.size(), nonce_.data(),
                                  position_ / kXSalsa20BlockSize, key_.data());
    const size_t n = std::min(data.size(), kXSalsa20BlockSize - offset);
    for (size_t i = 0; i < n; ++i) data[i] ^= block[offset + i];
    sodium_memzero(block.data(), block.size());
    position_ += n;
    data = data.subspan(n);
  }
  if (data.empty()) return;
  crypto_stream_xsalsa20_xor_ic(data.data(), data.data(), data.size(), nonce_.data(),
                                position_ / kXSalsa20BlockSize, key_.data());
  position_ += data.size();
}

PnetSession::PnetSession(Psk psk, const PnetNonce& local_nonce)
    : psk_(std::move(psk)), local_nonce_(local_nonce), outbound_(*psk_, local_nonce) {}

Bytes PnetSession::receive(ByteSpan bytes) {
  if (!inbound_) {
    const size_t n = std::min(bytes.size(), kPnetNonceLength - partial_nonce_.size());
    partial_nonce_.insert(partial_nonce_.end(), bytes.begin(),
                          bytes.begin() + static_cast<std::ptrdiff_t>(n));
    bytes = bytes.subspan(n);
    if (partial_nonce_.size() < kPnetNonceLength) return {};
    PnetNonce remote{};
    std::copy(partial_nonce_.begin(), partial_nonce_.end(), remote.begin());
    inbound_.emplace(*psk_, remote);
    psk_.reset();
    partial_nonce_ = {};
  }
  Bytes plaintext(bytes.begin(), bytes.end());
  inbound_->apply(plaintext);
  return plaintext;
}

}  // namespace cairn::net
