#include "chain/parallel_verify.h"

#include <algorithm>
#include <atomic>
#include <cassert>

namespace cairn {
namespace {

std::optional<InputFailure> verify_job(const TxVerifyJob& job, size_t tx_index, const Hash256& genesis,
                                       SignatureChecker& checker) {
  const Transaction& tx = *job.tx;
  assert(job.spent.size() == tx.inputs.size() && job.contexts.size() == tx.inputs.size());
  // The sizes match (asserted), which is the only way computing the digests can fail.
  const SighashDigests digests = compute_sighash_digests(tx, job.spent).value();
  for (uint32_t i = 0; i < tx.inputs.size(); ++i) {
    const LockError e = verify_input(tx, i, job.spent[i], digests, genesis, job.contexts[i], checker);
    if (e != LockError::ok) return InputFailure{tx_index, i, e};
  }
  return std::nullopt;
}

}  // namespace

std::optional<InputFailure> verify_sequential(std::span<const TxVerifyJob> jobs, const Hash256& genesis,
                                              SignatureChecker& checker) {
  for (size_t t = 0; t < jobs.size(); ++t) {
    if (auto failure = verify_job(jobs[t], t, genesis, checker)) return failure;
  }
  return std::nullopt;
}

std::optional<InputFailure> verify_parallel(std::span<const TxVerifyJob> jobs, const Hash256& genesis,
                                            SignatureChecker& checker, ThreadPool& pool) {
  std::atomic<size_t> next{0};
  // The lowest failing transaction index found so far; jobs.size() while there is none.
  std::atomic<size_t> first_failure{jobs.size()};
  std::vector<std::optional<InputFailure>> failures(jobs.size());

  auto worker = [&] {
    for (;;) {
      const size_t begin = next.fetch_add(kVerifyBatch);
      if (begin >= jobs.size()) return;
      const size_t end = std::min(begin + kVerifyBatch, jobs.size());
      for (size_t t = begin; t < end; ++t) {
        // Anything after a known failure cannot change the verdict.
        if (t > first_failure.load(std::memory_order_relaxed)) return;
        failures[t] = verify_job(jobs[t], t, genesis, checker);
        if (!failures[t]) continue;
        size_t seen = first_failure.load();
        while (t < seen && !first_failure.compare_exchange_weak(seen, t)) {
        }
      }
    }
  };
  {
    TaskGroup group(pool);
    const size_t workers = std::min(pool.threads(), (jobs.size() + kVerifyBatch - 1) / kVerifyBatch);
    for (size_t w = 0; w < workers; ++w) group.run(worker);
    group.wait();
  }
  const size_t first = first_failure.load();
  if (first == jobs.size()) return std::nullopt;
  return failures[first];
}

}  // namespace cairn
