#include "crypto/keystore.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// The tests use libsodium's minimum Argon2id cost so that they run in microseconds.
constexpr KdfParams kFast = kMinimumKdfParams;
constexpr std::string_view kPassword = "correct horse battery staple";

// Every name in `dir`, so a test can see that no temporary file was left.
std::vector<std::string> names(const TempDir& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

KeyPair test_key(uint8_t fill = 7) {
  Seed seed;
  seed.bytes.fill(fill);
  return KeyPair::from_seed(seed);
}

Bytes validator_file(std::string_view password = kPassword, const KdfParams& params = kFast) {
  auto file = create_validator_keystore(test_key(), password, params);
  EXPECT_TRUE(file.ok()) << file.error().to_string();
  return file ? *file : Bytes{};
}

void write_plain(const fs::path& path, std::string_view content, fs::perms perms) {
  std::ofstream(path, std::ios::binary) << content;
  fs::permissions(path, perms);
}

// The validator keystore of KnownAnswerMatchesDocumentedLayout (docs/keystore.md).
constexpr std::string_view kKnownAnswer =
    "434149524e4b455901010100000008000000c510c70f6daff2b3ea4c364796553b8514452a085697f892a7a366c27b1c2e647336"
    "239ae2487a"
    "b22000ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c2000a45bad52535f2dd14c6864f2aed66b"
    "95c9a8d571"
    "c4b66039ff96d9e4669aedff247ae77585c67c3d192eecaf76c3c3f3";

// Offsets of docs/keystore.md.
constexpr size_t kOpsOffset = 10;
constexpr size_t kMemOffset = 14;
constexpr size_t kPublicSizeOffset = 58;

void put_u32(Bytes& file, size_t offset, uint32_t value) {
  for (size_t i = 0; i < 4; ++i) file[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

TEST(Keystore, ValidatorKeyRoundTrip) {
  const Bytes file = validator_file();
  auto key = open_validator_keystore(file, kPassword);
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  EXPECT_EQ(key->public_key(), test_key().public_key());
  EXPECT_EQ(key->seed(), test_key().seed());

  auto opened = open_keystore(file, kPassword);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->info.kind, KeystoreKind::validator_voting_key);
  EXPECT_EQ(opened->info.kdf, kFast);
  const Seed seed = test_key().seed();
  EXPECT_EQ(Bytes(opened->secret.span().begin(), opened->secret.span().end()),
            Bytes(seed.begin(), seed.end()));
}

TEST(Keystore, WalletSeedRoundTrip) {
  const Bytes seed(64, 0xab);
  const Bytes fingerprint{1, 2, 3, 4};
  auto file = create_keystore(KeystoreKind::wallet_seed, seed, fingerprint, kPassword, kFast);
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  auto opened = open_keystore(*file, kPassword);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  EXPECT_EQ(opened->info.kind, KeystoreKind::wallet_seed);
  EXPECT_EQ(opened->info.public_data, fingerprint);
  EXPECT_EQ(Bytes(opened->secret.span().begin(), opened->secret.span().end()), seed);
  // A wallet keystore is not a voting key.
  auto key = open_validator_keystore(*file, kPassword);
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().message.find("not a validator voting key"), std::string::npos);
}

// The layout of docs/keystore.md, pinned byte for byte with a deterministic salt and nonce.
TEST(Keystore, KnownAnswerMatchesDocumentedLayout) {
  DeterministicRng rng(1);
  const KeyPair key = test_key();
  const Seed seed = key.seed();
  auto file =
      create_keystore(KeystoreKind::validator_voting_key, seed, key.public_key(), "cairn", kFast, rng);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file->size(), 142u);
  EXPECT_EQ(to_hex(ByteSpan(*file).first(18)),
            "434149524e4b4559"
            "01"
            "01"
            "01000000"
            "08000000");
  EXPECT_EQ(to_hex(ByteSpan(*file).subspan(kPublicSizeOffset, 2)), "2000");
  EXPECT_EQ(to_hex(ByteSpan(*file).subspan(kPublicSizeOffset + 2, 32)), key.public_key().hex());
  EXPECT_EQ(to_hex(ByteSpan(*file).subspan(kPublicSizeOffset + 34, 2)), "2000");
  EXPECT_EQ(to_hex(*file), kKnownAnswer);
}

TEST(Keystore, InfoNeedsNoPassword) {
  auto info = read_keystore_info(validator_file());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kind, KeystoreKind::validator_voting_key);
  const KeyPair key = test_key();
  EXPECT_EQ(info->public_data, Bytes(key.public_key().begin(), key.public_key().end()));
  EXPECT_EQ(info->secret_size, 32u);
  EXPECT_EQ(info->kdf, kFast);
}

