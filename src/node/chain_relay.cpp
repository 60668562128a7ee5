// NetworkService's chain side: the headers, blocks and blocktxn servers and clients, the
// block download (BlockSync on the chain thread), gossip validation of transactions, votes
// and compact blocks, block reconstruction from the mempool, and relay of our own blocks,
// transactions and votes. See network_state.h for the threads.
#include <algorithm>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/coro.h"  // first: its pragmas must precede Asio's coroutine code
#include "net/identify.h"
#include "net/multiformats.h"
#include "node/logging.h"
#include "node/network_state.h"
#include "util/progress.h"

namespace cairn {
namespace {

// Runs `fn` on the chain thread and resumes the calling coroutine on its own executor with
// the result: the network never blocks on the chain thread. nullopt once the node stopped
// taking work (Node::post refused it).
template <class T, class F>
asio::awaitable<std::optional<T>> on_chain_thread(Node& node, F fn) {
  auto executor = co_await asio::this_coro::executor;
  auto initiate = [&node, executor](auto handler, F task) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    const bool posted = node.post([shared, executor, task = std::move(task)]() mutable {
      std::optional<T> result(task());
      asio::post(executor, [shared, result = std::move(result)]() mutable { (*shared)(std::move(result)); });
    });
    if (!posted) asio::post(executor, [shared]() mutable { (*shared)(std::optional<T>()); });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::optional<T>)>(
      std::move(initiate), asio::use_awaitable, std::move(fn));
}

ByteSpan payload(const net::pb::Message& message) { return as_bytes(message.data()); }

// Whether a mempool refusal proves the transaction invalid under the consensus rules (the
// relaying peer's fault), rather than a matter of policy, timing or our pool's state.
bool consensus_invalid(MempoolReject reason) {
  switch (reason) {
    case MempoolReject::coinbase:
    case MempoolReject::no_inputs:
    case MempoolReject::no_outputs:
    case MempoolReject::duplicate_input:
    case MempoolReject::bad_amount:
    case MempoolReject::insufficient_funds:
    case MempoolReject::lock_failed:
    case MempoolReject::stake_rejected:
    case MempoolReject::contract_rejected:
      return true;
    default:
      return false;
  }
}

// Whether a vote refusal proves the vote bad (rather than late, early or a duplicate).
bool vote_invalid(VoteReject reason) {
  return reason == VoteReject::bad_signature || reason == VoteReject::not_a_validator ||
         reason == VoteReject::bad_epochs;
}

template <class T>
void remember(std::set<T>& set, std::deque<T>& order, const T& value, size_t bound) {
  if (!set.insert(value).second) return;
  order.push_back(value);
  while (order.size() > bound) {
    set.erase(order.front());
    order.pop_front();
  }
}

}  // namespace

void NetworkService::State::attach_to_chain() {
  // Requests time out below a stream's read timeout (net::kDefaultStreamTimeout): an
  // unanswered request is then the download's stalling verdict (penalised, reassigned)
  // rather than a stream failure it reads as "the peer lacks these blocks".
  net::BlockSyncOptions sync_options;
  sync_options.request_timeout_ns = std::chrono::nanoseconds(kSyncRequestTimeout).count();
  sync = std::make_unique<net::BlockSync>(node.chain_manager(), node.rules(), clock, sync_options);
  chain_events = std::make_unique<ChainEvents>(*this);
  node.add_chain_listener(*chain_events);
  std::weak_ptr<State> weak = weak_from_this();
  node.add_transaction_observer([weak](const Transaction& tx) {
    auto self = weak.lock();
    // A transaction from gossip is forwarded by the router once validated.
    if (self && !self->relaying) self->publish(self->tx_topic, encode(tx));
  });
  node.add_vote_observer([weak](const Vote& vote) {
    if (auto self = weak.lock()) self->publish(self->vote_topic, encode(vote));
  });
  refresh_chain_snapshot();
}

