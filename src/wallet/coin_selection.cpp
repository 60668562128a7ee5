#include "wallet/coin_selection.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "util/codec.h"

namespace cairn::wallet {
namespace {

Error invalid(std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; }

int64_t signed_amount(Amount a) { return static_cast<int64_t>(a); }

// The selection's view of one candidate.
struct Prepared {
  size_t index = 0;  // into the candidates
  int64_t effective_value = 0;
  int64_t waste = 0;
};

// What a set of coins funds: the transaction with change if the change clears the dust
// threshold, else without change (the remainder is fee) unless change is required.
struct Outcome {
  bool enough = false;
  bool too_large = false;
  size_t size = 0;
  Amount fee = 0;
  Amount change = 0;
};

class Selector {
 public:
  Selector(std::span<const CoinCandidate> candidates, const SelectionParams& params)
      : candidates_(candidates), params_(params) {}

  Outcome evaluate(std::span<const size_t> chosen) const {
    Outcome out;
    Amount value = 0;
    std::vector<size_t> sizes;
    for (size_t i : chosen) {
      value += candidates_[i].value;  // every value is in the money range; the sum fits in u64
      sizes.push_back(candidates_[i].input_size);
    }
    if (value < params_.target) return out;
    const Amount available = value - params_.target;
    const size_t plain_size = transaction_size(params_.base_size, sizes, 0);
    const size_t change_size = plain_size + params_.change_size;
    const Amount change_fee = params_.fee_rate.fee_for(change_size);
    if (available >= change_fee && available - change_fee >= std::max<Amount>(params_.min_change, 1)) {
      out = Outcome{true, false, change_size, change_fee, available - change_fee};
    } else if (!params_.require_change && available >= params_.fee_rate.fee_for(plain_size)) {
      out = Outcome{true, false, plain_size, available, 0};
    }
    if (out.enough && out.size > params_.max_size) {
      out.enough = false;
      out.too_large = true;
    }
    return out;
  }

  Selection finish(std::vector<size_t> chosen, const Outcome& outcome, SelectionAlgorithm algorithm) const {
    std::sort(chosen.begin(), chosen.end());
    Selection s;
    for (size_t i : chosen) s.value += candidates_[i].value;
    s.chosen = std::move(chosen);
    s.fee = outcome.fee;
    s.change = outcome.change;
    s.size = outcome.size;
    s.algorithm = algorithm;
    return s;
  }

 private:
  std::span<const CoinCandidate> candidates_;
  const SelectionParams& params_;
};

Error insufficient_funds(std::span<const CoinCandidate> candidates, const SelectionParams& params,
                         const Selector& selector) {
  Amount spendable = 0;
  Amount immature = 0;
  std::vector<size_t> mature;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i].mature) {
      spendable += candidates[i].value;
      mature.push_back(i);
    } else {
      immature += candidates[i].value;
    }
  }
  // The fee of spending every spendable coin (with change when it is required): about what
  // the transaction would cost if the funds were enough.
  std::vector<size_t> sizes;
  for (size_t i : mature) sizes.push_back(candidates[i].input_size);
  const size_t size =
      transaction_size(params.base_size, sizes, params.require_change ? params.change_size : 0);
  const Amount fee = params.fee_rate.fee_for(size);
  const Amount extra = params.require_change ? std::max<Amount>(params.min_change, 1) : 0;
  if (const Outcome all = selector.evaluate(mature); all.too_large) {
    return Error{ErrorCode::limit, "funding this needs a transaction of " + std::to_string(all.size) +
                                       " bytes, above the limit of " + std::to_string(params.max_size) +
                                       " bytes: send less, or consolidate coins first"};
  }
  std::string message = "insufficient funds: need " + format_amount(params.target + fee + extra) + " (" +
                        format_amount(params.target) + " plus a fee of " + format_amount(fee);
  if (extra > 0) message += " plus change of at least " + format_amount(extra);
  message += "), spendable " + format_amount(spendable);
  if (immature > 0) message += "; another " + format_amount(immature) + " is immature (not yet spendable)";
  return invalid(std::move(message));
}

}  // namespace