TEST(Keystore, WrongPasswordIsAClearError) {
  const Bytes file = validator_file();
  for (std::string_view wrong : {"correct horse battery stapler", "", "x"}) {
    auto opened = open_keystore(file, wrong);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::verify);
    EXPECT_NE(opened.error().message.find("wrong password or damaged file"), std::string::npos);
  }
  EXPECT_FALSE(open_keystore(file, std::string(kMaxPasswordBytes + 1, 'a')).ok());
}

// Every byte is covered by the AEAD: header and public key as associated data, the rest as
// ciphertext and tag. Changing any one of them is refused by the parser or by decryption.
TEST(Keystore, EveryTamperedByteIsRefused) {
  const Bytes file = validator_file();
  for (size_t i = 0; i < file.size(); ++i) {
    Bytes tampered = file;
    tampered[i] ^= 0x01;
    EXPECT_FALSE(open_keystore(tampered, kPassword).ok()) << "byte " << i;
  }
}

TEST(Keystore, NamedHeaderFieldsTamperedAreRefused) {
  const Bytes file = validator_file();
  struct Case {
    const char* field;
    size_t offset;
    uint8_t value;
  };
  const Case cases[] = {
      {"magic", 0, 'c'},
      {"version", 8, 2},
      {"kind wallet", 9, 2},
      {"kind unknown", 9, 3},
      {"ops", kOpsOffset, 2},
      {"mem", kMemOffset, 9},
      {"salt", 18, 0xff},
      {"nonce", 34, 0xff},
      {"public size", kPublicSizeOffset, 31},
      {"public key", kPublicSizeOffset + 2, 0},
      {"secret size", 92, 16},
  };
  for (const Case& c : cases) {
    Bytes tampered = file;
    ASSERT_NE(tampered[c.offset], c.value) << c.field;
    tampered[c.offset] = c.value;
    EXPECT_FALSE(open_keystore(tampered, kPassword).ok()) << c.field;
  }
  Bytes bad_version = file;
  bad_version[8] = 2;
  auto info = read_keystore_info(bad_version);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.error().message.find("unsupported version 2"), std::string::npos);
  Bytes bad_magic = file;
  bad_magic[0] = 'c';
  EXPECT_NE(read_keystore_info(bad_magic).error().message.find("not a Cairn keystore"), std::string::npos);
}

TEST(Keystore, TruncatedOrExtendedFileIsRefused) {
  const Bytes file = validator_file();
  for (size_t size = 0; size < file.size(); ++size) {
    EXPECT_FALSE(read_keystore_info(ByteSpan(file).first(size)).ok()) << size;
  }
  Bytes longer = file;
  longer.push_back(0);
  auto info = read_keystore_info(longer);
  ASSERT_FALSE(info.ok());
  EXPECT_FALSE(open_keystore(longer, kPassword).ok());
  EXPECT_FALSE(read_keystore_info(Bytes(kMaxKeystoreFileBytes + 1, 0)).ok());
}

TEST(Keystore, KdfBoundsAreInclusive) {
  EXPECT_TRUE(check_kdf_params({kMinOpsLimit, kMinMemLimitKib}).ok());
  EXPECT_TRUE(check_kdf_params({kMaxOpsLimit, kMaxMemLimitKib}).ok());
  EXPECT_TRUE(check_kdf_params(kDefaultKdfParams).ok());
  EXPECT_TRUE(check_kdf_params(kInteractiveKdfParams).ok());
  EXPECT_FALSE(check_kdf_params({kMinOpsLimit - 1, kMinMemLimitKib}).ok());
  EXPECT_FALSE(check_kdf_params({kMaxOpsLimit + 1, kMinMemLimitKib}).ok());
  EXPECT_FALSE(check_kdf_params({kMinOpsLimit, kMinMemLimitKib - 1}).ok());
  EXPECT_FALSE(check_kdf_params({kMinOpsLimit, kMaxMemLimitKib + 1}).ok());
  EXPECT_FALSE(create_validator_keystore(test_key(), kPassword, {kMinOpsLimit, kMinMemLimitKib - 1}).ok());
}