void NetworkService::State::refresh_chain_snapshot() {
  const ChainManager& chain = node.chain();
  ChainSnapshot snapshot;
  snapshot.best_hash = chain.tip().hash;
  snapshot.best_height = chain.tip().height();
  snapshot.best_work = chain.tip().work;
  snapshot.finalized_height = chain.has_finality() ? chain.finalized_height() : 0;
  const BlockNode* finalized = chain.at_height(snapshot.finalized_height);
  snapshot.finalized_hash = finalized != nullptr ? finalized->hash : params.genesis_hash;
  net::BlockSync::Progress progress = sync->progress(now_ns());
  const MutexLock lock(mutex);
  chain_snapshot = snapshot;
  sync_progress = std::move(progress);
}

void NetworkService::State::announce_tip() {
  if (stopping.load()) return;
  const ChainManager& chain = node.chain();
  const BlockHash tip = chain.tip().hash;
  if (gossip_blocks.contains(tip)) return;
  // While catching up, peers have these blocks already; announce only at the front (by
  // the progress refresh_chain_snapshot() computed for this tip change).
  {
    const MutexLock lock(mutex);
    if (sync_progress.syncing) return;
  }
  auto block = chain.read_block(tip);
  if (!block) return;
  remember(gossip_blocks, gossip_blocks_order, tip, kMaxRememberedBlocks);
  const net::CompactBlock compact = net::make_compact_block(*block, rng.next_u64());
  publish(block_topic, net::encode(compact), &blocks_relayed);
}

void NetworkService::State::publish(std::string topic, Bytes data, std::atomic<uint64_t>* published_count) {
  if (stopping.load()) return;
  auto self = shared_from_this();
  asio::co_spawn(
      io,
      [self, topic = std::move(topic), data = std::move(data),
       published_count]() mutable -> asio::awaitable<void> {
        auto published = co_await self->gossip->publish(topic, std::move(data));
        if (!published) {
          log_debug(LogComponent::net, "publish failed",
                    {kv("topic", topic), kv("error", published.error().message)});
        } else if (published_count != nullptr) {
          ++*published_count;
        }
      },
      asio::detached);
}

// ---- servers ------------------------------------------------------------------------------

void NetworkService::State::register_protocols() {
  std::weak_ptr<State> weak = weak_from_this();
  auto handler = [weak](asio::awaitable<void> (State::*serve)(net::Stream)) -> net::StreamHandler {
    return [weak, serve](net::Stream stream) -> asio::awaitable<void> {
      if (auto self = weak.lock()) co_await ((*self).*serve)(std::move(stream));
    };
  };
  host->set_handler(status_id, handler(&State::serve_status));
  host->set_handler(headers_id, handler(&State::serve_headers));
  host->set_handler(blocks_id, handler(&State::serve_blocks));
  host->set_handler(blocktxn_id, handler(&State::serve_blocktxn));
}

namespace {

// The headers of the best chain after the first locator entry on it (genesis when none
// is), up to `max_count` or the stop hash. Chain thread.
std::vector<BlockHeader> headers_after(const ChainManager& chain, const net::GetHeaders& request) {
  const BlockNode* fork = chain.at_height(0);
  for (const BlockHash& hash : request.locator) {
    const BlockNode* node = chain.find(hash);
    if (node != nullptr && chain.at_height(node->height()) == node) {
      fork = node;
      break;
    }
  }
  std::vector<BlockHeader> out;
  for (uint64_t height = fork->height() + 1; height <= chain.tip().height() && out.size() < request.max_count;
       ++height) {
    const BlockNode* node = chain.at_height(height);
    out.push_back(node->header);
    if (node->hash == request.stop) break;
  }
  return out;
}

}  // namespace