std::string_view to_string(SelectionAlgorithm a) {
  switch (a) {
    case SelectionAlgorithm::preselected:
      return "preselected";
    case SelectionAlgorithm::branch_and_bound:
      return "branch_and_bound";
    case SelectionAlgorithm::single_coin:
      return "single_coin";
    case SelectionAlgorithm::largest_first:
      return "largest_first";
  }
  return "unknown";
}

size_t transaction_size(size_t base_size, std::span<const size_t> input_sizes, size_t change_size) {
  // The base size counts a one-byte input count (zero inputs); the real count replaces it.
  const size_t inputs = std::accumulate(input_sizes.begin(), input_sizes.end(), size_t{0});
  return base_size - 1 + varint_size(input_sizes.size()) + inputs + change_size;
}

std::optional<std::vector<size_t>> branch_and_bound(std::span<const BnbCoin> coins, int64_t target,
                                                    int64_t cost_of_change, size_t max_tries) {
  // Largest effective value first; equal values keep their given order (determinism).
  std::vector<size_t> order(coins.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return coins[a].effective_value > coins[b].effective_value; });
  auto coin = [&](size_t pos) -> const BnbCoin& { return coins[order[pos]]; };

  int64_t available = 0;
  for (const auto& c : coins) available += c.effective_value;
  if (coins.empty() || available < target) return std::nullopt;

  int64_t value = 0;
  int64_t waste = 0;
  std::vector<size_t> selection;  // positions in `order` of the included coins
  std::vector<size_t> best;
  int64_t best_waste = signed_amount(kMaxMoney);
  // When fees are above the long-term rate, every input adds waste: an including branch
  // whose waste already exceeds the best cannot win.
  const bool fee_rate_high = coin(0).waste > 0;

  size_t pos = 0;
  for (size_t tries = 0; tries < max_tries; ++tries, ++pos) {
    bool backtrack = false;
    if (value + available < target || value > target + cost_of_change ||
        (waste > best_waste && fee_rate_high)) {
      backtrack = true;
    } else if (value >= target) {
      // In range: the excess is waste too (it goes to the fee). Adding more coins would only
      // burn more, so this branch ends here.
      if (waste + (value - target) <= best_waste) {
        best = selection;
        best_waste = waste + (value - target);
      }
      backtrack = true;
    }

    if (backtrack) {
      if (selection.empty()) break;  // every branch has been explored
      // Give back the coins skipped after the last included one, then exclude that one.
      for (--pos; pos > selection.back(); --pos) available += coin(pos).effective_value;
      value -= coin(pos).effective_value;
      waste -= coin(pos).waste;
      selection.pop_back();
    } else {
      const BnbCoin& c = coin(pos);
      available -= c.effective_value;
      // Skip the inclusion branch of a coin equal to the previous one when that one was
      // excluded: it would find the same sets again.
      if (selection.empty() || selection.back() == pos - 1 ||
          c.effective_value != coin(pos - 1).effective_value || c.waste != coin(pos - 1).waste) {
        selection.push_back(pos);
        value += c.effective_value;
        waste += c.waste;
      }
    }
  }
  if (best.empty()) return std::nullopt;
  std::vector<size_t> out;
  for (size_t p : best) out.push_back(order[p]);
  std::sort(out.begin(), out.end());
  return out;
}

