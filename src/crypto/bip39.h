// BIP39 recovery phrases (English word list): entropy <-> phrase with its checksum, and
// phrase + passphrase -> 64-byte seed by PBKDF2-HMAC-SHA512 (OpenSSL) over NFKD-normalised
// UTF-8 (ICU), as https://github.com/bitcoin/bips/blob/master/bip-0039.mediawiki says.
//
// The English list comes from Debian's python3-mnemonic at build time and is embedded.
// Phrases are secrets: they are passed and returned in SecretBytes (zeroed when dropped).
// Parsing is lenient about whitespace (any run of ASCII spaces, tabs or newlines, CR LF
// included, separates words; leading and trailing whitespace is ignored) and about case
// (A-Z are lowered), and strict about everything else. All functions are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/secret.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/rng.h"

namespace cairn::bip39 {

inline constexpr size_t kWordListSize = 2048;
// Phrase lengths BIP39 defines: 12, 15, 18, 21 or 24 words for 16..32 bytes of entropy.
inline constexpr size_t kMinWords = 12;
inline constexpr size_t kMaxWords = 24;
inline constexpr size_t kDefaultWords = 24;
inline constexpr size_t kSeedBytes = 64;
inline constexpr uint32_t kPbkdf2Iterations = 2048;
// Passphrases longer than this (in bytes, before normalisation) are refused.
inline constexpr size_t kMaxPassphraseBytes = 1024;
// Phrases longer than this (in bytes, before normalisation) are refused: 24 words of any
// BIP39 language with generous whitespace fit several times over.
inline constexpr size_t kMaxPhraseBytes = 4096;

// The embedded English word list, in BIP39 order.
const std::array<std::string_view, kWordListSize>& english_words();

// The phrase for `entropy` (16, 20, 24, 28 or 32 bytes): words joined by single spaces.
Result<SecretBytes> entropy_to_phrase(ByteSpan entropy);

// A fresh phrase of `words` words (12, 15, 18, 21 or 24) from `rng`.
Result<SecretBytes> generate_phrase(size_t words, Rng& rng);

// The entropy of an English phrase, checking its length, every word and the checksum. The
// errors say which word is wrong and suggest the closest list word ("word 3 'abandn' is
// not in the BIP39 English list; did you mean 'abandon'?"), or that the checksum fails
// ("a word is wrong or the words are out of order").
Result<SecretBytes> phrase_to_entropy(std::string_view phrase);

// The list word closest to `word`: the list word it begins if it has four letters or more
// (BIP39 words differ in their first four), else the fewest edits (insert, delete,
// substitute, or swap two adjacent letters), among equals the longest common prefix, then
// the earlier list word.
std::string_view closest_word(std::string_view word);

// The 64-byte seed of `phrase` and `passphrase` (either may be in any language: no word
// list is consulted and nothing is validated but UTF-8 and the length limits):
// PBKDF2-HMAC-SHA512 with 2048 iterations of NFKD(phrase) under the salt
// "mnemonic" ‖ NFKD(passphrase). The phrase is hashed byte for byte, whitespace and case
// included: for a typed English phrase pass entropy_to_phrase(phrase_to_entropy(typed)),
// which validates it and gives the canonical words (lower case, single spaces).
Result<SecretBytes> phrase_to_seed(std::string_view phrase, std::string_view passphrase);

// NFKD normalisation of UTF-8 text; an Error for invalid UTF-8 (ill-formed sequences,
// overlong forms, surrogates). The result is a plain string: for secrets use
// phrase_to_seed, which keeps the normalised text in SecretBytes.
Result<std::string> nfkd(std::string_view utf8);

}  // namespace cairn::bip39
