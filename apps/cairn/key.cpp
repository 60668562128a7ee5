#include "key.h"

#include <filesystem>
#include <optional>
#include <ostream>

#include <nlohmann/json.hpp>

#include "crypto/bip39.h"
#include "crypto/ed25519.h"
#include "crypto/keystore.h"
#include "crypto/slip10.h"
#include "primitives/address.h"
#include "rpc/auth.h"
#include "wallet_input.h"

namespace cairn::app {
namespace {

// "cairn: <context>: <message>" on err; returns the exit status for a failed command.
int fail(std::ostream& err, const std::string& context, const std::string& message) {
  err << "cairn: " << context << ": " << message << "\n";
  return 1;
}

Result<SecretBytes> get_password(const std::string& password_file, const std::string& prompt, bool confirm) {
  if (!password_file.empty()) {
    auto password = read_password_file(password_file);
    if (!password) return Error{password.error().code, "--password-file: " + password.error().message};
    return password;
  }
  auto password = prompt_password(prompt, confirm);
  if (!password) return Error{password.error().code, password.error().message + "; pass --password-file"};
  return password;
}

std::string public_field(KeystoreKind kind) {
  return kind == KeystoreKind::validator_voting_key ? "public_key" : "public_data";
}

nlohmann::json describe(const std::string& file, const KeystoreInfo& info) {
  return {{"file", file},
          {"kind", to_string(info.kind)},
          {public_field(info.kind), to_hex(info.public_data)},
          {"kdf",
           {{"algorithm", "argon2id13"},
            {"ops_limit", info.kdf.ops_limit},
            {"mem_limit_kib", info.kdf.mem_limit_kib}}},
          {"cipher", "xchacha20poly1305-ietf"}};
}

void print_text(std::ostream& out, const KeystoreInfo& info) {
  out << "kind: " << to_string(info.kind) << "\n";
  out << (info.kind == KeystoreKind::validator_voting_key ? "public key: " : "public data: ")
      << to_hex(info.public_data) << "\n";
  out << "kdf: argon2id, " << info.kdf.ops_limit << " passes, " << info.kdf.mem_limit_kib << " KiB\n";
}

// Reads and parses FILE; errors name the file.
Result<Bytes> read_checked(const std::string& file) {
  CAIRN_TRY(Bytes bytes, read_keystore_file(file));
  if (auto info = read_keystore_info(bytes); !info)
    return Error{info.error().code, "'" + file + "': " + info.error().message};
  return bytes;
}

int validator_new(const KeyCommands& c, bool json, std::ostream& out, std::ostream& err) {
  const std::string context = "key validator-new";
  std::error_code ec;
  // Checked before asking for a password; write_keystore_file refuses atomically anyway.
  if (!c.force && std::filesystem::exists(c.out_path, ec)) {
    return fail(err, context, "--out '" + c.out_path + "' already exists (pass --force to replace it)");
  }
  auto password = get_password(c.password_file, "Password for the new voting key: ", /*confirm=*/true);
  if (!password) return fail(err, context, password.error().message);
  const KeyPair key = KeyPair::generate();
  auto file = create_validator_keystore(key, password->view());
  if (!file) return fail(err, context, file.error().message);
  if (auto written = write_keystore_file(c.out_path, *file, c.force); !written) {
    return fail(err, context, "--out: " + written.error().message);
  }
  if (json) {
    out << describe(c.out_path, *read_keystore_info(*file)).dump(2) << "\n";
  } else {
    out << "wrote validator voting key to " << c.out_path << " (mode 0600)\n";
    out << "public key: " << key.public_key().hex() << "\n";
  }
  return 0;
}

int info(const KeyCommands& c, bool json, std::ostream& out, std::ostream& err) {
  auto bytes = read_checked(c.file);
  if (!bytes) return fail(err, "key info", bytes.error().message);
  const KeystoreInfo parsed = *read_keystore_info(*bytes);
  if (json) {
    out << describe(c.file, parsed).dump(2) << "\n";
  } else {
    print_text(out, parsed);
  }
  return 0;
}

int validator_check(const KeyCommands& c, bool json, std::ostream& out, std::ostream& err) {
  const std::string context = "key validator-check";
  auto bytes = read_checked(c.file);
  if (!bytes) return fail(err, context, bytes.error().message);
  auto password = get_password(c.password_file, "Password for '" + c.file + "': ", /*confirm=*/false);
  if (!password) return fail(err, context, password.error().message);
  auto key = open_validator_keystore(*bytes, password->view());
  if (!key) return fail(err, context, "'" + c.file + "': " + key.error().message);
  if (json) {
    nlohmann::json doc = describe(c.file, *read_keystore_info(*bytes));
    doc["ok"] = true;
    out << doc.dump(2) << "\n";
  } else {
    out << "ok: " << c.file << " opens and holds the voting key " << key->public_key().hex() << "\n";
  }
  return 0;
}

// Prints an --rpc-user line: the node stores only the salted hash, never the password.
int rpc_user(const KeyCommands& c, bool json, std::ostream& out, std::ostream& err) {
  const std::string context = "key rpc-user";
  auto password = get_password(c.password_file, "Password for RPC user '" + c.user + "': ", /*confirm=*/true);
  if (!password) return fail(err, context, password.error().message);
  OsRng rng;
  auto line = rpc::make_user_line(c.user, password->view(), c.admin, rng);
  if (!line) return fail(err, context, line.error().message);
  if (json) {
    out << nlohmann::json{{"user", c.user}, {"group", c.admin ? "admin" : "public"}, {"rpc_user", *line}}
               .dump()
        << "\n";
  } else {
    out << "--rpc-user " << *line << "\n";
  }
  return 0;
}

// The public key and address of a recovery phrase's key at --path: for checking what
// another wallet derives, or what a wallet will derive, without creating a wallet.
int derive(const KeyCommands& c, Network net, bool json, std::ostream& out, std::ostream& err) {
  const std::string context = "key derive";
  // The path first: a mistake there needs no secret to be typed.
  auto path = slip10::parse_path(c.path);
  if (!path) return fail(err, context, "--path: " + path.error().message);

  auto phrase = read_phrase({c.phrase_file, "--phrase-file"});
  if (!phrase) return fail(err, context, phrase.error().message);
  auto entropy = bip39::phrase_to_entropy(phrase->view());
  if (!entropy) return fail(err, context, "the recovery phrase: " + entropy.error().message);
  // The seed hashes the phrase byte for byte: the canonical words (single spaces, lower
  // case), not the file's line breaks or capitals.
  auto canonical = bip39::entropy_to_phrase(entropy->span());
  if (!canonical) return fail(err, context, canonical.error().message);
  SecretBytes passphrase;
  if (!c.passphrase_file.empty()) {
    auto read = read_passphrase({c.passphrase_file, "--passphrase-file"}, /*confirm=*/false);
    if (!read) return fail(err, context, read.error().message);
    passphrase = std::move(*read);
  }
  auto seed = bip39::phrase_to_seed(canonical->view(), passphrase.view());
  if (!seed) return fail(err, context, seed.error().message);
  auto node = slip10::derive_path(seed->span(), *path);
  if (!node) return fail(err, context, node.error().message);
  const KeyPair key = slip10::key_pair(*node);
  const std::string path_text = slip10::format_path(*path);
  const std::string address = encode_address(net, key_hash_lock(key.public_key()));
  if (json) {
    out << nlohmann::json{{"path", path_text}, {"public_key", key.public_key().hex()}, {"address", address}}
               .dump(2)
        << "\n";
  } else {
    out << "path: " << path_text << "\n";
    out << "public key: " << key.public_key().hex() << "\n";
    out << "address: " << address << "\n";
  }
  return 0;
}

}  // namespace

void add_key_commands(CLI::App& app, KeyCommands& c) {
  c.key = app.add_subcommand("key", "Validator voting-key keystores (docs/keystore.md) and RPC user lines");
  c.key->require_subcommand(1);
  c.key->fallthrough();
  const std::string password_help =
      "Read the password from the first line of this file (mode 0600) instead of asking on the terminal";

  c.validator_new = c.key->add_subcommand(
      "validator-new", "Create a validator voting key in an encrypted keystore and print its public key");
  c.validator_new->add_option("--out", c.out_path, "Keystore file to create (mode 0600)")->required();
  c.validator_new->add_option("--password-file", c.password_file, password_help);
  c.validator_new->add_flag("--force", c.force, "Replace --out if it exists (the old key is lost)");

  c.info =
      c.key->add_subcommand("info", "Show a keystore's kind, public key and KDF cost (no password needed)");
  c.info->add_option("file", c.file, "Keystore file")->required();

  c.validator_check = c.key->add_subcommand(
      "validator-check", "Decrypt a validator voting-key keystore and confirm it is sound");
  c.validator_check->add_option("file", c.file, "Keystore file")->required();
  c.validator_check->add_option("--password-file", c.password_file, password_help);

  c.rpc_user = c.key->add_subcommand(
      "rpc-user", "Make a salted password hash for cairnd's --rpc-user (prints the flag to pass)");
  c.rpc_user->add_option("name", c.user, "The user name")->required();
  c.rpc_user->add_flag("--admin", c.admin, "Give the user the admin group (default: public methods only)");
  c.rpc_user->add_option("--password-file", c.password_file, password_help);

  c.derive = c.key->add_subcommand(
      "derive",
      "Print the public key and address of a BIP39 recovery phrase's key at a hardened SLIP-0010 path "
      "(docs/wallet.md); the address is for --network");
  c.derive->add_option("--path", c.path, "Derivation path, all hardened, e.g. m/44'/1'/0'/0'/0' (h for ')")
      ->required();
  c.derive->add_option("--phrase-file", c.phrase_file,
                       "Read the recovery phrase from this file (mode 0600) or from stdin with -, instead of "
                       "asking on the terminal");
  c.derive->add_option(
      "--passphrase-file", c.passphrase_file,
      "Read the BIP39 passphrase from the first line of this file (mode 0600) or stdin with - "
      "(default: no passphrase)");

  for (CLI::App* sub : {c.validator_new, c.info, c.validator_check, c.rpc_user, c.derive}) sub->fallthrough();
}

int run_key_command(const KeyCommands& c, Network network, bool json, std::ostream& out, std::ostream& err) {
  if (c.validator_new->parsed()) return validator_new(c, json, out, err);
  if (c.info->parsed()) return info(c, json, out, err);
  if (c.validator_check->parsed()) return validator_check(c, json, out, err);
  if (c.rpc_user->parsed()) return rpc_user(c, json, out, err);
  if (c.derive->parsed()) return derive(c, network, json, out, err);
  return 1;
}

}  // namespace cairn::app