asio::awaitable<void> NetworkService::State::serve_headers(net::Stream stream) {
  const net::PeerId peer = stream.connection().remote_peer();
  auto frame = co_await net::read_length_prefixed(stream, net::kMaxGetHeadersFrameBytes);
  if (!frame) co_return;
  count_message(headers_id, true);
  if (!co_await pace(peer, net::ProtocolKind::headers)) co_return;
  auto request = net::decode_get_headers(*frame);
  if (!request) {
    misbehaved(peer, net::Misbehavior::malformed_message, "getheaders: " + request.error().message);
    co_return;
  }
  // Named, not a temporary in the co_await: GCC 12 destroys such a lambda twice (asio#858).
  auto find_headers = [this, request = std::move(*request)] { return headers_after(node.chain(), request); };
  auto headers = co_await on_chain_thread<std::vector<BlockHeader>>(node, std::move(find_headers));
  if (!headers) co_return;
  net::Headers reply{std::move(*headers)};
  const Bytes encoded = net::encode(reply);
  if (co_await write_frame(stream, encoded)) count_message(headers_id, false);
}

asio::awaitable<void> NetworkService::State::serve_blocks(net::Stream stream) {
  const net::PeerId peer = stream.connection().remote_peer();
  auto frame = co_await net::read_length_prefixed(stream, net::kMaxGetBlocksFrameBytes);
  if (!frame) co_return;
  count_message(blocks_id, true);
  auto request = net::decode_get_blocks(*frame);
  if (!request) {
    misbehaved(peer, net::Misbehavior::malformed_message, "getblocks: " + request.error().message);
    co_return;
  }
  const auto cost = static_cast<uint32_t>(request->hashes.size());
  if (!co_await pace(peer, net::ProtocolKind::blocks, cost)) co_return;
  for (const BlockHash& hash : request->hashes) {
    // Encoded on the chain thread: the bytes are what goes out.
    auto read = [this, hash]() -> std::optional<Bytes> {
      auto block = node.chain().read_block(hash);
      if (!block) return std::nullopt;
      return encode(*block);
    };
    auto encoded = co_await on_chain_thread<std::optional<Bytes>>(node, std::move(read));
    if (!encoded || !*encoded) break;  // we lack it (or stop): the peer asks elsewhere
    if (!co_await write_frame(stream, **encoded)) co_return;
    count_message(blocks_id, false);
  }
  co_await finish_stream(stream);
}

asio::awaitable<void> NetworkService::State::serve_blocktxn(net::Stream stream) {
  const net::PeerId peer = stream.connection().remote_peer();
  auto frame = co_await net::read_length_prefixed(stream, net::max_get_block_txn_frame(params));
  if (!frame) co_return;
  count_message(blocktxn_id, true);
  if (!co_await pace(peer, net::ProtocolKind::blocktxn)) co_return;
  auto request = net::decode_get_block_txn(*frame);
  if (!request) {
    misbehaved(peer, net::Misbehavior::malformed_message, "getblocktxn: " + request.error().message);
    co_return;
  }
  // nullopt: we lack the block; an empty reply: an index outside it.
  auto pick = [this, request = std::move(*request)]() -> std::optional<net::BlockTxn> {
    auto block = node.chain().read_block(request.block);
    if (!block) return std::nullopt;
    net::BlockTxn out;
    out.block = request.block;
    for (uint32_t index : request.indexes) {
      if (index >= block->transactions.size()) return net::BlockTxn{};
      out.transactions.push_back(block->transactions[index]);
    }
    return out;
  };
  auto reply = co_await on_chain_thread<std::optional<net::BlockTxn>>(node, std::move(pick));
  if (!reply || !*reply) co_return;
  if ((*reply)->transactions.empty()) {
    misbehaved(peer, net::Misbehavior::malformed_message, "getblocktxn: an index outside the block");
    co_return;
  }
  const Bytes encoded = net::encode(**reply);
  if (co_await write_frame(stream, encoded)) count_message(blocktxn_id, false);
}

// ---- the block download -------------------------------------------------------------------

void NetworkService::State::sync_peer_status(const net::PeerId& peer, const net::StatusMessage& status) {
  auto self = shared_from_this();
  node.post([self, peer, status] {
    self->sync->add_peer(peer,
                         net::PeerChainState{status.best_hash, status.best_height, status.best_work,
                                             status.finalized_hash, status.finalized_height},
                         self->now_ns());
    self->drive_sync();
  });
}

