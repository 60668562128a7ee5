#include "primitives/staking.h"

#include <string>

namespace cairn {

bool is_staking_payload(PayloadKind kind) {
  return kind == kBondPayload || kind == kUnbondPayload || kind == kWithdrawPayload || kind == kSlashPayload;
}

Bytes encode_bond_body(const BondBody& body) {
  Writer w;
  w.raw(body.voting_key);
  encode(w, body.owner);
  w.u64(body.amount);
  return w.take();
}

Bytes encode_unbond_body(const UnbondBody& body) {
  Writer w;
  w.raw(body.voting_key);
  w.u8(body.signature ? 1 : 0);
  if (body.signature) w.raw(*body.signature);
  return w.take();
}

Bytes encode_withdraw_body(const WithdrawBody& body) {
  Writer w;
  w.raw(body.voting_key);
  return w.take();
}

Bytes encode_slash_body(const SlashBody& body) {
  Writer w;
  encode(w, body.first);
  encode(w, body.second);
  return w.take();
}

Result<BondBody> decode_bond_body(ByteSpan body) {
  return decode_exact<BondBody>(body, [](Reader& r) {
    BondBody b;
    b.voting_key = r.fixed<32>("voting_key");
    b.owner = decode_output_lock(r);
    b.amount = r.u64("amount");
    return b;
  });
}

Result<UnbondBody> decode_unbond_body(ByteSpan body) {
  return decode_exact<UnbondBody>(body, [](Reader& r) {
    UnbondBody b;
    b.voting_key = r.fixed<32>("voting_key");
    if (r.flag("has_signature")) b.signature = r.fixed<64>("signature");
    return b;
  });
}

Result<WithdrawBody> decode_withdraw_body(ByteSpan body) {
  return decode_exact<WithdrawBody>(body, [](Reader& r) {
    WithdrawBody b;
    b.voting_key = r.fixed<32>("voting_key");
    return b;
  });
}

Result<SlashBody> decode_slash_body(ByteSpan body) {
  return decode_exact<SlashBody>(body, [](Reader& r) {
    SlashBody b;
    {
      auto scope = r.scope("first");
      b.first = decode_vote(r);
    }
    auto scope = r.scope("second");
    b.second = decode_vote(r);
    return b;
  });
}

Hash256 unbond_signing_message(const BlockHash& genesis, const PublicKey& voting_key, const Txid& bond_id) {
  Writer w;
  w.raw(genesis);
  w.raw(voting_key);
  w.raw(bond_id);
  return hash(HashContext::unbond_sign, w.data());
}

void encode(Writer& w, const ValidatorRecord& record) {
  w.u8(kValidatorRecordVersion);
  w.raw(record.voting_key);
  encode(w, record.owner);
  w.raw(record.bond_id);
  w.u64(record.stake);
  w.u64(record.start_dynasty);
  w.u64(record.end_dynasty);
  w.u64(record.end_epoch);
  w.u8(record.slashed ? 1 : 0);
}

ValidatorRecord decode_validator_record(Reader& r) {
  ValidatorRecord record;
  const uint8_t version = r.u8("version");
  if (r.ok() && version != kValidatorRecordVersion) {
    r.fail(ErrorCode::decode, "version", "unknown validator record version " + std::to_string(version));
    return record;
  }
  record.voting_key = r.fixed<32>("voting_key");
  record.owner = decode_output_lock(r);
  record.bond_id = r.fixed<32>("bond_id");
  record.stake = r.u64("stake");
  record.start_dynasty = r.u64("start_dynasty");
  record.end_dynasty = r.u64("end_dynasty");
  record.end_epoch = r.u64("end_epoch");
  record.slashed = r.flag("slashed");
  return record;
}

Bytes encode(const ValidatorRecord& record) {
  Writer w;
  encode(w, record);
  return w.take();
}

Result<ValidatorRecord> decode_validator_record(ByteSpan bytes) {
  return decode_exact<ValidatorRecord>(bytes, [](Reader& r) { return decode_validator_record(r); });
}

Bytes validator_state_element(const ValidatorRecord& record) {
  Writer w;
  w.u8(kValidatorStateElement);
  encode(w, record);
  return w.take();
}

}  // namespace cairn