// A file may not make its reader spend what it asks for: out-of-bounds costs are refused by
// the parser, before Argon2id runs.
TEST(Keystore, FileAskingFor64GiBIsRefusedBeforeTheKdf) {
  Bytes file = validator_file();
  put_u32(file, kMemOffset, 64u * 1024 * 1024);  // 64 GiB in KiB
  auto opened = open_keystore(file, kPassword);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::limit);
  EXPECT_NE(opened.error().message.find("kdf.mem_limit_kib"), std::string::npos);

  // The bounds themselves parse (the KDF is not run here: 2 GiB is too much for a test).
  put_u32(file, kMemOffset, kMaxMemLimitKib);
  put_u32(file, kOpsOffset, kMaxOpsLimit);
  EXPECT_TRUE(read_keystore_info(file).ok());
  put_u32(file, kMemOffset, kMaxMemLimitKib + 1);
  EXPECT_FALSE(read_keystore_info(file).ok());
  put_u32(file, kMemOffset, kMaxMemLimitKib);
  put_u32(file, kOpsOffset, kMaxOpsLimit + 1);
  EXPECT_FALSE(read_keystore_info(file).ok());
  put_u32(file, kOpsOffset, 0);
  EXPECT_FALSE(read_keystore_info(file).ok());
}

TEST(Keystore, PasswordLimits) {
  EXPECT_FALSE(create_validator_keystore(test_key(), "", kFast).ok());
  const std::string longest(kMaxPasswordBytes, 'p');
  const Bytes file = validator_file(longest);
  EXPECT_TRUE(open_validator_keystore(file, longest).ok());
  EXPECT_FALSE(create_validator_keystore(test_key(), std::string(kMaxPasswordBytes + 1, 'p'), kFast).ok());
}

TEST(Keystore, SecretAndPublicSizesFollowTheKind) {
  const KeyPair key = test_key();
  const Seed seed = key.seed();
  // A voting key's public key must be its seed's.
  EXPECT_FALSE(
      create_keystore(KeystoreKind::validator_voting_key, seed, test_key(8).public_key(), kPassword, kFast)
          .ok());
  EXPECT_FALSE(
      create_keystore(KeystoreKind::validator_voting_key, Bytes(31, 1), key.public_key(), kPassword, kFast)
          .ok());
  EXPECT_FALSE(create_keystore(KeystoreKind::wallet_seed, Bytes(15, 1), {}, kPassword, kFast).ok());
  EXPECT_TRUE(create_keystore(KeystoreKind::wallet_seed, Bytes(16, 1), {}, kPassword, kFast).ok());
  auto largest = create_keystore(KeystoreKind::wallet_seed, Bytes(kMaxKeystoreSecretBytes, 1),
                                 Bytes(kMaxKeystorePublicBytes, 2), kPassword, kFast);
  ASSERT_TRUE(largest.ok());
  EXPECT_EQ(largest->size(), kMaxKeystoreFileBytes);
  EXPECT_TRUE(open_keystore(*largest, kPassword).ok());
  EXPECT_FALSE(
      create_keystore(KeystoreKind::wallet_seed, Bytes(kMaxKeystoreSecretBytes + 1, 1), {}, kPassword, kFast)
          .ok());
  EXPECT_FALSE(create_keystore(KeystoreKind::wallet_seed, Bytes(16, 1), Bytes(kMaxKeystorePublicBytes + 1, 2),
                               kPassword, kFast)
                   .ok());
  EXPECT_FALSE(create_keystore(static_cast<KeystoreKind>(9), Bytes(16, 1), {}, kPassword, kFast).ok());
}

TEST(Keystore, FreshSaltAndNonceEachTime) { EXPECT_NE(validator_file(), validator_file()); }

TEST(KeystoreFile, WrittenWithMode0600AndReadBack) {
  TempDir dir;
  const fs::path path = dir.path() / "voting.key";
  const Bytes file = validator_file();
  ASSERT_TRUE(write_keystore_file(path, file).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  auto read = read_keystore_file(path);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(*read, file);
  EXPECT_EQ(names(dir), std::vector<std::string>{"voting.key"});
}

TEST(KeystoreFile, ExistingFileIsKeptUnlessOverwriteIsAsked) {
  TempDir dir;
  const fs::path path = dir.path() / "voting.key";
  const Bytes first = validator_file();
  const Bytes second = validator_file();
  ASSERT_TRUE(write_keystore_file(path, first).ok());
  auto refused = write_keystore_file(path, second);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("already exists"), std::string::npos);
  EXPECT_EQ(*read_keystore_file(path), first);
  EXPECT_EQ(names(dir), std::vector<std::string>{"voting.key"});  // no temporary left behind

  ASSERT_TRUE(write_keystore_file(path, second, /*overwrite=*/true).ok());
  EXPECT_EQ(*read_keystore_file(path), second);
  EXPECT_EQ(names(dir), std::vector<std::string>{"voting.key"});
}

