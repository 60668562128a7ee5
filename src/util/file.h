// Files that hold secrets (node keys, keystores, password files) or must survive a crash
// whole (the validator's slashing-protection record): one careful implementation of
// each POSIX dance, shared by every layer that writes such files.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>
#include <utility>

#include "util/bytes.h"
#include "util/result.h"

namespace cairn {

// A file descriptor closed when it goes out of scope. Move-only.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  // Closes now, returning what close() returns (a delayed write error on some systems).
  int close();

 private:
  int fd_;
};

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); errors name `what`.
Status write_all(int fd, ByteSpan bytes, const std::filesystem::path& what);

// Writes `bytes` to `path` so that after a crash `path` holds either what it held before or
// all of `bytes`, readable by its owner only (mode 0600, never otherwise, not even for a
// moment): a fresh temporary file in the same directory, fsync, rename over `path`, fsync
// of the directory. With `replace` false an existing `path` is refused ("already exists")
// atomically, with no window for another writer. Errors (io) name the file.
Status write_file_atomically(const std::filesystem::path& path, ByteSpan bytes, bool replace);

// Opens a file that holds a secret for reading: a regular file (not a symbolic link, and a
// FIFO does not block the open) that group and others cannot access. The refusals name
// the file and say what to do ("chmod 600 ...").
Result<UniqueFd> open_private_file(const std::filesystem::path& path);

// Reads the whole of a private file (open_private_file's checks), refusing one longer than
// `max_bytes` (ErrorCode::limit, "'<path>' is N bytes, more than M").
Result<Bytes> read_private_file(const std::filesystem::path& path, size_t max_bytes);

// An exclusive advisory lock (flock) on a file, held until the object goes away (or the
// process ends, however it ends: the kernel drops the lock). The holder's PID is written in
// the file so that a refused process can say who holds it. The file itself stays behind:
// removing it would let a third process lock a new file while a second still waits on the
// old one. Move-only; not thread-safe.
class FileLock {
 public:
  // Creates `path` if needed (mode 0644) and locks it without waiting. When another process
  // holds it the Error (invalid_argument) reads "<what> is in use by process PID" (or "by
  // another process" when the PID cannot be read); other failures are io Errors.
  static Result<FileLock> acquire(const std::filesystem::path& path, std::string_view what);

  const std::filesystem::path& path() const { return path_; }

 private:
  FileLock(UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::filesystem::path path_;
};

}  // namespace cairn
