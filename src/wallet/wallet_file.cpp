#include "wallet/wallet_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <set>
#include <utility>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "primitives/address.h"
#include "util/file.h"

namespace cairn::wallet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// wallet.json nests four levels (object, array, object, array); anything deeper is not ours.
constexpr size_t kMaxJsonDepth = 8;

Error field_error(const std::string& field, const std::string& what) {
  return Error{ErrorCode::decode, field + ": " + what};
}

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

// Checks that `j` is an object with exactly the fields `names`.
Status expect_fields(const json& j, const std::string& where, std::initializer_list<std::string_view> names) {
  if (!j.is_object()) return field_error(where, "expected an object");
  for (const auto& name : names) {
    if (!j.contains(name)) return field_error(where, "missing field '" + std::string(name) + "'");
  }
  for (const auto& item : j.items()) {
    if (std::find(names.begin(), names.end(), item.key()) == names.end())
      return field_error(where, "unknown field '" + item.key() + "'");
  }
  return {};
}

std::string join(const std::string& where, std::string_view field) {
  return where.empty() ? std::string(field) : where + "." + std::string(field);
}

Result<std::string> get_string(const json& j, const std::string& where, std::string_view field,
                               size_t max_bytes = kMaxWalletFileBytes) {
  const json& v = j.at(std::string(field));
  if (!v.is_string()) return field_error(join(where, field), "expected a string");
  std::string s = v.get<std::string>();
  if (s.size() > max_bytes)
    return field_error(join(where, field), "longer than " + std::to_string(max_bytes) + " bytes");
  return s;
}

Result<uint32_t> get_uint(const json& j, const std::string& where, std::string_view field, uint64_t max) {
  const json& v = j.at(std::string(field));
  if (!v.is_number_unsigned()) return field_error(join(where, field), "expected a non-negative integer");
  const uint64_t n = v.get<uint64_t>();
  if (n > max || n > UINT32_MAX)
    return field_error(join(where, field), std::to_string(n) + " is above " + std::to_string(max));
  return static_cast<uint32_t>(n);
}

Result<bool> get_bool(const json& j, const std::string& where, std::string_view field) {
  const json& v = j.at(std::string(field));
  if (!v.is_boolean()) return field_error(join(where, field), "expected true or false");
  return v.get<bool>();
}

template <size_t N>
Result<FixedBytes<N>> get_fixed_hex(const json& j, const std::string& where, std::string_view field) {
  CAIRN_TRY(const auto text, get_string(j, where, field, 2 * N));
  auto bytes = FixedBytes<N>::from_hex(text);
  if (!bytes) return field_error(join(where, field), "expected " + std::to_string(N) + " bytes of hex");
  return *bytes;
}

Result<const json*> get_array(const json& j, const std::string& where, std::string_view field) {
  const json& v = j.at(std::string(field));
  if (!v.is_array()) return field_error(join(where, field), "expected an array");
  return &v;
}

std::string indexed(const std::string& where, size_t i) { return where + "[" + std::to_string(i) + "]"; }

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF), as JSON text must be.
bool valid_utf8(std::string_view text) {
  const auto byte = [&text](size_t k) { return static_cast<unsigned char>(text[k]); };
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = byte(i);
    size_t extra = 0;
    uint32_t code = 0;
    uint32_t min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      extra = 1, code = c & 0x1fu, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, code = c & 0x0fu, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, code = c & 0x07u, min = 0x10000;
    } else {
      return false;
    }
    if (extra > text.size() - i - 1) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((byte(i + k) & 0xc0) != 0x80) return false;
      code = (code << 6) | (byte(i + k) & 0x3fu);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

Status with_field(Status status, const std::string& where) {
  if (status) return status;
  return field_error(where, status.error().message);
}

json address_json(const AddressRecord& a) {
  return json{{"chain", std::string(chain_name(a.chain))},
              {"index", a.index},
              {"public_key", a.public_key ? json(a.public_key->hex()) : json(nullptr)},
              {"address", a.address},
              {"label", a.label},
              {"used", a.used}};
}

