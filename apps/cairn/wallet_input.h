// Where the wallet's secrets come from: a recovery phrase, a BIP39 passphrase and the
// keystore password are read from a terminal prompt without echo, from a private file
// (mode 0600, as keystores), or from standard input when the file is `-` — never from a
// command-line argument, which other users can see in the process list.
//
// Standard input is read one byte at a time, so several secrets can come from it in turn
// (one per line: e.g. the phrase, then the password). Not thread-safe.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "crypto/secret.h"
#include "util/result.h"

namespace cairn::app {

// A phrase file is at most this long (24 words of at most 8 letters fit ten times over).
inline constexpr size_t kMaxPhraseFileBytes = 4096;

// Where one secret comes from: `file` empty = the terminal, "-" = standard input, else a
// private file. `flag` names the option in error messages ("--password-file").
struct SecretSource {
  std::string file;
  std::string flag;
};

// A password: one line of the file or stdin, or the terminal (asked twice with `confirm`).
Result<SecretBytes> read_password(const SecretSource& source, std::string_view prompt, bool confirm);

// A recovery phrase: the whole file (words may span lines), one line of stdin, or the
// terminal without echo; returned in the form BIP39 hashes into the seed: words separated
// by single spaces (any run of ASCII whitespace becomes one), no leading or trailing
// whitespace, A-Z lowered — so a file's line end or a capital letter cannot change the
// seed. Not validated here (bip39::phrase_to_entropy does that).
Result<SecretBytes> read_phrase(const SecretSource& source);

// An optional BIP39 passphrase: like a password, but it may be empty (a file holding an
// empty line is an empty passphrase).
Result<SecretBytes> read_passphrase(const SecretSource& source, bool confirm);

// Asks "question [y/N] " on the terminal (stderr when there is none) and reads the answer
// from the terminal (stdin when there is none); only y or yes (any case) agree.
bool confirm_on_terminal(std::string_view question, std::ostream& err);

}  // namespace cairn::app
