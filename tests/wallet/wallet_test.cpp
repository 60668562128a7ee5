#include "wallet/wallet.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "crypto/bip39.h"
#include "primitives/address.h"
#include "support/temp_dir.h"
#include "util/file.h"
#include "wallet/fake_chain_source.h"

namespace cairn::wallet {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPassword = "correct horse";

Bytes file_bytes(const fs::path& path) { return *read_private_file(path, kMaxWalletFileBytes); }

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 0777;
}

class WalletTest : public ::testing::Test {
 protected:
  static Bytes seed(uint8_t fill = 7) { return Bytes(64, fill); }
  static Bytes entropy() { return Bytes(32, 9); }
  static NewWallet options() { return NewWallet{Network::regtest, 0, kMinimumKdfParams}; }
  fs::path dir(const std::string& name = "w") const { return data_.path() / "regtest" / "wallets" / name; }

  Wallet make(const std::string& name = "w", uint8_t seed_fill = 7) {
    auto w = Wallet::create_from_seed(dir(name), options(), entropy(), seed(seed_fill), kPassword, rng_);
    EXPECT_TRUE(w.ok()) << w.error().message;
    return std::move(w).value();
  }

  // The address at (chain, index) of seed(fill), computed independently of the wallet.
  static std::string address_at(Chain chain, uint32_t index, uint8_t fill = 7) {
    auto key = derive_key(seed(fill), Network::regtest, 0, chain, index);
    return encode_address(Network::regtest, key_hash_lock(key->public_key()));
  }

  TempDir data_;
  DeterministicRng rng_{11};
  FakeChainSource chain_{Network::regtest};
};

TEST_F(WalletTest, CreateWritesThePrivateLayoutAndOpensWithoutPassword) {
  Wallet w = make();
  EXPECT_EQ(mode_of(dir()), 0700u);
  EXPECT_EQ(mode_of(w.seed_path()), 0600u);
  EXPECT_EQ(mode_of(w.wallet_path()), 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir()), fs::directory_iterator()), 2);

  const Bytes keystore = file_bytes(w.seed_path());
  auto info = read_keystore_info(keystore);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kind, KeystoreKind::wallet_seed);
  EXPECT_EQ(Bytes(info->public_data), Bytes(w.id().begin(), w.id().end()));
  EXPECT_EQ(info->kdf, kMinimumKdfParams);

  auto opened = Wallet::open(dir());
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened->data(), w.data());
  EXPECT_EQ(opened->data().kind, WalletKind::hd);
  EXPECT_EQ(opened->data().addresses.size(), 2 * kLookahead);
  EXPECT_EQ(opened->data().addresses.front().address, address_at(Chain::receive, 0));
  EXPECT_EQ(opened->data().addresses.back().address, address_at(Chain::change, kLookahead - 1));
}

TEST_F(WalletTest, KeystoreRoundTripThroughTheWallet) {
  Wallet w = make();
  auto keys = w.unlock(kPassword);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(Bytes(keys->entropy().begin(), keys->entropy().end()), entropy());
  EXPECT_EQ(Bytes(keys->seed().begin(), keys->seed().end()), seed());
  const auto expected = encode_seed_secret(entropy(), seed());
  EXPECT_EQ(Bytes(keys->secret().span().begin(), keys->secret().span().end()),
            Bytes(expected->span().begin(), expected->span().end()));
  auto key = w.key_for_address(*keys, address_at(Chain::change, 3));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->public_key(), derive_key(seed(), Network::regtest, 0, Chain::change, 3)->public_key());
  EXPECT_FALSE(w.key_for_address(*keys, address_at(Chain::change, 300)).ok());
}

TEST_F(WalletTest, WrongPasswordIsRefusedWithNothingWritten) {
  Wallet w = make();
  const Bytes keystore = file_bytes(w.seed_path());
  const Bytes json = file_bytes(w.wallet_path());
  auto refused = w.unlock("not the password");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("wrong password or damaged file"), std::string::npos);
  EXPECT_FALSE(w.change_password("not the password", "new", kMinimumKdfParams, rng_).ok());
  EXPECT_FALSE(w.backup("not the password", rng_).ok());
  EXPECT_EQ(file_bytes(w.seed_path()), keystore);
  EXPECT_EQ(file_bytes(w.wallet_path()), json);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir()), fs::directory_iterator()), 2);
}