Result<AddressRecord> parse_address(const json& j, const std::string& where, const WalletData& data) {
  CAIRN_TRY_STATUS(expect_fields(j, where, {"chain", "index", "public_key", "address", "label", "used"}));
  AddressRecord a;
  CAIRN_TRY(const auto chain, get_string(j, where, "chain", 16));
  const auto parsed_chain = chain_from_name(chain);
  if (!parsed_chain) return field_error(join(where, "chain"), "expected \"receive\" or \"change\"");
  a.chain = *parsed_chain;
  CAIRN_TRY(a.index, get_uint(j, where, "index", kMaxChildIndex));
  if (!j.at("public_key").is_null()) {
    CAIRN_TRY(a.public_key, get_fixed_hex<32>(j, where, "public_key"));
  }
  CAIRN_TRY(a.address, get_string(j, where, "address", 256));
  CAIRN_TRY(a.label, get_string(j, where, "label", kMaxLabelBytes));
  CAIRN_TRY_STATUS(with_field(check_label(a.label), join(where, "label")));
  CAIRN_TRY(a.used, get_bool(j, where, "used"));
  auto lock = decode_address(data.network, a.address);
  if (!lock) return field_error(join(where, "address"), lock.error().message);
  if (data.kind == WalletKind::hd) {
    if (!a.public_key)
      return field_error(join(where, "public_key"), "an HD wallet's address needs its public key");
    if (*lock != key_hash_lock(*a.public_key))
      return field_error(join(where, "address"), "is not the address of the public key");
  } else if (a.public_key) {
    return field_error(join(where, "public_key"), "a watch-only wallet stores no public keys");
  }
  return a;
}

json multisig_json(const MultisigSetup& m) {
  json keys = json::array();
  for (const auto& k : m.keys) keys.push_back(k.hex());
  return json{{"threshold", m.threshold},
              {"public_keys", keys},
              {"address", m.address},
              {"lock", to_hex(encode(m.lock))},
              {"label", m.label}};
}

Result<MultisigSetup> parse_multisig(const json& j, const std::string& where, Network net) {
  CAIRN_TRY_STATUS(expect_fields(j, where, {"threshold", "public_keys", "address", "lock", "label"}));
  MultisigSetup m;
  CAIRN_TRY(const json* keys, get_array(j, where, "public_keys"));
  if (keys->empty() || keys->size() > kMaxMultisigKeys)
    return field_error(join(where, "public_keys"),
                       "expected 1 to " + std::to_string(kMaxMultisigKeys) + " keys");
  for (size_t i = 0; i < keys->size(); ++i) {
    const std::string at = indexed(join(where, "public_keys"), i);
    if (!(*keys)[i].is_string()) return field_error(at, "expected a string");
    auto key = PublicKey::from_hex((*keys)[i].get<std::string>());
    if (!key) return field_error(at, "expected 32 bytes of hex");
    m.keys.push_back(*key);
  }
  CAIRN_TRY(m.threshold, get_uint(j, where, "threshold", m.keys.size()));
  if (m.threshold == 0) return field_error(join(where, "threshold"), "must be at least 1");
  CAIRN_TRY(m.address, get_string(j, where, "address", 256));
  CAIRN_TRY(const auto lock_hex, get_string(j, where, "lock", 2 * kMaxLockBytes));
  auto lock_bytes = from_hex(lock_hex);
  if (!lock_bytes) return field_error(join(where, "lock"), "expected hex");
  auto lock = decode_lock(*lock_bytes);
  if (!lock) return field_error(join(where, "lock"), lock.error().message);
  m.lock = std::move(*lock);
  CAIRN_TRY(m.label, get_string(j, where, "label", kMaxLabelBytes));
  CAIRN_TRY_STATUS(with_field(check_label(m.label), join(where, "label")));
  auto decoded = decode_address(net, m.address);
  if (!decoded) return field_error(join(where, "address"), decoded.error().message);
  if (*decoded != lock_hash_lock(m.lock))
    return field_error(join(where, "address"), "is not the address of the lock");
  return m;
}

