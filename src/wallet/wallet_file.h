// A wallet's files on disk (docs/wallet.md "Wallet directory"):
//
//   <datadir>/<network>/wallets/<name>/      mode 0700
//     seed.keystore   crypto/keystore.h, KeystoreKind::wallet_seed (absent if watch-only)
//     wallet.json     everything else, no secrets (this file's WalletData), mode 0600
//     session         an unlocked session (session.h), while one exists
//
// wallet.json is versioned ("version": 1), written atomically (temporary file, fsync,
// rename, fsync of the directory; util/file.h) and parsed strictly: unknown or missing
// fields, wrong types, out-of-range numbers, addresses of another network, duplicate
// entries are all refused with an error naming the field ("addresses[3].index: ...").
//
// The seed keystore's secret is u8 entropy length ‖ BIP39 entropy ‖ 64-byte BIP39 seed
// (the seed already includes the passphrase); its public data is the 16-byte wallet id.
//
// Functions are thread-safe; WalletData is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/keystore.h"
#include "crypto/secret.h"
#include "primitives/lock.h"
#include "primitives/network.h"
#include "primitives/transaction.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/rng.h"
#include "wallet/hd.h"

namespace cairn::wallet {

inline constexpr int kWalletFileVersion = 1;
inline constexpr std::string_view kSeedFileName = "seed.keystore";
inline constexpr std::string_view kWalletFileName = "wallet.json";
// Readers refuse a larger wallet.json (about 30 000 addresses with labels fit).
inline constexpr size_t kMaxWalletFileBytes = 16u * 1024 * 1024;
// Wallet names: 1..64 of [A-Za-z0-9._-], not starting with '.'.
inline constexpr size_t kMaxWalletNameBytes = 64;
// Labels and address-book names.
inline constexpr size_t kMaxLabelBytes = 256;
inline constexpr size_t kMaxBookNameBytes = 64;
// BIP39 entropy sizes (16..32 bytes) and the seed size, for the keystore secret.
inline constexpr size_t kMinEntropyBytes = 16;
inline constexpr size_t kMaxEntropyBytes = 32;
inline constexpr size_t kSeedBytes = 64;
inline constexpr size_t kWalletIdBytes = 16;

using WalletId = FixedBytes<kWalletIdBytes>;

// DO NOT CHANGE the names: they are stored ("hd", "watch_only").
enum class WalletKind { hd, watch_only };
std::string_view wallet_kind_name(WalletKind kind);

// One address the wallet owns or watches. For a watch-only wallet `public_key` is absent,
// `chain` is receive and `index` is the address's position in the imported list.
struct AddressRecord {
  Chain chain = Chain::receive;
  uint32_t index = 0;
  std::optional<PublicKey> public_key;
  std::string address;
  std::string label;
  // Handed out by `address`, or seen on chain (balance, history, scan).
  bool used = false;
  bool operator==(const AddressRecord&) const = default;
};

// An M-of-N multisig address this wallet takes part in (or watches). `lock` is the
// revealed Lock (primitives/lock.h) whose lock hash the address pays to; stored opaque,
// encoded as hex in wallet.json, and checked on reading to hash to `address`.
struct MultisigSetup {
  uint32_t threshold = 0;
  std::vector<PublicKey> keys;
  std::string address;
  Lock lock;
  std::string label;
  bool operator==(const MultisigSetup&) const = default;
};

// A coin spent by a transaction this wallet sent that has not confirmed yet; kept so a
// second send does not choose it again, forgotten once `txid` is neither in the mempool
// nor confirmed (Wallet::refresh_pending).
struct PendingSpend {
  OutPoint outpoint;
  Txid txid;
  bool operator==(const PendingSpend&) const = default;
};

// The content of wallet.json.
struct WalletData {
  Network network = Network::regtest;
  WalletKind kind = WalletKind::hd;
  uint32_t account = 0;
  WalletId id;
  // Sorted by (chain, index); indexes of a chain are contiguous from 0.
  std::vector<AddressRecord> addresses;
  // The next index `address` hands out, per chain (one past the highest used index).
  uint32_t next_receive = 0;
  uint32_t next_change = 0;
  std::map<std::string, std::string> address_book;  // name -> address
  std::vector<MultisigSetup> multisig;
  std::vector<PendingSpend> pending;
  bool operator==(const WalletData&) const = default;

