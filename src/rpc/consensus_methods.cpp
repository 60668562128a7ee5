#include "rpc/consensus_methods.h"

#include <optional>
#include <string>
#include <utility>

#include "consensus/finality.h"
#include "consensus/staking.h"
#include "primitives/address.h"
#include "rpc/chain_json.h"

namespace cairn::rpc {

namespace {

const std::string kKeyA = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";
const std::string kHashA = "00000d5c9b2b4f0cc1d3e7a19b4cf0e2b8f07a3b2c9d1e4f5a6b7c8d9e0f1a2b";
const std::string kHashB = "3f1e9a7c5b3d1f0e2c4a6b8d0f1e3c5a7b9d1f2e4c6a8b0d2f4e6c8a0b2d4f6e";

RpcError no_finality() {
  return RpcError{error_code::unavailable, "this network has no staking and finality", std::nullopt};
}

json optional_epoch(uint64_t value) { return value == kUnset ? json(nullptr) : json(value); }

json nullable_uint_schema(std::string description) {
  return {{"type", {"integer", "null"}}, {"minimum", 0}, {"description", std::move(description)}};
}

json validator_json(const ConsensusServices& s, const ValidatorRecord& v) {
  const uint64_t dynasty = s.chain.stake().finality.dynasty;
  return {{"voting_key", v.voting_key.hex()},
          {"owner", encode_address(s.network, v.owner)},
          {"owner_lock", lock_json(v.owner)},
          {"bond_txid", v.bond_id.hex()},
          {"stake", amount_string(v.stake)},
          {"start_dynasty", v.start_dynasty},
          {"end_dynasty", optional_epoch(v.end_dynasty)},
          {"end_epoch", optional_epoch(v.end_epoch)},
          {"slashed", v.slashed},
          {"active", in_dynasty(v, dynasty)}};
}

json validator_schema() {
  return object_schema({
      {"voting_key", hash_schema("the validator's Ed25519 voting key")},
      {"owner", string_schema("the address its stake returns to (bech32m of this network)")},
      {"owner_lock", lock_schema()},
      {"bond_txid", hash_schema("the bond transaction")},
      {"stake", amount_schema("its current stake in base units (vote rewards compound into it)")},
      {"start_dynasty", uint_schema("the first dynasty whose set it is in")},
      {"end_dynasty",
       nullable_uint_schema("the first dynasty whose set it is no longer in; null before an unbond")},
      {"end_epoch",
       nullable_uint_schema("the first epoch in which it was in neither dynasty set; null until then")},
      {"slashed", bool_schema("whether it was slashed (stake 0, key blocked forever)")},
      {"active", bool_schema("whether it is in the current dynasty's set")},
  });
}

json example_validator() {
  return {{"voting_key", kKeyA},
          {"owner", kExampleAddress},
          {"owner_lock", lock_json(decode_address(Network::regtest, kExampleAddress).value())},
          {"bond_txid", kHashA},
          {"stake", "100000000000"},
          {"start_dynasty", 4},
          {"end_dynasty", nullptr},
          {"end_epoch", nullptr},
          {"slashed", false},
          {"active", true}};
}

json checkpoint_schema(const char* what) {
  return object_schema({{"epoch", uint_schema(std::string("the ") + what + " checkpoint's epoch")},
                        {"hash", hash_schema(std::string("the ") + what + " checkpoint's block hash")},
                        {"height", uint_schema(std::string("the ") + what + " checkpoint's height")}});
}

json checkpoint_json(const ConsensusServices& s, const FinalityCheckpoint& c) {
  return {{"epoch", c.epoch}, {"hash", c.hash.hex()}, {"height", c.epoch * s.finality.epoch_length}};
}

MethodSpec finality_get_status(const ConsensusServices& s) {
  MethodSpec m;
  m.name = "finality_get_status";
  m.summary = "The tip's epoch, dynasty, justified and finalized checkpoints and dynasty stakes";
  m.result_name = "status";
  m.result_schema = object_schema({
      {"height", uint_schema("the tip's height")},
      {"epoch", uint_schema("the tip's epoch (height / epoch_length)")},
      {"epoch_length", uint_schema("blocks per epoch")},
      {"dynasty", uint_schema("the current dynasty")},
      {"dynasty_start_epoch", uint_schema("the epoch whose checkpoint started the current dynasty")},
      {"last_justified", checkpoint_schema("last justified")},
      {"last_finalized", checkpoint_schema("last finalized")},
      {"current_dynasty_stake", amount_schema("total stake of the current dynasty's validator set")},
      {"previous_dynasty_stake", amount_schema("total stake of the previous dynasty's validator set")},
      {"validator_count", uint_schema("validator records, exited and slashed ones included")},
  });
  m.errors = {{error_code::unavailable, "the network has no staking and finality"}};
  m.examples = {{"regtest",
                 json::object(),
                 {{"height", 1203},
                  {"epoch", 240},
                  {"epoch_length", 5},
                  {"dynasty", 236},
                  {"dynasty_start_epoch", 239},
                  {"last_justified", {{"epoch", 240}, {"hash", kHashA}, {"height", 1200}}},
                  {"last_finalized", {{"epoch", 239}, {"hash", kHashB}, {"height", 1195}}},
                  {"current_dynasty_stake", "300000000000"},
                  {"previous_dynasty_stake", "300000000000"},
                  {"validator_count", 3}}}};
  m.handler = [&s](const json&, const CallContext&) -> MethodResult {
    if (!s.chain.has_finality()) return no_finality();
    const StakeState& state = s.chain.stake();
    const FinalityState& f = state.finality;
    const uint64_t height = s.chain.tip().height();
    return json{
        {"height", height},
        {"epoch", epoch_of(s.finality, height)},
        {"epoch_length", s.finality.epoch_length},
        {"dynasty", f.dynasty},
        {"dynasty_start_epoch", f.dynasty_start_epoch},
        {"last_justified", checkpoint_json(s, f.last_justified)},
        {"last_finalized", checkpoint_json(s, f.last_finalized)},
        {"current_dynasty_stake", amount_string(dynasty_stake(state, f.dynasty))},
        {"previous_dynasty_stake", amount_string(f.dynasty == 0 ? 0 : dynasty_stake(state, f.dynasty - 1))},
        {"validator_count", state.validators.size()}};
  };
  return m;
}

MethodSpec staking_get_validators(const ConsensusServices& s) {
  MethodSpec m;
  m.name = "staking_get_validators";
  m.summary = "The validator records of the tip's stake state by voting key, in pages";
  m.params = {{"cursor", "where to resume: the previous page's next_cursor; absent for the first page",
               string_schema("an opaque cursor"), false, std::nullopt},
              {"limit",
               "validators per page at most",
               {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxValidatorPageLimit}},
               false,
               json(kDefaultValidatorPageLimit)}};
  m.result_name = "page";
  m.result_schema =
      object_schema({{"items", {{"type", "array"}, {"items", validator_schema()}}},
                     {"next_cursor",
                      {{"type", {"string", "null"}},
                       {"description", "pass as `cursor` for the next page; null when there is no more"}}}});
  m.errors = {{error_code::unavailable, "the network has no staking and finality"},
              {error_code::invalid_params, "the cursor is not a voting key"}};
  m.examples = {
      {"one validator", {{"limit", 10}}, {{"items", {example_validator()}}, {"next_cursor", nullptr}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    if (!s.chain.has_finality()) return no_finality();
    const auto& validators = s.chain.stake().validators;
    auto it = validators.begin();
    if (params.contains("cursor")) {
      auto after = PublicKey::from_hex(params.at("cursor").get<std::string>());
      if (!after) {
        return RpcError{error_code::invalid_params, "cursor: not a voting key: " + after.error().message,
                        std::nullopt};
      }
      it = validators.upper_bound(*after);
    }
    const auto limit = params.at("limit").get<size_t>();
    json items = json::array();
    json next = nullptr;
    for (; it != validators.end(); ++it) {
      if (items.size() == limit) {
        next = std::prev(it)->first.hex();
        break;
      }
      items.push_back(validator_json(s, it->second));
    }
    return json{{"items", std::move(items)}, {"next_cursor", std::move(next)}};
  };
  return m;
}

MethodSpec staking_get_validator(const ConsensusServices& s) {
  MethodSpec m;
  m.name = "staking_get_validator";
  m.summary = "One validator's record in the tip's stake state";
  m.params = {
      {"voting_key", "the validator's voting key", hash_schema("an Ed25519 public key"), true, std::nullopt}};
  m.result_name = "validator";
  m.result_schema = validator_schema();
  m.errors = {{error_code::not_found, "no validator has this voting key"},
              {error_code::unavailable, "the network has no staking and finality"}};
  m.examples = {{"an active validator", {{"voting_key", kKeyA}}, example_validator()}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    if (!s.chain.has_finality()) return no_finality();
    const PublicKey key = PublicKey::from_hex(params.at("voting_key").get<std::string>()).value();
    const auto& validators = s.chain.stake().validators;
    const auto it = validators.find(key);
    if (it == validators.end()) {
      return RpcError{error_code::not_found, "no validator with voting key " + key.hex(), std::nullopt};
    }
    return validator_json(s, it->second);
  };
  return m;
}

}  // namespace

Status register_consensus_methods(Registry& registry, const ConsensusServices& services) {
  CAIRN_TRY_STATUS(registry.add(finality_get_status(services)));
  CAIRN_TRY_STATUS(registry.add(staking_get_validators(services)));
  CAIRN_TRY_STATUS(registry.add(staking_get_validator(services)));
  return {};
}

}  // namespace cairn::rpc
