#include "crypto/bip39.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

namespace cairn::bip39 {
namespace {

constexpr size_t kBitsPerWord = 11;
// The longest word of the English list (checked when the list is embedded: 3 to 8 letters).
constexpr size_t kMaxListWordBytes = 8;
// Every English word is identified by its first four letters (BIP39's list design).
constexpr size_t kUniquePrefixLetters = 4;
// Longer words get no suggestion and are not quoted back: they are not typos of a list
// word, and the edit distance costs their length times the list.
constexpr size_t kMaxSuggestedWordBytes = 16;
// 24 words of 11 bits: 32 bytes of entropy and an 8-bit checksum.
constexpr size_t kMaxPhraseBits = kMaxWords * kBitsPerWord;
constexpr std::string_view kWordCounts = "12, 15, 18, 21 or 24";
constexpr std::string_view kSalt = "mnemonic";

bool valid_word_count(size_t words) { return words >= kMinWords && words <= kMaxWords && words % 3 == 0; }

bool is_separator(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

char lowered(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The words of `phrase`: views into it, split at runs of separators.
std::vector<std::string_view> split_words(std::string_view phrase) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < phrase.size()) {
    while (i < phrase.size() && is_separator(phrase[i])) ++i;
    const size_t start = i;
    while (i < phrase.size() && !is_separator(phrase[i])) ++i;
    if (i > start) words.push_back(phrase.substr(start, i - start));
  }
  return words;
}

// The first byte of SHA-256(entropy): the checksum bits are its top entropy_bits/32 bits.
Result<uint8_t> checksum_byte(ByteSpan entropy) {
  std::array<uint8_t, 32> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(entropy.data(), entropy.size(), digest.data(), &digest_size, EVP_sha256(), nullptr) != 1) {
    return Error{ErrorCode::crypto, "SHA-256 failed (OpenSSL)"};
  }
  const uint8_t first = digest[0];
  OPENSSL_cleanse(digest.data(), digest.size());
  return first;
}

// The list index of `word` (already lower-cased), or nullopt.
std::optional<uint16_t> find_word(std::string_view word) {
  const auto& list = english_words();
  const auto it = std::lower_bound(list.begin(), list.end(), word);
  if (it == list.end() || *it != word) return std::nullopt;
  return static_cast<uint16_t>(it - list.begin());
}

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// "word 3 'abandn' is not in the BIP39 English list; did you mean 'abandon'?"
Error unknown_word(size_t position, std::string_view word, std::string_view lower) {
  std::string message = "word " + std::to_string(position);
  if (word.size() <= kMaxSuggestedWordBytes && printable_ascii(word)) {
    message += " '";
    message += word;
    message += "'";
  }
  message += " is not in the BIP39 English list";
  if (word.size() <= kMaxSuggestedWordBytes) {
    message += "; did you mean '";
    message += closest_word(lower);
    message += "'?";
  } else {
    message += " (it is " + std::to_string(word.size()) + " bytes long; the words have 3 to 8 letters)";
  }
  return Error{ErrorCode::invalid_argument, std::move(message)};
}

// Edit distance between a word and a list word (at most kMaxListWordBytes long), counting
// an insertion, a deletion, a substitution or a swap of two adjacent letters as one edit
// (optimal string alignment: swapped letters are a common typo).
size_t edit_distance(std::string_view word, std::string_view list_word) {
  using Row = std::array<size_t, kMaxListWordBytes + 1>;
  const size_t columns = std::min(list_word.size(), kMaxListWordBytes);
  Row before{};  // row i-2
  Row above{};   // row i-1
  Row row{};     // row i
  for (size_t j = 0; j <= columns; ++j) row[j] = j;
  for (size_t i = 1; i <= word.size(); ++i) {
    before = above;
    above = row;
    row[0] = i;
    for (size_t j = 1; j <= columns; ++j) {
      const size_t substitute = above[j - 1] + (word[i - 1] == list_word[j - 1] ? 0 : 1);
      row[j] = std::min({above[j] + 1, row[j - 1] + 1, substitute});
      if (i > 1 && j > 1 && word[i - 1] == list_word[j - 2] && word[i - 2] == list_word[j - 1]) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
  }
  return row[columns];
}

size_t common_prefix(std::string_view a, std::string_view b) {
  return static_cast<size_t>(std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin());
}

// Wipes a UTF-16 buffer that holds a phrase or passphrase on the way through ICU. Sized
// once, so no reallocation leaves a copy behind.
class Utf16Buffer {
 public:
  explicit Utf16Buffer(int32_t size) : units_(static_cast<size_t>(size)) {}
  Utf16Buffer(const Utf16Buffer&) = delete;
  Utf16Buffer& operator=(const Utf16Buffer&) = delete;
  ~Utf16Buffer() { OPENSSL_cleanse(units_.data(), units_.size() * sizeof(UChar)); }
  UChar* data() { return units_.data(); }
  int32_t size() const { return static_cast<int32_t>(units_.size()); }

 private:
  std::vector<UChar> units_;
};

Error icu_error(const char* step, UErrorCode status) {
  return Error{ErrorCode::crypto,
               std::string("Unicode normalisation failed (ICU ") + step + ": " + u_errorName(status) + ")"};
}

// NFKD of `utf8` into SecretBytes: UTF-8 -> UTF-16 -> NFKD -> UTF-8, each step measured
// first (ICU's preflight) so every buffer is allocated once at its final size.
Result<SecretBytes> nfkd_secret(std::string_view utf8) {
  if (utf8.empty()) return SecretBytes{};
  if (utf8.size() > static_cast<size_t>(INT32_MAX / 4)) {
    return Error{ErrorCode::limit, "text too long to normalise (" + std::to_string(utf8.size()) + " bytes)"};
  }
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* normalizer = unorm2_getNFKDInstance(&status);
  if (U_FAILURE(status)) return icu_error("NFKD data", status);

  const auto utf8_size = static_cast<int32_t>(utf8.size());
  int32_t utf16_size = 0;
  u_strFromUTF8(nullptr, 0, &utf16_size, utf8.data(), utf8_size, &status);
  if (status == U_INVALID_CHAR_FOUND) return Error{ErrorCode::decode, "not valid UTF-8"};
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status)) return icu_error("u_strFromUTF8", status);
  Utf16Buffer utf16(utf16_size);
  status = U_ZERO_ERROR;
  u_strFromUTF8(utf16.data(), utf16.size(), nullptr, utf8.data(), utf8_size, &status);
  if (U_FAILURE(status)) return icu_error("u_strFromUTF8", status);