TEST_F(WalletTest, CreateRefusesAnExistingWallet) {
  Wallet w = make();
  const Bytes keystore = file_bytes(w.seed_path());
  auto again = Wallet::create_from_seed(dir(), options(), entropy(), seed(8), kPassword, rng_);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  EXPECT_EQ(file_bytes(w.seed_path()), keystore);
}

TEST_F(WalletTest, BadInputLeavesNoDirectory) {
  EXPECT_FALSE(Wallet::create_from_seed(dir(), options(), entropy(), seed(), "", rng_).ok());
  EXPECT_FALSE(Wallet::create_from_seed(dir(), options(), Bytes(15, 1), seed(), kPassword, rng_).ok());
  EXPECT_FALSE(fs::exists(dir()));
}

TEST_F(WalletTest, CreateDerivesTheSeedThroughBip39) {
  auto w = Wallet::create(dir(), options(), entropy(), "TREZOR", kPassword, rng_);
  ASSERT_TRUE(w.ok()) << w.error().message;
  const auto phrase = bip39::entropy_to_phrase(entropy());
  const auto bip39_seed = bip39::phrase_to_seed(phrase->view(), "TREZOR");
  auto key = derive_key(bip39_seed->span(), Network::regtest, 0, Chain::receive, 0);
  EXPECT_EQ(w->data().addresses.front().public_key, key->public_key());
}

TEST_F(WalletTest, LookaheadHandsOutTwentyAddressesWithoutKeys) {
  Wallet w = make();
  for (uint32_t i = 0; i < kLookahead; ++i) {
    ASSERT_FALSE(w.needs_keys(Chain::receive));
    auto a = w.next_address(Chain::receive, i == 0 ? "first" : "");
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->index, i);
    EXPECT_EQ(a->address, address_at(Chain::receive, i));
    EXPECT_TRUE(a->used);
  }
  EXPECT_TRUE(w.needs_keys(Chain::receive));
  EXPECT_FALSE(w.needs_keys(Chain::change));
  auto out = w.next_address(Chain::receive);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::not_found);
  EXPECT_NE(out.error().message.find("unlock the wallet"), std::string::npos);

  // Persisted: a reopened wallet continues where this one stopped.
  auto reopened = Wallet::open(dir());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(reopened->data().next_receive, kLookahead);
  EXPECT_EQ(reopened->find_address(address_at(Chain::receive, 0))->label, "first");

  auto keys = w.unlock(kPassword);
  ASSERT_TRUE(keys.ok());
  auto next = w.next_address(Chain::receive, "", &*keys);
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->index, kLookahead);
  EXPECT_EQ(next->address, address_at(Chain::receive, kLookahead));
  // Topped up again: twenty unused addresses after the next index.
  EXPECT_EQ(w.data().next_receive, kLookahead + 1);
  EXPECT_EQ(w.data().addresses.size(), size_t{2 * kLookahead + 1 + kLookahead});
  ASSERT_TRUE(w.top_up(*keys).ok());
  EXPECT_EQ(w.data().addresses.size(), size_t{2 * kLookahead + 1 + kLookahead});
}

TEST_F(WalletTest, ChangeAddressesHaveTheirOwnChain) {
  Wallet w = make();
  auto change = w.next_address(Chain::change);
  ASSERT_TRUE(change.ok());
  EXPECT_EQ(change->chain, Chain::change);
  EXPECT_EQ(change->address, address_at(Chain::change, 0));
  EXPECT_EQ(w.data().next_receive, 0u);
  EXPECT_EQ(w.data().next_change, 1u);
}