// Rebuilds the whole-wallet invariants a field-by-field parse cannot see.
Status check_wallet_data(const WalletData& data) {
  std::set<std::string> seen;
  uint32_t expected[2] = {0, 0};
  Chain previous = Chain::receive;
  for (size_t i = 0; i < data.addresses.size(); ++i) {
    const auto& a = data.addresses[i];
    const std::string at = indexed("addresses", i);
    if (!seen.insert(a.address).second) return field_error(at, "address " + a.address + " appears twice");
    if (a.chain == Chain::receive && previous == Chain::change)
      return field_error(at, "receive addresses must come before change addresses");
    if (data.kind == WalletKind::watch_only && a.chain != Chain::receive)
      return field_error(at, "a watch-only wallet has only receive addresses");
    previous = a.chain;
    uint32_t& next = expected[static_cast<uint32_t>(a.chain)];
    if (a.index != next)
      return field_error(
          at, "index " + std::to_string(a.index) + " where " + std::to_string(next) + " was expected");
    ++next;
  }
  for (const Chain chain : kAllChains) {
    const uint32_t derived = expected[static_cast<uint32_t>(chain)];
    const uint32_t next = data.next_index(chain);
    if (data.kind == WalletKind::hd && next > derived) {
      return field_error(
          std::string("next_index.") + std::string(chain_name(chain)),
          std::to_string(next) + " is past the " + std::to_string(derived) + " derived addresses");
    }
    if (data.kind == WalletKind::watch_only && next != 0)
      return field_error(std::string("next_index.") + std::string(chain_name(chain)),
                         "must be 0 in a watch-only wallet");
  }
  std::set<std::string> multisig_seen;
  for (size_t i = 0; i < data.multisig.size(); ++i) {
    if (!multisig_seen.insert(data.multisig[i].address).second)
      return field_error(indexed("multisig", i), "address " + data.multisig[i].address + " appears twice");
  }
  std::set<OutPoint> pending_seen;
  for (size_t i = 0; i < data.pending.size(); ++i) {
    if (!pending_seen.insert(data.pending[i].outpoint).second)
      return field_error(indexed("pending_spends", i), "outpoint appears twice");
  }
  return {};
}

// Parses JSON refusing duplicate object keys (nlohmann would keep the last) and deep nesting.
struct DuplicateKey {
  std::string key;
};
struct TooDeep {};

Result<json> parse_strict_json(std::string_view text) {
  std::vector<std::set<std::string>> open_objects;
  const json::parser_callback_t check = [&open_objects](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (static_cast<size_t>(depth) >= kMaxJsonDepth) throw TooDeep{};
        if (event == json::parse_event_t::object_start) open_objects.emplace_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.back().insert(parsed.get<std::string>()).second)
          throw DuplicateKey{parsed.get<std::string>()};
        break;
      case json::parse_event_t::object_end:
        open_objects.pop_back();
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), check);
  } catch (const DuplicateKey& e) {
    return Error{ErrorCode::decode, "field '" + e.key + "' appears twice in one object"};
  } catch (const TooDeep&) {
    return Error{ErrorCode::decode, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
  } catch (const json::exception& e) {
    return Error{ErrorCode::decode, std::string("not valid JSON: ") + e.what()};
  }
}

void put_u32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint32_t get_u32(ByteSpan in, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= static_cast<uint32_t>(in[at + i]) << (8 * i);
  return v;
}

