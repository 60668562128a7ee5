// Coin selection: which of the wallet's coins fund a transaction.
//
// First branch and bound, as Bitcoin Core's SelectCoinsBnB: a depth-first search, largest
// effective value first, for a set of coins whose effective values (value minus the fee of
// spending the coin at the target rate) cover the target without change, wasting at most
// the cost of change. The search is bounded by a number of tries. When it finds nothing,
// the fallback makes change: the smallest single coin that covers the target with change,
// else the largest coins first until the target is covered.
//
// Sizes are exact: a candidate says how many bytes its input (outpoint and witness) adds to
// the encoded transaction, so the fee of the result is the rate times the exact size.
// Deterministic: equal inputs give equal outputs (ties are broken by outpoint; no
// randomness). Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "chain/fee_rate.h"
#include "chain/mempool.h"
#include "primitives/amount.h"
#include "primitives/transaction.h"
#include "util/result.h"

namespace cairn::wallet {

// Bitcoin Core's TOTAL_TRIES: the search gives up after this many steps.
inline constexpr size_t kBnbMaxTries = 100'000;

// One coin the selection may spend.
struct CoinCandidate {
  OutPoint outpoint;  // identifies the coin; breaks ties between equal values
  Amount value = 0;
  size_t input_size = 0;  // bytes its input adds to the encoded transaction, witness included
  bool mature = true;     // immature coins are never selected (but counted in the error)
};

// What the transaction needs besides its inputs.
struct SelectionParams {
  // Value the inputs must cover besides the fee: the outputs, plus the stake a bond locks.
  Amount target = 0;
  FeeRate fee_rate;
  // The rate at which the wallet expects to spend coins later: when fee_rate is above it,
  // branch and bound prefers fewer inputs (Core's waste metric). Zero means "same as fee_rate".
  FeeRate long_term_fee_rate;
  // Encoded size of the transaction without inputs and without a change output (its input
  // count, a varint of 0, takes one byte; the real count's varint replaces it).
  size_t base_size = 0;
  // Bytes a change output adds (the TxOut, plus a byte if it makes the output count's
  // varint longer).
  size_t change_size = 0;
  // Bytes of the input that will one day spend the change (part of the cost of change).
  size_t change_spend_size = 0;
  // Change below this is not made: it goes to the fee (the dust threshold).
  Amount min_change = 0;
  // The transaction has no other output, so it must have change (staking transactions).
  bool require_change = false;
  // The selection fails rather than build a transaction larger than this.
  size_t max_size = kMaxStandardTxBytes;
  size_t bnb_max_tries = kBnbMaxTries;
};

enum class SelectionAlgorithm : uint8_t {
  preselected,       // the required coins alone were enough
  branch_and_bound,  // no change
  single_coin,       // the smallest coin that covers target, fee and change
  largest_first,
};
std::string_view to_string(SelectionAlgorithm a);

struct Selection {
  std::vector<size_t> chosen;  // indices into the candidates, ascending
  Amount value = 0;            // sum of the chosen coins' values
  Amount fee = 0;              // value - target - change
  Amount change = 0;           // 0: no change output
  size_t size = 0;             // exact encoded size of the signed transaction
  SelectionAlgorithm algorithm = SelectionAlgorithm::branch_and_bound;
};

// Selects coins for `params`. `required` are candidate indices that must be spent (e.g. an
// unbond's coin of the owner; an immature one is an Error); the others are chosen from.
// Errors: insufficient funds (the message says what is needed, what is spendable, and how
// much more is immature), or a transaction over max_size.
Result<Selection> select_coins(std::span<const CoinCandidate> candidates, const SelectionParams& params,
                               std::span<const size_t> required = {});

// The encoded size of a transaction with base size `base_size` (see SelectionParams), the
// given inputs, and a change output of `change_size` bytes if `change_size` > 0.
size_t transaction_size(size_t base_size, std::span<const size_t> input_sizes, size_t change_size);

// One coin as branch and bound sees it.
struct BnbCoin {
  int64_t effective_value = 0;  // value - fee to spend it now; must be > 0
  int64_t waste = 0;            // fee to spend it now - fee to spend it at the long-term rate
};

// Bitcoin Core's SelectCoinsBnB: the subset of `coins` whose effective values sum to within
// [target, target + cost_of_change] with the least waste (excess plus the coins' waste),
// found within `max_tries` steps; nullopt if none was found. Indices into `coins`, ascending.
std::optional<std::vector<size_t>> branch_and_bound(std::span<const BnbCoin> coins, int64_t target,
                                                    int64_t cost_of_change, size_t max_tries = kBnbMaxTries);

}  // namespace cairn::wallet