TEST_F(WalletTest, LabelsAreStored) {
  Wallet w = make();
  const std::string a = address_at(Chain::receive, 2);
  ASSERT_TRUE(w.set_label(a, "groceries").ok());
  EXPECT_EQ(Wallet::open(dir())->find_address(a)->label, "groceries");
  EXPECT_FALSE(w.set_label(address_at(Chain::receive, 2, 8), "x").ok());
  EXPECT_FALSE(w.set_label(a, std::string(kMaxLabelBytes + 1, 'x')).ok());
  EXPECT_TRUE(w.set_label(a, std::string(kMaxLabelBytes, 'x')).ok());
  EXPECT_FALSE(w.set_label(a, "tab\there").ok());
  EXPECT_FALSE(w.set_label(a, "bad \xff utf-8").ok());
  EXPECT_FALSE(w.set_label(a, "overlong \xc0\xaf").ok());
  EXPECT_FALSE(w.set_label(a, "surrogate \xed\xa0\x80").ok());
  EXPECT_FALSE(w.set_label(a, "cut \xe2\x82").ok());
  EXPECT_TRUE(w.set_label(a, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\xb2").ok());
  EXPECT_EQ(Wallet::open(dir())->find_address(a)->label, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\xb2");
}

TEST_F(WalletTest, AddressBookRefusesBadInputWithTheReason) {
  Wallet w = make();
  const std::string bob = address_at(Chain::receive, 0, 8);
  ASSERT_TRUE(w.book_add("bob", bob).ok());
  const Bytes json = file_bytes(w.wallet_path());

  auto duplicate = w.book_add("bob", address_at(Chain::receive, 1, 8));
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.error().message.find("already in the address book"), std::string::npos);

  auto key = derive_key(seed(8), Network::mainnet, 0, Chain::receive, 0);
  const std::string mainnet = encode_address(Network::mainnet, key_hash_lock(key->public_key()));
  auto wrong_network = w.book_add("alice", mainnet);
  ASSERT_FALSE(wrong_network.ok());
  EXPECT_NE(wrong_network.error().message.find("this is a mainnet address, not regtest"), std::string::npos);

  std::string typo = bob;
  typo[10] = typo[10] == 'q' ? 'p' : 'q';
  auto mistyped = w.book_add("carol", typo);
  ASSERT_FALSE(mistyped.ok());
  EXPECT_NE(mistyped.error().message.find("checksum"), std::string::npos);

  EXPECT_FALSE(w.book_add("", bob).ok());
  EXPECT_FALSE(w.book_add("two words", bob).ok());
  EXPECT_FALSE(w.book_add(std::string(kMaxBookNameBytes + 1, 'n'), bob).ok());
  EXPECT_TRUE(w.book_add(std::string(kMaxBookNameBytes, 'n'), bob).ok());
  EXPECT_TRUE(w.book_remove(std::string(kMaxBookNameBytes, 'n')).ok());
  auto missing = w.book_remove("dave");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("not in the address book"), std::string::npos);
  EXPECT_EQ(file_bytes(w.wallet_path()), json);  // nothing written by any refusal

  EXPECT_EQ(*w.resolve_recipient("bob"), bob);
  EXPECT_EQ(*w.resolve_recipient(bob), bob);
  auto unknown = w.resolve_recipient("erin");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("neither an address-book name nor a valid address"),
            std::string::npos);

  EXPECT_EQ(Wallet::open(dir())->book().at("bob"), bob);
  ASSERT_TRUE(w.book_remove("bob").ok());
  EXPECT_TRUE(Wallet::open(dir())->book().empty());
}