void NetworkService::State::sync_peer_removed(const net::PeerId& peer) {
  auto self = shared_from_this();
  node.post([self, peer] {
    self->sync->remove_peer(peer, self->now_ns());
    self->drive_sync();
  });
}

void NetworkService::State::sync_tick() {
  sync->tick(now_ns());
  drive_sync();
}

void NetworkService::State::drive_sync() {
  if (stopping.load()) return;
  net::BlockSync::Actions actions = sync->take_actions();
  auto self = shared_from_this();
  for (net::BlockSync::HeadersRequest& request : actions.headers) {
    asio::co_spawn(
        io,
        [self, request = std::move(request)]() mutable -> asio::awaitable<void> {
          co_await self->fetch_headers(std::move(request));
        },
        asio::detached);
  }
  for (net::BlockSync::BlocksRequest& request : actions.blocks) {
    asio::co_spawn(
        io,
        [self, request = std::move(request)]() mutable -> asio::awaitable<void> {
          co_await self->fetch_blocks(std::move(request));
        },
        asio::detached);
  }
  for (const net::BlockSync::Penalty& penalty : actions.penalties)
    misbehaved(penalty.peer, penalty.reason, penalty.detail);
  for (const net::PeerId& peer : actions.disconnect)
    host->disconnect(peer, "dropped by the block download (stalling)");
  if (actions.fatal) {
    log_critical(LogComponent::sync, "the chain state store failed during the block download; stopping",
                 {kv("error", actions.fatal->message)});
    node.request_stop();
  }
  net::BlockSync::Progress progress = sync->progress(now_ns());
  {
    const MutexLock lock(mutex);
    sync_progress = progress;
  }
  log_sync_progress(progress);
}

void NetworkService::State::log_sync_progress(const net::BlockSync::Progress& progress) {
  const int64_t now = now_ns();
  if (!progress.syncing) {
    // The download caught up since the last progress line: say so, with the 100% a reader
    // waits for. A node that never fell behind logs nothing.
    if (last_progress_log != 0) {
      last_progress_log = 0;
      log_info(LogComponent::sync, "block download done",
               {kv("progress", "100.0%"), kv("blocks", progress.tip_height),
                kv("headers", progress.tip_height), kv("peers", progress.peers)});
    }
    return;
  }
  if (progress.following_finality) {
    // Our tip and best header are on the branch being left: no percentage of them.
    if (last_progress_log != 0 &&
        now - last_progress_log < std::chrono::nanoseconds(kProgressLogInterval).count())
      return;
    last_progress_log = now;
    log_info(
        LogComponent::sync, "block download of a peer's chain with a finalized checkpoint ours lacks",
        {kv("target", progress.target_height), kv("blocks_left", progress.blocks_remaining),
         kv("tip", progress.tip_height), kv("rate", fmt::format("{:.1f}blk/s", progress.blocks_per_second)),
         kv("peers", progress.peers), kv("in_flight", progress.blocks_in_flight)});
    return;
  }
  // best_header_height is at least tip_height.
  const uint64_t tenth =
      progress.best_header_height == 0 ? 0 : progress.tip_height * 10 / progress.best_header_height;
  const bool first = last_progress_log == 0;
  if (!first && tenth == last_progress_tenth &&
      now - last_progress_log < std::chrono::nanoseconds(kProgressLogInterval).count())
    return;
  last_progress_log = now;
  last_progress_tenth = tenth;
  log_info(LogComponent::sync, "block download",
           {kv("progress", progress_percent(progress.tip_height, progress.best_header_height)),
            kv("blocks", progress.tip_height), kv("headers", progress.best_header_height),
            kv("rate", fmt::format("{:.1f}blk/s", progress.blocks_per_second)),
            kv("eta", progress.eta_seconds ? format_duration(*progress.eta_seconds) : std::string("unknown")),
            kv("peers", progress.peers), kv("in_flight", progress.blocks_in_flight)});
}

