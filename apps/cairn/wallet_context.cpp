#include "wallet_context.h"

#include <cerrno>
#include <cstring>
#include <iostream>

#include <unistd.h>

#include "consensus/params.h"
#include "primitives/address.h"
#include "util/clock.h"
#include "util/file.h"
#include "wallet/session.h"
#include "wallet_input.h"

namespace cairn::app {

int WalletContext::fail(const std::string& message) const {
  err << "cairn: " << command << ": " << message << "\n";
  return 1;
}

Result<std::filesystem::path> wallet_path(const WalletContext& ctx) {
  auto dir = wallet::wallet_dir(ctx.paths.datadir, ctx.net(), ctx.o.wallet);
  if (!dir) return Error{dir.error().code, "--wallet: " + dir.error().message};
  return dir;
}

Result<wallet::Wallet> open_wallet(const WalletContext& ctx) {
  CAIRN_TRY(const std::filesystem::path dir, wallet_path(ctx));
  std::error_code ec;
  if (!std::filesystem::exists(dir / wallet::kWalletFileName, ec)) {
    return Error{ErrorCode::not_found,
                 "no wallet '" + ctx.o.wallet + "' in " + dir.parent_path().string() +
                     " (create one with `cairn wallet create`, or pick one with --wallet; "
                     "`cairn wallet list` shows them)"};
  }
  auto opened = wallet::Wallet::open(dir);
  if (!opened) return Error{opened.error().code, "wallet '" + ctx.o.wallet + "': " + opened.error().message};
  return opened;
}

Result<SecretBytes> wallet_password(const WalletContext& ctx, bool confirm) {
  const std::string prompt = confirm ? "Password for the new wallet '" + ctx.o.wallet + "': "
                                     : "Password for wallet '" + ctx.o.wallet + "': ";
  return read_password(SecretSource{ctx.o.password_file, "--password-file"}, prompt, confirm);
}

Result<wallet::WalletKeys> wallet_keys(const WalletContext& ctx, wallet::Wallet& w) {
  if (w.watch_only()) {
    return Error{ErrorCode::invalid_argument,
                 "wallet '" + ctx.o.wallet + "' is watch-only: it holds no keys"};
  }
  const SystemClock clock;
  wallet::SessionStore session(w.dir(), w.id(), wallet::default_session_key_dir(), clock);
  std::optional<wallet::WalletKeys> keys;
  if (ctx.o.password_file.empty()) {
    auto secret = session.secret();
    if (!secret) return Error{secret.error().code, "the unlocked session: " + secret.error().message};
    if (secret->has_value()) {
      auto from_session = w.keys_from_secret((*secret)->span());
      if (!from_session)
        return Error{from_session.error().code, "the unlocked session: " + from_session.error().message};
      keys.emplace(std::move(*from_session));
    }
  }
  if (!keys) {
    CAIRN_TRY(const SecretBytes password, wallet_password(ctx, /*confirm=*/false));
    auto unlocked = w.unlock(password.view());
    if (!unlocked)
      return Error{unlocked.error().code, "wallet '" + ctx.o.wallet + "': " + unlocked.error().message};
    keys.emplace(std::move(*unlocked));
  }
  CAIRN_TRY_STATUS(w.top_up(*keys));
  return std::move(*keys);
}

Result<KdfParams> kdf_params(const std::string& name) {
  if (name == "moderate") return kModerateKdfParams;
  if (name == "interactive") return kInteractiveKdfParams;
  return Error{ErrorCode::invalid_argument, "--kdf: '" + name + "' is not moderate or interactive"};
}

Hash256 genesis_hash(Network net) { return consensus_params(net).genesis_hash; }

Result<FeeRate> fee_rate(const WalletContext& ctx, wallet::ChainSource& chain) {
  if (ctx.o.fee_rate > 0) return FeeRate{ctx.o.fee_rate};
  auto estimate = chain.estimate_fee(ctx.o.target_blocks);
  if (!estimate)
    return Error{estimate.error().code,
                 "fee estimate: " + estimate.error().message + " (or pass --fee-rate)"};
  return estimate;
}

Result<OutputLock> parse_address(const WalletContext& ctx, const std::string& address,
                                 const std::string& what) {
  auto lock = decode_address(ctx.net(), address);
  if (!lock) {
    return Error{ErrorCode::invalid_argument, what + " '" + address + "': " + lock.error().message};
  }
  return lock;
}

Result<Amount> parse_coins(const std::string& text, const std::string& what) {
  auto amount = parse_amount(text);
  if (!amount) {
    return Error{
        ErrorCode::invalid_argument,
        what + " '" + text + "' is not an amount of coins (up to 8 decimals): " + amount.error().message};
  }
  if (*amount == 0) return Error{ErrorCode::invalid_argument, what + " must be more than 0"};
  return amount;
}

Result<std::vector<wallet::Recipient>> parse_recipients(const WalletContext& ctx, const wallet::Wallet* w,
                                                        const std::vector<std::string>& pairs) {
  if (pairs.empty() || pairs.size() % 2 != 0) {
    return Error{ErrorCode::invalid_argument,
                 "give recipients as ADDRESS AMOUNT pairs (AMOUNT in coins, e.g. 1.5)"};
  }
  std::vector<wallet::Recipient> recipients;
  for (size_t i = 0; i < pairs.size(); i += 2) {
    std::string address = pairs[i];
    if (w != nullptr) {
      auto resolved = w->resolve_recipient(address);
      if (!resolved) return Error{ErrorCode::invalid_argument, "recipient " + resolved.error().message};
      address = *resolved;
    }
    CAIRN_TRY(OutputLock lock, parse_address(ctx, address, "recipient"));
    CAIRN_TRY(const Amount amount, parse_coins(pairs[i + 1], "amount"));
    recipients.push_back(wallet::Recipient{std::move(lock), amount});
  }
  return recipients;
}

std::optional<Signature> WalletSigner::sign(const PublicKey& key, const Hash256& message) {
  auto pair = wallet_.key_for_public_key(keys_, key);
  if (!pair) return std::nullopt;
  return pair->sign(message.bytes);
}

wallet::KeyPath address_path(const wallet::Wallet& w, const wallet::AddressRecord& record) {
  const auto path = wallet::derivation_path(w.network(), w.data().account, record.chain, record.index);
  return wallet::KeyPath(path.begin(), path.end());
}

Result<Bytes> read_input(const std::string& file, size_t max_bytes) {
  Bytes bytes;
  const bool from_stdin = file == "-";
  FILE* in = from_stdin ? stdin : std::fopen(file.c_str(), "rb");
  if (in == nullptr) return Error{ErrorCode::io, "cannot read '" + file + "': " + std::strerror(errno)};
  uint8_t buffer[65536];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) {
    if (bytes.size() + n > max_bytes) {
      if (!from_stdin) std::fclose(in);
      return Error{ErrorCode::limit, "'" + file + "' is longer than " + std::to_string(max_bytes) + " bytes"};
    }
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  const bool failed = std::ferror(in) != 0;
  if (!from_stdin) std::fclose(in);
  if (failed) return Error{ErrorCode::io, "cannot read '" + file + "'"};
  return bytes;
}

Status write_output(const WalletContext& ctx, const std::string& file, std::string_view text) {
  if (file == "-") {
    ctx.out << text << std::flush;
    return {};
  }
  return write_file_atomically(file, as_bytes(text), /*replace=*/true);
}

std::string units(Amount amount) { return std::to_string(amount); }

}  // namespace cairn::app
