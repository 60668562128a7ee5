#include "wallet/wallet.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include "crypto/bip39.h"
#include "primitives/address.h"
#include "util/file.h"

namespace cairn::wallet {
namespace {

namespace fs = std::filesystem;

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

Status check_address(Network net, std::string_view address) {
  auto lock = decode_address(net, address);
  if (!lock)
    return Error{lock.error().code,
                 "address '" + std::string(address) + "' is refused: " + lock.error().message};
  return {};
}

uint32_t count_chain(const WalletData& data, Chain chain) {
  return static_cast<uint32_t>(std::count_if(data.addresses.begin(), data.addresses.end(),
                                             [chain](const auto& a) { return a.chain == chain; }));
}

AddressRecord* record_at(WalletData& data, Chain chain, uint32_t index) {
  for (auto& a : data.addresses)
    if (a.chain == chain && a.index == index) return &a;
  return nullptr;
}

// Marks (chain, index) used and moves the chain's next index past it.
void mark_used(WalletData& data, AddressRecord& record) {
  record.used = true;
  if (data.kind == WalletKind::hd && record.index >= data.next_index(record.chain))
    data.next_index(record.chain) = record.index + 1;
}

Result<AddressRecord> derive(const AccountKey& account, Network net, Chain chain, uint32_t index) {
  CAIRN_TRY(const KeyPair key, account.key(chain, index));
  AddressRecord record;
  record.chain = chain;
  record.index = index;
  record.public_key = key.public_key();
  record.address = encode_address(net, key_hash_lock(key.public_key()));
  return record;
}

// Derives addresses on each chain up to `next + kLookahead`; whether any were added.
Result<bool> extend(WalletData& data, const AccountKey& account) {
  bool added = false;
  for (const Chain chain : kAllChains) {
    const uint64_t target =
        std::min<uint64_t>(uint64_t{data.next_index(chain)} + kLookahead, kMaxChildIndex + 1ull);
    for (uint32_t i = count_chain(data, chain); i < target; ++i) {
      CAIRN_TRY(auto record, derive(account, data.network, chain, i));
      data.addresses.push_back(std::move(record));
      added = true;
    }
  }
  std::stable_sort(data.addresses.begin(), data.addresses.end(), [](const auto& a, const auto& b) {
    return std::pair(a.chain, a.index) < std::pair(b.chain, b.index);
  });
  return added;
}

// Removes what a failed create or import wrote, leaving `dir` as it was (absent or empty).
void remove_new_wallet(const fs::path& dir) {
  std::error_code ec;
  fs::remove(dir / std::string(kWalletFileName), ec);
  fs::remove(dir / std::string(kSeedFileName), ec);
  fs::remove(dir, ec);  // only if empty
}

Status check_secret_matches(const WalletData& data, const AccountKey& account) {
  if (data.addresses.empty()) return {};
  const auto& first = data.addresses.front();
  CAIRN_TRY(const KeyPair key, account.key(first.chain, first.index));
  if (!first.public_key || key.public_key() != *first.public_key)
    return Error{ErrorCode::verify, "the keys do not belong to this wallet (its first address differs)"};
  return {};
}

// Whether a keystore's public data is the wallet id.
bool holds_wallet_id(const Bytes& public_data, const WalletId& id) {
  return std::equal(public_data.begin(), public_data.end(), id.begin(), id.end());
}

}  // namespace

ByteSpan WalletKeys::entropy() const { return secret_.span().subspan(1, secret_.data()[0]); }
ByteSpan WalletKeys::seed() const { return secret_.span().subspan(1 + secret_.data()[0]); }

fs::path Wallet::seed_path() const { return dir_ / std::string(kSeedFileName); }
fs::path Wallet::wallet_path() const { return dir_ / std::string(kWalletFileName); }

Status Wallet::save() { return write_wallet_file(wallet_path(), data_); }

Status Wallet::save(const WalletData& data) {
  CAIRN_TRY_STATUS(write_wallet_file(wallet_path(), data));
  data_ = data;
  return {};
}

uint32_t Wallet::derived_count(Chain chain) const { return count_chain(data_, chain); }

Result<Wallet> Wallet::create(const fs::path& dir, const NewWallet& options, ByteSpan entropy,
                              std::string_view passphrase, std::string_view password, Rng& rng) {
  CAIRN_TRY(const auto phrase, bip39::entropy_to_phrase(entropy));
  CAIRN_TRY(const auto seed, bip39::phrase_to_seed(phrase.view(), passphrase));
  return create_from_seed(dir, options, entropy, seed.span(), password, rng);
}

Result<Wallet> Wallet::create_from_seed(const fs::path& dir, const NewWallet& options, ByteSpan entropy,
                                        ByteSpan seed, std::string_view password, Rng& rng) {
  CAIRN_TRY(auto secret, encode_seed_secret(entropy, seed));
  CAIRN_TRY(auto account, AccountKey::derive(seed, options.network, options.account));
  WalletData data;
  data.network = options.network;
  data.kind = WalletKind::hd;
  data.account = options.account;
  rng.fill(data.id.span());
  CAIRN_TRY_STATUS(extend(data, account));
  CAIRN_TRY(const Bytes keystore,
            create_keystore(KeystoreKind::wallet_seed, secret.span(), data.id, password, options.kdf, rng));
  CAIRN_TRY_STATUS(create_wallet_dir(dir));
  Wallet wallet(dir, std::move(data));
  auto written = write_keystore_file(wallet.seed_path(), keystore, /*overwrite=*/false);
  if (written) written = wallet.save();
  if (!written) {
    remove_new_wallet(dir);
    return written.error();
  }
  return wallet;
}

Result<Wallet> Wallet::restore(const fs::path& dir, const NewWallet& options, ByteSpan entropy,
                               std::string_view passphrase, std::string_view password, Rng& rng,
                               ChainSource& chain, uint32_t gap_limit, const ScanProgressFn& progress) {
  if (gap_limit < kMinGapLimit || gap_limit > kMaxGapLimit) {
    return Error{ErrorCode::invalid_argument, "the gap limit must be " + std::to_string(kMinGapLimit) +
                                                  " to " + std::to_string(kMaxGapLimit)};
  }
  CAIRN_TRY(const auto phrase, bip39::entropy_to_phrase(entropy));
  CAIRN_TRY(const auto seed, bip39::phrase_to_seed(phrase.view(), passphrase));
  CAIRN_TRY(const auto secret, encode_seed_secret(entropy, seed.span()));
  CAIRN_TRY(auto wallet, create_from_seed(dir, options, entropy, seed.span(), password, rng));
  auto keys = wallet.keys_from_secret(secret.span());
  auto scanned = keys ? wallet.scan(*keys, chain, gap_limit, progress) : Result<ScanResult>(keys.error());
  if (!scanned) {
    // Without its scan the wallet would look empty; remove it so the restore can be rerun.
    remove_new_wallet(dir);
    return scanned.error();
  }
  return wallet;
}

Result<Wallet> Wallet::create_watch_only(const fs::path& dir, Network net,
                                         const std::vector<std::string>& addresses) {
  if (addresses.empty())
    return Error{ErrorCode::invalid_argument, "a watch-only wallet needs at least one address"};
  if (addresses.size() > kMaxWatchAddresses) {
    return Error{ErrorCode::limit, std::to_string(addresses.size()) +
                                       " addresses; a watch-only wallet holds at most " +
                                       std::to_string(kMaxWatchAddresses)};
  }
  WalletData data;
  data.network = net;
  data.kind = WalletKind::watch_only;
  OsRng rng;
  rng.fill(data.id.span());
  std::set<std::string_view> seen;
  for (size_t i = 0; i < addresses.size(); ++i) {
    CAIRN_TRY_STATUS(check_address(net, addresses[i]));
    if (!seen.insert(addresses[i]).second)
      return Error{ErrorCode::invalid_argument, "address " + addresses[i] + " is listed twice"};
    AddressRecord record;
    record.index = static_cast<uint32_t>(i);
    record.address = addresses[i];
    data.addresses.push_back(std::move(record));
  }
  CAIRN_TRY_STATUS(create_wallet_dir(dir));
  Wallet wallet(dir, std::move(data));
  if (auto saved = wallet.save(); !saved) {
    remove_new_wallet(dir);
    return saved.error();
  }
  return wallet;
}

Result<Wallet> Wallet::open(const fs::path& dir) {
  CAIRN_TRY(auto data, read_wallet_file(dir / std::string(kWalletFileName)));
  Wallet wallet(dir, std::move(data));
  if (!wallet.watch_only()) {
    auto file = read_keystore_file(wallet.seed_path());
    if (!file) return file.error();
    CAIRN_TRY(const auto info, read_keystore_info(*file));
    if (info.kind != KeystoreKind::wallet_seed || !holds_wallet_id(info.public_data, wallet.id()))
      return Error{ErrorCode::invalid_argument,
                   quoted(wallet.seed_path()) + " is not this wallet's keystore"};
  }
  return wallet;
}

Result<WalletKeys> Wallet::unlock(std::string_view password) const {
  if (watch_only()) {
    return Error{ErrorCode::invalid_argument,
                 "watch-only wallet '" + dir_.filename().string() + "' has no keys: it cannot sign"};
  }
  CAIRN_TRY(const Bytes file, read_keystore_file(seed_path()));
  CAIRN_TRY(const auto opened, open_keystore(file, password));
  if (opened.info.kind != KeystoreKind::wallet_seed || !holds_wallet_id(opened.info.public_data, id()))
    return Error{ErrorCode::invalid_argument, quoted(seed_path()) + " is not this wallet's keystore"};
  return keys_from_secret(opened.secret.span());
}

Result<WalletKeys> Wallet::keys_from_secret(ByteSpan secret) const {
  if (watch_only())
    return Error{ErrorCode::invalid_argument, "a watch-only wallet has no keys: it cannot sign"};
  CAIRN_TRY(const auto parts, decode_seed_secret(secret));
  CAIRN_TRY(auto account, AccountKey::derive(parts.seed.span(), data_.network, data_.account));
  CAIRN_TRY_STATUS(check_secret_matches(data_, account));
  return WalletKeys(SecretBytes::copy_of(secret), std::move(account));
}

Status Wallet::change_password(std::string_view old_password, std::string_view new_password,
                               const KdfParams& params, Rng& rng) {
  CAIRN_TRY(const auto keys, unlock(old_password));
  CAIRN_TRY(const Bytes file, create_keystore(KeystoreKind::wallet_seed, keys.secret().span(), data_.id,
                                              new_password, params, rng));
  return write_keystore_file(seed_path(), file, /*overwrite=*/true);
}

Result<KeyPair> Wallet::key_for_address(const WalletKeys& keys, std::string_view address) const {
  const AddressRecord* record = find_address(address);
  if (!record || !record->public_key)
    return Error{ErrorCode::not_found,
                 "address " + std::string(address) + " is not one of this wallet's keys"};
  return key_for_public_key(keys, *record->public_key);
}

Result<KeyPair> Wallet::key_for_public_key(const WalletKeys& keys, const PublicKey& key) const {
  for (const auto& a : data_.addresses) {
    if (a.public_key != key) continue;
    CAIRN_TRY(auto pair, keys.key(a.chain, a.index));
    if (pair.public_key() != key)
      return Error{ErrorCode::verify,
                   "the keys do not belong to this wallet (address " + a.address + " differs)"};
    return pair;
  }
  return Error{ErrorCode::not_found, "public key " + key.hex() + " is not one of this wallet's keys"};
}

Status Wallet::top_up(const WalletKeys& keys) {
  WalletData copy = data_;
  CAIRN_TRY(const bool added, extend(copy, keys.account_));
  return added ? save(copy) : Status{};
}

bool Wallet::needs_keys(Chain chain) const { return data_.next_index(chain) >= derived_count(chain); }

Result<AddressRecord> Wallet::next_address(Chain chain, std::string_view label, const WalletKeys* keys) {
  if (watch_only())
    return Error{ErrorCode::invalid_argument, "a watch-only wallet cannot make new addresses"};
  CAIRN_TRY_STATUS(check_label(label));
  WalletData copy = data_;
  if (keys) CAIRN_TRY_STATUS(extend(copy, keys->account_));
  AddressRecord* record = record_at(copy, chain, copy.next_index(chain));
  if (!record) {
    return Error{ErrorCode::not_found,
                 "the " + std::to_string(kLookahead) + " " + std::string(chain_name(chain)) +
                     " addresses derived ahead are used up; unlock the wallet to derive more"};
  }
  if (!label.empty()) record->label = std::string(label);
  mark_used(copy, *record);
  const AddressRecord out = *record;
  if (keys) CAIRN_TRY_STATUS(extend(copy, keys->account_));
  CAIRN_TRY_STATUS(save(copy));
  return out;
}

const AddressRecord* Wallet::find_address(std::string_view address) const {
  for (const auto& a : data_.addresses)
    if (a.address == address) return &a;
  return nullptr;
}

Status Wallet::set_label(std::string_view address, std::string_view label) {
  CAIRN_TRY_STATUS(check_label(label));
  WalletData copy = data_;
  for (auto& a : copy.addresses) {
    if (a.address == address) {
      a.label = std::string(label);
      return save(copy);
    }
  }
  for (auto& m : copy.multisig) {
    if (m.address == address) {
      m.label = std::string(label);
      return save(copy);
    }
  }
  return Error{ErrorCode::not_found, "address " + std::string(address) + " is not in this wallet"};
}

std::string Wallet::export_addresses() const {
  std::string out;
  for (const auto& a : data_.addresses) {
    out += a.address;
    out += '\n';
  }
  return out;
}

Status Wallet::book_add(std::string_view name, std::string_view address) {
  CAIRN_TRY_STATUS(check_book_name(name));
  CAIRN_TRY_STATUS(check_address(data_.network, address));
  if (data_.address_book.count(std::string(name)) != 0) {
    return Error{ErrorCode::invalid_argument,
                 "'" + std::string(name) + "' is already in the address book; remove it first"};
  }
  WalletData copy = data_;
  copy.address_book.emplace(std::string(name), std::string(address));
  return save(copy);
}

Status Wallet::book_remove(std::string_view name) {
  if (data_.address_book.count(std::string(name)) == 0)
    return Error{ErrorCode::not_found, "'" + std::string(name) + "' is not in the address book"};
  WalletData copy = data_;
  copy.address_book.erase(std::string(name));
  return save(copy);
}

Result<std::string> Wallet::resolve_recipient(std::string_view text) const {
  if (auto it = data_.address_book.find(std::string(text)); it != data_.address_book.end()) return it->second;
  auto lock = decode_address(data_.network, text);
  if (!lock) {
    return Error{lock.error().code,
                 "'" + std::string(text) +
                     "' is neither an address-book name nor a valid address: " + lock.error().message};
  }
  return std::string(text);
}

Status Wallet::add_multisig(const MultisigSetup& setup) {
  CAIRN_TRY_STATUS(check_label(setup.label));
  if (setup.keys.empty() || setup.keys.size() > kMaxMultisigKeys) {
    return Error{ErrorCode::invalid_argument,
                 "a multisig setup has 1 to " + std::to_string(kMaxMultisigKeys) + " keys"};
  }
  if (setup.threshold == 0 || setup.threshold > setup.keys.size()) {
    return Error{ErrorCode::invalid_argument, "threshold " + std::to_string(setup.threshold) +
                                                  " does not fit " + std::to_string(setup.keys.size()) +
                                                  " keys"};
  }
  auto decoded = decode_address(data_.network, setup.address);
  if (!decoded) return Error{decoded.error().code, "multisig address: " + decoded.error().message};
  if (*decoded != lock_hash_lock(setup.lock))
    return Error{ErrorCode::invalid_argument,
                 "multisig address " + setup.address + " is not the address of its lock"};
  if (find_multisig(setup.address))
    return Error{ErrorCode::invalid_argument,
                 "multisig address " + setup.address + " is already in the wallet"};
  WalletData copy = data_;
  copy.multisig.push_back(setup);
  return save(copy);
}

const MultisigSetup* Wallet::find_multisig(std::string_view address) const {
  for (const auto& m : data_.multisig)
    if (m.address == address) return &m;
  return nullptr;
}

Status Wallet::add_pending(const std::vector<OutPoint>& spent, const Txid& txid) {
  WalletData copy = data_;
  const auto held = pending_outpoints();
  for (const auto& outpoint : spent)
    if (held.count(outpoint) == 0) copy.pending.push_back(PendingSpend{outpoint, txid});
  return save(copy);
}

Status Wallet::refresh_pending(ChainSource& chain) {
  if (data_.pending.empty()) return {};
  std::map<Txid, bool> live;
  for (const auto& p : data_.pending) {
    if (live.count(p.txid) != 0) continue;
    CAIRN_TRY(const bool in_pool, chain.in_mempool(p.txid));
    live[p.txid] = in_pool;
  }
  WalletData copy = data_;
  std::erase_if(copy.pending, [&live](const PendingSpend& p) { return !live[p.txid]; });
  return copy.pending.size() == data_.pending.size() ? Status{} : save(copy);
}

std::set<OutPoint> Wallet::pending_outpoints() const {
  std::set<OutPoint> out;
  for (const auto& p : data_.pending) out.insert(p.outpoint);
  return out;
}

Result<std::vector<OwnedCoin>> Wallet::spendable_coins(ChainSource& chain) {
  CAIRN_TRY_STATUS(refresh_pending(chain));
  const auto held = pending_outpoints();
  std::vector<OwnedCoin> out;
  for (const auto& a : data_.addresses) {
    CAIRN_TRY(const auto utxos, chain.utxos(a.address));
    for (const auto& u : utxos)
      if (u.mature && held.count(u.outpoint) == 0) out.push_back(OwnedCoin{u, a});
  }
  return out;
}

Result<Balance> Wallet::balance(ChainSource& chain) {
  CAIRN_TRY_STATUS(refresh_pending(chain));
  const auto held = pending_outpoints();
  Balance b;
  for (const auto& a : data_.addresses) {
    CAIRN_TRY(const auto utxos, chain.utxos(a.address));
    for (const auto& u : utxos) {
      Amount& bucket = held.count(u.outpoint) != 0 ? b.pending : (u.mature ? b.confirmed : b.immature);
      const auto sum = checked_add(bucket, u.output.value);
      if (!sum) return Error{ErrorCode::limit, "the wallet's balance is outside the money range"};
      bucket = *sum;
    }
  }
  return b;
}

Result<std::vector<HistoryItem>> Wallet::history(ChainSource& chain) {
  WalletData copy = data_;
  std::vector<HistoryItem> out;
  bool changed = false;
  for (auto& a : copy.addresses) {
    CAIRN_TRY(const auto entries, chain.history(a.address));
    if (!entries.empty() && !a.used) {
      mark_used(copy, a);
      changed = true;
    }
    for (const auto& e : entries) out.push_back(HistoryItem{a.address, e});
  }
  std::stable_sort(out.begin(), out.end(), [](const HistoryItem& x, const HistoryItem& y) {
    return x.entry.height < y.entry.height;
  });
  if (changed) CAIRN_TRY_STATUS(save(copy));
  return out;
}

Result<ScanResult> Wallet::scan(const WalletKeys& keys, ChainSource& chain, uint32_t gap_limit,
                                const ScanProgressFn& progress) {
  if (gap_limit < kMinGapLimit || gap_limit > kMaxGapLimit) {
    return Error{ErrorCode::invalid_argument, "the gap limit must be " + std::to_string(kMinGapLimit) +
                                                  " to " + std::to_string(kMaxGapLimit)};
  }
  WalletData copy = data_;
  ScanResult result;
  uint64_t chains_after = kAllChains.size();
  for (const Chain chain_kind : kAllChains) {
    --chains_after;
    std::optional<uint32_t> last_used;
    uint32_t gap = 0;
    for (uint32_t index = 0; gap < gap_limit && index <= kMaxChildIndex; ++index) {
      if (!record_at(copy, chain_kind, index)) {
        CAIRN_TRY(auto record, derive(keys.account_, copy.network, chain_kind, index));
        copy.addresses.push_back(std::move(record));
      }
      AddressRecord& record = *record_at(copy, chain_kind, index);
      CAIRN_TRY(const auto entries, chain.history(record.address));
      ++result.totals.scanned;
      if (entries.empty()) {
        ++gap;
      } else {
        ++result.totals.found;
        gap = 0;
        last_used = index;
        mark_used(copy, record);
      }
      const uint64_t window_left = std::min<uint64_t>(gap_limit - gap, kMaxChildIndex - index);
      result.totals.remaining = window_left + chains_after * gap_limit;
      if (progress) progress(result.totals);
    }
    (chain_kind == Chain::receive ? result.last_used_receive : result.last_used_change) = last_used;
  }
  CAIRN_TRY_STATUS(extend(copy, keys.account_));
  CAIRN_TRY_STATUS(save(copy));
  return result;
}

Result<Bytes> Wallet::backup(std::string_view password, Rng& rng, const KdfParams& watch_only_params) const {
  BackupContents contents;
  contents.wallet_json = serialize_wallet_json(data_);
  KdfParams params = watch_only_params;
  if (!watch_only()) {
    CAIRN_TRY(contents.keystore, read_keystore_file(seed_path()));
    CAIRN_TRY(const auto info, read_keystore_info(contents.keystore));
    params = info.kdf;
    // The backup is under the wallet's own password: check it opens the keystore.
    CAIRN_TRY_STATUS(unlock(password));
  }
  return seal_backup(contents, password, params, rng);
}

Status Wallet::write_backup(const fs::path& path, std::string_view password, Rng& rng,
                            const KdfParams& watch_only_params) const {
  CAIRN_TRY(const Bytes bytes, backup(password, rng, watch_only_params));
  return write_file_atomically(path, bytes, /*replace=*/false);
}

Result<Wallet> Wallet::import_backup(const fs::path& dir, ByteSpan backup, std::string_view password) {
  CAIRN_TRY(const auto contents, open_backup(backup, password));
  CAIRN_TRY(auto data, parse_wallet_json(contents.wallet_json));
  if (data.kind == WalletKind::watch_only) {
    if (!contents.keystore.empty())
      return Error{ErrorCode::decode, "the backup of a watch-only wallet holds a keystore"};
  } else {
    if (contents.keystore.empty()) return Error{ErrorCode::decode, "the backup holds no keystore"};
    CAIRN_TRY(const auto opened, open_keystore(contents.keystore, password));
    if (opened.info.kind != KeystoreKind::wallet_seed || !holds_wallet_id(opened.info.public_data, data.id))
      return Error{ErrorCode::decode, "the backup's keystore is not its wallet's"};
    Wallet probe(dir, data);
    CAIRN_TRY_STATUS(probe.keys_from_secret(opened.secret.span()));
  }
  CAIRN_TRY_STATUS(create_wallet_dir(dir));
  Wallet wallet(dir, std::move(data));
  Status written;
  if (!wallet.watch_only()) written = write_keystore_file(wallet.seed_path(), contents.keystore, false);
  if (written) written = wallet.save();
  if (!written) {
    remove_new_wallet(dir);
    return written.error();
  }
  return wallet;
}

Result<std::vector<std::string>> parse_address_list(std::string_view text, Network net) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "line " + std::to_string(line_number) + ": ";
    if (auto ok = check_address(net, line); !ok) return Error{ok.error().code, where + ok.error().message};
    if (!seen.insert(std::string(line)).second)
      return Error{ErrorCode::invalid_argument, where + "address " + std::string(line) + " is listed twice"};
    if (out.size() == kMaxWatchAddresses)
      return Error{ErrorCode::limit, "more than " + std::to_string(kMaxWatchAddresses) + " addresses"};
    out.emplace_back(line);
  }
  if (out.empty()) return Error{ErrorCode::invalid_argument, "the list holds no address"};
  return out;
}

}  // namespace cairn::wallet