  status = U_ZERO_ERROR;
  const int32_t normal_size = unorm2_normalize(normalizer, utf16.data(), utf16.size(), nullptr, 0, &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status)) return icu_error("unorm2_normalize", status);
  Utf16Buffer normal(normal_size);
  status = U_ZERO_ERROR;
  unorm2_normalize(normalizer, utf16.data(), utf16.size(), normal.data(), normal.size(), &status);
  if (U_FAILURE(status)) return icu_error("unorm2_normalize", status);

  status = U_ZERO_ERROR;
  int32_t out_size = 0;
  u_strToUTF8(nullptr, 0, &out_size, normal.data(), normal.size(), &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status)) return icu_error("u_strToUTF8", status);
  SecretBytes out(static_cast<size_t>(out_size));
  status = U_ZERO_ERROR;
  u_strToUTF8(reinterpret_cast<char*>(out.data()), out_size, nullptr, normal.data(), normal.size(), &status);
  if (U_FAILURE(status)) return icu_error("u_strToUTF8", status);
  return out;
}

bool valid_utf8(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t utf16_size = 0;
  u_strFromUTF8(nullptr, 0, &utf16_size, text.data(), static_cast<int32_t>(text.size()), &status);
  return status != U_INVALID_CHAR_FOUND;
}

}  // namespace

