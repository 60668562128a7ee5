#include "net/peer_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/hash.h"
#include "net/test_peer_id.h"
#include "util/file.h"

namespace cairn::net {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT0 = 1'700'000'000;  // Unix seconds

Multiaddr addr(const std::string& text) {
  auto a = Multiaddr::parse(text);
  EXPECT_TRUE(a.ok()) << text;
  return *a;
}

Multiaddr tcp(int host, int port = 9000) {
  std::string text = "/ip4/203.0.113.";
  text += std::to_string(host);
  text += "/tcp/";
  text += std::to_string(port);
  return addr(text);
}

class PeerStoreFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cairn-peer-store-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = dir_ / kPeerStoreFileName;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  fs::path path_;
};

PeerStore sample_store() {
  PeerStore store;
  store.add(test_peer_id(1), {tcp(1), tcp(2)}, PeerSource::bootstrap, kT0);
  store.add(test_peer_id(2), {addr("/ip6/2001:db8::1/tcp/1"), addr("/dns4/seed.example.org/tcp/2")},
            PeerSource::discovery, kT0 + 1);
  store.mark_attempt(test_peer_id(1), kT0 + 5);
  store.mark_success(test_peer_id(1), kT0 + 6);
  store.mark_attempt(test_peer_id(2), kT0 + 7);
  store.mark_failure(test_peer_id(2), kT0 + 8);
  store.set_bans({Ban{BanTarget::of_group("198.51.0.0/16"), "invalid_block", kT0 + 100},
                  Ban{BanTarget::of(test_peer_id(3)), "operator", kT0 + 200}});
  return store;
}

TEST(PeerStore, AddMergesAddressesNewestFirst) {
  PeerStore store;
  ASSERT_TRUE(store.add(test_peer_id(1), {tcp(1), tcp(2), tcp(1)}, PeerSource::discovery, kT0));
  ASSERT_TRUE(store.add(test_peer_id(1), {tcp(3), tcp(2)}, PeerSource::inbound, kT0 + 10));
  const KnownPeer* known = store.find(test_peer_id(1));
  ASSERT_NE(known, nullptr);
  EXPECT_EQ(known->addresses, (std::vector<Multiaddr>{tcp(3), tcp(2), tcp(1)}));
  EXPECT_EQ(known->source, PeerSource::discovery);  // where we first heard of it
  EXPECT_EQ(known->first_seen, kT0);
  EXPECT_EQ(known->last_seen, kT0 + 10);
}

TEST(PeerStore, AddressesPerPeerAreBoundedAndTheOldestGo) {
  PeerStore store;
  std::vector<Multiaddr> many;
  for (int i = 0; i < static_cast<int>(kMaxAddressesPerPeer); ++i) many.push_back(tcp(i));
  ASSERT_TRUE(store.add(test_peer_id(1), many, PeerSource::discovery, kT0));
  EXPECT_EQ(store.find(test_peer_id(1))->addresses.size(), kMaxAddressesPerPeer);
  ASSERT_TRUE(store.add(test_peer_id(1), {tcp(100)}, PeerSource::discovery, kT0));
  const auto& kept = store.find(test_peer_id(1))->addresses;
  ASSERT_EQ(kept.size(), kMaxAddressesPerPeer);
  EXPECT_EQ(kept.front(), tcp(100));
  EXPECT_EQ(kept.back(), tcp(static_cast<int>(kMaxAddressesPerPeer) - 2));
}

TEST(PeerStore, PeerIdsInAddresses) {
  PeerStore store;
  const auto own = tcp(1).with_peer_id(test_peer_id(1));
  const auto other = tcp(2).with_peer_id(test_peer_id(2));
  ASSERT_TRUE(own.ok() && other.ok());
  ASSERT_TRUE(store.add(test_peer_id(1), {*own, *other}, PeerSource::discovery, kT0));
  EXPECT_EQ(store.find(test_peer_id(1))->addresses, std::vector<Multiaddr>{tcp(1)});  // stored without /p2p
  // Nothing dialable: another peer's address, or a bare /p2p.
  std::string bare = "/p2p/";
  bare += test_peer_id(3).to_base58();
  EXPECT_FALSE(store.add(test_peer_id(3), {*other, addr(bare)}, PeerSource::discovery, kT0));
  EXPECT_FALSE(store.add(test_peer_id(3), {}, PeerSource::discovery, kT0));
  EXPECT_EQ(store.size(), 1u);
}

