#include "wallet/wallet_file.h"

#include <algorithm>
#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "primitives/address.h"
#include "support/temp_dir.h"
#include "util/file.h"

namespace cairn::wallet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

PublicKey key_of(uint8_t fill) {
  PublicKey k;
  k.bytes.fill(fill);
  return k;
}

AddressRecord record(Network net, Chain chain, uint32_t index, uint8_t fill) {
  AddressRecord a;
  a.chain = chain;
  a.index = index;
  a.public_key = key_of(fill);
  a.address = encode_address(net, key_hash_lock(*a.public_key));
  return a;
}

MultisigSetup multisig(Network net) {
  MultisigSetup m;
  m.threshold = 2;
  m.keys = {key_of(1), key_of(2), key_of(3)};
  m.lock.root.tag = LockTag::multi;
  m.lock.root.threshold = 2;
  m.lock.root.keys = m.keys;
  m.address = encode_address(net, lock_hash_lock(m.lock));
  m.label = "joint";
  return m;
}

WalletData sample() {
  WalletData d;
  d.network = Network::regtest;
  d.account = 3;
  d.id.bytes.fill(0xab);
  d.addresses = {record(d.network, Chain::receive, 0, 10), record(d.network, Chain::receive, 1, 11),
                 record(d.network, Chain::change, 0, 12)};
  d.addresses[0].used = true;
  d.addresses[0].label = "rent \xe2\x82\xac";
  d.next_receive = 1;
  d.next_change = 0;
  d.address_book["bob"] = encode_address(d.network, key_hash_lock(key_of(99)));
  d.multisig.push_back(multisig(d.network));
  PendingSpend p;
  p.outpoint.txid.bytes.fill(5);
  p.outpoint.index = 7;
  p.txid.bytes.fill(6);
  d.pending.push_back(p);
  return d;
}

// The sample's JSON with one change applied, as text.
std::string edited(const std::function<void(json&)>& edit) {
  json j = json::parse(serialize_wallet_json(sample()));
  edit(j);
  return j.dump();
}

std::string error_of(const std::string& text) {
  auto parsed = parse_wallet_json(text);
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? std::string() : parsed.error().message;
}

TEST(WalletFile, JsonRoundTrip) {
  const WalletData d = sample();
  const std::string text = serialize_wallet_json(d);
  auto back = parse_wallet_json(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, d);
  EXPECT_EQ(serialize_wallet_json(*back), text);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(json::parse(text)["version"], 1);
}

TEST(WalletFile, WatchOnlyRoundTrip) {
  WalletData d;
  d.kind = WalletKind::watch_only;
  AddressRecord a;
  a.address = encode_address(d.network, key_hash_lock(key_of(4)));
  d.addresses.push_back(a);
  auto back = parse_wallet_json(serialize_wallet_json(d));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, d);
}

TEST(WalletFile, CorruptFilesAreRefusedNamingTheField) {
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[]").find("expected an object"), std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) { j["version"] = 2; })).find("unsupported wallet.json version 2"),
            std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) { j.erase("version"); })).find("missing field 'version'"),
            std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) { j.erase("addresses"); })).find("missing field 'addresses'"),
            std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) { j["extra"] = 1; })).find("unknown field 'extra'"),
            std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) { j["network"] = "moonnet"; })).find("unknown network"),
            std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) { j["kind"] = "cold"; })).find("kind"), std::string::npos);
  EXPECT_NE(
      error_of(edited([](json& j) { j["account"] = -1; })).find("account: expected a non-negative integer"),
      std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) { j["account"] = 1.5; })).find("account"), std::string::npos);
  EXPECT_NE(
      error_of(edited([](json& j) { j["account"] = 2147483648u; })).find("account: 2147483648 is above"),
      std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) { j["wallet_id"] = "abcd"; })).find("wallet_id"), std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) {
              j["addresses"][1]["index"] = 2;
            })).find("addresses[1]: index 2 where 1 was expected"),
            std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) { j["addresses"][0]["used"] = "yes"; })).find("addresses[0].used"),
            std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) {
              j["addresses"][0]["public_key"] = std::string(64, '0');
            })).find("addresses[0].address: is not the address of the public key"),
            std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) { j["addresses"][0]["public_key"] = nullptr; })).find("public_key"),
            std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) {
              j["next_index"]["receive"] = 3;
            })).find("next_index.receive: 3 is past the 2 derived addresses"),
            std::string::npos);
  EXPECT_NE(
      error_of(edited([](json& j) { j["address_book"]["bob"] = "rcairn1xyz"; })).find("address_book.bob"),
      std::string::npos);
  EXPECT_NE(
      error_of(edited([](json& j) { j["multisig"][0]["threshold"] = 4; })).find("multisig[0].threshold"),
      std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) {
              for (int i = 0; i < 18; ++i) j["multisig"][0]["public_keys"].push_back(std::string(64, '1'));
            })).find("multisig[0].public_keys: expected 1 to 20 keys"),
            std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) { j["multisig"][0]["lock"] = "00"; })).find("multisig[0].lock"),
            std::string::npos);
  EXPECT_NE(
      error_of(edited([](json& j) { j["pending_spends"][0]["spent_by"] = 5; })).find("pending_spends[0]"),
      std::string::npos);
}

