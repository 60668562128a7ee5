#include "crypto/bip39.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/vectors.h"

namespace cairn::bip39 {
namespace {

using json = nlohmann::json;

constexpr std::string_view kZeroPhrase =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

std::string hex(const SecretBytes& secret) { return to_hex(secret.span()); }

// `count` words: the first word of the list repeated (the checksum is not what these check).
std::string repeated_words(size_t count) {
  std::string phrase;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) phrase += ' ';
    phrase += "abandon";
  }
  return phrase;
}

// The phrase of `bytes` zero bytes of entropy: "abandon ... <checksum word>".
std::string zero_phrase(size_t bytes) {
  const Bytes entropy(bytes, 0);
  auto phrase = entropy_to_phrase(entropy);
  EXPECT_TRUE(phrase.ok()) << phrase.error().to_string();
  return phrase ? std::string(phrase->view()) : std::string();
}

TEST(Bip39, EnglishListIsTheEmbeddedSortedList) {
  const auto& words = english_words();
  EXPECT_EQ(words.front(), "abandon");
  EXPECT_EQ(words[1], "ability");
  EXPECT_EQ(words.back(), "zoo");
  EXPECT_TRUE(std::is_sorted(words.begin(), words.end()));
  EXPECT_EQ(std::adjacent_find(words.begin(), words.end()), words.end());
  for (std::string_view word : words) {
    EXPECT_GE(word.size(), 3u) << word;
    EXPECT_LE(word.size(), 8u) << word;
  }
}

TEST(Bip39, EveryEnglishVectorRoundTripsAndGivesItsSeed) {
  CAIRN_REQUIRE_SHARED(path, "bip39/vectors.json");
  const json vectors = json::parse(test::read_file(path));
  size_t checked = 0;
  for (const json& v : vectors.at("english")) {
    const std::string entropy_hex = v.at(0).get<std::string>();
    const std::string phrase = v.at(1).get<std::string>();
    const std::string seed_hex = v.at(2).get<std::string>();
    SCOPED_TRACE(phrase);
    const Bytes entropy = *from_hex(entropy_hex);

    auto made = entropy_to_phrase(entropy);
    ASSERT_TRUE(made.ok()) << made.error().to_string();
    EXPECT_EQ(made->view(), phrase);

    auto parsed = phrase_to_entropy(phrase);
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    EXPECT_EQ(hex(*parsed), entropy_hex);

    auto seed = phrase_to_seed(phrase, "TREZOR");
    ASSERT_TRUE(seed.ok()) << seed.error().to_string();
    EXPECT_EQ(hex(*seed), seed_hex);
    ++checked;
  }
  EXPECT_EQ(checked, 24u);
}

// The other languages' phrases and passphrase go through NFKD (accents, Hangul, kana and
// the Japanese ideographic space): the seed proves the normalisation matches the spec.
TEST(Bip39, EveryOtherLanguageVectorGivesItsSeed) {
  CAIRN_REQUIRE_SHARED(path, "bip39/vectors.json");
  const json vectors = json::parse(test::read_file(path));
  size_t languages = 0;
  for (const auto& [language, cases] : vectors.items()) {
    if (language == "english") continue;
    ++languages;
    ASSERT_FALSE(cases.empty()) << language;
    for (const json& v : cases) {
      const std::string phrase = v.at(1).get<std::string>();
      SCOPED_TRACE(language + ": " + phrase);
      auto seed = phrase_to_seed(phrase, "TREZOR");
      ASSERT_TRUE(seed.ok()) << seed.error().to_string();
      EXPECT_EQ(hex(*seed), v.at(2).get<std::string>());
    }
  }
  EXPECT_EQ(languages, 11u);
}

TEST(Bip39, NfkdDecomposesAndTheSeedDoesNotDependOnTheForm) {
  EXPECT_EQ(*nfkd("caf\xc3\xa9"), "cafe\xcc\x81");  // é -> e + combining acute
  EXPECT_EQ(*nfkd("\xef\xac\x81"), "fi");           // the ligature ﬁ (compatibility)
  EXPECT_EQ(*nfkd("\xe3\x80\x80"), " ");            // ideographic space
  EXPECT_EQ(*nfkd(""), "");
  auto composed = phrase_to_seed(kZeroPhrase, "caf\xc3\xa9");
  auto decomposed = phrase_to_seed(kZeroPhrase, "cafe\xcc\x81");
  ASSERT_TRUE(composed.ok() && decomposed.ok());
  EXPECT_EQ(hex(*composed), hex(*decomposed));
  auto plain = phrase_to_seed(kZeroPhrase, "cafe");
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(hex(*plain), hex(*composed));
}

