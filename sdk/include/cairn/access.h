// Access control helpers (docs/contracts.md §9): an owner, named roles and a pause switch,
// kept in storage under the SDK's reserved names (they start with ".", which user names
// cannot):
//
//   ".owner"                               Account  the owner
//   ".role:" ‖ enc(role string) ‖ enc(acct) bool     present (true) while acct has role
//   ".paused"                              bool     present (true) while paused
//
// They are building blocks, not methods: a contract exposes them through its own methods
// (e.g. CAIRN_METHOD(transfer_ownership, void, (cairn::Account, to)) { ... }).
#pragma once

#include "cairn/core.h"
#include "cairn/env.h"
#include "cairn/storage.h"

namespace cairn {

namespace detail {
inline constexpr char kOwnerName[] = ".owner";
inline constexpr char kRoleName[] = ".role";
inline constexpr char kPausedName[] = ".paused";
inline constexpr Value<Account> owner_entry{ReservedName{}, StorageName{kOwnerName, sizeof kOwnerName - 1}};
inline constexpr Map2<String, Account, bool> role_entries{ReservedName{},
                                                          StorageName{kRoleName, sizeof kRoleName - 1}};
inline constexpr Value<bool> paused_entry{ReservedName{}, StorageName{kPausedName, sizeof kPausedName - 1}};
}  // namespace detail

// ---- Owner -------------------------------------------------------------------------------

// The owner; the empty Account when none was set.
inline Account owner() { return detail::owner_entry.get(); }
// Sets the owner (call it from the constructor).
inline void set_owner(const Account& account) {
  require(!account.empty(), "owner: empty account");
  detail::owner_entry.set(account);
}
// Aborts unless the caller is the owner.
inline void only_owner() { require(!owner().empty() && caller() == owner(), "caller is not the owner"); }
// The owner hands over to `to`.
inline void transfer_ownership(const Account& to) {
  only_owner();
  set_owner(to);
}

// ---- Roles -------------------------------------------------------------------------------

inline bool has_role(String role, const Account& account) { return detail::role_entries.has(role, account); }
// Grants or revokes without any check: guard it (only_owner, only_role).
inline void grant_role(String role, const Account& account) { detail::role_entries.set(role, account, true); }
inline void revoke_role(String role, const Account& account) { detail::role_entries.erase(role, account); }
// Aborts unless the caller has `role`.
inline void only_role(String role) { require(has_role(role, caller()), "caller lacks the role"); }

// ---- Pause -------------------------------------------------------------------------------

inline bool paused() { return detail::paused_entry.has(); }
inline void set_paused(bool on) {
  if (on) {
    detail::paused_entry.set(true);
  } else {
    detail::paused_entry.erase();
  }
}
// Aborts while paused: put it first in every method a pause must stop.
inline void when_not_paused() { require(!paused(), "paused"); }

}  // namespace cairn