TEST(PeerStore, ConnectionHistory) {
  PeerStore store;
  store.add(test_peer_id(1), {tcp(1)}, PeerSource::discovery, kT0);
  store.mark_attempt(test_peer_id(1), kT0 + 1);
  store.mark_failure(test_peer_id(1), kT0 + 2);
  store.mark_failure(test_peer_id(1), kT0 + 3);
  EXPECT_EQ(store.find(test_peer_id(1))->failures, 2u);
  EXPECT_EQ(store.find(test_peer_id(1))->last_attempt, kT0 + 1);
  store.mark_success(test_peer_id(1), kT0 + 4);
  EXPECT_EQ(store.find(test_peer_id(1))->failures, 0u);
  EXPECT_EQ(store.find(test_peer_id(1))->last_success, kT0 + 4);
  store.mark_success(test_peer_id(9), kT0);  // unknown: ignored
  EXPECT_EQ(store.size(), 1u);
  EXPECT_TRUE(store.remove(test_peer_id(1)));
  EXPECT_FALSE(store.remove(test_peer_id(1)));
}

TEST(PeerStore, FullStoreEvictsTheWorst) {
  PeerStore store(3);
  store.add(test_peer_id(1), {tcp(1)}, PeerSource::discovery, kT0);  // connected once
  store.mark_success(test_peer_id(1), kT0);
  store.add(test_peer_id(2), {tcp(2)}, PeerSource::discovery, kT0);  // never connected, 2 failures
  store.mark_failure(test_peer_id(2), kT0);
  store.mark_failure(test_peer_id(2), kT0);
  store.add(test_peer_id(3), {tcp(3)}, PeerSource::discovery, kT0);  // never connected, 1 failure
  store.mark_failure(test_peer_id(3), kT0);
  EXPECT_EQ(store.size(), 3u);  // at the limit, nothing evicted
  store.add(test_peer_id(4), {tcp(4)}, PeerSource::discovery, kT0 + 1);
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.find(test_peer_id(2)), nullptr);
  // Then the stalest among equals (peer 3 has a failure; peer 4 none).
  store.add(test_peer_id(5), {tcp(5)}, PeerSource::discovery, kT0 + 2);
  EXPECT_EQ(store.find(test_peer_id(3)), nullptr);
  store.add(test_peer_id(6), {tcp(6)}, PeerSource::discovery, kT0 + 3);
  EXPECT_EQ(store.find(test_peer_id(4)), nullptr);  // seen at kT0 + 1, before peer 5
  EXPECT_NE(store.find(test_peer_id(1)), nullptr);  // the one that connected stays
}

TEST(PeerStore, EncodingRoundTrips) {
  const PeerStore store = sample_store();
  const Bytes image = store.encode();
  auto decoded = PeerStore::decode(image);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->peers(), store.peers());
  EXPECT_EQ(decoded->bans(), store.bans());
  EXPECT_EQ(decoded->encode(), image);
  // An empty store too.
  auto empty = PeerStore::decode(PeerStore().encode());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 0u);
}

TEST(PeerStore, DecodeRefusesDamage) {
  const Bytes image = sample_store().encode();
  for (size_t i : {size_t{0}, size_t{9}, image.size() / 2, image.size() - 1}) {
    Bytes damaged = image;
    damaged[i] ^= 0x01;
    auto decoded = PeerStore::decode(damaged);
    ASSERT_FALSE(decoded.ok()) << i;
    EXPECT_NE(decoded.error().message.find("checksum"), std::string::npos) << decoded.error().message;
  }
  EXPECT_FALSE(PeerStore::decode(ByteSpan(image).first(image.size() - 1)).ok());
  EXPECT_FALSE(PeerStore::decode(ByteSpan(image).first(8)).ok());
  EXPECT_FALSE(PeerStore::decode({}).ok());
}

