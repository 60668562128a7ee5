#include "wallet_commands.h"

#include <filesystem>
#include <functional>
#include <iomanip>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "crypto/bip39.h"
#include "crypto/ed25519.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/progress.h"
#include "wallet/session.h"
#include "wallet_context.h"
#include "wallet_input.h"

namespace cairn::app {
namespace {

json address_json(const wallet::Wallet& w, const wallet::AddressRecord& r) {
  json doc{{"address", r.address},
           {"chain", wallet::chain_name(r.chain)},
           {"index", r.index},
           {"label", r.label},
           {"used", r.used}};
  if (r.public_key) {
    doc["public_key"] = r.public_key->hex();
    doc["path"] = wallet::derivation_path_string(w.network(), w.data().account, r.chain, r.index);
  }
  return doc;
}

// Removes a wallet directory this command created when the command fails half-way.
class NewDirGuard {
 public:
  explicit NewDirGuard(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::error_code ec;
    existed_ = std::filesystem::exists(dir_, ec);
  }
  NewDirGuard(const NewDirGuard&) = delete;
  NewDirGuard& operator=(const NewDirGuard&) = delete;
  ~NewDirGuard() {
    if (!kept_ && !existed_) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  void keep() { kept_ = true; }

 private:
  std::filesystem::path dir_;
  bool existed_ = false;
  bool kept_ = false;
};

// A new wallet's directory must not exist yet: checked before any secret is asked for.
Result<std::filesystem::path> new_wallet_path(const WalletContext& ctx) {
  CAIRN_TRY(std::filesystem::path dir, wallet_path(ctx));
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    return Error{ErrorCode::invalid_argument, "wallet '" + ctx.o.wallet + "' already exists (" +
                                                  dir.string() + "); pick another name with --wallet"};
  }
  return dir;
}

Result<SecretBytes> optional_passphrase(const WalletContext& ctx, bool confirm) {
  if (!ctx.o.passphrase && ctx.o.passphrase_file.empty()) return SecretBytes();
  auto passphrase = read_passphrase(SecretSource{ctx.o.passphrase_file, "--passphrase-file"}, confirm);
  if (passphrase && passphrase->size() > bip39::kMaxPassphraseBytes) {
    return Error{ErrorCode::limit,
                 "the passphrase is longer than " + std::to_string(bip39::kMaxPassphraseBytes) + " bytes"};
  }
  return passphrase;
}

int create(WalletContext& ctx) {
  auto dir = new_wallet_path(ctx);
  if (!dir) return ctx.fail(dir.error());
  auto kdf = kdf_params(ctx.o.kdf);
  if (!kdf) return ctx.fail(kdf.error());
  if (!ctx.o.phrase_out.empty() && ctx.o.phrase_out != "-") {
    std::error_code ec;
    if (std::filesystem::exists(ctx.o.phrase_out, ec)) {
      return ctx.fail("--phrase-out '" + ctx.o.phrase_out + "' already exists");
    }
  }
  auto password = wallet_password(ctx, /*confirm=*/true);
  if (!password) return ctx.fail(password.error());
  auto passphrase = optional_passphrase(ctx, /*confirm=*/true);
  if (!passphrase) return ctx.fail(passphrase.error());

  OsRng& rng = ctx.rng;
  auto phrase = bip39::generate_phrase(ctx.o.words, rng);
  if (!phrase) return ctx.fail("--words: " + phrase.error().message);
  auto entropy = bip39::phrase_to_entropy(phrase->view());
  if (!entropy) return ctx.fail(entropy.error());

  NewDirGuard guard(*dir);
  const bool phrase_to_file = !ctx.o.phrase_out.empty() && ctx.o.phrase_out != "-";
  if (phrase_to_file) {
    SecretBytes line(phrase->size() + 1);
    std::copy(phrase->span().begin(), phrase->span().end(), line.data());
    line.data()[phrase->size()] = '\n';
    if (auto written = write_file_atomically(ctx.o.phrase_out, line.span(), /*replace=*/false); !written) {
      return ctx.fail("--phrase-out: " + written.error().message);
    }
  }
  wallet::NewWallet options{ctx.net(), ctx.o.account, *kdf};
  auto created =
      wallet::Wallet::create(*dir, options, entropy->span(), passphrase->view(), password->view(), rng);
  if (!created) {
    if (phrase_to_file) {
      std::error_code ec;
      std::filesystem::remove(ctx.o.phrase_out, ec);
    }
    return ctx.fail(created.error());
  }
  guard.keep();
  const wallet::AddressRecord& first = created->addresses().front();
  if (ctx.json) {
    json doc{{"wallet", ctx.o.wallet},
             {"directory", dir->string()},
             {"network", network_name(ctx.net())},
             {"wallet_id", created->id().hex()},
             {"words", ctx.o.words},
             {"first_address", first.address}};
    if (phrase_to_file) {
      doc["phrase_file"] = ctx.o.phrase_out;
    } else {
      doc["phrase"] = std::string(phrase->view());
    }
    ctx.out << doc.dump(2) << "\n";
    return 0;
  }
  ctx.out << "created wallet '" << ctx.o.wallet << "' in " << dir->string() << "\n";
  if (phrase_to_file) {
    ctx.out << "recovery phrase written to " << ctx.o.phrase_out << " (mode 0600)\n";
  } else {
    ctx.err << "\nWrite these " << ctx.o.words
            << " words down, in order, and keep them offline. They are the only way to recover the\n"
               "wallet if this computer or its password is lost, and anyone who has them can spend\n"
               "its coins. They are shown only this once.\n\n";
    ctx.out << phrase->view() << "\n\n";
  }
  if (!passphrase->empty()) ctx.err << "The passphrase is needed too, with the words, to restore.\n";
  ctx.out << "first receive address: " << first.address << "\n";
  return 0;
}

// The restore scan's progress on stderr:
//   scanning: progress=45.0% checked=21 found=1 rate=350.0addr/s eta=1s
// The percentage is of the addresses checked plus those the scan knows it must still ask
// about (ScanProgress::remaining). An address with history opens a new gap window, so the
// percentage can step back and the ETA (at the rate of the last 10 s) is a lower bound; it
// reads 100.0% exactly when the scan is done. On a terminal one line is rewritten in place;
// otherwise a line every 10 addresses, and the last.
class ScanReport {
 public:
  ScanReport(std::ostream& err, bool tty) : err_(err), tty_(tty) {}

