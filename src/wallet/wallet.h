// A Cairn wallet: its directory (wallet_file.h), its HD keys (hd.h) and what it asks a
// node through ChainSource (chain_source.h). docs/wallet.md describes the behaviour.
//
// Opening a wallet needs no password: wallet.json holds every address and the public
// keys. Keys need the password (unlock) or an unlocked session's secret
// (keys_from_secret, session.h); they come back as WalletKeys, which zeroes the seed when
// dropped.
//
// Lookahead: Ed25519 has no public derivation, so addresses are derived from the seed
// ahead of use. Whenever keys are at hand the wallet keeps kLookahead unused addresses
// derived past the next index on each chain (top_up); next_address hands them out without
// the password until they run out, then fails asking for it (needs_keys).
//
// Every change is saved at once (wallet.json replaced atomically); a failed operation
// leaves the files as they were. Not thread-safe, and not safe against two processes
// changing one wallet at the same moment (the later write wins).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/keystore.h"
#include "crypto/secret.h"
#include "primitives/amount.h"
#include "primitives/lock.h"
#include "primitives/network.h"
#include "util/result.h"
#include "util/rng.h"
#include "wallet/chain_source.h"
#include "wallet/hd.h"
#include "wallet/wallet_file.h"

namespace cairn::wallet {

inline constexpr uint32_t kLookahead = 20;
inline constexpr uint32_t kDefaultGapLimit = 20;
inline constexpr uint32_t kMinGapLimit = 1;
inline constexpr uint32_t kMaxGapLimit = 10'000;
// Addresses in a watch-only import.
inline constexpr size_t kMaxWatchAddresses = 10'000;

// A wallet's secrets while they are needed: the keystore secret (entropy and seed) and the
// account key derived from it. Move-only; zeroed when dropped.
class WalletKeys {
 public:
  // The keystore secret as stored (u8 entropy length ‖ entropy ‖ seed): what a session keeps.
  const SecretBytes& secret() const { return secret_; }
  // The recovery phrase's entropy (bip39::entropy_to_phrase turns it back into words).
  ByteSpan entropy() const;
  ByteSpan seed() const;
  Result<KeyPair> key(Chain chain, uint32_t index) const { return account_.key(chain, index); }

 private:
  friend class Wallet;
  WalletKeys(SecretBytes secret, AccountKey account)
      : secret_(std::move(secret)), account_(std::move(account)) {}
  SecretBytes secret_;
  AccountKey account_;
};

// Options for a new HD wallet.
struct NewWallet {
  Network network = Network::regtest;
  uint32_t account = 0;
  KdfParams kdf = kDefaultKdfParams;
};

// A coin of one of the wallet's own addresses (for coin selection and signing).
struct OwnedCoin {
  Utxo utxo;
  AddressRecord address;
};

// confirmed: spendable coins; immature: coinbase outputs not yet spendable; pending: coins
// held by sends that have not confirmed (their change shows once they do).
struct Balance {
  Amount confirmed = 0;
  Amount immature = 0;
  Amount pending = 0;
  bool operator==(const Balance&) const = default;
};

// One output paid to one of the wallet's addresses.
struct HistoryItem {
  std::string address;
  HistoryEntry entry;
};

struct ScanProgress {
  uint64_t scanned = 0;  // addresses asked about so far, both chains
  uint64_t found = 0;    // of which had history
  // The fewest more addresses the scan must ask about: the rest of this chain's gap window
  // and a whole window for each chain not yet begun. An address with history opens a new
  // window, so this can grow; it is 0 exactly when the scan is done.
  uint64_t remaining = 0;
};
using ScanProgressFn = std::function<void(const ScanProgress&)>;

struct ScanResult {
  ScanProgress totals;
  // Highest index with history per chain (nullopt: none).
  std::optional<uint32_t> last_used_receive;
  std::optional<uint32_t> last_used_change;
};

class Wallet {
 public:
  // A new HD wallet in `dir` (create_wallet_dir: refuses an existing non-empty one): the
  // BIP39 seed of (entropy, passphrase) through crypto/bip39.h, seed.keystore under
  // `password`, then wallet.json with the lookahead derived. On failure nothing is left.
  static Result<Wallet> create(const std::filesystem::path& dir, const NewWallet& options, ByteSpan entropy,
                               std::string_view passphrase, std::string_view password, Rng& rng);
  // The same with the 64-byte seed already computed from the phrase and passphrase.
  static Result<Wallet> create_from_seed(const std::filesystem::path& dir, const NewWallet& options,
                                         ByteSpan entropy, ByteSpan seed, std::string_view password,
                                         Rng& rng);
  // create, then scan with `gap_limit` (restore from a recovery phrase). If the scan
  // fails (the node is unreachable, ...) the new wallet is removed again, so the restore
  // can simply be rerun.
  static Result<Wallet> restore(const std::filesystem::path& dir, const NewWallet& options, ByteSpan entropy,
                                std::string_view passphrase, std::string_view password, Rng& rng,
                                ChainSource& chain, uint32_t gap_limit = kDefaultGapLimit,
                                const ScanProgressFn& progress = {});
  // A watch-only wallet of `addresses` (each checked for `net`; duplicates refused).
  static Result<Wallet> create_watch_only(const std::filesystem::path& dir, Network net,
                                          const std::vector<std::string>& addresses);
  // Reads wallet.json (no password). Checks that seed.keystore is there for an HD wallet.
  static Result<Wallet> open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const WalletData& data() const { return data_; }
  Network network() const { return data_.network; }
  const WalletId& id() const { return data_.id; }
  bool watch_only() const { return data_.kind == WalletKind::watch_only; }
  std::filesystem::path seed_path() const;
  std::filesystem::path wallet_path() const;