TEST(KeystoreFile, FailedWriteLeavesNothing) {
  TempDir dir;
  EXPECT_FALSE(write_keystore_file(dir.path() / "missing" / "voting.key", validator_file()).ok());
  // The destination is a directory: the rename fails after the temporary was written.
  fs::create_directory(dir.path() / "taken");
  EXPECT_FALSE(write_keystore_file(dir.path() / "taken", validator_file(), /*overwrite=*/true).ok());
  EXPECT_EQ(names(dir), std::vector<std::string>{"taken"});
}

TEST(KeystoreFile, ReadRefusesFilesOthersCanRead) {
  TempDir dir;
  const fs::path path = dir.path() / "voting.key";
  ASSERT_TRUE(write_keystore_file(path, validator_file()).ok());
  for (fs::perms open_bits : {fs::perms::group_read, fs::perms::others_read, fs::perms::group_write}) {
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | open_bits);
    auto read = read_keystore_file(path);
    ASSERT_FALSE(read.ok());
    EXPECT_NE(read.error().message.find("too open"), std::string::npos) << read.error().message;
    EXPECT_NE(read.error().message.find("chmod 600"), std::string::npos);
  }
  fs::permissions(
      path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  EXPECT_NE(read_keystore_file(path).error().message.find("permissions 0644"), std::string::npos);
  fs::permissions(path, fs::perms::owner_read);
  EXPECT_TRUE(read_keystore_file(path).ok());
}

TEST(KeystoreFile, ReadRefusesOversizedAndNonRegularFiles) {
  TempDir dir;
  const fs::path big = dir.path() / "big";
  write_plain(big, std::string(kMaxKeystoreFileBytes + 1, 'x'),
              fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(read_keystore_file(big).error().code, ErrorCode::limit);
  const fs::path largest = dir.path() / "largest";
  write_plain(largest, std::string(kMaxKeystoreFileBytes, 'x'),
              fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_TRUE(read_keystore_file(largest).ok());
  fs::create_directory(dir.path() / "sub");
  fs::permissions(dir.path() / "sub", fs::perms::owner_all);
  EXPECT_FALSE(read_keystore_file(dir.path() / "sub").ok());
  EXPECT_EQ(read_keystore_file(dir.path() / "absent").error().code, ErrorCode::io);
}

TEST(PasswordFile, FirstLineWithoutItsEnding) {
  TempDir dir;
  const auto owner_only = fs::perms::owner_read | fs::perms::owner_write;
  const fs::path path = dir.path() / "password";
  for (std::string_view content : {"hunter2", "hunter2\n", "hunter2\r\n", "hunter2\nsecond line"}) {
    write_plain(path, content, owner_only);
    auto password = read_password_file(path);
    ASSERT_TRUE(password.ok()) << password.error().to_string();
    EXPECT_EQ(password->view(), "hunter2");
  }
  write_plain(path, "\n", owner_only);
  EXPECT_FALSE(read_password_file(path).ok());
  write_plain(path, std::string(kMaxPasswordBytes, 'p'), owner_only);
  EXPECT_TRUE(read_password_file(path).ok());
  write_plain(path, std::string(kMaxPasswordBytes + 1, 'p'), owner_only);
  EXPECT_FALSE(read_password_file(path).ok());
  write_plain(path, "hunter2", owner_only | fs::perms::group_read);
  EXPECT_NE(read_password_file(path).error().message.find("too open"), std::string::npos);
}

TEST(LoadValidatorKey, WithPasswordFile) {
  TempDir dir;
  const auto owner_only = fs::perms::owner_read | fs::perms::owner_write;
  const fs::path key_path = dir.path() / "voting.key";
  const fs::path password_path = dir.path() / "password";
  ASSERT_TRUE(write_keystore_file(key_path, validator_file()).ok());
  write_plain(password_path, std::string(kPassword) + "\n", owner_only);
  auto key = load_validator_key(key_path, password_path);
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  EXPECT_EQ(key->public_key(), test_key().public_key());

  write_plain(password_path, "wrong\n", owner_only);
  auto wrong = load_validator_key(key_path, password_path);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("voting.key"), std::string::npos);
  EXPECT_NE(wrong.error().message.find("wrong password or damaged file"), std::string::npos);
}

TEST(SecretBytes, MoveEmptiesTheSourceAndTruncateNeverGrows) {
  SecretBytes a = SecretBytes::copy_of(Bytes{1, 2, 3, 4});
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the documented moved-from state
  ASSERT_EQ(b.size(), 4u);
  b.truncate(2);
  EXPECT_EQ(Bytes(b.span().begin(), b.span().end()), (Bytes{1, 2}));
  b.truncate(10);
  EXPECT_EQ(b.size(), 2u);
}

}  // namespace
}  // namespace cairn