TEST_F(WalletTest, WatchOnlyWalletRefusesSigning) {
  const std::vector<std::string> list{address_at(Chain::receive, 0), address_at(Chain::receive, 1)};
  auto w = Wallet::create_watch_only(dir(), Network::regtest, list);
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_TRUE(w->watch_only());
  EXPECT_FALSE(fs::exists(w->seed_path()));
  auto unlocked = w->unlock(kPassword);
  ASSERT_FALSE(unlocked.ok());
  EXPECT_NE(unlocked.error().message.find("watch-only"), std::string::npos);
  const auto secret = encode_seed_secret(entropy(), seed());
  EXPECT_FALSE(w->keys_from_secret(secret->span()).ok());
  EXPECT_FALSE(w->next_address(Chain::receive).ok());

  chain_.add_coin(list[1], 5 * kCoin);
  auto balance = w->balance(chain_);
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->confirmed, 5 * kCoin);
  auto reopened = Wallet::open(dir());
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_EQ(reopened->export_addresses(), list[0] + "\n" + list[1] + "\n");

  EXPECT_FALSE(Wallet::create_watch_only(dir("dup"), Network::regtest, {list[0], list[0]}).ok());
  EXPECT_FALSE(Wallet::create_watch_only(dir("empty"), Network::regtest, {}).ok());
  EXPECT_FALSE(Wallet::create_watch_only(dir("net"), Network::testnet, list).ok());
  EXPECT_FALSE(fs::exists(dir("dup")));
}

TEST_F(WalletTest, AddressListParsing) {
  const std::string a = address_at(Chain::receive, 0);
  const std::string b = address_at(Chain::receive, 1);
  auto parsed = parse_address_list("# exported\n" + a + "\r\n\n  " + b + "  \n", Network::regtest);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, (std::vector<std::string>{a, b}));
  auto bad = parse_address_list(a + "\nnot-an-address\n", Network::regtest);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("line 2: ", 0), 0u);
  auto twice = parse_address_list(a + "\n" + a + "\n", Network::regtest);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("line 2: "), std::string::npos);
  EXPECT_FALSE(parse_address_list("# nothing\n", Network::regtest).ok());
}

TEST_F(WalletTest, AddressListLimit) {
  std::string text;
  for (uint32_t i = 0; i < kMaxWatchAddresses; ++i) {
    PublicKey key;
    for (size_t b = 0; b < 4; ++b) key.bytes[b] = static_cast<uint8_t>(i >> (8 * b));
    text += encode_address(Network::regtest, key_hash_lock(key));
    text += '\n';
  }
  auto at_limit = parse_address_list(text, Network::regtest);
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().message;
  EXPECT_EQ(at_limit->size(), kMaxWatchAddresses);
  text += address_at(Chain::receive, 0);
  auto over = parse_address_list(text, Network::regtest);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::limit);
}

TEST_F(WalletTest, RestoreScanFindsFundsAcrossGapsOnBothChains) {
  chain_.add_coin(address_at(Chain::receive, 0), 1 * kCoin);
  chain_.add_coin(address_at(Chain::receive, 19), 2 * kCoin);
  chain_.add_coin(address_at(Chain::receive, 38), 3 * kCoin);
  chain_.add_coin(address_at(Chain::change, 5), 4 * kCoin);
  Wallet w = make();
  auto keys = w.unlock(kPassword);
  ASSERT_TRUE(keys.ok());
  std::vector<ScanProgress> seen;
  auto result = w.scan(*keys, chain_, kDefaultGapLimit, [&](const ScanProgress& p) { seen.push_back(p); });
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->totals.found, 4u);
  EXPECT_EQ(result->last_used_receive, 38u);
  EXPECT_EQ(result->last_used_change, 5u);
  // 39 + 20 receive addresses, 6 + 20 change addresses.
  EXPECT_EQ(result->totals.scanned, 85u);
  EXPECT_EQ(chain_.history_queries(), 85u);
  ASSERT_EQ(seen.size(), 85u);
  EXPECT_EQ(seen.back().found, 4u);
  EXPECT_EQ(seen.front().scanned, 1u);
  EXPECT_EQ(seen.front().found, 1u);
  // What is left is at least the gap windows still open: after receive index 0 (used) all of
  // both; after index 1 (unused) one fewer; at receive's end only change's; 0 only at the end.
  EXPECT_EQ(seen[0].remaining, 40u);
  EXPECT_EQ(seen[1].remaining, 39u);
  EXPECT_EQ(seen[38].remaining, 40u);  // index 38 has history: a new window
  EXPECT_EQ(seen[58].remaining, 20u);
  EXPECT_EQ(seen[59].remaining, 19u);
  EXPECT_EQ(seen.back().remaining, 0u);
  for (size_t i = 0; i + 1 < seen.size(); ++i) EXPECT_GT(seen[i].remaining, 0u) << i;

  EXPECT_EQ(w.data().next_receive, 39u);
  EXPECT_EQ(w.data().next_change, 6u);
  for (const uint32_t i : {0u, 19u, 38u}) EXPECT_TRUE(w.find_address(address_at(Chain::receive, i))->used);
  EXPECT_FALSE(w.find_address(address_at(Chain::receive, 1))->used);
  EXPECT_TRUE(w.find_address(address_at(Chain::change, 5))->used);
  auto balance = w.balance(chain_);
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->confirmed, 10 * kCoin);
  auto reopened = Wallet::open(dir());
  EXPECT_EQ(reopened->data(), w.data());
  auto next = w.next_address(Chain::receive);
  EXPECT_EQ(next->index, 39u);
}

