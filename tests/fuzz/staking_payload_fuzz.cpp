// Staking payload bodies, validator records, the finality state and the stake undo record:
// the first byte picks the decoder; whatever decodes must re-encode byte for byte and decode
// to the same value again (one encoding per value).
#include <algorithm>

#include "consensus/staking.h"
#include "fuzz.h"
#include "primitives/staking.h"

using namespace cairn;

namespace {

template <class T, class Decode, class Encode>
void round_trip(ByteSpan in, Decode decode, Encode encode_fn) {
  auto value = decode(in);
  if (!value) return;
  const Bytes again = encode_fn(*value);
  FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin(), in.end()));
  auto redecoded = decode(ByteSpan(again));
  FUZZ_CHECK(redecoded && *redecoded == *value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan in(data + 1, size - 1);
  switch (data[0] % 7) {
    case 0:
      round_trip<BondBody>(
          in, [](ByteSpan b) { return decode_bond_body(b); }, encode_bond_body);
      break;
    case 1:
      round_trip<UnbondBody>(
          in, [](ByteSpan b) { return decode_unbond_body(b); }, encode_unbond_body);
      break;
    case 2:
      round_trip<WithdrawBody>(
          in, [](ByteSpan b) { return decode_withdraw_body(b); }, encode_withdraw_body);
      break;
    case 3:
      round_trip<SlashBody>(
          in, [](ByteSpan b) { return decode_slash_body(b); }, encode_slash_body);
      break;
    case 4:
      round_trip<ValidatorRecord>(
          in, [](ByteSpan b) { return decode_validator_record(b); },
          [](const ValidatorRecord& r) { return encode(r); });
      break;
    case 5:
      round_trip<FinalityState>(
          in, [](ByteSpan b) { return decode_finality_state(b); },
          [](const FinalityState& f) { return encode(f); });
      break;
    default:
      round_trip<StakeUndo>(
          in, [](ByteSpan b) { return decode_stake_undo(b); }, [](const StakeUndo& u) { return encode(u); });
      break;
  }
  return 0;
}
