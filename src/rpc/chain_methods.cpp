#include "rpc/chain_methods.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "chain/chain_queries.h"
#include "primitives/address.h"
#include "rpc/chain_json.h"

namespace cairn::rpc {

namespace {

__extension__ using U128 = unsigned __int128;

// ---- errors and parameters --------------------------------------------------------------

RpcError invalid_param(const std::string& name, const std::string& reason) {
  return RpcError{error_code::invalid_params, name + ": " + reason, std::nullopt};
}

RpcError not_found(std::string message) {
  return RpcError{error_code::not_found, std::move(message), std::nullopt};
}

// A pruned block's not_found Error from chain_queries becomes error_code::pruned.
RpcError pruned(const ChainServices& s, const BlockNode& node) {
  return RpcError{error_code::pruned, pruned_error(s.chain, node).message, std::nullopt};
}

// Parameters were validated against their schemas: a hash parameter is 64 lowercase hex.
Hash256 hash_param(const json& params, const char* name) {
  return Hash256::from_hex(params.at(name).get<std::string>()).value();
}

std::variant<OutputLock, RpcError> address_param(const ChainServices& s, const json& params) {
  auto lock = decode_address(s.network, params.at("address").get<std::string>());
  if (!lock) return invalid_param("address", lock.error().message);
  return *lock;
}

size_t limit_param(const json& params) { return params.at("limit").get<size_t>(); }

// The block of a `block` selector: a best-chain height or any known block's hash.
std::variant<const BlockNode*, RpcError> block_param(const ChainServices& s, const json& params) {
  const json& selector = params.at("block");
  if (selector.is_number_integer()) {
    const auto height = selector.get<uint64_t>();
    const BlockNode* node = s.chain.at_height(height);
    if (node == nullptr) {
      return not_found("no block at height " + std::to_string(height) + ": the tip is at " +
                       std::to_string(s.chain.tip().height()));
    }
    return node;
  }
  const Hash256 hash = Hash256::from_hex(selector.get<std::string>()).value();
  const BlockNode* node = s.chain.find(hash);
  if (node == nullptr) return not_found("no block " + hash.hex());
  return node;
}

std::variant<Block, RpcError> read_body(const ChainServices& s, const BlockNode& node) {
  if (body_pruned(s.chain, node)) return pruned(s, node);
  auto block = s.chain.read_block(node.hash);
  if (!block) return to_rpc_error(block.error());
  return std::move(*block);
}

// ---- the mempool ------------------------------------------------------------------------

// Entries one Mempool::entries() call copies when a method scans the whole pool: bounds
// the memory a scan holds at once, not its time.
constexpr size_t kPoolScanPage = 1'000;

// Base units per 1000 bytes (chain/fee_rate.h), rounded down.
Amount fee_rate_of(Amount fee, size_t size) {
  if (size == 0) return 0;
  return static_cast<Amount>(static_cast<U128>(fee) * 1000 / size);
}

json pool_entry_json(const MempoolEntryInfo& e) {
  return {{"txid", e.txid.hex()},
          {"wtxid", wtxid(e.tx).hex()},
          {"size", e.size},
          {"fee", amount_string(e.fee)},
          {"fee_rate", amount_string(fee_rate_of(e.fee, e.size))},
          {"time", e.time},
          {"ancestor_fee", amount_string(e.ancestor_package.fee)},
          {"ancestor_size", e.ancestor_package.size}};
}

// ---- examples ---------------------------------------------------------------------------

const std::string kHashA = "00000d5c9b2b4f0cc1d3e7a19b4cf0e2b8f07a3b2c9d1e4f5a6b7c8d9e0f1a2b";
const std::string kHashB = "3f1e9a7c5b3d1f0e2c4a6b8d0f1e3c5a7b9d1f2e4c6a8b0d2f4e6c8a0b2d4f6e";
const std::string kHashC = "a94f5e2d8c1b7a6f3e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a88";
const std::string kHashD = "5b8e2f4a6c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f";
const std::string kZeroHash(64, '0');

// kExampleAddress's lock.
json example_lock() { return lock_json(decode_address(Network::regtest, kExampleAddress).value()); }

json example_output(const char* value) {
  return {{"value", value}, {"address", kExampleAddress}, {"lock", example_lock()}};
}

json example_transaction() {
  return {{"txid", kHashB},
          {"wtxid", kHashC},
          {"size", 224},
          {"version", 1},
          {"coinbase", false},
          {"inputs",
           {{{"txid", kHashC}, {"index", 0}, {"witness_kind", "key"}, {"witness", "01" + kHashD + kHashA}}}},
          {"outputs", {example_output("4999990000")}},
          {"payload", {{"kind", "none"}, {"body", ""}}},
          {"lock_time", 0}};
}

json example_header() {
  return {{"hash", kHashA},
          {"height", 1200},
          {"version", 1},
          {"prev_hash", kHashD},
          {"tx_root", kHashB},
          {"witness_root", kHashC},
          {"state_root", kHashD},
          {"vote_root", kHashC},
          {"time", 1764000000},
          {"bits", 503382015},
          {"target", "00000fffff000000000000000000000000000000000000000000000000000000"},
          {"nonce", 2083236893},
          {"chain_work", "00000000000000000000000000000000000000000000000000000004b004b004"},
          {"median_time_past", 1763999400},
          {"confirmations", 3},
          {"in_best_chain", true},
          {"finalized", false}};
}

// ---- schemas of parameters ----------------------------------------------------------------

ParamSpec block_selector_param() {
  return ParamSpec{
      "block",
      "a best-chain height, or the hash of any block this node knows",
      {{"oneOf",
        {{{"type", "integer"}, {"minimum", 0}}, {{"type", "string"}, {"pattern", "^[0-9a-f]{64}$"}}}}},
      true,
      std::nullopt};
}

ParamSpec txid_param() {
  return ParamSpec{"txid", "the transaction id", hash_schema("a txid"), true, std::nullopt};
}

ParamSpec address_spec() {
  return ParamSpec{"address", "a bech32m address of this node's network", string_schema("an address"), true,
                   std::nullopt};
}

ParamSpec cursor_spec() {
  return ParamSpec{"cursor", "where to resume: the previous page's next_cursor; absent for the first page",
                   string_schema("an opaque cursor"), false, std::nullopt};
}

ParamSpec limit_spec() {
  return ParamSpec{"limit",
                   "items per page at most",
                   {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxAddressPageLimit}},
                   false,
                   json(kDefaultAddressPageLimit)};
}

json page_schema(const json& item) {
  return object_schema(
      {{"items", {{"type", "array"}, {"items", item}}},
       {"next_cursor",
        {{"type", {"string", "null"}},
         {"description", "pass as `cursor` for the next page; null when there is no more"}}}});
}

const ErrorSpec kNotFoundBlock{error_code::not_found, "no such block"};
const ErrorSpec kPruned{error_code::pruned,
                        "the block's data was pruned from this node (the message names the height)"};
const ErrorSpec kNotFoundTx{error_code::not_found, "no such transaction in the mempool or the best chain"};
const ErrorSpec kBadAddress{error_code::invalid_params, "the address is malformed or of another network"};

// ---- chain_ -----------------------------------------------------------------------------

MethodSpec chain_get_info(const ChainServices& s) {
  MethodSpec m;
  m.name = "chain_get_info";
  m.summary = "The best chain's tip, work, finality and prune state";
  m.result_name = "info";
  m.result_schema = object_schema({
      {"network",
       {{"type", "string"}, {"enum", {"mainnet", "testnet", "regtest"}}, {"description", "the network"}}},
      {"genesis_hash", hash_schema("the genesis block's hash")},
      {"height", uint_schema("the tip's height")},
      {"best_hash", hash_schema("the tip's hash")},
      {"best_time", uint_schema("the tip's timestamp, unix seconds")},
      {"median_time_past", uint_schema("the tip's median time past, unix seconds")},
      {"chain_work", hash_schema("cumulative work of the best chain, 256-bit big-endian")},
      {"target", hash_schema("the tip's proof-of-work target, 256-bit big-endian")},
      {"finalized_height", uint_schema("height of the last finalized checkpoint (0 without finality)")},
      {"finalized_hash", hash_schema("hash of the last finalized checkpoint")},
      {"prune_height", uint_schema("block data below this height was pruned (0: none)")},
  });
  m.examples = {{"regtest tip",
                 json::object(),
                 {{"network", "regtest"},
                  {"genesis_hash", kHashD},
                  {"height", 1200},
                  {"best_hash", kHashA},
                  {"best_time", 1764000000},
                  {"median_time_past", 1763999400},
                  {"chain_work", "00000000000000000000000000000000000000000000000000000004b004b004"},
                  {"target", "00000fffff000000000000000000000000000000000000000000000000000000"},
                  {"finalized_height", 1150},
                  {"finalized_hash", kHashC},
                  {"prune_height", 0}}}};
  m.handler = [&s](const json&, const CallContext&) -> MethodResult {
    const BlockNode& tip = s.chain.tip();
    const json header = header_json(s.chain, tip);
    const uint64_t finalized = s.chain.finalized_height();
    return json{{"network", std::string(network_name(s.network))},
                {"genesis_hash", s.chain.at_height(0)->hash.hex()},
                {"height", tip.height()},
                {"best_hash", tip.hash.hex()},
                {"best_time", tip.header.timestamp},
                {"median_time_past", header.at("median_time_past")},
                {"chain_work", header.at("chain_work")},
                {"target", header.at("target")},
                {"finalized_height", finalized},
                {"finalized_hash", s.chain.at_height(finalized)->hash.hex()},
                {"prune_height", s.chain.prune_height()}};
  };
  return m;
}

MethodSpec chain_get_block_hash(const ChainServices& s) {
  MethodSpec m;
  m.name = "chain_get_block_hash";
  m.summary = "The hash of the best chain's block at a height";
  m.params = {{"height", "a height at most the tip's", uint_schema("a block height"), true, std::nullopt}};
  m.result_name = "hash";
  m.result_schema = hash_schema("the block hash");
  m.errors = {kNotFoundBlock};
  m.examples = {{"height 1200", {{"height", 1200}}, kHashA}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    const auto height = params.at("height").get<uint64_t>();
    const BlockNode* node = s.chain.at_height(height);
    if (node == nullptr) {
      return not_found("no block at height " + std::to_string(height) + ": the tip is at " +
                       std::to_string(s.chain.tip().height()));
    }
    return json(node->hash.hex());
  };
  return m;
}

MethodSpec chain_get_header(const ChainServices& s) {
  MethodSpec m;
  m.name = "chain_get_header";
  m.summary = "A block header with its place in the chain";
  m.params = {block_selector_param()};
  m.result_name = "header";
  m.result_schema = header_schema();
  m.errors = {kNotFoundBlock};
  m.examples = {{"by height", {{"block", 1200}}, example_header()}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto node = block_param(s, params);
    if (auto* error = std::get_if<RpcError>(&node)) return *error;
    return header_json(s.chain, *std::get<const BlockNode*>(node));
  };
  return m;
}

MethodSpec chain_get_block(const ChainServices& s) {
  MethodSpec m;
  m.name = "chain_get_block";
  m.summary = "A block: its header, size and transactions";
  m.params = {block_selector_param(),
              {"transactions",
               "\"none\": header and counts only; \"ids\": txids; \"full\": transaction objects",
               {{"type", "string"}, {"enum", {"none", "ids", "full"}}},
               false,
               json("ids")}};
  m.result_name = "block";
  m.result_schema = block_schema();
  m.errors = {kNotFoundBlock, kPruned};
  json example = example_header();
  example["size"] = 620;
  example["tx_count"] = 2;
  example["vote_count"] = 0;
  example["transactions"] = {kHashC, kHashB};
  m.examples = {{"txids", {{"block", kHashA}, {"transactions", "ids"}}, example}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto node = block_param(s, params);
    if (auto* error = std::get_if<RpcError>(&node)) return *error;
    const BlockNode& n = *std::get<const BlockNode*>(node);
    auto block = read_body(s, n);
    if (auto* error = std::get_if<RpcError>(&block)) return *error;
    const std::string detail = params.at("transactions").get<std::string>();
    const TxDetail d = detail == "none" ? TxDetail::none : detail == "full" ? TxDetail::full : TxDetail::ids;
    return block_json(s.chain, n, std::get<Block>(block), d, s.network);
  };
  return m;
}

MethodSpec chain_get_raw_block(const ChainServices& s) {
  MethodSpec m;
  m.name = "chain_get_raw_block";
  m.summary = "A block's canonical encoding as hex";
  m.params = {block_selector_param()};
  m.result_name = "block";
  m.result_schema = hex_schema("the encoded block (docs/consensus.md)");
  m.errors = {kNotFoundBlock, kPruned};
  m.examples = {{"by hash", {{"block", kHashA}}, "01000000b004000000000000" + kHashD}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto node = block_param(s, params);
    if (auto* error = std::get_if<RpcError>(&node)) return *error;
    auto block = read_body(s, *std::get<const BlockNode*>(node));
    if (auto* error = std::get_if<RpcError>(&block)) return *error;
    return json(to_hex(encode(std::get<Block>(block))));
  };
  return m;
}

// ---- tx_ --------------------------------------------------------------------------------

// A transaction from the mempool or the best chain.
struct FoundTx {
  Transaction tx;
  std::optional<TxPosition> where;  // nullopt: in the mempool
};

std::variant<FoundTx, RpcError> find_tx(const ChainServices& s, const Txid& id) {
  if (auto pooled = s.mempool.entry(id)) return FoundTx{std::move(pooled->tx), std::nullopt};
  auto where = locate_transaction(s.store, s.chain, id);
  if (!where) return to_rpc_error(where.error());
  if (!*where) return not_found("transaction " + id.hex() + " is in neither the mempool nor the best chain");
  const BlockNode& node = *s.chain.find((*where)->block);
  if (body_pruned(s.chain, node)) return pruned(s, node);
  auto found = find_transaction(s.store, s.chain, id);
  if (!found) return to_rpc_error(found.error());
  return FoundTx{std::move((*found)->tx), (*found)->where};
}

json location_schema() {
  return object_schema(
      {{"block_hash", hash_schema("the block that holds it")},
       {"height", uint_schema("the block's height")},
       {"position", uint_schema("its index in the block (0: the coinbase)")},
       {"confirmations", uint_schema("blocks from its block to the tip, its block included")}});
}

json location_json(const TxPosition& where) {
  return {{"block_hash", where.block.hex()},
          {"height", where.height},
          {"position", where.position},
          {"confirmations", where.confirmations}};
}

MethodSpec tx_get(const ChainServices& s) {
  MethodSpec m;
  m.name = "tx_get";
  m.summary = "A transaction from the mempool or the best chain, with where it is";
  m.params = {txid_param()};
  m.result_name = "transaction";
  json location = location_schema();
  m.result_schema = extend_object_schema(transaction_schema(),
                                         {{"location",
                                           {{"oneOf", {location, {{"type", "null"}}}},
                                            {"description", "its block and position; null in the mempool"}}},
                                          {"in_mempool", bool_schema("whether it waits in the mempool")}});
  m.errors = {kNotFoundTx, kPruned};
  json example = example_transaction();
  example["location"] = {{"block_hash", kHashA}, {"height", 1200}, {"position", 1}, {"confirmations", 3}};
  example["in_mempool"] = false;
  m.examples = {{"confirmed", {{"txid", kHashB}}, example}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto found = find_tx(s, hash_param(params, "txid"));
    if (auto* error = std::get_if<RpcError>(&found)) return *error;
    const FoundTx& f = std::get<FoundTx>(found);
    json out = transaction_json(f.tx, s.network);
    out["location"] = f.where ? location_json(*f.where) : json(nullptr);
    out["in_mempool"] = !f.where.has_value();
    return out;
  };
  return m;
}

MethodSpec tx_get_raw(const ChainServices& s) {
  MethodSpec m;
  m.name = "tx_get_raw";
  m.summary = "A transaction's full encoding (witnesses included) as hex";
  m.params = {txid_param()};
  m.result_name = "transaction";
  m.result_schema = hex_schema("the encoded transaction (docs/consensus.md)");
  m.errors = {kNotFoundTx, kPruned};
  m.examples = {{"by txid", {{"txid", kHashB}}, "0100000001" + kHashC}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto found = find_tx(s, hash_param(params, "txid"));
    if (auto* error = std::get_if<RpcError>(&found)) return *error;
    return json(to_hex(encode(std::get<FoundTx>(found).tx)));
  };
  return m;
}

MethodSpec tx_get_receipt(const ChainServices& s) {
  MethodSpec m;
  m.name = "tx_get_receipt";
  m.summary = "Whether a transaction is confirmed, and where (works for pruned blocks too)";
  m.params = {txid_param()};
  m.result_name = "receipt";
  m.result_schema = object_schema(
      {{"txid", hash_schema("the transaction id")},
       {"status",
        {{"type", "string"},
         {"enum", {"confirmed", "pending"}},
         {"description", "confirmed in the best chain, or pending in the mempool"}}},
       {"block_hash", hash_schema("confirmed: its block")},
       {"height", uint_schema("confirmed: its block's height")},
       {"position", uint_schema("confirmed: its index in the block")},
       {"confirmations", uint_schema("confirmed: blocks from its block to the tip, its block included")},
       {"fee", amount_schema("the fee paid: pending, as the mempool counts it (with a staking transaction's "
                             "stake flow); confirmed, inputs less outputs, absent for a coinbase, a staking "
                             "transaction and a pruned block")}},
      {"block_hash", "height", "position", "confirmations", "fee"});
  m.errors = {kNotFoundTx};
  m.examples = {{"confirmed",
                 {{"txid", kHashB}},
                 {{"txid", kHashB},
                  {"status", "confirmed"},
                  {"block_hash", kHashA},
                  {"height", 1200},
                  {"position", 1},
                  {"confirmations", 3},
                  {"fee", "10000"}}},
                {"pending", {{"txid", kHashC}}, {{"txid", kHashC}, {"status", "pending"}, {"fee", "10000"}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    const Txid id = hash_param(params, "txid");
    if (const auto fee = s.mempool.fee(id)) {
      return json{{"txid", id.hex()}, {"status", "pending"}, {"fee", amount_string(*fee)}};
    }
    auto where = locate_transaction(s.store, s.chain, id);
    if (!where) return to_rpc_error(where.error());
    if (!*where)
      return not_found("transaction " + id.hex() + " is in neither the mempool nor the best chain");
    json out = location_json(**where);
    out["txid"] = id.hex();
    out["status"] = "confirmed";
    if (!body_pruned(s.chain, *s.chain.find((*where)->block))) {
      auto fee = confirmed_fee(s.store, s.chain, id);
      if (!fee) return to_rpc_error(fee.error());
      if (*fee) out["fee"] = amount_string(**fee);
    }
    return out;
  };
  return m;
}

MethodSpec tx_get_proof(const ChainServices& s) {
  MethodSpec m;
  m.name = "tx_get_proof";
  m.summary = "A Merkle inclusion proof of a confirmed transaction in its block's tx_root";
  m.description =
      "The RFC 6962 audit path of the txid among the block's txids (crypto/merkle.h): leaf = "
      "H(\"cairn v1 merkle leaf\", txid), nodes H(\"cairn v1 merkle node\", left || right); "
      "verify with verify_merkle_proof(txid, {position, tx_count, branch}, merkle_root).";
  m.params = {txid_param()};
  m.result_name = "proof";
  m.result_schema = object_schema({{"txid", hash_schema("the transaction id")},
                                   {"block_hash", hash_schema("the block that holds it")},
                                   {"height", uint_schema("the block's height")},
                                   {"position", uint_schema("its index in the block")},
                                   {"tx_count", uint_schema("transactions in the block: the tree's size")},
                                   {"merkle_root", hash_schema("the header's tx_root")},
                                   {"branch",
                                    {{"type", "array"},
                                     {"items", hash_schema("a sibling hash")},
                                     {"description", "sibling hashes from the leaf up"}}}});
  m.errors = {{error_code::not_found, "no such transaction in the best chain"}, kPruned};
  m.examples = {{"second of three",
                 {{"txid", kHashB}},
                 {{"txid", kHashB},
                  {"block_hash", kHashA},
                  {"height", 1200},
                  {"position", 1},
                  {"tx_count", 3},
                  {"merkle_root", kHashD},
                  {"branch", {kHashC, kHashA}}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    const Txid id = hash_param(params, "txid");
    auto where = locate_transaction(s.store, s.chain, id);
    if (!where) return to_rpc_error(where.error());
    if (!*where) {
      return not_found("transaction " + id.hex() + " is not in the best chain" +
                       (s.mempool.contains(id) ? " (it waits in the mempool)" : ""));
    }
    const BlockNode& node = *s.chain.find((*where)->block);
    if (body_pruned(s.chain, node)) return pruned(s, node);
    auto proof = transaction_proof(s.store, s.chain, id);
    if (!proof) return to_rpc_error(proof.error());
    const TxInclusionProof& p = **proof;
    json branch = json::array();
    for (const Hash256& h : p.proof.path) branch.push_back(h.hex());
    return json{{"txid", id.hex()},           {"block_hash", p.where.block.hex()},
                {"height", p.where.height},   {"position", p.where.position},
                {"tx_count", p.proof.size},   {"merkle_root", p.tx_root.hex()},
                {"branch", std::move(branch)}};
  };
  return m;
}

std::string rejection_message(const MempoolVerdict& verdict) {
  std::string message = std::string("transaction rejected: ") + to_string(verdict.reason);
  if (verdict.reason == MempoolReject::lock_failed) {
    message += " (input " + std::to_string(verdict.input) + ": " + to_string(verdict.lock_error) + ")";
  }
  if (verdict.rule_error) {
    message +=
        " (" + std::string(to_string(verdict.rule_error->reason)) + ": " + verdict.rule_error->message + ")";
  }
  return message;
}

MethodSpec tx_send_raw(const ChainServices& s) {
  MethodSpec m;
  m.name = "tx_send_raw";
  m.group = MethodGroup::admin_group;
  m.summary = "Offers an encoded transaction to the mempool (and so to the network)";
  m.params = {{"tx", "the full encoding of the transaction, witnesses included",
               hex_schema("an encoded transaction"), true, std::nullopt}};
  m.result_name = "submitted";
  m.result_schema =
      object_schema({{"txid", hash_schema("the transaction id")},
                     {"status",
                      {{"type", "string"},
                       {"enum", {"accepted", "orphaned"}},
                       {"description", "in the mempool, or kept as an orphan until its parents arrive"}}}});
  m.errors = {
      {error_code::rejected, "the mempool refused it; the message gives the reason (chain/mempool.h)"},
      {error_code::invalid_params, "the hex does not decode as one transaction"}};
  m.examples = {{"accepted", {{"tx", "0100000001" + kHashC}}, {{"txid", kHashB}, {"status", "accepted"}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    const auto bytes = from_hex(params.at("tx").get<std::string>());
    if (!bytes) return invalid_param("tx", bytes.error().message);
    auto tx = decode_transaction(*bytes);
    if (!tx) return invalid_param("tx", tx.error().message);
    const MempoolVerdict verdict = s.submit_transaction(*tx);
    if (verdict.status == TxStatus::rejected) {
      return RpcError{error_code::rejected, rejection_message(verdict),
                      json{{"reason", to_string(verdict.reason)}}};
    }
    return json{{"txid", txid(*tx).hex()},
                {"status", verdict.status == TxStatus::accepted ? "accepted" : "orphaned"}};
  };
  return m;
}

MethodSpec tx_estimate_fee(const ChainServices& s) {
  MethodSpec m;
  m.name = "tx_estimate_fee";
  m.summary = "A fee rate likely to confirm within a number of blocks, from the mempool's contents";
  m.description =
      "Fills `target_blocks` blocks with the mempool's transactions, best package fee rate first: "
      "when they do not all fit, the rate of the first transaction left out (plus one), else the "
      "minimum relay fee rate.";
  m.params = {{"target_blocks",
               "blocks within which the transaction should confirm",
               {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxFeeTargetBlocks}},
               false,
               json(kDefaultFeeTargetBlocks)}};
  m.result_name = "estimate";
  m.result_schema = object_schema(
      {{"fee_rate", amount_schema("base units per 1000 bytes of the full transaction encoding")},
       {"target_blocks", uint_schema("the target it was estimated for")}});
  m.examples = {{"six blocks", {{"target_blocks", 6}}, {{"fee_rate", "1000"}, {"target_blocks", 6}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    const auto target = params.at("target_blocks").get<uint64_t>();
    const U128 room = static_cast<U128>(s.block_bytes) * target;
    Amount rate = s.min_relay_fee.per_kb;
    U128 used = 0;
    const TemplateLimits unlimited{std::numeric_limits<size_t>::max(), std::numeric_limits<size_t>::max()};
    for (const Transaction& tx : s.mempool.select_for_block(unlimited)) {
      const size_t size = encode(tx).size();
      used += size;
      if (used > room) {
        const auto package = s.mempool.ancestor_package(txid(tx));
        const Amount left_out = package ? fee_rate_of(package->fee, package->size)
                                        : fee_rate_of(s.mempool.fee(txid(tx)).value_or(0), size);
        rate = std::max(rate, left_out + 1);
        break;
      }
    }
    return json{{"fee_rate", amount_string(rate)}, {"target_blocks", target}};
  };
  return m;
}

// ---- address_ ---------------------------------------------------------------------------

// Sums of the mempool's transactions paying to and spending from `lock`.
struct Unconfirmed {
  Amount incoming = 0;
  Amount outgoing = 0;
};

// The pool has no index by address: this scans every pool transaction, in pages of
// kPoolScanPage, and looks up the coin each input spends (a pool output, else the chain's
// UTXO cache, which may read the store). O(pool transactions + their inputs) on the chain
// thread; docs/rpc.md says so in address_get_balance's description.
std::variant<Unconfirmed, RpcError> unconfirmed_flows(const ChainServices& s, const OutputLock& lock) {
  Unconfirmed out;
  std::optional<Txid> after;
  for (;;) {
    const std::vector<MempoolEntryInfo> page = s.mempool.entries(after, kPoolScanPage);
    for (const MempoolEntryInfo& e : page) {
      for (const TxOut& o : e.tx.outputs) {
        if (o.lock == lock) out.incoming = checked_add(out.incoming, o.value).value_or(kMaxMoney);
      }
      for (const TxIn& in : e.tx.inputs) {
        std::optional<TxOut> spent = s.mempool.output(in.prevout);
        if (!spent) {
          auto coin = s.chain.coins().get_coin(in.prevout);
          if (!coin) return to_rpc_error(coin.error());
          if (*coin) spent = (*coin)->output;
        }
        if (spent && spent->lock == lock)
          out.outgoing = checked_add(out.outgoing, spent->value).value_or(kMaxMoney);
      }
    }
    if (page.size() < kPoolScanPage) return out;
    after = page.back().txid;
  }
}

MethodSpec address_get_balance(const ChainServices& s) {
  MethodSpec m;
  m.name = "address_get_balance";
  m.summary = "An address's confirmed, immature and unconfirmed amounts";
  m.description =
      "The confirmed amounts come from the address index; the unconfirmed ones from a scan of "
      "the whole mempool (it has no index by address), which costs time in proportion to the "
      "pool's transactions and their inputs.";
  m.params = {address_spec()};
  m.result_name = "balance";
  m.result_schema = object_schema({
      {"confirmed", amount_schema("unspent outputs of the best chain the next block may spend")},
      {"immature", amount_schema("unspent coinbase outputs that are not yet mature")},
      {"unconfirmed_incoming", amount_schema("outputs of mempool transactions paying to the address")},
      {"unconfirmed_outgoing", amount_schema("outputs of the address that mempool transactions spend")},
      {"utxo_count", uint_schema("unspent outputs of the best chain (mature or not)")},
  });
  m.errors = {kBadAddress};
  m.examples = {{"a miner's address",
                 {{"address", kExampleAddress}},
                 {{"confirmed", "150000000000"},
                  {"immature", "5000000000"},
                  {"unconfirmed_incoming", "0"},
                  {"unconfirmed_outgoing", "5000000000"},
                  {"utxo_count", 4}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto lock = address_param(s, params);
    if (auto* error = std::get_if<RpcError>(&lock)) return *error;
    const OutputLock& l = std::get<OutputLock>(lock);
    auto balance = address_balance(s.store, l, s.chain.tip().height(), s.coinbase_maturity);
    if (!balance) return to_rpc_error(balance.error());
    auto flows = unconfirmed_flows(s, l);
    if (auto* error = std::get_if<RpcError>(&flows)) return *error;
    const Unconfirmed& u = std::get<Unconfirmed>(flows);
    return json{{"confirmed", amount_string(balance->confirmed)},
                {"immature", amount_string(balance->immature)},
                {"unconfirmed_incoming", amount_string(u.incoming)},
                {"unconfirmed_outgoing", amount_string(u.outgoing)},
                {"utxo_count", balance->utxo_count}};
  };
  return m;
}

// One page of address outputs, or the RpcError of bad parameters.
std::variant<AddressPage, RpcError> address_page(const ChainServices& s, const json& params,
                                                 AddressFilter filter) {
  auto lock = address_param(s, params);
  if (auto* error = std::get_if<RpcError>(&lock)) return *error;
  AddressPageRequest request;
  request.lock = std::get<OutputLock>(lock);
  request.limit = limit_param(params);
  request.filter = filter;
  if (params.contains("cursor")) {
    auto after = decode_address_cursor(request.lock, params.at("cursor").get<std::string>());
    if (!after) return invalid_param("cursor", after.error().message);
    request.after = *after;
  }
  auto page = address_outputs(s.store, request);
  if (!page) return to_rpc_error(page.error());
  return std::move(*page);
}

json next_cursor(const AddressPage& page) {
  return page.next ? json(encode_address_cursor(*page.next)) : json(nullptr);
}

MethodSpec address_get_utxos(const ChainServices& s) {
  MethodSpec m;
  m.name = "address_get_utxos";
  m.summary = "An address's unspent outputs in the best chain, oldest first, in pages";
  m.description =
      "A page may hold fewer than `limit` items (even none) and still have a next_cursor: each "
      "page examines a bounded number of the address's outputs, spent ones included.";
  m.params = {address_spec(), cursor_spec(), limit_spec()};
  m.result_name = "page";
  m.result_schema = page_schema(object_schema({
      {"txid", hash_schema("the transaction that created the output")},
      {"index", uint_schema("the output's index")},
      {"value", amount_schema("the output's value")},
      {"height", uint_schema("the height of the block that created it")},
      {"coinbase", bool_schema("whether a coinbase created it")},
      {"mature", bool_schema("whether the next block may spend it (coinbase maturity)")},
  }));
  m.errors = {kBadAddress, {error_code::invalid_params, "the cursor is malformed or of another address"}};
  m.examples = {{"first page",
                 {{"address", kExampleAddress}, {"limit", 1}},
                 {{"items",
                   {{{"txid", kHashB},
                     {"index", 0},
                     {"value", "5000000000"},
                     {"height", 1200},
                     {"coinbase", true},
                     {"mature", false}}}},
                  {"next_cursor", "01" + kHashD + "00000000000004b0" + kHashB + "00000000"}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto page = address_page(s, params, AddressFilter::unspent);
    if (auto* error = std::get_if<RpcError>(&page)) return *error;
    const AddressPage& p = std::get<AddressPage>(page);
    const uint64_t tip = s.chain.tip().height();
    json items = json::array();
    for (const AddressOutput& o : p.items) {
      items.push_back({{"txid", o.key.outpoint.txid.hex()},
                       {"index", o.key.outpoint.index},
                       {"value", amount_string(o.entry.value)},
                       {"height", o.key.height},
                       {"coinbase", o.entry.coinbase},
                       {"mature", coin_mature(o.entry.coinbase, o.key.height, tip, s.coinbase_maturity)}});
    }
    return json{{"items", std::move(items)}, {"next_cursor", next_cursor(p)}};
  };
  return m;
}

MethodSpec address_get_history(const ChainServices& s) {
  MethodSpec m;
  m.name = "address_get_history";
  m.summary = "Every output paid to an address in the best chain, in creation order, with its spender";
  m.description = "What a wallet restore scans: the address index in (height, txid, index) order.";
  m.params = {address_spec(), cursor_spec(), limit_spec()};
  m.result_name = "page";
  const json spender = object_schema({{"txid", hash_schema("the spending transaction")},
                                      {"input", uint_schema("the spending input's index")},
                                      {"height", uint_schema("the height of the block that spent it")}});
  m.result_schema = page_schema(object_schema({
      {"txid", hash_schema("the transaction that created the output")},
      {"index", uint_schema("the output's index")},
      {"height", uint_schema("the height of the block that created it")},
      {"coinbase", bool_schema("whether a coinbase created it")},
      {"received", amount_schema("the output's value")},
      {"spent",
       {{"oneOf", {spender, {{"type", "null"}}}}, {"description", "who spent it; null while unspent"}}},
  }));
  m.errors = {kBadAddress, {error_code::invalid_params, "the cursor is malformed or of another address"}};
  m.examples = {{"one spent output",
                 {{"address", kExampleAddress}},
                 {{"items",
                   {{{"txid", kHashB},
                     {"index", 1},
                     {"height", 1199},
                     {"coinbase", false},
                     {"received", "2500000000"},
                     {"spent", {{"txid", kHashC}, {"input", 0}, {"height", 1200}}}}}},
                  {"next_cursor", nullptr}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    auto page = address_page(s, params, AddressFilter::all);
    if (auto* error = std::get_if<RpcError>(&page)) return *error;
    const AddressPage& p = std::get<AddressPage>(page);
    json items = json::array();
    for (const AddressOutput& o : p.items) {
      json spent = nullptr;
      if (o.entry.spent) {
        spent = {{"txid", o.entry.spent->txid.hex()},
                 {"input", o.entry.spent->input},
                 {"height", o.entry.spent->height}};
      }
      items.push_back({{"txid", o.key.outpoint.txid.hex()},
                       {"index", o.key.outpoint.index},
                       {"height", o.key.height},
                       {"coinbase", o.entry.coinbase},
                       {"received", amount_string(o.entry.value)},
                       {"spent", std::move(spent)}});
    }
    return json{{"items", std::move(items)}, {"next_cursor", next_cursor(p)}};
  };
  return m;
}

// ---- mempool_ ---------------------------------------------------------------------------

json pool_entry_schema() {
  return object_schema({
      {"txid", hash_schema("the transaction id")},
      {"wtxid", hash_schema("the hash with witnesses")},
      {"size", uint_schema("bytes of the full encoding")},
      {"fee", amount_schema("the fee the pool counts (with a staking transaction's stake flow)")},
      {"fee_rate", amount_schema("fee in base units per 1000 bytes, rounded down")},
      {"time", uint_schema("when it entered this node's mempool, unix seconds")},
      {"ancestor_fee", amount_schema("fee of the transaction with its unconfirmed ancestors")},
      {"ancestor_size", uint_schema("size of the transaction with its unconfirmed ancestors")},
  });
}

json example_pool_entry() {
  return {{"txid", kHashB},          {"wtxid", kHashC},     {"size", 224},
          {"fee", "10000"},          {"fee_rate", "44642"}, {"time", 1764000000},
          {"ancestor_fee", "10000"}, {"ancestor_size", 224}};
}

MethodSpec mempool_get_info(const ChainServices& s) {
  MethodSpec m;
  m.name = "mempool_get_info";
  m.summary = "The mempool's size, limit, minimum fee rate and total fees";
  m.result_name = "info";
  m.result_schema = object_schema({
      {"count", uint_schema("transactions in the pool (orphans not counted)")},
      {"bytes", uint_schema("sum of their encoded sizes")},
      {"max_bytes", uint_schema("the pool's size limit")},
      {"min_fee_rate", amount_schema("the minimum relay fee rate, base units per 1000 bytes")},
      {"total_fees", amount_schema("sum of the pool's fees")},
  });
  m.examples = {{"two transactions",
                 json::object(),
                 {{"count", 2},
                  {"bytes", 448},
                  {"max_bytes", 300000000},
                  {"min_fee_rate", "1000"},
                  {"total_fees", "20000"}}}};
  m.handler = [&s](const json&, const CallContext&) -> MethodResult {
    return json{{"count", s.mempool.size()},
                {"bytes", s.mempool.bytes()},
                {"max_bytes", s.mempool_max_bytes},
                {"min_fee_rate", amount_string(s.min_relay_fee.per_kb)},
                {"total_fees", amount_string(s.mempool.total_fees())}};
  };
  return m;
}

MethodSpec mempool_get_transactions(const ChainServices& s) {
  MethodSpec m;
  m.name = "mempool_get_transactions";
  m.summary = "The mempool's transactions in txid order, in pages";
  m.description =
      "Ascending txid order (Mempool::entries) does not change as transactions arrive or leave: "
      "paging with next_cursor sees each transaction that stays in the pool exactly once.";
  m.params = {cursor_spec(),
              limit_spec(),
              {"verbose", "false: txids; true: transaction objects with their fees and entry times",
               bool_schema("detail"), false, json(false)}};
  m.result_name = "page";
  json verbose_item = extend_object_schema(
      transaction_schema(), {{"fee", amount_schema("the fee the pool counts")},
                             {"fee_rate", amount_schema("base units per 1000 bytes, rounded down")},
                             {"time", uint_schema("when it entered this node's mempool, unix seconds")}});
  m.result_schema = page_schema({{"oneOf", {hash_schema("a txid"), verbose_item}}});
  m.errors = {{error_code::invalid_params, "the cursor is not a txid"}};
  m.examples = {{"txids", {{"limit", 2}}, {{"items", {kHashB, kHashC}}, {"next_cursor", kHashC}}}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    std::optional<Txid> after;
    if (params.contains("cursor")) {
      auto cursor = Txid::from_hex(params.at("cursor").get<std::string>());
      if (!cursor) return invalid_param("cursor", "not a txid: " + cursor.error().message);
      after = *cursor;
    }
    const size_t limit = limit_param(params);
    const bool verbose = params.at("verbose").get<bool>();
    // One more than the page: whether there is a next page.
    std::vector<MempoolEntryInfo> entries = s.mempool.entries(after, limit + 1);
    json next = nullptr;
    if (entries.size() > limit) {
      entries.pop_back();
      next = entries.back().txid.hex();
    }
    json items = json::array();
    for (const MempoolEntryInfo& e : entries) {
      if (!verbose) {
        items.push_back(e.txid.hex());
        continue;
      }
      json tx = transaction_json(e.tx, s.network);
      tx["fee"] = amount_string(e.fee);
      tx["fee_rate"] = amount_string(fee_rate_of(e.fee, e.size));
      tx["time"] = e.time;
      items.push_back(std::move(tx));
    }
    return json{{"items", std::move(items)}, {"next_cursor", std::move(next)}};
  };
  return m;
}

MethodSpec mempool_get_entry(const ChainServices& s) {
  MethodSpec m;
  m.name = "mempool_get_entry";
  m.summary = "One mempool transaction's size, fee, entry time and ancestor package";
  m.params = {txid_param()};
  m.result_name = "entry";
  m.result_schema = pool_entry_schema();
  m.errors = {{error_code::not_found, "the transaction is not in the mempool"}};
  m.examples = {{"a pending payment", {{"txid", kHashB}}, example_pool_entry()}};
  m.handler = [&s](const json& params, const CallContext&) -> MethodResult {
    const Txid id = hash_param(params, "txid");
    auto entry = s.mempool.entry(id);
    if (!entry) return not_found("transaction " + id.hex() + " is not in the mempool");
    return pool_entry_json(*entry);
  };
  return m;
}

}  // namespace

Status register_chain_methods(Registry& registry, const ChainServices& services) {
  using Factory = MethodSpec (*)(const ChainServices&);
  for (Factory make : {chain_get_info, chain_get_block_hash, chain_get_header, chain_get_block,
                       chain_get_raw_block, tx_get, tx_get_raw, tx_get_receipt, tx_get_proof, tx_send_raw,
                       tx_estimate_fee, address_get_balance, address_get_utxos, address_get_history,
                       mempool_get_info, mempool_get_transactions, mempool_get_entry}) {
    CAIRN_TRY_STATUS(registry.add(make(services)));
  }
  return {};
}

}  // namespace cairn::rpc
