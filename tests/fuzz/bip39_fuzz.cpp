// Recovery phrases, derivation paths and NFKD on arbitrary bytes: never crash, and
//   - a phrase that parses is canonical once its whitespace and case are: the phrase of
//     the entropy it gives is the input's words, lower-cased, joined by single spaces;
//   - a path that parses is all hardened, at most kMaxPathDepth deep, and format_path
//     gives text that parses to the same indexes;
//   - NFKD is idempotent;
//   - error messages are printable ASCII: whatever the input, they never echo raw bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/bip39.h"
#include "crypto/slip10.h"
#include "fuzz.h"

namespace {

bool printable_ascii(std::string_view text) {
  for (char c : text) {
    if (c < ' ' || c > '~') return false;
  }
  return !text.empty();
}

// The input's words lower-cased and joined by single spaces (the canonical phrase).
std::string canonical_words(std::string_view text) {
  std::string out;
  bool separator = true;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      separator = true;
      continue;
    }
    if (separator && !out.empty()) out += ' ';
    separator = false;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto entropy = bip39::phrase_to_entropy(text);
  if (entropy) {
    FUZZ_CHECK(entropy->size() >= 16 && entropy->size() <= 32 && entropy->size() % 4 == 0);
    auto phrase = bip39::entropy_to_phrase(entropy->span());
    FUZZ_CHECK(phrase.ok());
    FUZZ_CHECK(phrase->view() == canonical_words(text));
  } else {
    FUZZ_CHECK(printable_ascii(entropy.error().message));
  }

  auto path = slip10::parse_path(text);
  if (path) {
    FUZZ_CHECK(path->size() <= slip10::kMaxPathDepth);
    for (uint32_t index : *path) FUZZ_CHECK(index >= slip10::kHardened);
    const std::string formatted = slip10::format_path(*path);
    auto again = slip10::parse_path(formatted);
    FUZZ_CHECK(again.ok() && *again == *path);
  } else {
    FUZZ_CHECK(printable_ascii(path.error().message));
  }

  auto normal = bip39::nfkd(text);
  if (normal) {
    auto twice = bip39::nfkd(*normal);
    FUZZ_CHECK(twice.ok() && *twice == *normal);
  }
  return 0;
}