TEST_F(WalletTest, RestoreScanStopsAfterTheGapLimit) {
  // Index 19 is found after 19 unused addresses; then 20..39 are unused: the scan stops
  // there and never sees index 40.
  chain_.add_coin(address_at(Chain::receive, 19), 2 * kCoin);
  chain_.add_coin(address_at(Chain::receive, 40), 3 * kCoin);
  Wallet w = make();
  auto keys = w.unlock(kPassword);
  auto result = w.scan(*keys, chain_, 20);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->totals.found, 1u);
  EXPECT_EQ(result->last_used_receive, 19u);
  EXPECT_EQ(result->last_used_change, std::nullopt);
  EXPECT_EQ(w.balance(chain_)->confirmed, 2 * kCoin);
  EXPECT_EQ(w.find_address(address_at(Chain::receive, 40)), nullptr);

  // One more address of gap reaches it.
  Wallet wider = make("wider");
  auto found = wider.scan(*wider.unlock(kPassword), chain_, 21);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->last_used_receive, 40u);
  EXPECT_EQ(wider.balance(chain_)->confirmed, 5 * kCoin);

  EXPECT_FALSE(w.scan(*keys, chain_, 0).ok());
  EXPECT_FALSE(w.scan(*keys, chain_, kMaxGapLimit + 1).ok());
}

TEST_F(WalletTest, GapLimitOfOneStopsAtTheFirstUnusedAddress) {
  chain_.add_coin(address_at(Chain::receive, 0), 1 * kCoin);
  chain_.add_coin(address_at(Chain::receive, 1), 1 * kCoin);
  chain_.add_coin(address_at(Chain::receive, 3), 1 * kCoin);
  Wallet w = make();
  auto result = w.scan(*w.unlock(kPassword), chain_, kMinGapLimit);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->last_used_receive, 1u);
  EXPECT_EQ(result->totals.scanned, 3u + 1u);  // receive 0, 1, 2; change 0
}

TEST_F(WalletTest, RestoreCreatesAndScans) {
  auto phrase = bip39::entropy_to_phrase(entropy());
  auto bip39_seed = bip39::phrase_to_seed(phrase->view(), "");
  auto key = derive_key(bip39_seed->span(), Network::regtest, 0, Chain::receive, 15);
  chain_.add_coin(encode_address(Network::regtest, key_hash_lock(key->public_key())), 7 * kCoin);
  uint64_t last_found = 0;
  auto w = Wallet::restore(dir(), options(), entropy(), "", kPassword, rng_, chain_, kDefaultGapLimit,
                           [&](const ScanProgress& p) { last_found = p.found; });
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(last_found, 1u);
  EXPECT_EQ(w->data().next_receive, 16u);
  EXPECT_EQ(w->balance(chain_)->confirmed, 7 * kCoin);
}