Result<SecretBytes> entropy_to_phrase(ByteSpan entropy) {
  const size_t words = entropy.size() * 3 / 4;
  if (entropy.size() % 4 != 0 || !valid_word_count(words)) {
    return Error{ErrorCode::invalid_argument,
                 "BIP39 entropy is 16, 20, 24, 28 or 32 bytes, not " + std::to_string(entropy.size())};
  }
  CAIRN_TRY(const uint8_t checksum, checksum_byte(entropy));
  // entropy ‖ checksum byte: the words read 11 bits at a time from the top.
  std::array<uint8_t, kMaxPhraseBits / 8> bits{};
  std::copy(entropy.begin(), entropy.end(), bits.begin());
  bits[entropy.size()] = checksum;
  std::array<uint16_t, kMaxWords> indexes{};
  size_t phrase_size = words - 1;  // the spaces
  for (size_t w = 0; w < words; ++w) {
    uint16_t index = 0;
    for (size_t b = 0; b < kBitsPerWord; ++b) {
      const size_t bit = w * kBitsPerWord + b;
      index = static_cast<uint16_t>((index << 1) | ((bits[bit / 8] >> (7 - bit % 8)) & 1));
    }
    indexes[w] = index;
    phrase_size += english_words()[index].size();
  }
  SecretBytes phrase(phrase_size);
  uint8_t* out = phrase.data();
  for (size_t w = 0; w < words; ++w) {
    if (w > 0) *out++ = ' ';
    const std::string_view word = english_words()[indexes[w]];
    out = std::copy(word.begin(), word.end(), out);
  }
  OPENSSL_cleanse(bits.data(), bits.size());
  OPENSSL_cleanse(indexes.data(), sizeof(indexes));
  return phrase;
}

Result<SecretBytes> generate_phrase(size_t words, Rng& rng) {
  if (!valid_word_count(words)) {
    return Error{ErrorCode::invalid_argument, "a recovery phrase has " + std::string(kWordCounts) +
                                                  " words, not " + std::to_string(words)};
  }
  SecretBytes entropy(words * 4 / 3);
  rng.fill(entropy.mutable_span());
  return entropy_to_phrase(entropy.span());
}

Result<SecretBytes> phrase_to_entropy(std::string_view phrase) {
  if (phrase.size() > kMaxPhraseBytes) {
    return Error{ErrorCode::limit, "the phrase is longer than " + std::to_string(kMaxPhraseBytes) + " bytes"};
  }
  if (!valid_utf8(phrase)) return Error{ErrorCode::decode, "the phrase is not valid UTF-8"};
  const std::vector<std::string_view> words = split_words(phrase);
  if (!valid_word_count(words.size())) {
    return Error{ErrorCode::invalid_argument, "a recovery phrase has " + std::string(kWordCounts) +
                                                  " words; this one has " + std::to_string(words.size())};
  }
  // Each word's 11-bit index, packed from the top: entropy, then the checksum bits.
  std::array<uint8_t, kMaxPhraseBits / 8> bits{};
  std::array<char, kMaxSuggestedWordBytes> lower{};
  for (size_t w = 0; w < words.size(); ++w) {
    const std::string_view word = words[w];
    const size_t lower_size = std::min(word.size(), lower.size());
    std::transform(word.begin(), word.begin() + static_cast<ptrdiff_t>(lower_size), lower.begin(), lowered);
    const std::string_view lower_word(lower.data(), lower_size);
    const std::optional<uint16_t> index =
        word.size() <= kMaxListWordBytes ? find_word(lower_word) : std::nullopt;
    if (!index) {
      Error error = unknown_word(w + 1, word, lower_word);
      OPENSSL_cleanse(bits.data(), bits.size());
      OPENSSL_cleanse(lower.data(), lower.size());
      return error;
    }
    for (size_t b = 0; b < kBitsPerWord; ++b) {
      const size_t bit = w * kBitsPerWord + b;
      if ((*index >> (kBitsPerWord - 1 - b)) & 1)
        bits[bit / 8] = static_cast<uint8_t>(bits[bit / 8] | (0x80 >> (bit % 8)));
    }
  }
  OPENSSL_cleanse(lower.data(), lower.size());
  const size_t entropy_size = words.size() * 4 / 3;
  const size_t checksum_bits = words.size() / 3;
  SecretBytes entropy = SecretBytes::copy_of(ByteSpan(bits).first(entropy_size));
  const uint8_t stored = static_cast<uint8_t>(bits[entropy_size] >> (8 - checksum_bits));
  OPENSSL_cleanse(bits.data(), bits.size());
  CAIRN_TRY(const uint8_t checksum, checksum_byte(entropy.span()));
  if (static_cast<uint8_t>(checksum >> (8 - checksum_bits)) != stored) {
    return Error{ErrorCode::invalid_argument,
                 "the phrase's checksum does not match: a word is wrong or the words are out of order"};
  }
  return entropy;
}