Result<SecretBytes> backup_key(std::string_view password, ByteSpan salt, const KdfParams& params) {
  SecretBytes key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  if (crypto_pwhash(key.data(), key.size(), password.data(), password.size(), salt.data(), params.ops_limit,
                    static_cast<size_t>(params.mem_limit_kib) * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Error{ErrorCode::crypto, "Argon2id failed (out of memory?)"};
  }
  return key;
}

Status check_password(std::string_view password) {
  if (password.empty() || password.size() > kMaxPasswordBytes)
    return Error{ErrorCode::invalid_argument,
                 "a password is 1 to " + std::to_string(kMaxPasswordBytes) + " bytes"};
  return {};
}

}  // namespace

std::string_view wallet_kind_name(WalletKind kind) { return kind == WalletKind::hd ? "hd" : "watch_only"; }

std::string serialize_wallet_json(const WalletData& data) {
  json addresses = json::array();
  for (const auto& a : data.addresses) addresses.push_back(address_json(a));
  json book = json::object();
  for (const auto& [name, address] : data.address_book) book[name] = address;
  json multisig = json::array();
  for (const auto& m : data.multisig) multisig.push_back(multisig_json(m));
  json pending = json::array();
  for (const auto& p : data.pending) {
    pending.push_back(
        json{{"txid", p.outpoint.txid.hex()}, {"index", p.outpoint.index}, {"spent_by", p.txid.hex()}});
  }
  // ordered_json keeps the fields in this order, so the file reads top-down.
  nlohmann::ordered_json out;
  out["version"] = kWalletFileVersion;
  out["network"] = std::string(network_name(data.network));
  out["kind"] = std::string(wallet_kind_name(data.kind));
  out["account"] = data.account;
  out["wallet_id"] = data.id.hex();
  out["next_index"] = nlohmann::ordered_json{{"receive", data.next_receive}, {"change", data.next_change}};
  out["addresses"] = addresses;
  out["address_book"] = book;
  out["multisig"] = multisig;
  out["pending_spends"] = pending;
  return out.dump(2) + "\n";
}

Result<WalletData> parse_wallet_json(std::string_view text) {
  CAIRN_TRY(const json j, parse_strict_json(text));
  if (!j.is_object()) return field_error("wallet.json", "expected an object");
  // The version first, so a newer file gets "unsupported version", not "unknown field".
  if (!j.contains("version")) return field_error("wallet.json", "missing field 'version'");
  CAIRN_TRY(const uint32_t version, get_uint(j, "", "version", UINT32_MAX));
  if (version != kWalletFileVersion) {
    return field_error("version", "unsupported wallet.json version " + std::to_string(version) +
                                      "; this cairn reads version " + std::to_string(kWalletFileVersion));
  }
  CAIRN_TRY_STATUS(expect_fields(j, "wallet.json",
                                 {"version", "network", "kind", "account", "wallet_id", "next_index",
                                  "addresses", "address_book", "multisig", "pending_spends"}));
  WalletData data;
  CAIRN_TRY(const auto network, get_string(j, "", "network", 16));
  const auto net = network_from_name(network);
  if (!net) return field_error("network", "unknown network '" + network + "'");
  data.network = *net;
  CAIRN_TRY(const auto kind, get_string(j, "", "kind", 16));
  if (kind == "hd") {
    data.kind = WalletKind::hd;
  } else if (kind == "watch_only") {
    data.kind = WalletKind::watch_only;
  } else {
    return field_error("kind", "expected \"hd\" or \"watch_only\"");
  }
  CAIRN_TRY(data.account, get_uint(j, "", "account", kMaxChildIndex));
  CAIRN_TRY(data.id, get_fixed_hex<kWalletIdBytes>(j, "", "wallet_id"));
  const json& next = j.at("next_index");
  CAIRN_TRY_STATUS(expect_fields(next, "next_index", {"receive", "change"}));
  CAIRN_TRY(data.next_receive, get_uint(next, "next_index", "receive", kMaxChildIndex));
  CAIRN_TRY(data.next_change, get_uint(next, "next_index", "change", kMaxChildIndex));

  CAIRN_TRY(const json* addresses, get_array(j, "", "addresses"));
  for (size_t i = 0; i < addresses->size(); ++i) {
    CAIRN_TRY(auto a, parse_address((*addresses)[i], indexed("addresses", i), data));
    data.addresses.push_back(std::move(a));
  }
  const json& book = j.at("address_book");
  if (!book.is_object()) return field_error("address_book", "expected an object");
  for (const auto& item : book.items()) {
    const std::string at = "address_book." + item.key();
    CAIRN_TRY_STATUS(with_field(check_book_name(item.key()), at));
    if (!item.value().is_string()) return field_error(at, "expected a string");
    const auto address = item.value().get<std::string>();
    auto lock = decode_address(data.network, address);
    if (!lock) return field_error(at, lock.error().message);
    data.address_book.emplace(item.key(), address);
  }
  CAIRN_TRY(const json* multisig, get_array(j, "", "multisig"));
  for (size_t i = 0; i < multisig->size(); ++i) {
    CAIRN_TRY(auto m, parse_multisig((*multisig)[i], indexed("multisig", i), data.network));
    data.multisig.push_back(std::move(m));
  }
  CAIRN_TRY(const json* pending, get_array(j, "", "pending_spends"));
  for (size_t i = 0; i < pending->size(); ++i) {
    const std::string at = indexed("pending_spends", i);
    const json& p = (*pending)[i];
    CAIRN_TRY_STATUS(expect_fields(p, at, {"txid", "index", "spent_by"}));
    PendingSpend spend;
    CAIRN_TRY(spend.outpoint.txid, get_fixed_hex<32>(p, at, "txid"));
    CAIRN_TRY(spend.outpoint.index, get_uint(p, at, "index", UINT32_MAX));
    CAIRN_TRY(spend.txid, get_fixed_hex<32>(p, at, "spent_by"));
    data.pending.push_back(spend);
  }
  CAIRN_TRY_STATUS(check_wallet_data(data));
  return data;
}