  void operator()(const wallet::ScanProgress& p) {
    const int64_t now = clock_.monotonic_nanos();
    rate_.record(now, p.scanned);
    const bool done = p.remaining == 0;
    if (!tty_ && p.scanned % 10 != 0 && !done) return;
    const auto eta = rate_.eta_seconds(now, p.remaining);
    std::ostringstream line;
    line << "scanning: progress=" << progress_percent(p.scanned, p.scanned + p.remaining)
         << " checked=" << p.scanned << " found=" << p.found << " rate=" << std::fixed << std::setprecision(1)
         << rate_.per_second(now) << "addr/s eta=" << (eta ? format_duration(*eta) : std::string("unknown"));
    if (tty_) {
      err_ << "\r" << line.str() << "\x1b[K" << (done ? "\n" : "") << std::flush;  // ESC[K: clear the rest
    } else {
      err_ << line.str() << "\n";
    }
  }

 private:
  static constexpr int64_t kRateWindowNs = 10'000'000'000;
  std::ostream& err_;
  const bool tty_;
  const SystemClock clock_;
  RateWindow rate_{kRateWindowNs};
};

int restore(WalletContext& ctx) {
  auto dir = new_wallet_path(ctx);
  if (!dir) return ctx.fail(dir.error());
  auto kdf = kdf_params(ctx.o.kdf);
  if (!kdf) return ctx.fail(kdf.error());
  if (ctx.o.gap_limit < wallet::kMinGapLimit || ctx.o.gap_limit > wallet::kMaxGapLimit) {
    return ctx.fail("--gap-limit must be " + std::to_string(wallet::kMinGapLimit) + ".." +
                    std::to_string(wallet::kMaxGapLimit));
  }
  auto phrase = read_phrase(SecretSource{ctx.o.phrase_file, "--phrase-file"});
  if (!phrase) return ctx.fail(phrase.error());
  auto entropy = bip39::phrase_to_entropy(phrase->view());
  if (!entropy) return ctx.fail("the recovery phrase: " + entropy.error().message);
  auto passphrase = optional_passphrase(ctx, /*confirm=*/false);
  if (!passphrase) return ctx.fail(passphrase.error());
  // The node must answer before anything is written: the scan needs it.
  RpcChainSource chain(ctx.client, ctx.net());
  if (auto tip = chain.tip_height(); !tip)
    return ctx.fail(tip.error().message + "; restore scans through the node");
  auto password = wallet_password(ctx, /*confirm=*/true);
  if (!password) return ctx.fail(password.error());

  NewDirGuard guard(*dir);
  OsRng& rng = ctx.rng;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  ScanReport progress(ctx.err, tty);
  wallet::NewWallet options{ctx.net(), ctx.o.account, *kdf};
  auto restored = wallet::Wallet::restore(*dir, options, entropy->span(), passphrase->view(),
                                          password->view(), rng, chain, ctx.o.gap_limit, std::ref(progress));
  if (!restored) {
    if (tty) ctx.err << "\n";  // end the progress line before the error
    return ctx.fail(restored.error());
  }
  guard.keep();
  size_t used = 0;
  for (const auto& r : restored->addresses()) {
    if (r.used) ++used;
  }
  auto balance = restored->balance(chain);
  if (!balance) return ctx.fail("restored, but the balance failed: " + balance.error().message);
  if (ctx.json) {
    json used_addresses = json::array();
    for (const auto& r : restored->addresses()) {
      if (r.used) used_addresses.push_back(address_json(*restored, r));
    }
    ctx.out << json{{"wallet", ctx.o.wallet},
                    {"directory", dir->string()},
                    {"used_addresses", used_addresses},
                    {"next_receive", restored->data().next_receive},
                    {"next_change", restored->data().next_change},
                    {"confirmed", units(balance->confirmed)},
                    {"immature", units(balance->immature)},
                    {"pending", units(balance->pending)}}
                   .dump(2)
            << "\n";
    return 0;
  }
  ctx.out << "restored wallet '" << ctx.o.wallet << "' in " << dir->string() << ": " << used
          << " used addresses; next receive index " << restored->data().next_receive << ", next change index "
          << restored->data().next_change << "\n";
  ctx.out << "balance: " << format_amount(balance->confirmed) << " confirmed, "
          << format_amount(balance->immature) << " immature\n";
  return 0;
}

int list(WalletContext& ctx) {
  auto names = wallet::list_wallets(ctx.paths.datadir, ctx.net());
  if (!names) return ctx.fail(names.error());
  json docs = json::array();
  for (const std::string& name : *names) {
    auto dir = wallet::wallet_dir(ctx.paths.datadir, ctx.net(), name);
    auto w = dir ? wallet::Wallet::open(*dir) : Result<wallet::Wallet>(dir.error());
    if (!w) {
      docs.push_back({{"name", name}, {"error", w.error().message}});
      continue;
    }
    docs.push_back({{"name", name},
                    {"kind", wallet::wallet_kind_name(w->data().kind)},
                    {"wallet_id", w->id().hex()},
                    {"addresses", w->addresses().size()},
                    {"multisig", w->multisig().size()}});
  }
  if (ctx.json) {
    ctx.out << docs.dump(2) << "\n";
    return 0;
  }
  if (docs.empty())
    ctx.out << "no wallets in " << wallet::wallets_root(ctx.paths.datadir, ctx.net()).string() << "\n";
  for (const json& d : docs) {
    if (d.contains("error")) {
      ctx.out << d["name"].get<std::string>() << "  (unreadable: " << d["error"].get<std::string>() << ")\n";
    } else {
      ctx.out << d["name"].get<std::string>() << "  " << d["kind"].get<std::string>() << ", "
              << d["addresses"].get<size_t>() << " addresses\n";
    }
  }
  return 0;
}

int address(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  if (ctx.o.list) {
    json docs = json::array();
    for (const auto& r : w->addresses()) docs.push_back(address_json(*w, r));
    if (ctx.json) {
      ctx.out << docs.dump(2) << "\n";
      return 0;
    }
    for (const auto& r : w->addresses()) {
      ctx.out << std::left << std::setw(8) << wallet::chain_name(r.chain) << std::right << std::setw(5)
              << r.index << "  " << r.address << (r.used ? "  used" : "  -")
              << (r.label.empty() ? "" : "  " + r.label) << "\n";
    }
    return 0;
  }
  const wallet::Chain chain = ctx.o.change ? wallet::Chain::change : wallet::Chain::receive;
  Result<wallet::AddressRecord> record = Error{ErrorCode::not_found, ""};
  if (w->needs_keys(chain)) {
    auto keys = wallet_keys(ctx, *w);
    if (!keys)
      return ctx.fail(keys.error().message + " (the derived addresses are used up: new ones need the keys)");
    record = w->next_address(chain, ctx.o.label, &*keys);
  } else {
    record = w->next_address(chain, ctx.o.label);
  }
  if (!record) return ctx.fail(record.error());
  if (ctx.json) {
    ctx.out << address_json(*w, *record).dump(2) << "\n";
  } else {
    ctx.out << record->address << "\n";
  }
  return 0;
}

int balance(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  RpcChainSource chain(ctx.client, ctx.net());
  auto b = w->balance(chain);
  if (!b) return ctx.fail(b.error());
  if (ctx.json) {
    ctx.out << json{{"confirmed", units(b->confirmed)},
                    {"immature", units(b->immature)},
                    {"pending", units(b->pending)}}
                   .dump(2)
            << "\n";
    return 0;
  }
  ctx.out << "confirmed: " << format_amount(b->confirmed) << "\n";
  ctx.out << "immature:  " << format_amount(b->immature) << "\n";
  ctx.out << "pending:   " << format_amount(b->pending) << "\n";
  return 0;
}

int history(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  RpcChainSource chain(ctx.client, ctx.net());
  auto items = w->history(chain);
  if (!items) return ctx.fail(items.error());
  json docs = json::array();
  for (const auto& item : *items) {
    const auto& e = item.entry;
    json spent = nullptr;
    if (e.spent)
      spent = {{"txid", e.spent->txid.hex()}, {"input", e.spent->input}, {"height", e.spent->height}};
    docs.push_back({{"address", item.address},
                    {"txid", e.outpoint.txid.hex()},
                    {"index", e.outpoint.index},
                    {"height", e.height},
                    {"coinbase", e.coinbase},
                    {"received", units(e.value)},
                    {"spent", spent}});
  }
  if (ctx.json) {
    ctx.out << docs.dump(2) << "\n";
    return 0;
  }
  if (items->empty()) ctx.out << "no history\n";
  for (const auto& item : *items) {
    const auto& e = item.entry;
    ctx.out << "height " << e.height << "  +" << format_amount(e.value) << "  " << item.address << "  "
            << e.outpoint.txid.hex() << ":" << e.outpoint.index << (e.coinbase ? " (coinbase)" : "");
    if (e.spent) ctx.out << "  spent at height " << e.spent->height << " by " << e.spent->txid.hex();
    ctx.out << "\n";
  }
  return 0;
}

int backup(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  std::error_code ec;
  if (std::filesystem::exists(ctx.o.file, ec)) return ctx.fail("'" + ctx.o.file + "' already exists");
  auto password = wallet_password(ctx, /*confirm=*/false);
  if (!password) return ctx.fail(password.error());
  OsRng& rng = ctx.rng;
  if (auto written = w->write_backup(ctx.o.file, password->view(), rng); !written)
    return ctx.fail(written.error());
  if (ctx.json) {
    ctx.out << json{{"wallet", ctx.o.wallet}, {"backup", ctx.o.file}}.dump(2) << "\n";
  } else {
    ctx.out << "wrote an encrypted backup of wallet '" << ctx.o.wallet << "' to " << ctx.o.file
            << " (mode 0600; it opens with the wallet's password)\n";
  }
  return 0;
}

int import(WalletContext& ctx) {
  if (ctx.o.watch_file.empty() == ctx.o.backup_file.empty()) {
    return ctx.fail("give exactly one of --watch FILE and --backup FILE");
  }
  auto dir = new_wallet_path(ctx);
  if (!dir) return ctx.fail(dir.error());
  NewDirGuard guard(*dir);
  Result<wallet::Wallet> imported = Error{ErrorCode::not_found, ""};
  if (!ctx.o.watch_file.empty()) {
    auto text = read_input(ctx.o.watch_file, 4u << 20);
    if (!text) return ctx.fail("--watch: " + text.error().message);
    auto addresses = wallet::parse_address_list(
        std::string_view(reinterpret_cast<const char*>(text->data()), text->size()), ctx.net());
    if (!addresses) return ctx.fail("--watch '" + ctx.o.watch_file + "': " + addresses.error().message);
    imported = wallet::Wallet::create_watch_only(*dir, ctx.net(), *addresses);
  } else {
    auto bytes = read_input(ctx.o.backup_file, wallet::kMaxBackupFileBytes);
    if (!bytes) return ctx.fail("--backup: " + bytes.error().message);
    auto password = wallet_password(ctx, /*confirm=*/false);
    if (!password) return ctx.fail(password.error());
    imported = wallet::Wallet::import_backup(*dir, *bytes, password->view());
  }
  if (!imported) return ctx.fail(imported.error());
  guard.keep();
  if (ctx.json) {
    ctx.out << json{{"wallet", ctx.o.wallet},
                    {"directory", dir->string()},
                    {"kind", wallet::wallet_kind_name(imported->data().kind)},
                    {"addresses", imported->addresses().size()}}
                   .dump(2)
            << "\n";
  } else {
    ctx.out << "imported wallet '" << ctx.o.wallet << "' (" << wallet::wallet_kind_name(imported->data().kind)
            << ", " << imported->addresses().size() << " addresses) into " << dir->string() << "\n";
  }
  return 0;
}

int lock(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  const SystemClock clock;
  wallet::SessionStore session(w->dir(), w->id(), wallet::default_session_key_dir(), clock);
  if (auto locked = session.lock(); !locked) return ctx.fail(locked.error());
  if (ctx.json) {
    ctx.out << json{{"wallet", ctx.o.wallet}, {"locked", true}}.dump(2) << "\n";
  } else {
    ctx.out << "wallet '" << ctx.o.wallet << "' is locked\n";
  }
  return 0;
}

int unlock(WalletContext& ctx) {
  if (ctx.o.timeout < wallet::kMinUnlockSeconds || ctx.o.timeout > wallet::kMaxUnlockSeconds) {
    return ctx.fail("--timeout must be " + std::to_string(wallet::kMinUnlockSeconds) + ".." +
                    std::to_string(wallet::kMaxUnlockSeconds) + " seconds");
  }
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  if (w->watch_only())
    return ctx.fail("wallet '" + ctx.o.wallet + "' is watch-only: there is nothing to unlock");
  auto password = wallet_password(ctx, /*confirm=*/false);
  if (!password) return ctx.fail(password.error());
  auto keys = w->unlock(password->view());
  if (!keys) return ctx.fail("wallet '" + ctx.o.wallet + "': " + keys.error().message);
  if (auto topped = w->top_up(*keys); !topped) return ctx.fail(topped.error());
  const SystemClock clock;
  wallet::SessionStore session(w->dir(), w->id(), wallet::default_session_key_dir(), clock);
  OsRng& rng = ctx.rng;
  if (auto started = session.unlock(keys->secret().span(), ctx.o.timeout, rng); !started) {
    return ctx.fail(started.error());
  }
  const int64_t expiry = clock.unix_seconds() + ctx.o.timeout;
  if (ctx.json) {
    ctx.out << json{{"wallet", ctx.o.wallet}, {"expires", expiry}, {"timeout", ctx.o.timeout}}.dump(2)
            << "\n";
  } else {
    ctx.out << "wallet '" << ctx.o.wallet << "' is unlocked for " << ctx.o.timeout
            << " seconds (anyone running as this user can spend until then; `cairn wallet lock` ends it)\n";
  }
  return 0;
}

int change_password(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  if (w->watch_only()) return ctx.fail("wallet '" + ctx.o.wallet + "' is watch-only: it has no password");
  auto kdf = kdf_params(ctx.o.kdf);
  if (!kdf) return ctx.fail(kdf.error());
  auto old_password = wallet_password(ctx, /*confirm=*/false);
  if (!old_password) return ctx.fail(old_password.error());
  if (auto keys = w->unlock(old_password->view()); !keys) {
    return ctx.fail("wallet '" + ctx.o.wallet + "': " + keys.error().message);
  }
  auto new_password = read_password(SecretSource{ctx.o.new_password_file, "--new-password-file"},
                                    "New password for wallet '" + ctx.o.wallet + "': ", /*confirm=*/true);
  if (!new_password) return ctx.fail(new_password.error());
  OsRng& rng = ctx.rng;
  if (auto changed = w->change_password(old_password->view(), new_password->view(), *kdf, rng); !changed) {
    return ctx.fail(changed.error());
  }
  if (ctx.json) {
    ctx.out << json{{"wallet", ctx.o.wallet}, {"password_changed", true}}.dump(2) << "\n";
  } else {
    ctx.out << "the password of wallet '" << ctx.o.wallet << "' is changed (backups keep the old one)\n";
  }
  return 0;
}

int book_add(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  if (auto added = w->book_add(ctx.o.name, ctx.o.address); !added) return ctx.fail(added.error());
  if (ctx.json) {
    ctx.out << json{{"name", ctx.o.name}, {"address", ctx.o.address}}.dump(2) << "\n";
  } else {
    ctx.out << "added '" << ctx.o.name << "' -> " << ctx.o.address << "\n";
  }
  return 0;
}

int book_list(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  if (ctx.json) {
    json docs = json::array();
    for (const auto& [name, addr] : w->book()) docs.push_back({{"name", name}, {"address", addr}});
    ctx.out << docs.dump(2) << "\n";
    return 0;
  }
  if (w->book().empty()) ctx.out << "the address book is empty\n";
  for (const auto& [name, addr] : w->book()) ctx.out << name << "  " << addr << "\n";
  return 0;
}

int book_remove(WalletContext& ctx) {
  auto w = open_wallet(ctx);
  if (!w) return ctx.fail(w.error());
  if (auto removed = w->book_remove(ctx.o.name); !removed) return ctx.fail(removed.error());
  if (ctx.json) {
    ctx.out << json{{"removed", ctx.o.name}}.dump(2) << "\n";
  } else {
    ctx.out << "removed '" << ctx.o.name << "'\n";
  }
  return 0;
}

}  // namespace

void add_wallet_commands(CLI::App& app, WalletCommands& c) {
  WalletOptions& o = c.options;
  c.wallet = app.add_subcommand("wallet",
                                "The HD wallet: keys from a recovery phrase, addresses, sending, "
                                "multisig and partially signed transactions (docs/wallet.md)");
  c.wallet->require_subcommand(1);
  c.wallet->fallthrough();
  c.wallet->add_option("--wallet", o.wallet, "The wallet's name under <datadir>/<network>/wallets/")
      ->capture_default_str();
  c.wallet->add_option("--password-file", o.password_file,
                       "Read the wallet password from the first line of this file (mode 0600; - for stdin) "
                       "instead of asking on the terminal");
  c.wallet->add_flag("--yes", o.yes, "Do not ask for confirmation before broadcasting");

  const auto leaf = [&](CLI::App* parent, const std::string& name, const std::string& help,
                        WalletHandler run) {
    CLI::App* sub = parent->add_subcommand(name, help);
    sub->fallthrough();
    c.leaves.emplace_back(sub, run);
    return sub;
  };
  const std::string kdf_help =
      "Argon2id cost of the keystore: moderate (3 passes, 256 MiB) or interactive "
      "(2 passes, 64 MiB: faster, weaker against guessing)";
  const auto kdf_check = CLI::IsMember({"moderate", "interactive"});

  CLI::App* sub = leaf(c.wallet, "create", "Create a wallet with a new recovery phrase (shown once)", create);
  sub->add_option("--words", o.words, "Words in the recovery phrase")
      ->check(CLI::IsMember({12, 15, 18, 21, 24}))
      ->capture_default_str();
  sub->add_flag("--passphrase", o.passphrase, "Ask for an optional BIP39 passphrase (a 25th word)");
  sub->add_option("--passphrase-file", o.passphrase_file,
                  "Read the BIP39 passphrase from this file (- for stdin)");
  sub->add_option("--phrase-out", o.phrase_out,
                  "Write the recovery phrase to this new file (mode 0600) instead of the terminal");
  sub->add_option("--account", o.account, "The BIP44 account (m/44'/<coin>'/<account>')")
      ->capture_default_str();
  sub->add_option("--kdf", o.kdf, kdf_help)->check(kdf_check)->capture_default_str();

  sub = leaf(c.wallet, "restore",
             "Restore a wallet from its recovery phrase and scan the chain for its coins", restore);
  sub->add_option("--phrase-file", o.phrase_file,
                  "Read the recovery phrase from this file (mode 0600; - for stdin) instead of the terminal");
  sub->add_flag("--passphrase", o.passphrase, "Ask for the BIP39 passphrase");
  sub->add_option("--passphrase-file", o.passphrase_file,
                  "Read the BIP39 passphrase from this file (- for stdin)");
  sub->add_option("--gap-limit", o.gap_limit, "Unused addresses in a row that end the scan of a chain")
      ->capture_default_str();
  sub->add_option("--account", o.account, "The BIP44 account")->capture_default_str();
  sub->add_option("--kdf", o.kdf, kdf_help)->check(kdf_check)->capture_default_str();

  leaf(c.wallet, "list", "List the wallets of the data directory", list);

  sub = leaf(c.wallet, "address", "Hand out the next unused receive address (or list them all)", address);
  sub->add_option("--label", o.label, "A label to keep with the address");
  sub->add_flag("--change", o.change, "From the change chain instead of the receive chain");
  sub->add_flag("--list", o.list, "List every derived address instead");

  leaf(c.wallet, "balance", "Confirmed, immature and pending amounts (asks the node)", balance);
  leaf(c.wallet, "history", "Every output paid to the wallet, and what spent it (asks the node)", history);

  sub = leaf(c.wallet, "send", "Pay one or more addresses: shows a summary and asks before broadcasting",
             run_send);
  sub->add_option("pairs", o.pairs, "ADDRESS AMOUNT [ADDRESS AMOUNT ...] (amounts in coins, e.g. 1.5)")
      ->required();
  sub->add_option("--fee-rate", o.fee_rate,
                  "Fee rate in base units per 1000 bytes (default: the node's estimate)");
  sub->add_option("--target-blocks", o.target_blocks, "Blocks the node's fee estimate aims at")
      ->check(CLI::Range(1, 1008))
      ->capture_default_str();

  sub = leaf(c.wallet, "backup", "Write an encrypted copy of the wallet (keystore and wallet.json)", backup);
  sub->add_option("file", o.file, "The backup file to create (mode 0600)")->required();

  sub =
      leaf(c.wallet, "import", "Make a watch-only wallet from an address list, or restore a backup", import);
  sub->add_option("--watch", o.watch_file, "A file of addresses, one per line (- for stdin)");
  sub->add_option("--backup", o.backup_file, "A file written by `cairn wallet backup`");

  leaf(c.wallet, "lock", "End the unlocked session (delete its key)", lock);
  sub = leaf(c.wallet, "unlock", "Keep the keys available without a password until a timeout", unlock);
  sub->add_option("--timeout", o.timeout, "Seconds until the wallet locks again")
      ->check(CLI::Range(wallet::kMinUnlockSeconds, wallet::kMaxUnlockSeconds))
      ->capture_default_str();
  sub = leaf(c.wallet, "change-password", "Re-encrypt the keystore under a new password", change_password);
  sub->add_option("--new-password-file", o.new_password_file,
                  "Read the new password from this file (- for stdin)");
  sub->add_option("--kdf", o.kdf, kdf_help)->check(kdf_check)->capture_default_str();

  const std::string voting_help = "The validator's voting public key (64 hex digits)";
  sub = leaf(c.wallet, "bond", "Lock coins as a validator's stake", run_bond);
  sub->add_option("--voting-key", o.voting_key, voting_help)->required();
  sub->add_option("--stake", o.stake, "Coins to lock")->required();
  sub->add_option("--owner", o.owner, "Address the stake returns to (default: a new address of this wallet)");
  sub->add_option("--fee-rate", o.fee_rate,
                  "Fee rate in base units per 1000 bytes (default: the node's estimate)");
  sub = leaf(c.wallet, "unbond", "Start a validator's exit (spends a coin of its owner address)", run_unbond);
  sub->add_option("--voting-key", o.voting_key, voting_help)->required();
  sub->add_option("--fee-rate", o.fee_rate,
                  "Fee rate in base units per 1000 bytes (default: the node's estimate)");
  sub = leaf(c.wallet, "withdraw", "Release an exited validator's stake to its owner", run_withdraw);
  sub->add_option("--voting-key", o.voting_key, voting_help)->required();
  sub->add_option("--fee-rate", o.fee_rate,
                  "Fee rate in base units per 1000 bytes (default: the node's estimate)");

  CLI::App* book = c.wallet->add_subcommand("book", "The address book: names for addresses");
  book->require_subcommand(1);
  book->fallthrough();
  sub = leaf(book, "add", "Add a name for an address", book_add);
  sub->add_option("name", o.name, "The name")->required();
  sub->add_option("address", o.address, "The address")->required();
  leaf(book, "list", "List the address book", book_list);
  sub = leaf(book, "remove", "Remove a name", book_remove);
  sub->add_option("name", o.name, "The name")->required();

  CLI::App* multisig =
      c.wallet->add_subcommand("multisig", "M-of-N multisig addresses shared with co-signers");
  multisig->require_subcommand(1);
  multisig->fallthrough();
  sub = leaf(multisig, "create", "Add an M-of-N multisig address to the wallet (same keys: same address)",
             run_multisig_create);
  sub->add_option("--threshold", o.threshold, "M: signatures needed")->required();
  sub->add_option("--key", o.keys, "A co-signer's public key (64 hex digits); repeat for each of the N")
      ->required();
  sub->add_option("--label", o.label, "A label for the setup");
  leaf(multisig, "key", "Print this wallet's next public key to give to co-signers", run_multisig_key);
  leaf(multisig, "list", "List the wallet's multisig setups", run_multisig_list);

  CLI::App* pst =
      c.wallet->add_subcommand("pst", "Partially signed transactions: offline and multisig signing");
  pst->require_subcommand(1);
  pst->fallthrough();
  sub = leaf(pst, "create", "Create an unsigned transaction paying ADDRESS AMOUNT pairs", run_pst_create);
  sub->add_option("pairs", o.pairs, "ADDRESS AMOUNT [ADDRESS AMOUNT ...] (amounts in coins)")->required();
  sub->add_option("--from", o.from,
                  "Spend the coins of this multisig address of the wallet (default: the wallet's own)");
  sub->add_option("--out", o.out, "Where to write the PST (base64; - for stdout)")->required();
  sub->add_option("--fee-rate", o.fee_rate,
                  "Fee rate in base units per 1000 bytes (default: the node's estimate)");
  sub->add_option("--target-blocks", o.target_blocks, "Blocks the node's fee estimate aims at")
      ->check(CLI::Range(1, 1008))
      ->capture_default_str();
  sub = leaf(pst, "sign", "Add this wallet's signatures (no node needed)", run_pst_sign);
  sub->add_option("file", o.file, "The PST (- for stdin)")->required();
  sub->add_option("--out", o.out, "Where to write the signed PST (default: replace FILE; - for stdout)");
  sub = leaf(pst, "combine", "Merge the signatures of copies of one PST", run_pst_combine);
  sub->add_option("files", o.files, "Two or more PST files")->required()->expected(2, -1);
  sub->add_option("--out", o.out, "Where to write the combined PST (- for stdout)")->required();
  sub = leaf(pst, "finalize", "Build the witnesses of a fully signed PST: the transaction's hex",
             run_pst_finalize);
  sub->add_option("file", o.file, "The PST (- for stdin)")->required();
  sub->add_option("--out", o.out, "Where to write the signed transaction's hex (- for stdout)")->required();
  sub = leaf(pst, "broadcast", "Send a finalized transaction (or a complete PST) to the node",
             run_pst_broadcast);
  sub->add_option("file", o.file, "A complete PST, or a transaction's hex (- for stdin)")->required();
  sub = leaf(pst, "show", "What a PST pays, its fee and its signatures", run_pst_show);
  sub->add_option("file", o.file, "The PST (- for stdin)")->required();
}

int run_wallet_command(const WalletCommands& c, const ResolvedPaths& paths, RpcClient& client,
                       bool json_output, std::ostream& out, std::ostream& err) {
  for (const auto& [sub, run] : c.leaves) {
    if (!sub->parsed()) continue;
    std::string name = sub->get_name();
    for (const CLI::App* parent = sub->get_parent(); parent != nullptr && parent->get_parent() != nullptr;
         parent = parent->get_parent()) {
      name = parent->get_name() + " " + name;
    }
    WalletContext ctx{c.options, paths, client, json_output, out, err, name, OsRng{}};
    return run(ctx);
  }
  return 1;
}

}  // namespace cairn::app