std::string_view closest_word(std::string_view word) {
  const auto& list = english_words();
  // A truncated word: its first four letters already name one list word.
  if (word.size() >= kUniquePrefixLetters) {
    const auto it = std::lower_bound(list.begin(), list.end(), word);
    if (it != list.end() && it->starts_with(word)) return *it;
  }
  std::string_view best = list[0];
  size_t best_distance = SIZE_MAX;
  size_t best_prefix = 0;
  for (std::string_view candidate : list) {
    const size_t distance = edit_distance(word, candidate);
    const size_t prefix = common_prefix(word, candidate);
    if (distance < best_distance || (distance == best_distance && prefix > best_prefix)) {
      best = candidate;
      best_distance = distance;
      best_prefix = prefix;
    }
  }
  return best;
}

Result<SecretBytes> phrase_to_seed(std::string_view phrase, std::string_view passphrase) {
  if (phrase.size() > kMaxPhraseBytes) {
    return Error{ErrorCode::limit, "the phrase is longer than " + std::to_string(kMaxPhraseBytes) + " bytes"};
  }
  if (passphrase.size() > kMaxPassphraseBytes) {
    return Error{ErrorCode::limit,
                 "the passphrase is longer than " + std::to_string(kMaxPassphraseBytes) + " bytes"};
  }
  auto normal_phrase = nfkd_secret(phrase);
  if (!normal_phrase)
    return Error{normal_phrase.error().code, "the phrase: " + normal_phrase.error().message};
  auto normal_passphrase = nfkd_secret(passphrase);
  if (!normal_passphrase) {
    return Error{normal_passphrase.error().code, "the passphrase: " + normal_passphrase.error().message};
  }
  SecretBytes salt(kSalt.size() + normal_passphrase->size());
  std::copy(kSalt.begin(), kSalt.end(), salt.data());
  std::copy(normal_passphrase->span().begin(), normal_passphrase->span().end(), salt.data() + kSalt.size());
  SecretBytes seed(kSeedBytes);
  // An empty SecretBytes has no buffer; OpenSSL wants a pointer even for zero bytes.
  const char* password = normal_phrase->empty() ? "" : reinterpret_cast<const char*>(normal_phrase->data());
  if (PKCS5_PBKDF2_HMAC(password, static_cast<int>(normal_phrase->size()), salt.data(),
                        static_cast<int>(salt.size()), static_cast<int>(kPbkdf2Iterations), EVP_sha512(),
                        static_cast<int>(seed.size()), seed.data()) != 1) {
    return Error{ErrorCode::crypto, "PBKDF2-HMAC-SHA512 failed (OpenSSL)"};
  }
  return seed;
}

Result<std::string> nfkd(std::string_view utf8) {
  CAIRN_TRY(SecretBytes normal, nfkd_secret(utf8));
  return std::string(normal.view());
}

}  // namespace cairn::bip39