TEST(Bip39, EmptyPassphraseIsTheBip39Default) {
  // python-mnemonic: Mnemonic.to_seed("abandon ... about", "").
  auto seed = phrase_to_seed(kZeroPhrase, "");
  ASSERT_TRUE(seed.ok());
  EXPECT_EQ(hex(*seed),
            "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c4"
            "3daea6690f"
            "20ad3d8d48b2d2ce9e38e4");
}

TEST(Bip39, WordCountBoundaries) {
  for (size_t count : {size_t{11}, size_t{13}, size_t{25}, size_t{0}}) {
    auto parsed = phrase_to_entropy(repeated_words(count));
    ASSERT_FALSE(parsed.ok()) << count;
    EXPECT_EQ(parsed.error().message,
              "a recovery phrase has 12, 15, 18, 21 or 24 words; this one has " + std::to_string(count));
  }
  for (size_t words = kMinWords; words <= kMaxWords; words += 3) {
    const std::string phrase = zero_phrase(words * 4 / 3);
    EXPECT_EQ(static_cast<size_t>(std::count(phrase.begin(), phrase.end(), ' ')), words - 1);
    auto parsed = phrase_to_entropy(phrase);
    ASSERT_TRUE(parsed.ok()) << words << ": " << parsed.error().to_string();
    EXPECT_EQ(parsed->size(), words * 4 / 3);
  }
}

TEST(Bip39, EntropySizesOutsideBip39AreRefused) {
  for (size_t size : {size_t{0}, size_t{12}, size_t{15}, size_t{17}, size_t{30}, size_t{33}, size_t{36}}) {
    auto phrase = entropy_to_phrase(Bytes(size, 1));
    ASSERT_FALSE(phrase.ok()) << size;
    EXPECT_EQ(phrase.error().code, ErrorCode::invalid_argument);
  }
}

TEST(Bip39, GeneratedPhrasesHaveTheirLengthAndParse) {
  DeterministicRng rng(7);
  for (size_t words = kMinWords; words <= kMaxWords; words += 3) {
    auto phrase = generate_phrase(words, rng);
    ASSERT_TRUE(phrase.ok());
    const std::string_view text = phrase->view();
    EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), ' ')), words - 1);
    EXPECT_TRUE(phrase_to_entropy(text).ok()) << text;
  }
  auto first = generate_phrase(kDefaultWords, rng);
  auto second = generate_phrase(kDefaultWords, rng);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->view(), second->view());
  for (size_t words : {size_t{0}, size_t{11}, size_t{13}, size_t{25}}) {
    auto refused = generate_phrase(words, rng);
    ASSERT_FALSE(refused.ok()) << words;
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
  }
}

TEST(Bip39, MisspelledWordGetsTheClosestSuggestion) {
  auto parsed = phrase_to_entropy(
      "abandon abandon abandn abandon abandon abandon abandon abandon abandon abandon abandon about");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(parsed.error().message,
            "word 3 'abandn' is not in the BIP39 English list; did you mean 'abandon'?");

  auto last = phrase_to_entropy("legal winner thank year wave sausage worth useful legal winner thank yelow");
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.error().message, "word 12 'yelow' is not in the BIP39 English list; did you mean 'yellow'?");

  EXPECT_EQ(closest_word("lettr"), "letter");
  EXPECT_EQ(closest_word("abnadon"), "abandon");  // swapped letters are one edit
  EXPECT_EQ(closest_word("aban"), "abandon");     // four letters name the word
  EXPECT_EQ(closest_word("aba"), "able");         // three do not: two edits, longest prefix
  EXPECT_EQ(closest_word("yelow"), "yellow");     // "below" is one edit away too
  EXPECT_EQ(closest_word("zo"), "zoo");
  EXPECT_EQ(closest_word("zoo"), "zoo");
  // "act", "add" and "age" are all three edits from nothing: the earliest wins.
  EXPECT_EQ(closest_word(""), "act");
}

TEST(Bip39, OddWordsAreNotQuotedBack) {
  // A control character or a word too long to be a typo is named by position only.
  auto control = phrase_to_entropy(repeated_words(11) +
                                   " ab\x01"
                                   "c");
  ASSERT_FALSE(control.ok());
  EXPECT_EQ(control.error().message.find('\x01'), std::string::npos);
  EXPECT_NE(control.error().message.find("word 12 is not in the BIP39 English list"), std::string::npos)
      << control.error().message;

  auto long_word = phrase_to_entropy(repeated_words(11) + " abandonabandonabandon");
  ASSERT_FALSE(long_word.ok());
  EXPECT_EQ(long_word.error().message,
            "word 12 is not in the BIP39 English list (it is 21 bytes long; the words have 3 to 8 letters)");

  // 16 bytes: still quoted, with a suggestion.
  auto sixteen = phrase_to_entropy(repeated_words(11) + " abandonabandonxx");
  ASSERT_FALSE(sixteen.ok());
  EXPECT_EQ(sixteen.error().message,
            "word 12 'abandonabandonxx' is not in the BIP39 English list; did you mean 'abandon'?");
}