asio::awaitable<Result<Bytes>> NetworkService::State::request_one(net::PeerId peer,
                                                                  const std::string& protocol, Bytes message,
                                                                  size_t reply_cap) {
  const std::vector<std::string> protocols{protocol};
  auto stream = co_await host->new_stream(peer, protocols);
  if (!stream) co_return stream.error();
  const Status written = co_await write_frame(*stream, message);
  if (!written) {
    co_await finish_stream(*stream);
    co_return written.error();
  }
  count_message(protocol, false);
  auto frame = co_await net::read_length_prefixed(*stream, reply_cap);
  co_await finish_stream(*stream);
  if (frame) count_message(protocol, true);
  co_return frame;
}

asio::awaitable<void> NetworkService::State::fetch_headers(net::BlockSync::HeadersRequest request) {
  const net::PeerId peer = request.peer;
  const uint64_t id = request.id;
  auto self = shared_from_this();
  auto failed = [self, peer, id] {
    self->node.post([self, peer, id] {
      self->sync->on_request_failed(peer, id, self->now_ns());
      self->drive_sync();
    });
  };
  net::GetHeaders message{std::move(request.locator), request.stop, request.max_count};
  auto frame = co_await request_one(peer, headers_id, net::encode(message), net::kMaxHeadersFrameBytes);
  if (!frame) {
    failed();
    co_return;
  }
  auto reply = net::decode_headers(*frame);
  if (!reply) {
    misbehaved(peer, net::Misbehavior::malformed_message, "headers: " + reply.error().message);
    failed();
    co_return;
  }
  node.post([self, peer, headers = std::move(reply->headers)]() mutable {
    self->sync->on_headers(peer, std::move(headers), self->now_ns());
    self->drive_sync();
  });
}

asio::awaitable<void> NetworkService::State::fetch_blocks(net::BlockSync::BlocksRequest request) {
  const net::PeerId peer = request.peer;
  const uint64_t id = request.id;
  auto self = shared_from_this();
  const std::vector<std::string> protocols{blocks_id};
  auto stream = co_await host->new_stream(peer, protocols);
  size_t delivered = 0;
  if (stream) {
    net::GetBlocks message{request.hashes};
    const Bytes encoded = net::encode(message);
    if (co_await write_frame(*stream, encoded)) {
      count_message(blocks_id, false);
      const size_t cap = net::max_block_frame(params);
      while (delivered < request.hashes.size()) {
        auto frame = co_await net::read_length_prefixed(*stream, cap);
        if (!frame) break;  // the responder stopped early, or the stream failed
        count_message(blocks_id, true);
        auto block = decode_block(*frame);
        if (!block) {
          misbehaved(peer, net::Misbehavior::malformed_message, "block: " + block.error().message);
          break;
        }
        ++delivered;
        node.post([self, peer, block = std::move(*block)]() mutable {
          self->sync->on_block(peer, std::move(block), self->now_ns());
          self->drive_sync();
        });
      }
    }
    co_await finish_stream(*stream);
  }
  if (delivered < request.hashes.size()) {
    node.post([self, peer, id] {
      self->sync->on_request_failed(peer, id, self->now_ns());
      self->drive_sync();
    });
  }
}

// ---- gossip -------------------------------------------------------------------------------

asio::awaitable<Status> NetworkService::State::start_gossip() {
  std::weak_ptr<State> weak = weak_from_this();
  using Validate =
      net::ValidationResult (State::*)(const net::MessageId&, const net::pb::Message&, const net::PeerId&);
  auto validator = [weak](Validate validate) -> net::Validator {
    return [weak, validate](const std::string&, const net::MessageId& id, const net::pb::Message& message,
                            const net::PeerId& source) {
      auto self = weak.lock();
      return self ? ((*self).*validate)(id, message, source) : net::ValidationResult::ignore;
    };
  };
  const std::pair<std::string, Validate> topics[] = {{tx_topic, &State::validate_tx},
                                                     {vote_topic, &State::validate_vote},
                                                     {block_topic, &State::validate_block}};
  for (const auto& [topic, validate] : topics) {
    net::Validator checker = validator(validate);
    co_await gossip->set_validator(topic, std::move(checker));
    if (!co_await gossip->subscribe(topic)) co_return Error{ErrorCode::io, "cannot subscribe to " + topic};
  }
  co_return Status{};
}

