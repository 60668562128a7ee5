#include "wallet_input.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ostream>

#include <fcntl.h>
#include <unistd.h>

#include "crypto/keystore.h"
#include "util/file.h"

namespace cairn::app {
namespace {

// One line (without "\n" or "\r\n") of `fd`, read byte by byte so the rest stays unread.
Result<SecretBytes> read_line(int fd, const std::string& source, size_t max_bytes) {
  SecretBytes buffer(max_bytes + 2);
  size_t size = 0;
  while (size < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + size, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{ErrorCode::io, "cannot read " + source + ": " + std::strerror(errno)};
    if (n == 0 || buffer.data()[size] == '\n') break;
    ++size;
  }
  if (size > 0 && buffer.data()[size - 1] == '\r') --size;
  if (size > max_bytes) {
    return Error{ErrorCode::limit,
                 source + ": a line is longer than " + std::to_string(max_bytes) + " bytes"};
  }
  buffer.truncate(size);
  return buffer;
}

// The secret as the terminal or a file gave it, with the flag to use instead in errors.
Result<SecretBytes> with_flag(Result<SecretBytes> secret, const SecretSource& source) {
  if (secret) return secret;
  if (source.file.empty())
    return Error{secret.error().code, secret.error().message + "; pass " + source.flag};
  return Error{secret.error().code, source.flag + ": " + secret.error().message};
}

bool ascii_space(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// The phrase with its words joined by single spaces and A-Z lowered (see read_phrase).
SecretBytes canonical_phrase(const SecretBytes& raw) {
  SecretBytes out(raw.size());
  size_t size = 0;
  bool pending_space = false;
  for (const uint8_t c : raw.span()) {
    if (ascii_space(c)) {
      pending_space = size > 0;
      continue;
    }
    if (pending_space) out.data()[size++] = ' ';
    pending_space = false;
    out.data()[size++] = c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c - 'A' + 'a') : c;
  }
  out.truncate(size);
  return out;
}

Result<SecretBytes> read_raw_phrase(const SecretSource& source) {
  if (source.file == "-") return read_line(STDIN_FILENO, "standard input", kMaxPhraseFileBytes);
  if (!source.file.empty()) {
    auto bytes = read_private_file(source.file, kMaxPhraseFileBytes);
    if (!bytes) return Error{bytes.error().code, source.flag + ": " + bytes.error().message};
    SecretBytes phrase = SecretBytes::copy_of(*bytes);
    std::fill(bytes->begin(), bytes->end(), uint8_t{0});
    return phrase;
  }
  return with_flag(prompt_password("Recovery phrase (words separated by spaces; not shown): ", false),
                   source);
}

}  // namespace

Result<SecretBytes> read_password(const SecretSource& source, std::string_view prompt, bool confirm) {
  if (source.file == "-") {
    CAIRN_TRY(SecretBytes line, read_line(STDIN_FILENO, "standard input", kMaxPasswordBytes));
    if (line.empty())
      return Error{ErrorCode::invalid_argument, source.flag + ": the password on stdin is empty"};
    return line;
  }
  if (!source.file.empty()) return with_flag(read_password_file(source.file), source);
  return with_flag(prompt_password(prompt, confirm), source);
}

Result<SecretBytes> read_phrase(const SecretSource& source) {
  CAIRN_TRY(const SecretBytes raw, read_raw_phrase(source));
  return canonical_phrase(raw);
}

Result<SecretBytes> read_passphrase(const SecretSource& source, bool confirm) {
  if (source.file == "-") return read_line(STDIN_FILENO, "standard input", kMaxPasswordBytes);
  if (!source.file.empty()) {
    auto fd = open_private_file(source.file);
    if (!fd) return Error{fd.error().code, source.flag + ": " + fd.error().message};
    return read_line(fd->get(), source.flag + " '" + source.file + "'", kMaxPasswordBytes);
  }
  return with_flag(prompt_password("BIP39 passphrase (not shown): ", confirm), source);
}

bool confirm_on_terminal(std::string_view question, std::ostream& err) {
  const int tty = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  const int in = tty >= 0 ? tty : STDIN_FILENO;
  const std::string text = std::string(question) + " [y/N] ";
  if (tty >= 0) {
    (void)!::write(tty, text.data(), text.size());
  } else {
    err << text << std::flush;
  }
  auto line = read_line(in, "the answer", 64);
  if (tty >= 0) ::close(tty);
  if (!line) return false;
  std::string answer(line->view());
  std::transform(answer.begin(), answer.end(), answer.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return answer == "y" || answer == "yes";
}

}  // namespace cairn::app