Status write_wallet_file(const fs::path& path, const WalletData& data) {
  const std::string text = serialize_wallet_json(data);
  if (text.size() > kMaxWalletFileBytes) {
    return Error{ErrorCode::limit, "the wallet would take " + std::to_string(text.size()) +
                                       " bytes, more than " + std::to_string(kMaxWalletFileBytes)};
  }
  return write_file_atomically(path, as_bytes(text), /*replace=*/true);
}

Result<WalletData> read_wallet_file(const fs::path& path) {
  CAIRN_TRY(const Bytes bytes, read_private_file(path, kMaxWalletFileBytes));
  auto data = parse_wallet_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!data) return Error{data.error().code, quoted(path) + ": " + data.error().message};
  return data;
}

Result<SecretBytes> encode_seed_secret(ByteSpan entropy, ByteSpan seed) {
  if (entropy.size() < kMinEntropyBytes || entropy.size() > kMaxEntropyBytes || entropy.size() % 4 != 0) {
    return Error{ErrorCode::invalid_argument, "recovery entropy must be 16, 20, 24, 28 or 32 bytes, not " +
                                                  std::to_string(entropy.size())};
  }
  if (seed.size() != kSeedBytes)
    return Error{ErrorCode::invalid_argument, "a BIP39 seed is 64 bytes, not " + std::to_string(seed.size())};
  SecretBytes out(1 + entropy.size() + seed.size());
  out.data()[0] = static_cast<uint8_t>(entropy.size());
  std::copy(entropy.begin(), entropy.end(), out.data() + 1);
  std::copy(seed.begin(), seed.end(), out.data() + 1 + entropy.size());
  return out;
}

Result<SeedSecret> decode_seed_secret(ByteSpan secret) {
  const Error bad{ErrorCode::decode, "the wallet's seed secret is malformed"};
  if (secret.empty()) return bad;
  const size_t entropy_size = secret[0];
  if (entropy_size < kMinEntropyBytes || entropy_size > kMaxEntropyBytes || entropy_size % 4 != 0) return bad;
  if (secret.size() != 1 + entropy_size + kSeedBytes) return bad;
  return SeedSecret{SecretBytes::copy_of(secret.subspan(1, entropy_size)),
                    SecretBytes::copy_of(secret.subspan(1 + entropy_size))};
}

