#include "net/node_key.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/identity.h"

namespace cairn::net {
namespace {

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, reporting the error close() can return (deferred write errors).
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

Error io_error(const std::string& what, const std::filesystem::path& path, int err = errno) {
  return Error{ErrorCode::io, "node key: " + what + " " + path.string() + ": " + std::strerror(err)};
}

Error bad_file(const std::filesystem::path& path, const std::string& why) {
  return Error{ErrorCode::invalid_argument, "node key file " + path.string() + " " + why};
}

std::string octal_mode(mode_t mode) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return buf.data();
}

Status write_all(int fd, ByteSpan bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot write", path);
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return {};
}

Status sync_directory(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot open directory", dir);
  if (::fsync(fd.get()) != 0) return io_error("cannot fsync directory", dir);
  return {};
}

Status write_temporary(const std::filesystem::path& tmp, const KeyPair& key) {
  // O_EXCL | O_NOFOLLOW: never write the secret through a file or link someone else made.
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return io_error("cannot create", tmp);
  // The umask can only clear bits; this makes the mode exactly 0600 whatever it is.
  if (::fchmod(fd.get(), 0600) != 0) return io_error("cannot chmod", tmp);
  Bytes encoded = encode_private_key(key);
  Status written = write_all(fd.get(), encoded, tmp);
  secure_zero(encoded.data(), encoded.size());
  CAIRN_TRY_STATUS(written);
  if (::fsync(fd.get()) != 0) return io_error("cannot fsync", tmp);
  if (fd.close() != 0) return io_error("cannot close", tmp);
  return {};
}

}  // namespace

Status save_node_key(const std::filesystem::path& path, const KeyPair& key) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  // A temporary file left by a crash holds a key that was never installed.
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return io_error("cannot remove stale", tmp);
  if (auto s = write_temporary(tmp, key); !s) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot rename " + tmp.string() + " to", path, err);
  }
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  return sync_directory(dir);
}

Result<KeyPair> load_node_key(const std::filesystem::path& path) {
  // O_NOFOLLOW refuses a symlink; O_NONBLOCK keeps a FIFO planted there from blocking the
  // open (the type check below then refuses it).
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ELOOP) return bad_file(path, "is a symbolic link; it must be a regular file");
    return io_error("cannot open", path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return bad_file(path, "is not a regular file");
  if ((st.st_mode & 077) != 0) {
    return bad_file(path, "has mode " + octal_mode(st.st_mode) +
                              ": a secret key must not be accessible to group or others (chmod 600 " +
                              path.string() + ")");
  }
  if (st.st_size > static_cast<off_t>(kMaxNodeKeyFileSize)) {
    return bad_file(path, "is " + std::to_string(st.st_size) + " bytes; a libp2p Ed25519 PrivateKey is " +
                              std::to_string(kEd25519PrivateKeyProtobufLength));
  }
  std::array<uint8_t, kMaxNodeKeyFileSize> buffer{};
  size_t size = 0;
  while (size < buffer.size()) {
    const ssize_t n = ::read(fd.get(), buffer.data() + size, buffer.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot read", path);
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  auto key = decode_private_key(ByteSpan(buffer.data(), size));
  secure_zero(buffer.data(), buffer.size());
  if (!key) return bad_file(path, "does not hold a libp2p Ed25519 key: " + key.error().message);
  return key;
}

Result<KeyPair> load_or_create_node_key(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) return load_node_key(path);
  if (errno != ENOENT) return io_error("cannot stat", path);
  KeyPair key = KeyPair::generate();
  CAIRN_TRY_STATUS(save_node_key(path, key));
  return key;
}

}  // namespace cairn::net