TEST_F(WalletTest, RestoreWhoseScanFailsLeavesNothing) {
  chain_.fail_queries(Error{ErrorCode::io, "node unreachable"});
  auto w = Wallet::restore(dir(), options(), entropy(), "", kPassword, rng_, chain_);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().message, "node unreachable");
  EXPECT_FALSE(fs::exists(dir()));
  chain_.fail_queries(std::nullopt);
  EXPECT_TRUE(Wallet::restore(dir(), options(), entropy(), "", kPassword, rng_, chain_).ok());
}

TEST_F(WalletTest, ScanErrorsLeaveTheWalletAsItWas) {
  Wallet w = make();
  const Bytes json = file_bytes(w.wallet_path());
  chain_.fail_queries(Error{ErrorCode::io, "node unreachable"});
  auto keys = w.unlock(kPassword);
  auto result = w.scan(*keys, chain_);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "node unreachable");
  EXPECT_EQ(file_bytes(w.wallet_path()), json);
}

TEST_F(WalletTest, ChangePassword) {
  Wallet w = make();
  const auto before = w.unlock(kPassword);
  ASSERT_TRUE(w.change_password(kPassword, "new password", kMinimumKdfParams, rng_).ok());
  EXPECT_EQ(mode_of(w.seed_path()), 0600u);
  EXPECT_FALSE(w.unlock(kPassword).ok());
  auto after = Wallet::open(dir())->unlock("new password");
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(Bytes(after->secret().span().begin(), after->secret().span().end()),
            Bytes(before->secret().span().begin(), before->secret().span().end()));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir()), fs::directory_iterator()), 2);
  EXPECT_FALSE(w.change_password("new password", "", kMinimumKdfParams, rng_).ok());
  EXPECT_TRUE(w.unlock("new password").ok());
}

TEST_F(WalletTest, KeysFromAnotherSeedAreRefused) {
  Wallet w = make();
  const auto other = encode_seed_secret(entropy(), seed(8));
  auto refused = w.keys_from_secret(other->span());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("do not belong to this wallet"), std::string::npos);
  const auto own = encode_seed_secret(entropy(), seed());
  EXPECT_TRUE(w.keys_from_secret(own->span()).ok());
}

TEST_F(WalletTest, BackupAndImportRoundTrip) {
  Wallet w = make();
  ASSERT_TRUE(w.book_add("bob", address_at(Chain::receive, 0, 8)).ok());
  ASSERT_TRUE(w.next_address(Chain::receive, "salary").ok());
  const fs::path file = data_.path() / "backup.bin";
  ASSERT_TRUE(w.write_backup(file, kPassword, rng_).ok());
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_FALSE(w.write_backup(file, kPassword, rng_).ok());  // never overwritten
  const Bytes backup = *read_private_file(file, kMaxBackupFileBytes);

  auto wrong = Wallet::import_backup(dir("copy"), backup, "wrong");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "wrong password or damaged file");
  EXPECT_FALSE(fs::exists(dir("copy")));

  auto copy = Wallet::import_backup(dir("copy"), backup, kPassword);
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  EXPECT_EQ(copy->data(), w.data());
  EXPECT_EQ(file_bytes(copy->seed_path()), file_bytes(w.seed_path()));
  EXPECT_EQ(mode_of(dir("copy")), 0700u);
  auto keys = Wallet::open(dir("copy"))->unlock(kPassword);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(Bytes(keys->seed().begin(), keys->seed().end()), seed());

  auto over = Wallet::import_backup(dir(), backup, kPassword);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("already exists"), std::string::npos);
}

TEST_F(WalletTest, WatchOnlyBackupRoundTrip) {
  auto w = Wallet::create_watch_only(dir(), Network::regtest, {address_at(Chain::receive, 0)});
  ASSERT_TRUE(w.ok());
  auto backup = w->backup("any", rng_, kMinimumKdfParams);
  ASSERT_TRUE(backup.ok()) << backup.error().message;
  auto copy = Wallet::import_backup(dir("copy"), *backup, "any");
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  EXPECT_EQ(copy->data(), w->data());
}