Status check_label(std::string_view label) {
  if (label.size() > kMaxLabelBytes)
    return Error{ErrorCode::invalid_argument,
                 "a label is at most " + std::to_string(kMaxLabelBytes) + " bytes"};
  if (!valid_utf8(label)) return Error{ErrorCode::invalid_argument, "a label must be UTF-8 text"};
  if (std::any_of(label.begin(), label.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return Error{ErrorCode::invalid_argument, "a label may not contain control characters"};
  return {};
}

Status check_book_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxBookNameBytes ||
      !std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    return Error{ErrorCode::invalid_argument, "address-book name '" + std::string(name) + "': use 1 to " +
                                                  std::to_string(kMaxBookNameBytes) +
                                                  " printable ASCII characters without spaces"};
  }
  return {};
}

Status check_wallet_name(std::string_view name) {
  const bool ok_chars = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
  if (name.empty() || name.size() > kMaxWalletNameBytes || !ok_chars || name.front() == '.') {
    return Error{ErrorCode::invalid_argument, "wallet name '" + std::string(name) + "': use 1 to " +
                                                  std::to_string(kMaxWalletNameBytes) +
                                                  " letters, digits, '.', '_' or '-', not starting with '.'"};
  }
  return {};
}

fs::path wallets_root(const fs::path& datadir, Network net) {
  return datadir / std::string(network_name(net)) / "wallets";
}

Result<fs::path> wallet_dir(const fs::path& datadir, Network net, std::string_view name) {
  CAIRN_TRY_STATUS(check_wallet_name(name));
  return wallets_root(datadir, net) / std::string(name);
}

Result<std::vector<std::string>> list_wallets(const fs::path& datadir, Network net) {
  const fs::path root = wallets_root(datadir, net);
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::exists(root, ec)) return names;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (check_wallet_name(name) && fs::is_regular_file(it->path() / std::string(kWalletFileName)))
      names.push_back(name);
  }
  if (ec) return Error{ErrorCode::io, "cannot list " + quoted(root) + ": " + ec.message()};
  std::sort(names.begin(), names.end());
  return names;
}

Status create_wallet_dir(const fs::path& dir) {
  std::error_code ec;
  if (dir.has_parent_path()) {
    fs::create_directories(dir.parent_path(), ec);
    if (ec) return Error{ErrorCode::io, "cannot create " + quoted(dir.parent_path()) + ": " + ec.message()};
  }
  if (::mkdir(dir.c_str(), 0700) != 0) {
    const int err = errno;
    if (err != EEXIST)
      return Error{ErrorCode::io, "cannot create " + quoted(dir) + ": " + std::strerror(err)};
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return Error{ErrorCode::invalid_argument, quoted(dir) + " exists and is not a directory"};
    if (!fs::is_empty(dir, ec) || ec)
      return Error{ErrorCode::invalid_argument,
                   "wallet " + quoted(dir) + " already exists; refusing to overwrite it"};
  }
  if (::chmod(dir.c_str(), 0700) != 0)
    return Error{ErrorCode::io, "cannot set mode 0700 on " + quoted(dir) + ": " + std::strerror(errno)};
  return {};
}