  uint32_t& next_index(Chain chain) { return chain == Chain::receive ? next_receive : next_change; }
  uint32_t next_index(Chain chain) const { return chain == Chain::receive ? next_receive : next_change; }
};

// wallet.json text (pretty-printed, keys in a fixed order, ending with a newline).
std::string serialize_wallet_json(const WalletData& data);
// Strict parse; the error names the field. Checks every address against the network
// (and, where a public key is present, that it is the key's address).
Result<WalletData> parse_wallet_json(std::string_view text);

// Atomic write with mode 0600 (replacing any existing file); read with the private-file
// checks of util/file.h and kMaxWalletFileBytes. Errors name the file.
Status write_wallet_file(const std::filesystem::path& path, const WalletData& data);
Result<WalletData> read_wallet_file(const std::filesystem::path& path);

// The seed keystore's secret: u8 entropy length ‖ entropy ‖ 64-byte seed.
struct SeedSecret {
  SecretBytes entropy;  // 16..32 bytes: the recovery phrase's entropy
  SecretBytes seed;     // 64 bytes: BIP39 seed (phrase + passphrase)
};
Result<SecretBytes> encode_seed_secret(ByteSpan entropy, ByteSpan seed);
Result<SeedSecret> decode_seed_secret(ByteSpan secret);

// Labels: at most kMaxLabelBytes of valid UTF-8 without control characters.
Status check_label(std::string_view label);
// Address-book names: 1..kMaxBookNameBytes printable ASCII characters without spaces.
Status check_book_name(std::string_view name);

// Wallet names and directories.
Status check_wallet_name(std::string_view name);
// <datadir>/<network>/wallets
std::filesystem::path wallets_root(const std::filesystem::path& datadir, Network net);
// <datadir>/<network>/wallets/<name>, after check_wallet_name.
Result<std::filesystem::path> wallet_dir(const std::filesystem::path& datadir, Network net,
                                         std::string_view name);
// Names of the wallets (directories holding a wallet.json) under wallets_root, sorted;
// empty if the root does not exist.
Result<std::vector<std::string>> list_wallets(const std::filesystem::path& datadir, Network net);

// Creates `dir` (and missing parents) for a new wallet with mode 0700. An existing
// non-empty `dir` is refused ("wallet 'x' already exists"), so nothing is overwritten.
Status create_wallet_dir(const std::filesystem::path& dir);

// Backups (`cairn wallet backup`): one file holding the seed keystore's bytes (none for a
// watch-only wallet) and wallet.json, encrypted under a password (the wallet's own):
//
//   "CAIRNBAK" ‖ u8 version (1) ‖ u32 LE ops_limit ‖ u32 LE mem_limit_kib ‖ 16-byte salt ‖
//   24-byte nonce ‖ XChaCha20-Poly1305(key, nonce, plaintext, ad = every byte before it)
//   plaintext = u32 LE keystore size ‖ keystore ‖ u32 LE wallet.json size ‖ wallet.json
//   key = Argon2id13(password, salt, ops_limit, mem_limit_kib * 1024)
//
// KDF bounds as for keystores (checked before Argon2id runs); nothing may follow the tag,
// nor the JSON inside. The keystore inside keeps its own encryption too.
inline constexpr char kBackupMagic[8] = {'C', 'A', 'I', 'R', 'N', 'B', 'A', 'K'};
inline constexpr uint8_t kBackupVersion = 1;
inline constexpr size_t kBackupHeaderBytes = 8 + 1 + 4 + 4 + 16 + 24;
inline constexpr size_t kMaxBackupFileBytes =
    kBackupHeaderBytes + 4 + kMaxKeystoreFileBytes + 4 + kMaxWalletFileBytes + 16;

struct BackupContents {
  Bytes keystore;  // empty for a watch-only wallet
  std::string wallet_json;
};
Result<Bytes> seal_backup(const BackupContents& contents, std::string_view password, const KdfParams& params,
                          Rng& rng);
// A wrong password and a damaged file give the same error, as for keystores.
Result<BackupContents> open_backup(ByteSpan file, std::string_view password);

}  // namespace cairn::wallet
