// On-chain voting: the deployer fixes the options (2 to 16 names) and the end height; every
// account may vote once, for one option, while the block height is below the end; anyone
// can read the tally at any time (it is final from the end height on).
//
// How it stays safe: one vote per account (the caller as the chain identifies it, so a vote
// cannot be cast for someone else), recorded before the tally moves; the option is checked
// against the list; votes stop at the end height, which cannot change; the tallies are
// overflow-checked. Storage deposits come out of the contract's balance: send enough with
// the deploy (or with `fund`) for the expected number of voters (kVoteDeposit each).
#include <cairn/contract.h>

using cairn::Account;
using cairn::List;
using cairn::String;

namespace {

constexpr uint32_t kMinOptions = 2;
constexpr uint32_t kMaxOptions = 16;
constexpr uint32_t kMaxOptionBytes = 64;
// One voter's entry: key "voted:" ‖ account, value u32, overhead.
constexpr uint64_t kVoteDeposit = (6 + 33 + 4 + 64) * 100;

inline constexpr cairn::Value<List<String>> option_names{"options"};
inline constexpr cairn::Value<uint64_t> end{"end"};
inline constexpr cairn::Map<uint32_t, uint64_t> tally{"tally"};
inline constexpr cairn::Map<Account, uint32_t> voted{"voted"};  // the option chosen

}  // namespace

CAIRN_EVENT(Voted, (indexed, Account, voter), (indexed, uint32_t, option))

CAIRN_INIT((List<String>, options), (uint64_t, end_height)) {
  cairn::require(options.size >= kMinOptions && options.size <= kMaxOptions, "2 to 16 options");
  for (const String& o : options)
    cairn::require(o.size >= 1 && o.size <= kMaxOptionBytes, "option: 1 to 64 bytes");
  cairn::require(end_height > cairn::block_height(), "the end must be in the future");
  option_names.set(options);
  end.set(end_height);
}

CAIRN_METHOD(vote, void, (uint32_t, option)) {
  cairn::require(cairn::block_height() < end.get(), "voting has ended");
  cairn::require(option < option_names.get().size, "no such option");
  Account voter = cairn::caller();
  cairn::require(!voted.has(voter), "already voted");
  voted.set(voter, option);
  tally.set(option, cairn::add(tally.get(option), 1));
  emit_Voted(voter, option);
}

CAIRN_PAYABLE(fund, void) {}

// The votes of each option, in the order of options().
CAIRN_VIEW(results, List<uint64_t>) {
  uint32_t n = option_names.get().size;
  List<uint64_t> out{static_cast<uint64_t*>(cairn::alloc(sizeof(uint64_t) * n)), n};
  for (uint32_t i = 0; i < n; ++i) out.items[i] = tally.get(i);
  return out;
}
CAIRN_VIEW(options, List<String>) { return option_names.get(); }
CAIRN_VIEW(end_height, uint64_t) { return end.get(); }
CAIRN_VIEW(has_voted, bool, (Account, voter)) { return voted.has(voter); }
CAIRN_VIEW(vote_deposit, uint64_t) { return kVoteDeposit; }