Result<Bytes> seal_backup(const BackupContents& contents, std::string_view password, const KdfParams& params,
                          Rng& rng) {
  CAIRN_TRY_STATUS(check_password(password));
  CAIRN_TRY_STATUS(check_kdf_params(params));
  if (contents.keystore.size() > kMaxKeystoreFileBytes || contents.wallet_json.size() > kMaxWalletFileBytes)
    return Error{ErrorCode::limit, "the wallet is too large to back up"};
  ensure_sodium_initialised();
  Bytes out(std::begin(kBackupMagic), std::end(kBackupMagic));
  out.push_back(kBackupVersion);
  put_u32(out, params.ops_limit);
  put_u32(out, params.mem_limit_kib);
  const size_t salt_at = out.size();
  out.resize(kBackupHeaderBytes);
  rng.fill(std::span<uint8_t>(out.data() + salt_at,
                              crypto_pwhash_SALTBYTES + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES));
  SecretBytes plain(4 + contents.keystore.size() + 4 + contents.wallet_json.size());
  {
    Bytes lengths;
    put_u32(lengths, static_cast<uint32_t>(contents.keystore.size()));
    put_u32(lengths, static_cast<uint32_t>(contents.wallet_json.size()));
    uint8_t* p = plain.data();
    p = std::copy(lengths.begin(), lengths.begin() + 4, p);
    p = std::copy(contents.keystore.begin(), contents.keystore.end(), p);
    p = std::copy(lengths.begin() + 4, lengths.end(), p);
    std::copy(contents.wallet_json.begin(), contents.wallet_json.end(), p);
  }
  CAIRN_TRY(const auto key,
            backup_key(password, ByteSpan(out.data() + salt_at, crypto_pwhash_SALTBYTES), params));
  const size_t header = out.size();
  out.resize(header + plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + header, &written, plain.data(), plain.size(),
                                             out.data(), header, nullptr,
                                             out.data() + salt_at + crypto_pwhash_SALTBYTES, key.data());
  out.resize(header + written);
  return out;
}

Result<BackupContents> open_backup(ByteSpan file, std::string_view password) {
  CAIRN_TRY_STATUS(check_password(password));
  if (file.size() > kMaxBackupFileBytes)
    return Error{ErrorCode::limit, "the file is too large to be a wallet backup"};
  if (file.size() < kBackupHeaderBytes + crypto_aead_xchacha20poly1305_ietf_ABYTES + 8 ||
      !std::equal(std::begin(kBackupMagic), std::end(kBackupMagic), file.begin()))
    return Error{ErrorCode::decode, "not a cairn wallet backup (no CAIRNBAK header)"};
  if (file[8] != kBackupVersion) {
    return Error{ErrorCode::decode, "unsupported wallet backup version " + std::to_string(file[8]) +
                                        "; this cairn reads version " + std::to_string(kBackupVersion)};
  }
  const KdfParams params{get_u32(file, 9), get_u32(file, 13)};
  CAIRN_TRY_STATUS(check_kdf_params(params));
  ensure_sodium_initialised();
  const size_t salt_at = 17;
  CAIRN_TRY(const auto key, backup_key(password, file.subspan(salt_at, crypto_pwhash_SALTBYTES), params));
  const ByteSpan cipher = file.subspan(kBackupHeaderBytes);
  SecretBytes plain(cipher.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long plain_size = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &plain_size, nullptr, cipher.data(), cipher.size(), file.data(), kBackupHeaderBytes,
          file.data() + salt_at + crypto_pwhash_SALTBYTES, key.data()) != 0) {
    return Error{ErrorCode::crypto, "wrong password or damaged file"};
  }
  const ByteSpan p = plain.span();
  const Error malformed{ErrorCode::decode, "the backup's contents are malformed"};
  const uint64_t keystore_size = get_u32(p, 0);
  if (keystore_size > kMaxKeystoreFileBytes || 4 + keystore_size + 4 > p.size()) return malformed;
  const uint64_t json_size = get_u32(p, 4 + keystore_size);
  if (4 + keystore_size + 4 + json_size != p.size()) return malformed;
  BackupContents out;
  out.keystore.assign(p.begin() + 4, p.begin() + 4 + static_cast<ptrdiff_t>(keystore_size));
  const auto json_at = p.subspan(8 + keystore_size);
  out.wallet_json.assign(json_at.begin(), json_at.end());
  return out;
}

}  // namespace cairn::wallet