TEST(Bip39, BadChecksumIsReported) {
  // The right words in the wrong order.
  auto parsed = phrase_to_entropy(
      "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about abandon");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message,
            "the phrase's checksum does not match: a word is wrong or the words are out of order");
  // Every word in the list, but the last one does not carry the checksum.
  EXPECT_FALSE(phrase_to_entropy(repeated_words(12)).ok());
  auto zoo = phrase_to_entropy(repeated_words(23) + " zoo");
  ASSERT_FALSE(zoo.ok());
  EXPECT_NE(zoo.error().message.find("checksum"), std::string::npos);
  EXPECT_TRUE(phrase_to_entropy(repeated_words(23) + " art").ok());
}

TEST(Bip39, CaseAndWhitespaceAreLenient) {
  const std::string messy =
      "  ABANDON\tabandon\n\nAbandon  abandon abandon abandon abandon abandon abandon abandon abandon "
      "aBoUt\r\n";
  auto parsed = phrase_to_entropy(messy);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(hex(*parsed), "00000000000000000000000000000000");
}

TEST(Bip39, OtherWhitespaceAndPunctuationAreStrict) {
  // A no-break space (U+00A0) does not separate words; a comma is not part of one.
  auto nbsp = phrase_to_entropy(repeated_words(10) +
                                " abandon\xc2\xa0"
                                "about");
  ASSERT_FALSE(nbsp.ok());
  EXPECT_NE(nbsp.error().message.find("a recovery phrase has"), std::string::npos);
  auto comma = phrase_to_entropy(repeated_words(11) + ", about");
  ASSERT_FALSE(comma.ok());
  EXPECT_EQ(comma.error().message,
            "word 11 'abandon,' is not in the BIP39 English list; did you mean 'abandon'?");
}

TEST(Bip39, InvalidUtf8IsRefused) {
  for (std::string_view bad :
       {std::string_view("\xff"), std::string_view("\xc3"), std::string_view("\xc0\xaf"),
        std::string_view("\xed\xa0\x80"), std::string_view("\xf4\x90\x80\x80")}) {
    const std::string phrase = repeated_words(11) + " " + std::string(bad);
    auto entropy = phrase_to_entropy(phrase);
    ASSERT_FALSE(entropy.ok());
    EXPECT_EQ(entropy.error().code, ErrorCode::decode);
    EXPECT_EQ(entropy.error().message, "the phrase is not valid UTF-8");

    auto seed = phrase_to_seed(phrase, "");
    ASSERT_FALSE(seed.ok());
    EXPECT_EQ(seed.error().message, "the phrase: not valid UTF-8");
    auto passphrase = phrase_to_seed(kZeroPhrase, bad);
    ASSERT_FALSE(passphrase.ok());
    EXPECT_EQ(passphrase.error().message, "the passphrase: not valid UTF-8");
    EXPECT_FALSE(nfkd(bad).ok());
  }
}

TEST(Bip39, PassphraseLengthBoundary) {
  const std::string longest(kMaxPassphraseBytes, 'p');
  EXPECT_TRUE(phrase_to_seed(kZeroPhrase, longest).ok());
  auto refused = phrase_to_seed(kZeroPhrase, longest + "p");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::limit);
  EXPECT_EQ(refused.error().message, "the passphrase is longer than 1024 bytes");
}

TEST(Bip39, PhraseLengthBoundary) {
  std::string longest(kZeroPhrase);
  longest.resize(kMaxPhraseBytes, ' ');
  EXPECT_TRUE(phrase_to_entropy(longest).ok());
  EXPECT_TRUE(phrase_to_seed(longest, "").ok());
  const std::string too_long = longest + " ";
  auto entropy = phrase_to_entropy(too_long);
  ASSERT_FALSE(entropy.ok());
  EXPECT_EQ(entropy.error().code, ErrorCode::limit);
  auto seed = phrase_to_seed(too_long, "");
  ASSERT_FALSE(seed.ok());
  EXPECT_EQ(seed.error().code, ErrorCode::limit);
}

}  // namespace
}  // namespace cairn::bip39