TEST(WalletFile, OtherNetworksAddressesAreRefused) {
  const std::string mainnet_address = encode_address(Network::mainnet, key_hash_lock(key_of(99)));
  EXPECT_NE(
      error_of(edited([&](json& j) { j["address_book"]["bob"] = mainnet_address; })).find("address_book.bob"),
      std::string::npos);
  // The same file read as mainnet: every address is now of the wrong network.
  EXPECT_NE(error_of(edited([](json& j) { j["network"] = "mainnet"; })).find("addresses[0].address"),
            std::string::npos);
}

TEST(WalletFile, DuplicatesAreRefused) {
  const std::string text = serialize_wallet_json(sample());
  std::string twice = text;
  twice.insert(1, "\"account\": 1,");
  EXPECT_NE(error_of(twice).find("field 'account' appears twice"), std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) {
              j["addresses"][1]["address"] = j["addresses"][0]["address"];
            })).find("addresses[1]"),
            std::string::npos);
  EXPECT_NE(
      error_of(edited([](json& j) { j["multisig"].push_back(j["multisig"][0]); })).find("appears twice"),
      std::string::npos);
  EXPECT_NE(error_of(edited([](json& j) {
              j["pending_spends"].push_back(j["pending_spends"][0]);
            })).find("outpoint appears twice"),
            std::string::npos);
}

TEST(WalletFile, ChangeAddressesFollowReceiveAddresses) {
  EXPECT_NE(error_of(edited([](json& j) {
              std::swap(j["addresses"][1], j["addresses"][2]);
            })).find("receive addresses must come before change addresses"),
            std::string::npos);
}

