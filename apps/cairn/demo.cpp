#include "demo.h"

#include <chrono>
#include <ostream>

#include <nlohmann/json.hpp>

#include "consensus/lock_eval.h"
#include "crypto/lthash.h"
#include "primitives/address.h"
#include "primitives/block.h"
#include "primitives/coin.h"
#include "primitives/sighash.h"

namespace cairn::app {
namespace {

// Block rewards, difficulty and proof of work are consensus rules of issue [C]; the demo
// uses a round reward and the easiest compact target and does not grind a nonce.
constexpr Amount kDemoReward = 50 * kCoin;
constexpr uint32_t kEasiestCompactTarget = 0x207fffff;

Transaction make_coinbase(uint64_t height, const OutputLock& pay_to, Amount value) {
  Transaction tx;
  tx.payload.kind = PayloadKind::coinbase;
  tx.payload.body = encode_coinbase_body({height, Bytes{'d', 'e', 'm', 'o'}});
  tx.outputs.push_back({value, pay_to});
  return tx;
}

BlockHeader make_header(const Block& block, uint64_t height, const BlockHash& prev, const LtHash& state,
                        uint64_t timestamp) {
  BlockHeader h;
  h.height = height;
  h.prev = prev;
  h.tx_root = compute_tx_root(block);
  h.witness_root = compute_witness_root(block);
  h.vote_root = compute_vote_root(block);
  h.state_root = state.root();
  h.timestamp = timestamp;
  h.target = kEasiestCompactTarget;
  return h;
}

// Applies a block's transactions to the state commitment: spent coins leave, new ones join.
void apply_to_state(const Block& block, const std::vector<std::pair<OutPoint, Coin>>& spent, LtHash& state) {
  for (const auto& [outpoint, coin] : spent) state.remove(utxo_state_element(outpoint, coin));
  for (const auto& tx : block.transactions) {
    const Txid id = txid(tx);
    for (uint32_t i = 0; i < tx.outputs.size(); ++i) {
      state.add(utxo_state_element({id, i}, Coin{tx.outputs[i], block.header.height, tx.is_coinbase()}));
    }
  }
}

uint64_t now_seconds() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

int run_demo(Network net, bool json, std::ostream& out, std::ostream& err) {
  const KeyPair alice = KeyPair::generate();
  const KeyPair bob = KeyPair::generate();
  const OutputLock alice_lock = key_hash_lock(alice.public_key());
  const OutputLock bob_lock = key_hash_lock(bob.public_key());

  // A 2-of-2 lock that needs both signatures: an output pays to its hash, and the spender
  // will reveal it.
  Lock joint;
  joint.root.tag = LockTag::multi;
  joint.root.threshold = 2;
  joint.root.keys = {alice.public_key(), bob.public_key()};
  const OutputLock joint_lock = lock_hash_lock(joint);

  // Block 0 starts the demo chain; its coinbase pays Alice. Its hash plays the genesis hash
  // that every signature commits to.
  const uint64_t start_time = now_seconds();
  LtHash state;
  Block block0;
  block0.transactions.push_back(make_coinbase(0, alice_lock, kDemoReward));
  block0.header.height = 0;
  apply_to_state(block0, {}, state);
  block0.header = make_header(block0, 0, BlockHash{}, state, start_time);
  const BlockHash genesis = block_hash(block0.header);

  // Alice pays Bob 20 and the 2-of-2 lock 10, keeps 19.999 as change: fee 0.001.
  const OutPoint funding{txid(block0.transactions[0]), 0};
  const Coin funding_coin{block0.transactions[0].outputs[0], 0, true};
  Transaction pay;
  pay.inputs.push_back({funding, std::monostate{}});
  pay.outputs = {{20 * kCoin, bob_lock}, {10 * kCoin, joint_lock}, {19 * kCoin + 99'900'000, alice_lock}};
  const std::vector<TxOut> spent{funding_coin.output};
  auto digests = compute_sighash_digests(pay, spent);
  auto message = digests ? signature_hash(pay, *digests, 0, static_cast<uint8_t>(SighashType::all), genesis)
                         : Result<Hash256>(digests.error());
  if (!message) {
    err << "demo: " << message.error().message << "\n";
    return 1;
  }
  pay.inputs[0].witness =
      KeySpend{alice.public_key(), {alice.sign(*message), static_cast<uint8_t>(SighashType::all)}};

  DirectSignatureChecker checker;
  const SpendContext context{
      .spend_height = 1, .spend_time = start_time, .coin_height = 0, .coin_time = start_time};
  const LockError verdict = verify_input(pay, 0, funding_coin.output, *digests, genesis, context, checker);

  // The same transaction with Bob's output raised by one unit: the signature no longer matches.
  Transaction tampered = pay;
  tampered.outputs[0].value += 1;
  auto tampered_digests = compute_sighash_digests(tampered, spent);
  const LockError tampered_verdict =
      verify_input(tampered, 0, funding_coin.output, *tampered_digests, genesis, context, checker);

  // Block 1: Bob mines it (coinbase with the fee), and it carries Alice's payment.
  Block block1;
  block1.header.height = 1;
  block1.transactions.push_back(make_coinbase(1, bob_lock, kDemoReward + 100'000));
  block1.transactions.push_back(pay);
  apply_to_state(block1, {{funding, funding_coin}}, state);
  block1.header = make_header(block1, 1, genesis, state, start_time + 600);

  const Bytes pay_bytes = encode(pay);
  const Bytes block_bytes = encode(block1);
  const bool roundtrip_ok = decode_block(block_bytes).ok() && *decode_block(block_bytes) == block1;

  const BlockHeader& h = block1.header;
  nlohmann::json doc = {
      {"network", network_name(net)},
      {"alice", {{"public_key", alice.public_key().hex()}, {"address", encode_address(net, alice_lock)}}},
      {"bob", {{"public_key", bob.public_key().hex()}, {"address", encode_address(net, bob_lock)}}},
      {"multisig_2_of_2",
       {{"lock_hash", joint_lock.hash.hex()}, {"address", encode_address(net, joint_lock)}}},
      {"genesis", genesis.hex()},
      {"transaction",
       {{"txid", txid(pay).hex()},
        {"wtxid", wtxid(pay).hex()},
        {"bytes", pay_bytes.size()},
        {"sighash", message->hex()},
        {"verified", verdict == LockError::ok ? "ok" : to_string(verdict)},
        {"tampered_copy",
         tampered_verdict == LockError::ok ? "accepted (BUG)" : to_string(tampered_verdict)}}},
      {"block",
       {{"hash", block_hash(h).hex()},
        {"height", h.height},
        {"prev", h.prev.hex()},
        {"tx_root", h.tx_root.hex()},
        {"witness_root", h.witness_root.hex()},
        {"vote_root", h.vote_root.hex()},
        {"state_root", h.state_root.hex()},
        {"timestamp", h.timestamp},
        {"transactions", block1.transactions.size()},
        {"bytes", block_bytes.size()},
        {"decode_roundtrip", roundtrip_ok}}},
  };
  const bool ok = verdict == LockError::ok && tampered_verdict != LockError::ok && roundtrip_ok;

  if (json) {
    out << doc.dump(2) << "\n";
    return ok ? 0 : 1;
  }
  out << "Cairn demo on " << network_name(net) << " (local: no node, no files)\n\n"
      << "keys\n"
      << "  alice  " << doc["alice"]["address"].get<std::string>() << "\n"
      << "  bob    " << doc["bob"]["address"].get<std::string>() << "\n"
      << "  2-of-2 " << doc["multisig_2_of_2"]["address"].get<std::string>() << "  (alice + bob)\n\n"
      << "block 0 (chain start; its coinbase pays alice " << format_amount(kDemoReward) << ")\n"
      << "  hash         " << genesis.hex() << "\n\n"
      << "transaction alice -> bob 20, -> 2-of-2 10, change 19.999, fee 0.001\n"
      << "  txid         " << doc["transaction"]["txid"].get<std::string>() << "\n"
      << "  wtxid        " << doc["transaction"]["wtxid"].get<std::string>() << "\n"
      << "  size         " << pay_bytes.size() << " bytes\n"
      << "  sighash      " << message->hex() << "\n"
      << "  signature    " << doc["transaction"]["verified"].get<std::string>() << "\n"
      << "  tampered     " << doc["transaction"]["tampered_copy"].get<std::string>()
      << "  (bob's output +1 unit after signing)\n\n"
      << "block 1\n"
      << "  hash         " << block_hash(h).hex() << "\n"
      << "  prev         " << h.prev.hex() << "\n"
      << "  tx_root      " << h.tx_root.hex() << "\n"
      << "  witness_root " << h.witness_root.hex() << "\n"
      << "  vote_root    " << h.vote_root.hex() << "  (no votes)\n"
      << "  state_root   " << h.state_root.hex() << "\n"
      << "  size         " << block_bytes.size() << " bytes, " << block1.transactions.size()
      << " transactions, decode/encode round trip " << (roundtrip_ok ? "ok" : "FAILED") << "\n";
  return ok ? 0 : 1;
}

}  // namespace cairn::app