TEST_F(WalletTest, BalanceSeparatesConfirmedImmatureAndPending) {
  Wallet w = make();
  chain_.add_coin(address_at(Chain::receive, 0), 1 * kCoin);
  const OutPoint immature = chain_.add_coin(address_at(Chain::receive, 1), 50 * kCoin, 90, true, false);
  const OutPoint held = chain_.add_coin(address_at(Chain::change, 2), 3 * kCoin);
  chain_.add_coin(address_at(Chain::receive, 0, 8), 100 * kCoin);  // not ours
  Txid sent;
  sent.bytes.fill(0xee);
  chain_.add_to_mempool(sent);
  ASSERT_TRUE(w.add_pending({held}, sent).ok());
  EXPECT_EQ(w.pending_outpoints(), std::set<OutPoint>{held});

  auto balance = w.balance(chain_);
  ASSERT_TRUE(balance.ok()) << balance.error().message;
  EXPECT_EQ(*balance, (Balance{1 * kCoin, 50 * kCoin, 3 * kCoin}));
  auto coins = w.spendable_coins(chain_);
  ASSERT_TRUE(coins.ok());
  ASSERT_EQ(coins->size(), 1u);
  EXPECT_EQ((*coins)[0].address.address, address_at(Chain::receive, 0));
  EXPECT_NE((*coins)[0].utxo.outpoint, immature);
  EXPECT_EQ(Wallet::open(dir())->pending_outpoints().size(), 1u);

  // The transaction left the mempool (confirmed or dropped): the spend is forgotten.
  chain_.remove_from_mempool(sent);
  EXPECT_EQ(w.balance(chain_)->pending, 0u);
  EXPECT_TRUE(w.pending_outpoints().empty());
  EXPECT_TRUE(Wallet::open(dir())->pending_outpoints().empty());
}

TEST_F(WalletTest, HistoryMarksAddressesSeenOnChainUsed) {
  Wallet w = make();
  const OutPoint coin = chain_.add_coin(address_at(Chain::receive, 3), 2 * kCoin, 10);
  chain_.add_coin(address_at(Chain::receive, 1), 1 * kCoin, 5);
  Txid spender;
  spender.bytes.fill(0x44);
  chain_.spend(coin, spender, 0, 12);
  auto history = w.history(chain_);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].entry.height, 5u);
  EXPECT_EQ((*history)[1].address, address_at(Chain::receive, 3));
  ASSERT_TRUE((*history)[1].entry.spent.has_value());
  EXPECT_EQ((*history)[1].entry.spent->txid, spender);
  EXPECT_EQ(w.data().next_receive, 4u);
  EXPECT_TRUE(Wallet::open(dir())->find_address(address_at(Chain::receive, 3))->used);
}

TEST_F(WalletTest, MultisigSetupsAreCheckedAndStored) {
  Wallet w = make();
  MultisigSetup m;
  m.threshold = 2;
  m.keys = {*w.data().addresses[0].public_key, *w.data().addresses[1].public_key,
            *w.data().addresses[2].public_key};
  m.lock.root.tag = LockTag::multi;
  m.lock.root.threshold = 2;
  m.lock.root.keys = m.keys;
  m.address = encode_address(Network::regtest, lock_hash_lock(m.lock));
  m.label = "joint";
  ASSERT_TRUE(w.add_multisig(m).ok());
  EXPECT_FALSE(w.add_multisig(m).ok());  // twice
  auto reopened = Wallet::open(dir());
  ASSERT_EQ(reopened->multisig().size(), 1u);
  EXPECT_EQ(reopened->multisig()[0], m);
  EXPECT_NE(reopened->find_multisig(m.address), nullptr);

  MultisigSetup wrong_address = m;
  wrong_address.address = address_at(Chain::receive, 0);
  EXPECT_FALSE(w.add_multisig(wrong_address).ok());
  MultisigSetup zero = m;
  zero.threshold = 0;
  EXPECT_FALSE(w.add_multisig(zero).ok());
  MultisigSetup too_many = m;
  too_many.threshold = 4;
  EXPECT_FALSE(w.add_multisig(too_many).ok());
}

}  // namespace
}  // namespace cairn::wallet