TEST(WalletFile, WriteIsPrivateAndReadChecksPermissions) {
  TempDir dir;
  const fs::path path = dir.path() / "wallet.json";
  ASSERT_TRUE(write_wallet_file(path, sample()).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = read_wallet_file(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, sample());
  // Rewriting replaces it whole, leaving no temporary file behind.
  WalletData changed = sample();
  changed.next_receive = 2;
  ASSERT_TRUE(write_wallet_file(path, changed).ok());
  EXPECT_EQ(read_wallet_file(path)->next_receive, 2u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);

  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto refused = read_wallet_file(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("too open"), std::string::npos);
}

TEST(WalletFile, ReadErrorsNameTheFile) {
  TempDir dir;
  const fs::path path = dir.path() / "wallet.json";
  ASSERT_TRUE(write_file_atomically(path, as_bytes("{\"version\": 1}"), true).ok());
  auto refused = read_wallet_file(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find(path.string()), std::string::npos);
  EXPECT_NE(refused.error().message.find("missing field 'network'"), std::string::npos);
}

TEST(WalletFile, OversizedFilesAreRefusedBeforeParsing) {
  TempDir dir;
  const fs::path path = dir.path() / "wallet.json";
  ASSERT_TRUE(write_file_atomically(path, Bytes(kMaxWalletFileBytes + 1, ' '), true).ok());
  auto refused = read_wallet_file(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::limit);
  // At the limit the size passes and the parser speaks.
  ASSERT_TRUE(write_file_atomically(path, Bytes(kMaxWalletFileBytes, ' '), true).ok());
  EXPECT_EQ(read_wallet_file(path).error().code, ErrorCode::decode);

  Bytes backup(kMaxBackupFileBytes + 1, 0);
  std::copy(std::begin(kBackupMagic), std::end(kBackupMagic), backup.begin());
  EXPECT_EQ(open_backup(backup, "pw").error().code, ErrorCode::limit);
}

TEST(WalletFile, SeedSecretLayout) {
  const Bytes entropy(32, 0x11);
  const Bytes seed(64, 0x22);
  auto secret = encode_seed_secret(entropy, seed);
  ASSERT_TRUE(secret.ok());
  ASSERT_EQ(secret->size(), 1u + 32 + 64);
  EXPECT_EQ(secret->data()[0], 32);
  auto parts = decode_seed_secret(secret->span());
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(Bytes(parts->entropy.span().begin(), parts->entropy.span().end()), entropy);
  EXPECT_EQ(Bytes(parts->seed.span().begin(), parts->seed.span().end()), seed);

  EXPECT_TRUE(encode_seed_secret(Bytes(16, 1), seed).ok());
  EXPECT_FALSE(encode_seed_secret(Bytes(12, 1), seed).ok());
  EXPECT_FALSE(encode_seed_secret(Bytes(17, 1), seed).ok());
  EXPECT_FALSE(encode_seed_secret(Bytes(36, 1), seed).ok());
  EXPECT_FALSE(encode_seed_secret(entropy, Bytes(63, 1)).ok());
  Bytes truncated(secret->span().begin(), secret->span().end() - 1);
  EXPECT_FALSE(decode_seed_secret(truncated).ok());
  Bytes wrong_length(secret->span().begin(), secret->span().end());
  wrong_length[0] = 20;
  EXPECT_FALSE(decode_seed_secret(wrong_length).ok());
}

TEST(WalletFile, WalletNames) {
  EXPECT_TRUE(check_wallet_name("default").ok());
  EXPECT_TRUE(check_wallet_name("cold-2026_v1.b").ok());
  EXPECT_TRUE(check_wallet_name(std::string(kMaxWalletNameBytes, 'a')).ok());
  EXPECT_FALSE(check_wallet_name(std::string(kMaxWalletNameBytes + 1, 'a')).ok());
  EXPECT_FALSE(check_wallet_name("").ok());
  EXPECT_FALSE(check_wallet_name(".hidden").ok());
  EXPECT_FALSE(check_wallet_name("..").ok());
  EXPECT_FALSE(check_wallet_name("a/b").ok());
  EXPECT_FALSE(check_wallet_name("a b").ok());
  auto dir = wallet_dir("/data", Network::testnet, "w1");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(*dir, fs::path("/data/testnet/wallets/w1"));
}

TEST(WalletFile, CreateDirAndList) {
  TempDir data;
  EXPECT_TRUE(list_wallets(data.path(), Network::regtest)->empty());
  const fs::path a = *wallet_dir(data.path(), Network::regtest, "b");
  const fs::path b = *wallet_dir(data.path(), Network::regtest, "a");
  ASSERT_TRUE(create_wallet_dir(a).ok());
  struct stat st {};
  ASSERT_EQ(::stat(a.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_TRUE(create_wallet_dir(b).ok());
  ASSERT_TRUE(write_wallet_file(a / "wallet.json", sample()).ok());
  ASSERT_TRUE(write_wallet_file(b / "wallet.json", sample()).ok());
  fs::create_directories(wallets_root(data.path(), Network::regtest) / "not-a-wallet");
  EXPECT_EQ(*list_wallets(data.path(), Network::regtest), (std::vector<std::string>{"a", "b"}));
  auto again = create_wallet_dir(a);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  // An existing empty directory is taken (and made private).
  const fs::path empty = wallets_root(data.path(), Network::regtest) / "not-a-wallet";
  EXPECT_TRUE(create_wallet_dir(empty).ok());
}

TEST(WalletFile, BackupRoundTripAndRefusals) {
  DeterministicRng rng(3);
  BackupContents contents{Bytes{1, 2, 3, 4}, serialize_wallet_json(sample())};
  auto sealed = seal_backup(contents, "pw", kMinimumKdfParams, rng);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  EXPECT_TRUE(std::equal(std::begin(kBackupMagic), std::end(kBackupMagic), sealed->begin()));
  auto opened = open_backup(*sealed, "pw");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened->keystore, contents.keystore);
  EXPECT_EQ(opened->wallet_json, contents.wallet_json);

  auto wrong = open_backup(*sealed, "not it");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "wrong password or damaged file");
  for (const size_t at : {size_t{9}, size_t{20}, size_t{40}, kBackupHeaderBytes + 2, sealed->size() - 1}) {
    Bytes damaged = *sealed;
    damaged[at] ^= 1;
    EXPECT_FALSE(open_backup(damaged, "pw").ok()) << "byte " << at;
  }
  Bytes version = *sealed;
  version[8] = 2;
  EXPECT_NE(open_backup(version, "pw").error().message.find("unsupported wallet backup version 2"),
            std::string::npos);
  Bytes costly = *sealed;
  costly[13] = 0xff;  // mem_limit_kib far above kMaxMemLimitKib: refused before Argon2id
  costly[14] = 0xff;
  costly[15] = 0xff;
  costly[16] = 0xff;
  EXPECT_FALSE(open_backup(costly, "pw").ok());
  EXPECT_NE(open_backup(Bytes(100, 0), "pw").error().message.find("not a cairn wallet backup"),
            std::string::npos);
  Bytes longer = *sealed;
  longer.push_back(0);
  EXPECT_FALSE(open_backup(longer, "pw").ok());
  // Watch-only: no keystore.
  auto watch = seal_backup(BackupContents{{}, "{}"}, "pw", kMinimumKdfParams, rng);
  ASSERT_TRUE(watch.ok());
  EXPECT_TRUE(open_backup(*watch, "pw")->keystore.empty());
  EXPECT_FALSE(seal_backup(contents, "", kMinimumKdfParams, rng).ok());
}

}  // namespace
}  // namespace cairn::wallet