net::ValidationResult NetworkService::State::validate_tx(const net::MessageId& id,
                                                         const net::pb::Message& message,
                                                         const net::PeerId& source) {
  if (!admit_gossip(source, net::ProtocolKind::tx)) return net::ValidationResult::ignore;
  auto tx = net::decode_tx_gossip(payload(message));
  if (!tx) {
    if (tx.error().code == ErrorCode::limit) return net::ValidationResult::ignore;  // policy, not a fault
    misbehaved(source, net::Misbehavior::malformed_message, "tx: " + tx.error().message);
    return net::ValidationResult::reject;
  }
  auto self = shared_from_this();
  const bool posted = node.post([self, id, source, tx = std::move(*tx)] {
    self->relaying = true;
    const MempoolVerdict verdict = self->node.submit_transaction(tx);
    self->relaying = false;
    net::ValidationResult result = net::ValidationResult::ignore;
    if (verdict.status == TxStatus::accepted) {
      result = net::ValidationResult::accept;
      const MutexLock lock(self->mutex);
      if (auto it = self->peers.find(source); it != self->peers.end()) {
        ++it->second.transactions_received;
        it->second.last_transaction_time = self->now_unix();
      }
    } else if (verdict.status == TxStatus::rejected && consensus_invalid(verdict.reason)) {
      result = net::ValidationResult::reject;
      self->misbehaved(source, net::Misbehavior::invalid_transaction, to_string(verdict.reason));
    }
    self->gossip->report_validation(id, result);
  });
  return posted ? net::ValidationResult::defer : net::ValidationResult::ignore;
}

net::ValidationResult NetworkService::State::validate_vote(const net::MessageId& id,
                                                           const net::pb::Message& message,
                                                           const net::PeerId& source) {
  if (!admit_gossip(source, net::ProtocolKind::vote)) return net::ValidationResult::ignore;
  auto vote = net::decode_vote_gossip(payload(message));
  if (!vote) {
    misbehaved(source, net::Misbehavior::malformed_message, "vote: " + vote.error().message);
    return net::ValidationResult::reject;
  }
  auto self = shared_from_this();
  const bool posted = node.post([self, id, source, vote = *vote] {
    const VoteReject verdict = self->node.submit_vote(vote);
    net::ValidationResult result = net::ValidationResult::ignore;
    if (verdict == VoteReject::none) {
      result = net::ValidationResult::accept;
    } else if (vote_invalid(verdict)) {
      result = net::ValidationResult::reject;
      self->misbehaved(source, net::Misbehavior::invalid_vote, to_string(verdict));
    }
    self->gossip->report_validation(id, result);
  });
  return posted ? net::ValidationResult::defer : net::ValidationResult::ignore;
}

net::ValidationResult NetworkService::State::validate_block(const net::MessageId& id,
                                                            const net::pb::Message& message,
                                                            const net::PeerId& source) {
  if (!admit_gossip(source, net::ProtocolKind::block_gossip)) return net::ValidationResult::ignore;
  auto compact = net::decode_compact_block(payload(message));
  if (!compact) {
    misbehaved(source, net::Misbehavior::invalid_compact_block, compact.error().message);
    return net::ValidationResult::reject;
  }
  ++compact_received;
  auto self = shared_from_this();
  const bool posted = node.post([self, id, source, compact = std::move(*compact)]() mutable {
    self->on_compact_block(source, id, std::move(compact));
  });
  return posted ? net::ValidationResult::defer : net::ValidationResult::ignore;
}

// ---- compact blocks -----------------------------------------------------------------------

void NetworkService::State::note_block_announced(const BlockHash& hash) {
  if (announced_at.contains(hash)) return;
  announced_at.emplace(hash, now_ns());
  announced_order.push_back(hash);
  while (announced_order.size() > kMaxRememberedBlocks) {
    announced_at.erase(announced_order.front());
    announced_order.pop_front();
  }
}

