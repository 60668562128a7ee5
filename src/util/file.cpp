#include "util/file.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn {
namespace {

std::string in_quotes(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

Error io_error(const std::string& what, const std::filesystem::path& path, int err = errno) {
  return Error{ErrorCode::io, "cannot " + what + " " + in_quotes(path) + ": " + std::strerror(err)};
}

std::string octal_mode(mode_t mode) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "%04o", static_cast<unsigned>(mode & 07777));
  return buf.data();
}

Status sync_directory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return io_error("open directory", dir);
  if (::fsync(fd.get()) != 0) return io_error("sync directory", dir);
  return {};
}

}  // namespace

Status write_all(int fd, ByteSpan bytes, const std::filesystem::path& what) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("write", what);
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return {};
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

int UniqueFd::close() { return ::close(std::exchange(fd_, -1)); }

Status write_file_atomically(const std::filesystem::path& path, ByteSpan bytes, bool replace) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string tmp = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  // mkostemp creates the file with mode 0600 and O_EXCL: never through a file or link
  // someone else made, never readable by others.
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.get() < 0) return io_error("create a file in", dir);
  auto fail = [&](Error e) {
    ::unlink(tmp.c_str());
    return e;
  };
  if (auto written = write_all(fd.get(), bytes, tmp); !written) return fail(written.error());
  if (::fsync(fd.get()) != 0) return fail(io_error("sync", tmp));
  if (fd.close() != 0) return fail(io_error("close", tmp));
  // RENAME_NOREPLACE makes "refuse an existing file" atomic.
  const int rc = replace ? ::rename(tmp.c_str(), path.c_str())
                         : ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
  if (rc != 0) {
    const int err = errno;
    if (err == EEXIST)
      return fail(Error{ErrorCode::io, in_quotes(path) + " already exists; refusing to overwrite it"});
    return fail(io_error("rename " + in_quotes(tmp) + " to", path, err));
  }
  return sync_directory(dir);
}

Result<UniqueFd> open_private_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ELOOP) {
      return Error{ErrorCode::invalid_argument,
                   in_quotes(path) + " is a symbolic link; it must be a regular file"};
    }
    return io_error("open", path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("stat", path);
  if (!S_ISREG(st.st_mode))
    return Error{ErrorCode::invalid_argument, in_quotes(path) + " is not a regular file"};
  if ((st.st_mode & 077) != 0) {
    return Error{ErrorCode::invalid_argument,
                 "permissions " + octal_mode(st.st_mode) + " for " + in_quotes(path) +
                     " are too open: it holds a secret and must not be accessible "
                     "by group or others (chmod 600 " +
                     in_quotes(path) + ")"};
  }
  return Result<UniqueFd>(std::move(fd));
}

Result<Bytes> read_private_file(const std::filesystem::path& path, size_t max_bytes) {
  CAIRN_TRY(const UniqueFd fd, open_private_file(path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("stat", path);
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Error{ErrorCode::limit, in_quotes(path) + " is " + std::to_string(st.st_size) +
                                       " bytes, more than " + std::to_string(max_bytes)};
  }
  // One byte more than allowed is asked for, so a file that grew after fstat is caught.
  Bytes bytes(max_bytes + 1);
  size_t size = 0;
  while (size < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + size, bytes.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("read", path);
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  if (size > max_bytes) {
    explicit_bzero(bytes.data(), bytes.size());  // it may hold a secret
    return Error{ErrorCode::limit, in_quotes(path) + " is more than " + std::to_string(max_bytes) + " bytes"};
  }
  bytes.resize(size);
  return bytes;
}

Result<FileLock> FileLock::acquire(const std::filesystem::path& path, std::string_view what) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (fd.get() < 0) return io_error("open lock file", path);
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return io_error("lock", path);
    // The holder wrote its PID when it took the lock; it may be writing it just now.
    std::array<char, 32> buf{};
    const ssize_t n = ::pread(fd.get(), buf.data(), buf.size() - 1, 0);
    long pid = 0;
    if (n > 0 && std::sscanf(buf.data(), "%ld", &pid) == 1 && pid > 0) {
      return Error{ErrorCode::invalid_argument,
                   std::string(what) + " is in use by process " + std::to_string(pid)};
    }
    return Error{ErrorCode::invalid_argument, std::string(what) + " is in use by another process"};
  }
  if (::ftruncate(fd.get(), 0) != 0) return io_error("truncate lock file", path);
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return io_error("write lock file", path);
  }
  return FileLock(std::move(fd), path);
}

}  // namespace cairn
