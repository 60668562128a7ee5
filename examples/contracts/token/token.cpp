// A fungible token: an initial supply minted to the deployer, transfers, and allowances that
// let a spender move coins for their owner (approve / transfer_from). The deployer is the
// owner (the SDK's access helpers): it may pause and unpause transfers, hand ownership over,
// and grant or revoke the "minter" role, whose holders may mint more.
//
// How it stays safe: every balance and supply change is overflow-checked (cairn::add /
// cairn::sub abort the whole call, so nothing half-done is ever kept); transfers only move
// the supply, which grows only by a minter's mint; an allowance is spent before the coins
// move; while paused nothing moves or mints; entries that fall to zero are erased so their
// storage deposit is freed. The contract's own coins only pay its storage deposit: the
// deployer sends some with the deploy, anyone may add more with `fund`.
#include <cairn/contract.h>

using cairn::Account;
using cairn::String;

namespace {

constexpr uint32_t kMaxNameBytes = 32;
constexpr uint32_t kMaxSymbolBytes = 12;
constexpr uint8_t kMaxDecimals = 18;
constexpr String kMinter("minter");

inline constexpr cairn::Value<String> token_name{"name"};
inline constexpr cairn::Value<String> token_symbol{"symbol"};
inline constexpr cairn::Value<uint8_t> token_decimals{"decimals"};
inline constexpr cairn::Value<uint64_t> supply{"supply"};
inline constexpr cairn::Map<Account, uint64_t> balances{"balances"};
inline constexpr cairn::Map2<Account, Account, uint64_t> allowances{"allowances"};  // (owner, spender)

// Stores `amount`, erasing the entry at zero (its deposit returns to the contract).
void set_balance(const Account& who, uint64_t amount) {
  if (amount == 0) {
    balances.erase(who);
  } else {
    balances.set(who, amount);
  }
}

void set_allowance(const Account& owner, const Account& spender, uint64_t amount) {
  if (amount == 0) {
    allowances.erase(owner, spender);
  } else {
    allowances.set(owner, spender, amount);
  }
}

}  // namespace

CAIRN_EVENT(Transfer, (indexed, Account, from), (indexed, Account, to), (data, uint64_t, amount))
CAIRN_EVENT(Approval, (indexed, Account, owner), (indexed, Account, spender), (data, uint64_t, amount))
CAIRN_EVENT(Minted, (indexed, Account, to), (data, uint64_t, amount))

namespace {

void move(const Account& from, const Account& to, uint64_t amount) {
  uint64_t from_balance = balances.get(from);
  cairn::require(from_balance >= amount, "insufficient balance");
  set_balance(from, from_balance - amount);
  // Read after the write: a transfer to oneself is then a no-op, as it should be.
  set_balance(to, cairn::add(balances.get(to), amount));
  emit_Transfer(from, to, amount);
}

}  // namespace

CAIRN_INIT((String, name), (String, symbol), (uint8_t, decimals), (uint64_t, initial_supply)) {
  cairn::require(name.size >= 1 && name.size <= kMaxNameBytes, "name: 1 to 32 bytes");
  cairn::require(symbol.size >= 1 && symbol.size <= kMaxSymbolBytes, "symbol: 1 to 12 bytes");
  cairn::require(decimals <= kMaxDecimals, "decimals: at most 18");
  token_name.set(name);
  token_symbol.set(symbol);
  token_decimals.set(decimals);
  supply.set(initial_supply);
  Account to = cairn::caller();
  cairn::set_owner(to);
  set_balance(to, initial_supply);
  emit_Minted(to, initial_supply);
}

CAIRN_METHOD(transfer, bool, (Account, to), (uint64_t, amount)) {
  cairn::when_not_paused();
  move(cairn::caller(), to, amount);
  return true;
}

CAIRN_METHOD(approve, bool, (Account, spender), (uint64_t, amount)) {
  cairn::when_not_paused();
  Account owner = cairn::caller();
  set_allowance(owner, spender, amount);
  emit_Approval(owner, spender, amount);
  return true;
}

CAIRN_METHOD(transfer_from, bool, (Account, from), (Account, to), (uint64_t, amount)) {
  cairn::when_not_paused();
  Account spender = cairn::caller();
  uint64_t allowed = allowances.get(from, spender);
  cairn::require(allowed >= amount, "insufficient allowance");
  set_allowance(from, spender, allowed - amount);
  move(from, to, amount);
  return true;
}

// A minter creates `amount` new tokens for `to`.
CAIRN_METHOD(mint, void, (Account, to), (uint64_t, amount)) {
  cairn::when_not_paused();
  cairn::only_role(kMinter);
  supply.set(cairn::add(supply.get(), amount));
  set_balance(to, cairn::add(balances.get(to), amount));
  emit_Minted(to, amount);
}

// The owner's powers.
CAIRN_METHOD(grant_minter, void, (Account, who)) {
  cairn::only_owner();
  cairn::grant_role(kMinter, who);
}
CAIRN_METHOD(revoke_minter, void, (Account, who)) {
  cairn::only_owner();
  cairn::revoke_role(kMinter, who);
}
CAIRN_METHOD(pause, void) {
  cairn::only_owner();
  cairn::set_paused(true);
}
CAIRN_METHOD(unpause, void) {
  cairn::only_owner();
  cairn::set_paused(false);
}
CAIRN_METHOD(transfer_ownership, void, (Account, to)) { cairn::transfer_ownership(to); }

// Coins for the storage deposit (docs/contracts.md §3); they cannot be taken out again.
CAIRN_PAYABLE(fund, void) {}

CAIRN_VIEW(balance_of, uint64_t, (Account, who)) { return balances.get(who); }
CAIRN_VIEW(allowance, uint64_t, (Account, owner), (Account, spender)) {
  return allowances.get(owner, spender);
}
CAIRN_VIEW(total_supply, uint64_t) { return supply.get(); }
CAIRN_VIEW(name, String) { return token_name.get(); }
CAIRN_VIEW(symbol, String) { return token_symbol.get(); }
CAIRN_VIEW(decimals, uint8_t) { return token_decimals.get(); }
CAIRN_VIEW(owner, Account) { return cairn::owner(); }
CAIRN_VIEW(paused, bool) { return cairn::paused(); }
CAIRN_VIEW(is_minter, bool, (Account, who)) { return cairn::has_role(kMinter, who); }