void NetworkService::State::on_compact_block(const net::PeerId& peer, const net::MessageId& id,
                                             net::CompactBlock compact) {
  const ChainManager& chain = node.chain();
  const BlockHash hash = block_hash(compact.header);
  note_block_announced(hash);
  auto report = [this, &id](net::ValidationResult result) { gossip->report_validation(id, result); };
  if (const BlockNode* known = chain.find(hash); known != nullptr) {
    report(known->failed() ? net::ValidationResult::reject : net::ValidationResult::ignore);
    return;
  }
  const BlockNode* parent = chain.find(compact.header.prev);
  net::PeerChainState announced;
  announced.best_hash = hash;
  announced.best_height = compact.header.height;
  std::optional<net::StatusMessage> status;
  {
    const MutexLock lock(mutex);
    if (auto it = peers.find(peer); it != peers.end()) status = it->second.status;
  }
  // A block says nothing of finality: the peer's finalized checkpoint is its last status's.
  if (status) {
    announced.finalized_hash = status->finalized_hash;
    announced.finalized_height = status->finalized_height;
  }
  if (parent == nullptr) {
    // We are behind (or it is on a branch we lack): the download fetches its headers. The
    // announcement's work is unknown without them; its height above our tip is the claim
    // that makes the download ask (the headers then show the real work; each announcement
    // costs its proof of work).
    if (status) announced.best_work = status->best_work;
    if (compact.header.height > chain.tip().height())
      announced.best_work = std::max(announced.best_work, chain.tip().work);
    if (auto total = announced.best_work.checked_add(node.rules().block_work(compact.header))) {
      announced.best_work = *total;
    }
    report(net::ValidationResult::ignore);
    sync->update_peer(peer, announced, now_ns());
    drive_sync();
    return;
  }
  if (parent->failed()) {
    report(net::ValidationResult::reject);
    misbehaved(peer, net::Misbehavior::invalid_block, "builds on an invalid block");
    return;
  }
  const uint64_t now = static_cast<uint64_t>(std::max<int64_t>(0, now_unix()));
  if (auto refused = node.rules().check_header(
          compact.header, ParentInfo{parent->hash, parent->header, median_time_past_after(*parent), now})) {
    report(net::ValidationResult::reject);
    misbehaved(peer, net::Misbehavior::invalid_header, refused->message);
    return;
  }
  auto partial = std::make_shared<net::PartialBlock>();
  if (auto ready = partial->init(compact, static_cast<size_t>(params.limits.max_transactions)); !ready) {
    if (ready.error().code != ErrorCode::verify) {
      report(net::ValidationResult::reject);
      misbehaved(peer, net::Misbehavior::invalid_compact_block, ready.error().message);
      return;
    }
    // A short-id collision: honest, but the block must come whole.
    report(net::ValidationResult::accept);
    auto self = shared_from_this();
    asio::co_spawn(
        io, [self, peer, hash]() -> asio::awaitable<void> { co_await self->fetch_full_block(peer, hash); },
        asio::detached);
    return;
  }
  // The header is valid work on a block we know: forward the announcement now (BIP-152's
  // high-bandwidth relay), before the body is checked.
  report(net::ValidationResult::accept);
  if (auto total = parent->work.checked_add(node.rules().block_work(compact.header)))
    announced.best_work = *total;
  sync->update_peer(peer, announced, now_ns());

  std::optional<Txid> after;
  for (;;) {
    const std::vector<MempoolEntryInfo> page = node.mempool().entries(after, kMempoolPageSize);
    partial->fill_from(page);
    if (page.size() < kMempoolPageSize) break;
    after = page.back().txid;
  }
  if (!partial->missing().empty()) {
    ++blocktxn_requests;
    auto self = shared_from_this();
    asio::co_spawn(
        io,
        [self, peer, partial]() -> asio::awaitable<void> {
          co_await self->fetch_block_transactions(peer, partial);
        },
        asio::detached);
    return;
  }
  auto block = partial->finish({});
  if (!block) {
    auto self = shared_from_this();
    asio::co_spawn(
        io, [self, peer, hash]() -> asio::awaitable<void> { co_await self->fetch_full_block(peer, hash); },
        asio::detached);
    return;
  }
  ++compact_reconstructed;
  submit_relayed_block(peer, *block);
}

