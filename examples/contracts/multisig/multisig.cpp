// An M-of-N multisig wallet of native coins: N owners and a threshold M are fixed at init;
// an owner proposes a payment (to, amount), owners approve it (the proposer's approval is
// counted), any owner executes it once M approvals are in, and an owner may revoke their
// approval before execution. Anyone may send coins to it (deposit, or value with the deploy).
//
// How it stays safe: only owners act; each owner approves a proposal at most once (one
// storage entry per owner and proposal); a proposal executes at most once, marked executed
// before the coins move (and a failed payment reverts the whole call); the approval count
// is checked against the threshold at execution, so revoking in time prevents it. The
// owner set never changes, so a count made earlier stays meaningful. Storage deposits come
// out of the wallet's own balance (docs/contracts.md §3).
#include <cairn/contract.h>

using cairn::Account;
using cairn::List;

constexpr uint32_t kMaxOwners = 16;

struct Proposal {
  Account proposer;
  Account to;
  uint64_t amount = 0;
  uint32_t approvals = 0;
  bool executed = false;
};
CAIRN_STRUCT(Proposal, proposer, to, amount, approvals, executed)

namespace {

inline constexpr cairn::Value<List<Account>> owner_list{"owners"};
inline constexpr cairn::Map<Account, bool> is_owner{"owner"};
inline constexpr cairn::Value<uint32_t> required{"threshold"};
inline constexpr cairn::Value<uint64_t> last_id{"last_id"};
inline constexpr cairn::Map<uint64_t, Proposal> proposals{"proposals"};
inline constexpr cairn::Map2<uint64_t, Account, bool> approved_by{"approved"};

Account only_owners() {
  Account who = cairn::caller();
  cairn::require(is_owner.has(who), "caller is not an owner");
  return who;
}

Proposal pending(uint64_t id) {
  Proposal p = proposals.get(id);
  cairn::require(p.proposer.kind != 0, "no such proposal");
  cairn::require(!p.executed, "proposal already executed");
  return p;
}

}  // namespace

CAIRN_EVENT(Deposited, (indexed, Account, from), (data, uint64_t, amount))
CAIRN_EVENT(Proposed, (indexed, uint64_t, id), (indexed, Account, proposer), (data, Account, to),
            (data, uint64_t, amount))
CAIRN_EVENT(Approved, (indexed, uint64_t, id), (indexed, Account, owner))
CAIRN_EVENT(Revoked, (indexed, uint64_t, id), (indexed, Account, owner))
CAIRN_EVENT(Executed, (indexed, uint64_t, id), (data, Account, to), (data, uint64_t, amount))

namespace {

void approve_as(uint64_t id, Proposal& p, const Account& owner) {
  cairn::require(!approved_by.has(id, owner), "already approved");
  approved_by.set(id, owner, true);
  p.approvals = p.approvals + 1;  // at most kMaxOwners: no overflow
  proposals.set(id, p);
  emit_Approved(id, owner);
}

}  // namespace

CAIRN_INIT((List<Account>, owners), (uint32_t, threshold)) {
  cairn::require(owners.size >= 1 && owners.size <= kMaxOwners, "1 to 16 owners");
  cairn::require(threshold >= 1 && threshold <= owners.size, "threshold must be 1..owners");
  for (const Account& owner : owners) {
    cairn::require(!is_owner.has(owner), "duplicate owner");
    is_owner.set(owner, true);
  }
  owner_list.set(owners);
  required.set(threshold);
  last_id.set(0);
  if (cairn::value() != 0) emit_Deposited(cairn::caller(), cairn::value());
}

CAIRN_PAYABLE(deposit, void) {
  cairn::require(cairn::value() > 0, "nothing deposited");
  emit_Deposited(cairn::caller(), cairn::value());
}

// Proposes paying `amount` to `to`, approved by the proposer; returns the proposal's id.
CAIRN_METHOD(propose, uint64_t, (Account, to), (uint64_t, amount)) {
  Account who = only_owners();
  cairn::require(amount > 0, "amount must be above zero");
  uint64_t id = cairn::add(last_id.get(), 1);
  last_id.set(id);
  Proposal p;
  p.proposer = who;
  p.to = to;
  p.amount = amount;
  emit_Proposed(id, who, to, amount);
  approve_as(id, p, who);
  return id;
}

CAIRN_METHOD(approve, void, (uint64_t, id)) {
  Account who = only_owners();
  Proposal p = pending(id);
  approve_as(id, p, who);
}

CAIRN_METHOD(revoke, void, (uint64_t, id)) {
  Account who = only_owners();
  Proposal p = pending(id);
  cairn::require(approved_by.erase(id, who), "not approved");
  p.approvals = p.approvals - 1;  // the entry existed, so the count is at least 1
  proposals.set(id, p);
  emit_Revoked(id, who);
}

// Pays the proposal once it has the threshold's approvals.
CAIRN_METHOD(execute, void, (uint64_t, id)) {
  only_owners();
  Proposal p = pending(id);
  cairn::require(p.approvals >= required.get(), "not enough approvals");
  p.executed = true;
  proposals.set(id, p);
  cairn::pay(p.to, p.amount);
  emit_Executed(id, p.to, p.amount);
}

CAIRN_VIEW(owners, List<Account>) { return owner_list.get(); }
CAIRN_VIEW(threshold, uint32_t) { return required.get(); }
CAIRN_VIEW(proposal, Proposal, (uint64_t, id)) {
  Proposal p = proposals.get(id);
  cairn::require(p.proposer.kind != 0, "no such proposal");
  return p;
}
CAIRN_VIEW(has_approved, bool, (uint64_t, id), (Account, owner)) { return approved_by.has(id, owner); }
CAIRN_VIEW(proposal_count, uint64_t) { return last_id.get(); }
