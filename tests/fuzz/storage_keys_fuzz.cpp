// Storage key and value decoders (storage/keys.h). The first input byte picks the decoder,
// the rest is its input; whatever decodes must re-encode to exactly those bytes, since
// every key and value has one encoding.
#include <algorithm>

#include "fuzz.h"
#include "storage/keys.h"

using namespace cairn;

namespace {

bool same(const Bytes& a, ByteSpan b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

template <class T, class Decode, class Encode>
void round_trip(ByteSpan in, Decode decode, Encode encode_fn) {
  const Result<T> decoded = decode(in);
  if (!decoded) return;
  FUZZ_CHECK(same(encode_fn(*decoded), in));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan in(data + 1, size - 1);
  constexpr uint8_t kDecoders = 17;
  switch (data[0] % kDecoders) {
    case 0:
      round_trip<uint32_t>(in, decode_u32_value, encode_u32_value);
      break;
    case 1:
      round_trip<uint64_t>(in, decode_u64_value, encode_u64_value);
      break;
    case 2:
      round_trip<Network>(in, decode_network_value, encode_network_value);
      break;
    case 3:
      round_trip<Hash256>(in, decode_hash_value, encode_hash_value);
      break;
    case 4:
      round_trip<Checkpoint>(in, decode_checkpoint, [](const Checkpoint& c) { return encode(c); });
      break;
    case 5:
      round_trip<LtHash>(in, decode_lthash_value, [](const LtHash& l) { return l.to_bytes(); });
      break;
    case 6:
      round_trip<BlockHash>(in, decode_block_index_key, block_index_key);
      break;
    case 7:
      round_trip<uint64_t>(in, decode_best_height_key, best_height_key);
      break;
    case 8:
      round_trip<BlockIndexEntry>(in, decode_block_index_entry,
                                  [](const BlockIndexEntry& e) { return encode(e); });
      break;
    case 9:
      round_trip<BlockHash>(in, decode_block_key, block_key);
      break;
    case 10:
      round_trip<BlockUndo>(in, decode_block_undo, [](const BlockUndo& u) { return encode(u); });
      break;
    case 11:
      round_trip<OutPoint>(in, decode_utxo_key, utxo_key);
      break;
    case 12:
      round_trip<Coin>(in, decode_coin_value, encode_coin_value);
      break;
    case 13:
      round_trip<TxLocation>(in, decode_tx_location, [](const TxLocation& l) { return encode(l); });
      break;
    case 14:
      round_trip<AddressKey>(in, decode_address_key, address_key);
      break;
    case 15:
      round_trip<AddressEntry>(in, decode_address_entry, [](const AddressEntry& e) { return encode(e); });
      break;
    case 16:
      round_trip<Txid>(in, decode_tx_index_key, tx_index_key);
      break;
  }
  return 0;
}
