#include "consensus/genesis.h"

#include <utility>

#include "crypto/lthash.h"

namespace cairn {

Block build_genesis(const GenesisSpec& spec) {
  Transaction coinbase;
  const ByteSpan message = as_bytes(spec.message);
  coinbase.payload = Payload{PayloadKind::coinbase,
                             encode_coinbase_body(CoinbaseBody{0, Bytes(message.begin(), message.end())})};
  Block genesis;
  genesis.transactions.push_back(std::move(coinbase));
  BlockHeader& h = genesis.header;
  h.version = kHeaderVersion;
  h.height = 0;
  h.tx_root = compute_tx_root(genesis);
  h.witness_root = compute_witness_root(genesis);
  h.vote_root = compute_vote_root(genesis);
  h.state_root = LtHash{}.root();  // the coinbase creates no coins: the state stays empty
  h.timestamp = spec.timestamp;
  h.target = spec.target;
  h.nonce = spec.nonce;
  return genesis;
}

}  // namespace cairn
