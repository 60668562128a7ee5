// Verifies the inputs of many transactions (a block's) across a thread pool.
//
// The work unit is one transaction: its sighash digests are computed once and then each
// of its inputs is checked with verify_input. The verdict is deterministic whatever the
// scheduling: the failure with the lowest (transaction, input) position, as a sequential
// loop would report it. Workers skip transactions after a known failure, so a bad block
// stops early, but every transaction before the first failure is always checked.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "consensus/lock_eval.h"
#include "util/thread_pool.h"

namespace cairn {

// One transaction to verify, with what each of its inputs spends.
struct TxVerifyJob {
  const Transaction* tx = nullptr;
  std::vector<TxOut> spent;            // spent[i]: the output input i spends
  std::vector<SpendContext> contexts;  // contexts[i]: where input i's spend happens
};

struct InputFailure {
  size_t tx_index = 0;  // position in the jobs passed in
  uint32_t input_index = 0;
  LockError error = LockError::ok;
  bool operator==(const InputFailure&) const = default;
};

// Transactions handed to one worker at a time: large enough that workers rarely touch the
// shared counter, small enough that the last batches balance across workers.
inline constexpr size_t kVerifyBatch = 8;

// nullopt when every input of every job verifies. REQUIRES: for each job, spent and
// contexts have one entry per input. `checker` must be thread-safe (DirectSignatureChecker
// and CachingSignatureChecker are). Must not be called from a worker of `pool`.
std::optional<InputFailure> verify_parallel(std::span<const TxVerifyJob> jobs, const Hash256& genesis,
                                            SignatureChecker& checker, ThreadPool& pool);

// The same verdict computed on the calling thread.
std::optional<InputFailure> verify_sequential(std::span<const TxVerifyJob> jobs, const Hash256& genesis,
                                              SignatureChecker& checker);

}  // namespace cairn
