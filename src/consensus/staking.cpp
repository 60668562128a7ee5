#include "consensus/staking.h"

#include <algorithm>
#include <string>

#include "consensus/slashing.h"
#include "primitives/amount.h"

namespace cairn {
namespace {

// A prefix is enough to name a validator in messages.
std::string hex_key(const PublicKey& key) { return to_hex(ByteSpan(key.bytes.data(), 8)); }

BlockRejection stake_error(const std::string& what) { return {BlockError::bad_stake, what}; }

void encode_checkpoint(Writer& w, const FinalityCheckpoint& c) {
  w.u64(c.epoch);
  w.raw(c.hash);
}

FinalityCheckpoint decode_checkpoint(Reader& r) {
  FinalityCheckpoint c;
  c.epoch = r.u64("epoch");
  c.hash = r.fixed<32>("hash");
  return c;
}

// Sets must be strictly increasing in the encoding (one encoding per state).
template <class T>
void require_increasing(Reader& r, const std::optional<T>& previous, const T& next, const char* field) {
  if (r.ok() && previous && !(*previous < next)) r.fail(ErrorCode::decode, field, "not strictly increasing");
}

std::variant<StakeFlow, BlockRejection> check_conservation(const Transaction& tx, const SpentInputs& spent,
                                                           StakeFlow flow) {
  Amount outputs = 0;
  for (const auto& out : tx.outputs) {
    auto sum = checked_add(outputs, out.value);
    if (!sum) return stake_error("outputs leave the money range");
    outputs = *sum;
  }
  const auto in = checked_add(spent.value, flow.released);
  const auto out = checked_add(outputs, flow.locked);
  if (!in || !out) return stake_error("value leaves the money range");
  if (*in < *out) return stake_error("outputs and stake exceed inputs");
  return flow;
}

std::variant<StakeFlow, BlockRejection> apply_bond(StakeEditor& editor, const Transaction& tx,
                                                   const StakeTxContext& ctx) {
  auto body = decode_bond_body(tx.payload.body);
  if (!body) return BlockRejection{BlockError::bad_payload, "bond body: " + body.error().message};
  if (body->amount < ctx.params.min_stake || !money_range(body->amount)) {
    return stake_error("bond of " + format_amount(body->amount) + " is below the minimum stake " +
                       format_amount(ctx.params.min_stake));
  }
  if (editor.find(body->voting_key) != nullptr) {
    return stake_error("voting key " + hex_key(body->voting_key) + " already has a record");
  }
  ValidatorRecord record;
  record.voting_key = body->voting_key;
  record.owner = body->owner;
  record.bond_id = txid(tx);
  record.stake = body->amount;
  record.start_dynasty = editor.state().finality.dynasty + 2;  // EIP-1011: two dynasties later
  editor.put(record);
  return StakeFlow{.released = 0, .locked = body->amount};
}

std::variant<StakeFlow, BlockRejection> apply_unbond(StakeEditor& editor, const Transaction& tx,
                                                     const SpentInputs& spent, const StakeTxContext& ctx) {
  auto body = decode_unbond_body(tx.payload.body);
  if (!body) return BlockRejection{BlockError::bad_payload, "unbond body: " + body.error().message};
  const ValidatorRecord* found = editor.find(body->voting_key);
  if (found == nullptr) return stake_error("unbond of unknown voting key " + hex_key(body->voting_key));
  if (found->slashed || found->end_dynasty != kUnset)
    return stake_error("validator already slashed or unbonding");
  if (body->signature) {
    const Hash256 message = unbond_signing_message(ctx.genesis, found->voting_key, found->bond_id);
    if (!verify(found->voting_key, message, *body->signature))
      return stake_error("unbond signature is invalid");
  } else if (std::find(spent.locks.begin(), spent.locks.end(), found->owner) == spent.locks.end()) {
    return stake_error("unbond carries no voting-key signature and spends no coin of the owner");
  }
  ValidatorRecord record = *found;
  record.end_dynasty = editor.state().finality.dynasty + ctx.params.logout_delay_dynasties;
  editor.put(record);
  return StakeFlow{};
}

std::variant<StakeFlow, BlockRejection> apply_withdraw(StakeEditor& editor, const Transaction& tx,
                                                       const StakeTxContext& ctx) {
  auto body = decode_withdraw_body(tx.payload.body);
  if (!body) return BlockRejection{BlockError::bad_payload, "withdraw body: " + body.error().message};
  const ValidatorRecord* found = editor.find(body->voting_key);
  if (found == nullptr) return stake_error("withdraw of unknown voting key " + hex_key(body->voting_key));
  if (found->slashed) return stake_error("a slashed validator has nothing to withdraw");
  if (found->end_epoch == kUnset || ctx.epoch < found->end_epoch ||
      ctx.epoch - found->end_epoch < ctx.params.withdrawal_delay_epochs) {
    return stake_error("withdrawal before the withdrawal delay has passed");
  }
  if (tx.outputs.empty() || tx.outputs[0].value != found->stake || tx.outputs[0].lock != found->owner) {
    return stake_error("outputs[0] must pay exactly the stake " + format_amount(found->stake) +
                       " to the owner");
  }
  const Amount stake = found->stake;
  editor.erase(body->voting_key);
  return StakeFlow{.released = stake, .locked = 0};
}

// Ejection: the offender's votes in the open tallies stop counting (a justification they
// already completed stays).
void uncount_votes(FinalityState& f, const ValidatorRecord& offender) {
  for (auto& [target, tally] : f.tallies) {
    auto it = tally.voters.find(offender.voting_key);
    if (it == tally.voters.end()) continue;
    LinkTally& link = tally.links.at(it->second.source_epoch);
    if (in_dynasty(offender, tally.dynasty)) link.current -= it->second.stake;
    if (tally.dynasty > 0 && in_dynasty(offender, tally.dynasty - 1)) link.previous -= it->second.stake;
  }
}

std::variant<StakeFlow, BlockRejection> apply_slash(StakeEditor& editor, const Transaction& tx,
                                                    const StakeTxContext& ctx) {
  auto body = decode_slash_body(tx.payload.body);
  if (!body) return BlockRejection{BlockError::bad_payload, "slash body: " + body.error().message};
  auto verdict = check_evidence(body->first, body->second, ctx.genesis);
  if (auto* rejection = std::get_if<BlockRejection>(&verdict)) return *rejection;
  const uint64_t latest_target = std::max(body->first.target_epoch, body->second.target_epoch);
  if (ctx.epoch > latest_target && ctx.epoch - latest_target > ctx.params.evidence_window_epochs) {
    return BlockRejection{BlockError::bad_evidence, "evidence is older than the evidence window"};
  }
  const ValidatorRecord* found = editor.find(body->first.validator);
  if (found == nullptr || found->slashed) {
    return BlockRejection{BlockError::bad_evidence, "the offender has no record or is already slashed"};
  }
  ValidatorRecord record = *found;
  uncount_votes(editor.finality(), record);
  const Amount reward = slash_reporter_reward(ctx.params, record.stake);
  record.stake = 0;
  record.slashed = true;
  editor.put(record);
  return StakeFlow{.released = reward, .locked = 0};
}

}  // namespace

StakeState StakeState::at_genesis(const BlockHash& genesis_hash) {
  StakeState state;
  state.finality.last_justified = {0, genesis_hash};
  state.finality.last_finalized = {0, genesis_hash};
  state.finality.justified_epochs = {0};
  state.finality.tallies[0] = EpochTally{};
  return state;
}

bool in_dynasty(const ValidatorRecord& v, uint64_t dynasty) {
  return !v.slashed && v.start_dynasty <= dynasty && dynasty < v.end_dynasty;
}

Amount dynasty_stake(const StakeState& state, uint64_t dynasty) {
  Amount total = 0;
  for (const auto& [key, v] : state.validators) {
    // Stake never exceeds kMaxMoney per record; a sum that would leave the money range
    // saturates (it cannot happen while total issuance stays within kMaxMoney).
    if (in_dynasty(v, dynasty)) total = checked_add(total, v.stake).value_or(kMaxMoney);
  }
  return total;
}

void encode(Writer& w, const FinalityState& f) {
  w.u8(kFinalityStateVersion);
  w.u64(f.dynasty);
  w.u64(f.dynasty_start_epoch);
  encode_checkpoint(w, f.last_justified);
  encode_checkpoint(w, f.last_finalized);
  w.varint(f.justified_epochs.size());
  for (uint64_t e : f.justified_epochs) w.u64(e);
  w.varint(f.tallies.size());
  for (const auto& [epoch, tally] : f.tallies) {
    w.u64(epoch);
    w.u64(tally.dynasty);
    w.varint(tally.links.size());
    for (const auto& [source, link] : tally.links) {
      w.u64(source);
      w.u64(link.current);
      w.u64(link.previous);
    }
    w.varint(tally.voters.size());
    for (const auto& [voter, counted] : tally.voters) {
      w.raw(voter);
      w.u64(counted.source_epoch);
      w.u64(counted.stake);
    }
  }
}

FinalityState decode_finality_state(Reader& r) {
  FinalityState f;
  const uint8_t version = r.u8("version");
  if (r.ok() && version != kFinalityStateVersion) {
    r.fail(ErrorCode::decode, "version", "unknown finality state version " + std::to_string(version));
    return f;
  }
  f.dynasty = r.u64("dynasty");
  f.dynasty_start_epoch = r.u64("dynasty_start_epoch");
  {
    auto scope = r.scope("last_justified");
    f.last_justified = decode_checkpoint(r);
  }
  {
    auto scope = r.scope("last_finalized");
    f.last_finalized = decode_checkpoint(r);
  }
  const size_t n_justified = r.count("justified_epochs", kMaxEncodedEpochs);
  std::optional<uint64_t> last;
  for (size_t i = 0; i < n_justified && r.ok(); ++i) {
    const uint64_t e = r.u64("justified_epochs");
    require_increasing(r, last, e, "justified_epochs");
    f.justified_epochs.insert(e);
    last = e;
  }
  const size_t n_tallies = r.count("tallies", kMaxEncodedEpochs);
  last.reset();
  for (size_t i = 0; i < n_tallies && r.ok(); ++i) {
    auto scope = r.scope("tallies", static_cast<int64_t>(i));
    const uint64_t epoch = r.u64("epoch");
    require_increasing(r, last, epoch, "epoch");
    last = epoch;
    EpochTally tally;
    tally.dynasty = r.u64("dynasty");
    const size_t n_links = r.count("links", kMaxEncodedEpochs);
    std::optional<uint64_t> last_source;
    for (size_t j = 0; j < n_links && r.ok(); ++j) {
      const uint64_t source = r.u64("source");
      require_increasing(r, last_source, source, "links");
      last_source = source;
      LinkTally link;
      link.current = r.u64("current");
      link.previous = r.u64("previous");
      tally.links[source] = link;
    }
    const size_t n_voters = r.count("voters", kMaxEncodedValidators);
    std::optional<PublicKey> last_voter;
    for (size_t j = 0; j < n_voters && r.ok(); ++j) {
      const PublicKey voter = r.fixed<32>("voter");
      require_increasing(r, last_voter, voter, "voters");
      last_voter = voter;
      CountedVote counted;
      counted.source_epoch = r.u64("source_epoch");
      counted.stake = r.u64("stake");
      tally.voters[voter] = counted;
    }
    f.tallies[epoch] = std::move(tally);
  }
  return f;
}

Bytes encode(const FinalityState& f) {
  Writer w;
  encode(w, f);
  return w.take();
}

Result<FinalityState> decode_finality_state(ByteSpan bytes) {
  Reader r(bytes);
  FinalityState f = decode_finality_state(r);
  return r.finish(std::move(f));
}

Bytes encode(const StakeUndo& undo) {
  Writer w;
  w.u8(kStakeUndoVersion);
  encode(w, undo.finality);
  w.varint(undo.validators.size());
  for (const auto& [key, prior] : undo.validators) {
    w.raw(key);
    w.u8(prior ? 1 : 0);
    if (prior) encode(w, *prior);
  }
  return w.take();
}

Result<StakeUndo> decode_stake_undo(ByteSpan bytes) {
  Reader r(bytes);
  StakeUndo undo;
  const uint8_t version = r.u8("version");
  if (r.ok() && version != kStakeUndoVersion) {
    r.fail(ErrorCode::decode, "version", "unknown stake undo version " + std::to_string(version));
  }
  {
    auto scope = r.scope("finality");
    undo.finality = decode_finality_state(r);
  }
  const size_t n = r.count("validators", kMaxEncodedValidators);
  std::set<PublicKey> seen;
  for (size_t i = 0; i < n && r.ok(); ++i) {
    auto scope = r.scope("validators", static_cast<int64_t>(i));
    const PublicKey key = r.fixed<32>("key");
    std::optional<ValidatorRecord> prior;
    if (r.flag("present")) prior = decode_validator_record(r);
    if (r.ok() && (!seen.insert(key).second || (prior && prior->voting_key != key))) {
      r.fail(ErrorCode::decode, "key", "repeated key or a record of another key");
    }
    undo.validators.emplace_back(key, std::move(prior));
  }
  return r.finish(std::move(undo));
}

Bytes finality_state_element(const FinalityState& f) {
  Writer w;
  w.u8(kFinalityStateElement);
  encode(w, f);
  return w.take();
}

void add_stake_elements(LtHash& h, const StakeState& state) {
  for (const auto& [key, v] : state.validators) h.add(validator_state_element(v));
  h.add(finality_state_element(state.finality));
}

void apply_stake_delta(LtHash& h, const StakeState& after, const StakeUndo& undo) {
  h.remove(finality_state_element(undo.finality));
  h.add(finality_state_element(after.finality));
  for (const auto& [key, prior] : undo.validators) {
    if (prior) h.remove(validator_state_element(*prior));
    if (auto it = after.validators.find(key); it != after.validators.end())
      h.add(validator_state_element(it->second));
  }
}

void revert_stake_delta(LtHash& h, const StakeState& after, const StakeUndo& undo) {
  h.add(finality_state_element(undo.finality));
  h.remove(finality_state_element(after.finality));
  for (const auto& [key, prior] : undo.validators) {
    if (prior) h.add(validator_state_element(*prior));
    if (auto it = after.validators.find(key); it != after.validators.end()) {
      h.remove(validator_state_element(it->second));
    }
  }
}

const ValidatorRecord* StakeEditor::find(const PublicKey& key) const {
  auto it = state_.validators.find(key);
  return it == state_.validators.end() ? nullptr : &it->second;
}

void StakeEditor::remember(const PublicKey& key) {
  if (!touched_.insert(key).second) return;
  auto it = state_.validators.find(key);
  undo_.validators.emplace_back(
      key, it == state_.validators.end() ? std::nullopt : std::optional<ValidatorRecord>(it->second));
}

void StakeEditor::put(const ValidatorRecord& record) {
  remember(record.voting_key);
  state_.validators[record.voting_key] = record;
}

void StakeEditor::erase(const PublicKey& key) {
  remember(key);
  state_.validators.erase(key);
}

std::variant<StakeFlow, BlockRejection> apply_stake_transaction(StakeEditor& editor, const Transaction& tx,
                                                                const SpentInputs& spent,
                                                                const StakeTxContext& ctx) {
  std::variant<StakeFlow, BlockRejection> verdict = StakeFlow{};
  if (tx.payload.kind == kBondPayload) {
    verdict = apply_bond(editor, tx, ctx);
  } else if (tx.payload.kind == kUnbondPayload) {
    verdict = apply_unbond(editor, tx, spent, ctx);
  } else if (tx.payload.kind == kWithdrawPayload) {
    verdict = apply_withdraw(editor, tx, ctx);
  } else if (tx.payload.kind == kSlashPayload) {
    verdict = apply_slash(editor, tx, ctx);
  } else {
    return StakeFlow{};
  }
  if (auto* flow = std::get_if<StakeFlow>(&verdict)) return check_conservation(tx, spent, *flow);
  return verdict;
}

}  // namespace cairn
