#include "primitives/coin.h"

#include <gtest/gtest.h>

#include "samples.h"

namespace cairn {
namespace {

using test::decode_one;
using test::encode_one;

Coin sample_coin() { return Coin{TxOut{42 * kCoin, test::sample_output_lock(7)}, 123'456, true}; }

auto decode_coin_bytes(ByteSpan bytes) {
  return decode_one(bytes, [](Reader& r) { return decode_coin(r); });
}

TEST(Coin, RoundTripsAndFramesStrictly) {
  const Coin coin = sample_coin();
  const Bytes bytes = encode_one(coin);
  EXPECT_EQ(bytes.size(), 8u + 33u + 8u + 1u);
  EXPECT_EQ(test::ok(decode_coin_bytes(bytes)), coin);
  test::expect_strict_framing(bytes, decode_coin_bytes);
}

TEST(Coin, CoinbaseFlagMustBeZeroOrOne) {
  Bytes bytes = encode_one(sample_coin());
  bytes.back() = 2;
  test::expect_decode_error(bytes, decode_coin_bytes, "coinbase: must be 0 or 1, got 2");
}

TEST(Coin, StateElementLayout) {
  const OutPoint outpoint{test::filled<32>(0x40), 9};
  const Coin coin = sample_coin();
  const Bytes element = utxo_state_element(outpoint, coin);
  const Bytes kind{1};  // StateElementKind::utxo
  EXPECT_EQ(element, test::concat({kind, encode_one(outpoint), encode_one(coin)}));
}

TEST(Coin, StateElementDiffersByEveryField) {
  const OutPoint outpoint{test::filled<32>(0x40), 9};
  const Coin coin = sample_coin();
  const Bytes base = utxo_state_element(outpoint, coin);
  Coin other = coin;
  other.height += 1;
  EXPECT_NE(utxo_state_element(outpoint, other), base);
  other = coin;
  other.coinbase = false;
  EXPECT_NE(utxo_state_element(outpoint, other), base);
  other = coin;
  other.output.value -= 1;
  EXPECT_NE(utxo_state_element(outpoint, other), base);
  EXPECT_NE(utxo_state_element({outpoint.txid, 10}, coin), base);
}

}  // namespace
}  // namespace cairn