  // --- keys ---
  // Opens seed.keystore with `password`. A watch-only wallet refuses ("watch-only wallet
  // 'x' has no keys"); a wrong password is refused with nothing written.
  Result<WalletKeys> unlock(std::string_view password) const;
  // Keys from a session's secret, checked against this wallet (its first address).
  Result<WalletKeys> keys_from_secret(ByteSpan secret) const;
  // Re-encrypts seed.keystore under `new_password` (atomic replace; the old password must
  // open it first). Any unlocked session stays valid until it expires or is locked.
  Status change_password(std::string_view old_password, std::string_view new_password,
                         const KdfParams& params, Rng& rng);
  // The key of one of the wallet's addresses, or of the derived address with `key`.
  Result<KeyPair> key_for_address(const WalletKeys& keys, std::string_view address) const;
  Result<KeyPair> key_for_public_key(const WalletKeys& keys, const PublicKey& key) const;

  // --- addresses ---
  // Derives addresses until kLookahead unused ones follow the next index on each chain;
  // saves if any were added.
  Status top_up(const WalletKeys& keys);
  // Whether next_address(chain) needs keys (the lookahead is used up).
  bool needs_keys(Chain chain) const;
  // Hands out the next unused address of `chain` (marking it used, with `label`). Fails
  // with ErrorCode::not_found "...; unlock the wallet" when needs_keys(chain); with `keys`
  // the lookahead is topped up first and that cannot happen. Watch-only wallets refuse.
  Result<AddressRecord> next_address(Chain chain, std::string_view label = {},
                                     const WalletKeys* keys = nullptr);
  const std::vector<AddressRecord>& addresses() const { return data_.addresses; }
  const AddressRecord* find_address(std::string_view address) const;
  Status set_label(std::string_view address, std::string_view label);
  // One address per line (the format import --watch reads).
  std::string export_addresses() const;

  // --- address book ---
  // Names: 1..kMaxBookNameBytes printable ASCII without spaces; the address is decoded
  // for the wallet's network and the refusal says why (wrong network, checksum, ...).
  Status book_add(std::string_view name, std::string_view address);
  Status book_remove(std::string_view name);
  const std::map<std::string, std::string>& book() const { return data_.address_book; }
  // An address-book name's address, or `text` itself when it is a valid address.
  Result<std::string> resolve_recipient(std::string_view text) const;

  // --- multisig setups (built by wallet/multisig.h; stored as given, after checking that
  // the lock hashes to the address on this network and the threshold fits the keys) ---
  Status add_multisig(const MultisigSetup& setup);
  const std::vector<MultisigSetup>& multisig() const { return data_.multisig; }
  const MultisigSetup* find_multisig(std::string_view address) const;

  // --- pending spends ---
  Status add_pending(const std::vector<OutPoint>& spent, const Txid& txid);
  // Forgets pending spends whose transaction is no longer in the mempool (confirmed, or
  // dropped: either way the coin is no longer held by it).
  Status refresh_pending(ChainSource& chain);
  std::set<OutPoint> pending_outpoints() const;

  // --- queries through the node ---
  // Mature unspent coins of the wallet's addresses that no pending spend holds.
  Result<std::vector<OwnedCoin>> spendable_coins(ChainSource& chain);
  // Calls refresh_pending first.
  Result<Balance> balance(ChainSource& chain);
  // Every output paid to the wallet's addresses, by height; marks addresses with history
  // used (and saves).
  Result<std::vector<HistoryItem>> history(ChainSource& chain);
  // Restore scan: walks each chain from index 0, asking history() of every address, until
  // `gap_limit` consecutive addresses have none; marks used addresses, sets the next
  // indexes past the last used, and tops up the lookahead. Progress after every address.
  Result<ScanResult> scan(const WalletKeys& keys, ChainSource& chain, uint32_t gap_limit = kDefaultGapLimit,
                          const ScanProgressFn& progress = {});

  // --- backup ---
  // The backup file's bytes (wallet_file.h format) under the wallet's password, checked by
  // opening the keystore, and with the keystore's KDF cost; a watch-only wallet's backup
  // takes any password and `watch_only_params`.
  Result<Bytes> backup(std::string_view password, Rng& rng,
                       const KdfParams& watch_only_params = kDefaultKdfParams) const;
  // Writes a backup to `path` (0600, atomic; an existing file is refused).
  Status write_backup(const std::filesystem::path& path, std::string_view password, Rng& rng,
                      const KdfParams& watch_only_params = kDefaultKdfParams) const;
  // Restores a backup into the new directory `dir`; the password must open both the backup
  // and the keystore inside.
  static Result<Wallet> import_backup(const std::filesystem::path& dir, ByteSpan backup,
                                      std::string_view password);

 private:
  Wallet(std::filesystem::path dir, WalletData data) : dir_(std::move(dir)), data_(std::move(data)) {}
  Status save();
  Status save(const WalletData& data);
  uint32_t derived_count(Chain chain) const;

  std::filesystem::path dir_;
  WalletData data_;
};

// Reads an address list (import --watch): one address per line; blank lines and lines
// starting with '#' are skipped; every address is checked for `net`, and the error names
// the line. At most kMaxWatchAddresses; duplicates refused.
Result<std::vector<std::string>> parse_address_list(std::string_view text, Network net);

}  // namespace cairn::wallet
