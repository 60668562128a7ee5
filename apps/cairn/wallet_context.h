// What every `cairn wallet` subcommand shares: the parsed options, the paths, the RPC
// client, output streams, and helpers to open the wallet, get its keys (an unlocked
// session or the password), read recipients and fee rates, and read and write files.
// Internal to apps/cairn (wallet_commands.cpp, wallet_spend.cpp). Not thread-safe.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/keystore.h"
#include "node/options.h"
#include "rpc_client.h"
#include "wallet/tx_builder.h"
#include "wallet/wallet.h"
#include "wallet_chain_source.h"
#include "wallet_commands.h"

namespace cairn::app {

struct WalletContext {
  const WalletOptions& o;
  const ResolvedPaths& paths;
  RpcClient& client;
  bool json;
  std::ostream& out;
  std::ostream& err;
  std::string command;  // "wallet send": the prefix of error messages
  OsRng rng;            // salts, nonces, and the change output's position

  Network net() const { return paths.network; }
  // Prints "cairn: <command>: <message>" on err; returns the failing exit status (1).
  int fail(const std::string& message) const;
  int fail(const Error& error) const { return fail(error.message); }
};

// <datadir>/<network>/wallets/<--wallet>.
Result<std::filesystem::path> wallet_path(const WalletContext& ctx);
// Opens --wallet; a missing wallet says how to create one.
Result<wallet::Wallet> open_wallet(const WalletContext& ctx);
// The wallet's password from --password-file or the terminal.
Result<SecretBytes> wallet_password(const WalletContext& ctx, bool confirm);
// The wallet's keys: an unexpired session's (`cairn wallet unlock`), else the password's.
// Tops the lookahead up (the only moment it can grow), which may save wallet.json.
Result<wallet::WalletKeys> wallet_keys(const WalletContext& ctx, wallet::Wallet& w);
// --kdf: "moderate" (libsodium MODERATE: 3 passes, 256 MiB; the default) or
// "interactive" (2 passes, 64 MiB).
Result<KdfParams> kdf_params(const std::string& name);
// The network's genesis block hash (what signatures and PSTs commit to).
Hash256 genesis_hash(Network net);
// --fee-rate when given, else the node's estimate for --target-blocks.
Result<FeeRate> fee_rate(const WalletContext& ctx, wallet::ChainSource& chain);
// ADDRESS AMOUNT pairs (an address-book name of `w` may stand for an address): each
// address checked for the network, each amount a positive decimal of coins.
Result<std::vector<wallet::Recipient>> parse_recipients(const WalletContext& ctx, const wallet::Wallet* w,
                                                        const std::vector<std::string>& pairs);
// An address of the wallet's network; the error says why not (checksum, network, ...).
Result<OutputLock> parse_address(const WalletContext& ctx, const std::string& address,
                                 const std::string& what);
// A positive amount of coins ("1.5"), exactly.
Result<Amount> parse_coins(const std::string& text, const std::string& what);

// A Signer over the wallet's keys: its addresses' keys (found by public key).
class WalletSigner final : public wallet::Signer {
 public:
  WalletSigner(const wallet::Wallet& w, const wallet::WalletKeys& keys) : wallet_(w), keys_(keys) {}
  std::optional<Signature> sign(const PublicKey& key, const Hash256& message) override;

 private:
  const wallet::Wallet& wallet_;
  const wallet::WalletKeys& keys_;
};

// The derivation path of one of the wallet's addresses.
wallet::KeyPath address_path(const wallet::Wallet& w, const wallet::AddressRecord& record);

// A file's bytes ("-": all of stdin), at most `max_bytes`.
Result<Bytes> read_input(const std::string& file, size_t max_bytes);
// Writes `text` to `file` ("-": stdout) atomically, mode 0600, replacing it.
Status write_output(const WalletContext& ctx, const std::string& file, std::string_view text);

// Amounts in JSON: decimal strings of base units, as the RPC API writes them.
std::string units(Amount amount);

// The subcommands that spend (wallet_spend.cpp).
int run_send(WalletContext& ctx);
int run_bond(WalletContext& ctx);
int run_unbond(WalletContext& ctx);
int run_withdraw(WalletContext& ctx);
int run_multisig_create(WalletContext& ctx);
int run_multisig_key(WalletContext& ctx);
int run_multisig_list(WalletContext& ctx);
int run_pst_create(WalletContext& ctx);
int run_pst_sign(WalletContext& ctx);
int run_pst_combine(WalletContext& ctx);
int run_pst_finalize(WalletContext& ctx);
int run_pst_broadcast(WalletContext& ctx);
int run_pst_show(WalletContext& ctx);

}  // namespace cairn::app