asio::awaitable<void> NetworkService::State::fetch_block_transactions(
    net::PeerId peer, std::shared_ptr<net::PartialBlock> partial) {
  const BlockHash hash = partial->block_hash();
  net::GetBlockTxn message{hash, partial->missing()};
  auto frame = co_await request_one(peer, blocktxn_id, net::encode(message), net::max_block_frame(params));
  std::optional<net::BlockTxn> reply;
  if (frame) {
    auto decoded = net::decode_block_txn(*frame);
    if (decoded && decoded->block == hash) {
      reply = std::move(*decoded);
    } else {
      misbehaved(peer, net::Misbehavior::invalid_block_transactions,
                 decoded ? "a blocktxn reply for another block" : decoded.error().message);
    }
  }
  if (!reply) {
    co_await fetch_full_block(peer, hash);
    co_return;
  }
  auto self = shared_from_this();
  node.post([self, peer, partial, transactions = std::move(reply->transactions)]() mutable {
    auto block = partial->finish(std::move(transactions));
    if (block) {
      ++self->compact_with_blocktxn;
      self->submit_relayed_block(peer, *block);
      return;
    }
    if (block.error().code == ErrorCode::invalid_argument) {
      self->misbehaved(peer, net::Misbehavior::invalid_block_transactions, block.error().message);
    }
    asio::co_spawn(
        self->io,
        [self, peer, hash = partial->block_hash()]() -> asio::awaitable<void> {
          co_await self->fetch_full_block(peer, hash);
        },
        asio::detached);
  });
}

asio::awaitable<void> NetworkService::State::fetch_full_block(net::PeerId peer, BlockHash hash) {
  ++compact_full_fallback;
  net::GetBlocks message{{hash}};
  auto frame = co_await request_one(peer, blocks_id, net::encode(message), net::max_block_frame(params));
  std::optional<Block> block;
  if (frame) {
    auto decoded = decode_block(*frame);
    if (decoded && block_hash(decoded->header) == hash) {
      block = std::move(*decoded);
    } else {
      misbehaved(peer, net::Misbehavior::malformed_message,
                 decoded ? "a block other than the one asked for" : decoded.error().message);
    }
  }
  // Without it, the block download gets it through the announcement (update_peer).
  if (!block) co_return;
  auto self = shared_from_this();
  node.post([self, peer, block = std::move(*block)] { self->submit_relayed_block(peer, block); });
}

void NetworkService::State::submit_relayed_block(const net::PeerId& peer, const Block& block) {
  const BlockHash hash = block_hash(block.header);
  if (const BlockNode* known = node.chain().find(hash); known != nullptr && !known->failed()) return;
  // The router forwarded the announcement already: not ours to publish again.
  remember(gossip_blocks, gossip_blocks_order, hash, kMaxRememberedBlocks);
  auto verdict = node.chain_manager().submit_block(block);
  if (!verdict) {
    log_critical(LogComponent::chain, "the chain state store failed; stopping",
                 {kv("error", verdict.error().message)});
    node.request_stop();
    return;
  }
  if (*verdict) {
    if (shows_block_invalid((*verdict)->reason)) {
      misbehaved(peer, net::Misbehavior::invalid_block,
                 std::string(to_string((*verdict)->reason)) + ": " + (*verdict)->message);
    }
    drive_sync();
    return;
  }
  const int64_t now = now_ns();
  const MutexLock lock(mutex);
  if (auto it = announced_at.find(hash); it != announced_at.end())
    last_propagation_micros = (now - it->second) / 1000;
  if (auto it = peers.find(peer); it != peers.end()) it->second.last_block_time = now_unix();
}

}  // namespace cairn