Result<Selection> select_coins(std::span<const CoinCandidate> candidates, const SelectionParams& params,
                               std::span<const size_t> required) {
  for (const auto& c : candidates) {
    if (!money_range(c.value)) return invalid("coin " + c.outpoint.txid.hex() + " has a value out of range");
  }
  if (!money_range(params.target)) return invalid("the amount to fund is out of the money range");
  std::vector<bool> is_required(candidates.size(), false);
  for (size_t i : required) {
    if (i >= candidates.size()) return invalid("required coin " + std::to_string(i) + " is not a candidate");
    if (is_required[i]) return invalid("required coin " + std::to_string(i) + " is listed twice");
    if (!candidates[i].mature)
      return invalid("required coin " + candidates[i].outpoint.txid.hex() + " is immature");
    is_required[i] = true;
  }
  const Selector selector(candidates, params);
  const FeeRate long_term =
      params.long_term_fee_rate.per_kb == 0 ? params.fee_rate : params.long_term_fee_rate;

  // Coins worth spending at this rate, largest effective value first, ties by outpoint.
  std::vector<Prepared> pool;
  int64_t required_effective = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const CoinCandidate& c = candidates[i];
    const int64_t fee = signed_amount(params.fee_rate.fee_for(c.input_size));
    const int64_t effective = signed_amount(c.value) - fee;
    if (is_required[i]) {
      required_effective += effective;
    } else if (c.mature && effective > 0) {
      pool.push_back({i, effective, fee - signed_amount(long_term.fee_for(c.input_size))});
    }
  }
  std::sort(pool.begin(), pool.end(), [&](const Prepared& a, const Prepared& b) {
    if (a.effective_value != b.effective_value) return a.effective_value > b.effective_value;
    return candidates[a.index].outpoint < candidates[b.index].outpoint;
  });
  const std::vector<size_t> base(required.begin(), required.end());
  auto with = [&](std::span<const size_t> more) {
    std::vector<size_t> chosen = base;
    chosen.insert(chosen.end(), more.begin(), more.end());
    return chosen;
  };

  // The required coins alone.
  if (!base.empty()) {
    if (const Outcome o = selector.evaluate(base); o.enough) {
      return selector.finish(base, o, SelectionAlgorithm::preselected);
    }
  }

  // Branch and bound, for a transaction without change. The fee of everything but the
  // inputs is counted with the largest input-count varint the pool can need; rounding each
  // part up separately only overestimates the fee, so any set it finds pays the rate.
  if (!params.require_change) {
    const size_t most_inputs = base.size() + pool.size();
    const size_t fixed_size = params.base_size - 1 + varint_size(most_inputs);
    const int64_t target = signed_amount(params.target) + signed_amount(params.fee_rate.fee_for(fixed_size)) -
                           required_effective;
    const int64_t cost_of_change = signed_amount(params.fee_rate.fee_for(params.change_size)) +
                                   signed_amount(long_term.fee_for(params.change_spend_size));
    std::vector<BnbCoin> coins;
    for (const auto& p : pool) coins.push_back({p.effective_value, p.waste});
    if (target > 0) {
      if (auto found = branch_and_bound(coins, target, cost_of_change, params.bnb_max_tries)) {
        std::vector<size_t> more;
        for (size_t p : *found) more.push_back(pool[p].index);
        std::vector<size_t> chosen = with(more);
        // Normally changeless by construction; if the excess is large enough for change
        // (a tiny min_change), evaluate() makes it, which is as good.
        if (const Outcome o = selector.evaluate(chosen); o.enough) {
          return selector.finish(std::move(chosen), o, SelectionAlgorithm::branch_and_bound);
        }
      }
    }
  }

  // The smallest single coin that does it (usually with change).
  for (auto it = pool.rbegin(); it != pool.rend(); ++it) {
    const size_t one[] = {it->index};
    std::vector<size_t> chosen = with(one);
    if (const Outcome o = selector.evaluate(chosen); o.enough) {
      return selector.finish(std::move(chosen), o, SelectionAlgorithm::single_coin);
    }
  }

  // The largest coins first, until they do it.
  std::vector<size_t> chosen = base;
  for (const auto& p : pool) {
    chosen.push_back(p.index);
    const Outcome o = selector.evaluate(chosen);
    if (o.enough) return selector.finish(std::move(chosen), o, SelectionAlgorithm::largest_first);
    if (o.too_large) break;
  }
  return insufficient_funds(candidates, params, selector);
}

}  // namespace cairn::wallet