// Re-seals a body with a valid checksum, to test the checks behind it.
Bytes seal(Bytes body) {
  const Hash256 sum = Hasher::derive_key("cairn peer store v1 checksum").update(body).finalize();
  body.insert(body.end(), sum.bytes.begin(), sum.bytes.end());
  return body;
}

TEST(PeerStore, DecodeRefusesOtherVersionsAndMagic) {
  Bytes body = sample_store().encode();
  body.resize(body.size() - 32);
  Bytes other_version = body;
  other_version[8] = static_cast<uint8_t>(kPeerStoreVersion + 1);
  auto decoded = PeerStore::decode(seal(other_version));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("version 2"), std::string::npos) << decoded.error().message;
  Bytes other_magic = body;
  other_magic[0] = 'X';
  EXPECT_FALSE(PeerStore::decode(seal(other_magic)).ok());
  Bytes trailing = body;
  trailing.push_back(0);
  EXPECT_FALSE(PeerStore::decode(seal(trailing)).ok());
  EXPECT_TRUE(PeerStore::decode(seal(body)).ok());
}

TEST(PeerStore, DecodeRefusesMorePeersThanTheLimit) {
  const Bytes image = sample_store().encode();  // two peers
  EXPECT_TRUE(PeerStore::decode(image, 2).ok());
  auto decoded = PeerStore::decode(image, 1);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::limit);
}

TEST_F(PeerStoreFile, SaveAndLoadKeepPeersAndBans) {
  const PeerStore store = sample_store();
  ASSERT_TRUE(store.save(path_).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = PeerStore::load(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->peers(), store.peers());
  EXPECT_EQ(loaded->bans(), store.bans());
  // Saving again replaces the file.
  PeerStore empty;
  ASSERT_TRUE(empty.save(path_).ok());
  EXPECT_EQ(PeerStore::load(path_)->size(), 0u);
}

TEST_F(PeerStoreFile, BansSurviveARestart) {
  BanScores scores;
  scores.add(test_peer_id(7), "198.51.0.0/16", Misbehavior::invalid_block, kT0);
  PeerStore store;
  store.set_bans(scores.bans(kT0));
  ASSERT_TRUE(store.save(path_).ok());

  auto loaded = PeerStore::load(path_);
  ASSERT_TRUE(loaded.ok());
  BanScores restarted;
  for (const Ban& ban : loaded->bans())
    EXPECT_TRUE(restarted.ban(ban.target, ban.reason, ban.until, kT0 + 60));
  EXPECT_TRUE(restarted.is_banned(test_peer_id(7), kT0 + 60));
  EXPECT_TRUE(restarted.is_group_banned("198.51.0.0/16", kT0 + 60));
  EXPECT_FALSE(restarted.is_banned(test_peer_id(7), kT0 + kBanDurationSeconds));
}

TEST_F(PeerStoreFile, MissingFileIsAnEmptyStoreAndACorruptOneAnError) {
  auto missing = PeerStore::load(path_);
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  EXPECT_EQ(missing->size(), 0u);

  Bytes image = sample_store().encode();
  image[image.size() / 2] ^= 0xff;
  ASSERT_TRUE(write_file_atomically(path_, image, true).ok());
  auto corrupt = PeerStore::load(path_);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.error().message.find(path_.string()), std::string::npos) << corrupt.error().message;
}

TEST(PeerStore, SetBansSortsAndDeduplicates) {
  PeerStore store;
  store.set_bans({Ban{BanTarget::of_group("b"), "", kT0}, Ban{BanTarget::of_group("a"), "", kT0},
                  Ban{BanTarget::of_group("a"), "dup", kT0}, Ban{BanTarget::of_group(""), "", kT0}});
  ASSERT_EQ(store.bans().size(), 2u);
  EXPECT_EQ(store.bans()[0].target.key, "a");
  EXPECT_EQ(store.bans()[1].target.key, "b");
}

}  // namespace
}  // namespace cairn::net
