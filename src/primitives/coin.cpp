#include "primitives/coin.h"

namespace cairn {

void encode(Writer& w, const Coin& coin) {
  encode(w, coin.output);
  w.u64(coin.height);
  w.u8(coin.coinbase ? 1 : 0);
}

Coin decode_coin(Reader& r) {
  Coin coin;
  coin.output = decode_txout(r);
  coin.height = r.u64("height");
  const uint8_t flag = r.u8("coinbase");
  if (flag > 1) r.fail(ErrorCode::decode, "coinbase", "must be 0 or 1, got " + std::to_string(flag));
  coin.coinbase = flag == 1;
  return coin;
}

Bytes utxo_state_element(const OutPoint& outpoint, const Coin& coin) {
  Writer w;
  w.u8(static_cast<uint8_t>(StateElementKind::utxo));
  encode(w, outpoint);
  encode(w, coin);
  return w.take();
}

}  // namespace cairn
