// ChainEventPublisher on regtest's real rules (chain/regtest_fixture.h): what `new_heads`
// and `finalized` subscribers receive through a SubscriptionHub as blocks connect, as a
// longer competing branch reorganises the chain (disconnected notices from the old tip down,
// then the new branch's headers lowest first), and as bonded validators finalize checkpoints.
#include "rpc/chain_events.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "chain/regtest_fixture.h"
#include "chain/slashing_protection.h"
#include "chain/validator.h"
#include "consensus/finality.h"
#include "rpc/chain_json.h"
#include "support/temp_dir.h"

namespace cairn::rpc {
namespace {

using test::RegtestNode;

// A WebSocket connection's stand-in: keeps every notification it is sent.
class RecordingSink : public NotificationSink {
 public:
  bool send(std::string text) override {
    const std::lock_guard lock(mutex_);
    received_.push_back(json::parse(text));
    return true;
  }
  std::vector<json> take() {
    const std::lock_guard lock(mutex_);
    return std::exchange(received_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<json> received_;
};

class ChainEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_.manager_->add_listener(publisher_);
    auto heads = hub_.subscribe(sink_, kNewHeadsTopic, nullptr);
    ASSERT_TRUE(heads.ok());
    heads_ = *heads;
    auto finalized = hub_.subscribe(sink_, kFinalizedTopic, nullptr);
    ASSERT_TRUE(finalized.ok());
    finalized_ = *finalized;
  }

  const ChainManager& chain() const { return *node_.manager_; }

  // Mines the next block on `node` and submits it there; the block.
  static Block mine_on(RegtestNode& node, std::vector<Vote> votes = {}, std::vector<Transaction> txs = {},
                       Amount fees = 0) {
    Block block = node.next_block(std::move(txs), fees, std::move(votes));
    EXPECT_EQ(node.submit(block), std::nullopt) << "height " << block.header.height;
    return block;
  }

  // The `result` of each notification received, checked to be of subscription `id`.
  std::vector<json> results_of(const std::vector<json>& messages, const std::string& id,
                               const std::string& topic) {
    std::vector<json> out;
    for (const json& m : messages) {
      EXPECT_EQ(m["method"], kNotificationMethod);
      if (m["params"]["subscription"] != id) continue;
      EXPECT_EQ(m["params"]["topic"], topic);
      out.push_back(m["params"]["result"]);
    }
    return out;
  }

  RegtestNode node_;
  SubscriptionHub hub_;
  ChainEventPublisher publisher_{*node_.manager_, hub_};
  std::shared_ptr<RecordingSink> sink_ = std::make_shared<RecordingSink>();
  std::string heads_;
  std::string finalized_;
};

TEST_F(ChainEventsTest, ConnectedBlocksArriveAsHeadersInOrder) {
  std::vector<Block> blocks;
  for (int i = 0; i < 3; ++i) blocks.push_back(mine_on(node_));
  const std::vector<json> heads = results_of(sink_->take(), heads_, kNewHeadsTopic);
  ASSERT_EQ(heads.size(), 3u);
  for (size_t i = 0; i < heads.size(); ++i) {
    EXPECT_EQ(heads[i]["event"], "connected");
    EXPECT_EQ(heads[i]["height"], i + 1);
    EXPECT_EQ(heads[i]["hash"], block_hash(blocks[i].header).hex());
    // chain_get_header's object as it was then: only the confirmations have grown since.
    json header = heads[i];
    header.erase("event");
    json now = header_json(chain(), *chain().find(block_hash(blocks[i].header)));
    EXPECT_EQ(now["confirmations"], 3 - i);
    header.erase("confirmations");
    now.erase("confirmations");
    EXPECT_EQ(header, now);
  }
}

TEST_F(ChainEventsTest, ReorgSignalsDisconnectsFromTheOldTipThenTheNewBranchLowestFirst) {
  // A second node shares the first three blocks, then mines a longer branch of its own
  // (a different coinbase extra makes its blocks differ).
  RegtestNode rival;
  rival.coinbase_extra_ = {0x52};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(rival.submit(mine_on(node_)), std::nullopt);
  const BlockHash fork = chain().tip().hash;
  const std::vector<Block> old_branch = {mine_on(node_), mine_on(node_)};
  const std::vector<Block> new_branch = {mine_on(rival), mine_on(rival), mine_on(rival)};
  ASSERT_NE(block_hash(old_branch[0].header), block_hash(new_branch[0].header));
  sink_->take();

  // As much work as the tip is not enough: nothing happens until the branch is heavier.
  EXPECT_EQ(node_.submit(new_branch[0]), std::nullopt);
  EXPECT_EQ(node_.submit(new_branch[1]), std::nullopt);
  EXPECT_TRUE(sink_->take().empty()) << "a side branch of equal work is not announced";
  EXPECT_EQ(chain().tip().hash, block_hash(old_branch[1].header));
  EXPECT_EQ(node_.submit(new_branch[2]), std::nullopt);
  ASSERT_EQ(chain().tip().hash, block_hash(new_branch[2].header));

  const std::vector<json> messages = sink_->take();
  EXPECT_TRUE(results_of(messages, finalized_, kFinalizedTopic).empty());
  const std::vector<json> events = results_of(messages, heads_, kNewHeadsTopic);
  ASSERT_EQ(events.size(), 5u);
  // From the old tip down to the fork...
  EXPECT_EQ(
      events[0],
      (json{{"event", "disconnected"}, {"hash", block_hash(old_branch[1].header).hex()}, {"height", 5}}));
  EXPECT_EQ(
      events[1],
      (json{{"event", "disconnected"}, {"hash", block_hash(old_branch[0].header).hex()}, {"height", 4}}));
  // ... then the new branch from the fork up, heights strictly in order, each linking to
  // the one before.
  std::string parent = fork.hex();
  for (size_t i = 0; i < new_branch.size(); ++i) {
    const json& head = events[2 + i];
    EXPECT_EQ(head["event"], "connected");
    EXPECT_EQ(head["height"], 4 + i);
    EXPECT_EQ(head["hash"], block_hash(new_branch[i].header).hex());
    EXPECT_EQ(head["prev_hash"], parent);
    EXPECT_EQ(head["in_best_chain"], true);
    parent = head["hash"].get<std::string>();
  }
}

TEST_F(ChainEventsTest, FinalizedCheckpointsArriveOnceEachInOrder) {
  // finality_chain_test's set-up: four validators bond from mature coinbases, then vote for
  // every checkpoint; their votes ride in the next block.
  constexpr size_t kValidators = 4;
  constexpr size_t kFirstVotingKey = 10;
  constexpr Amount kBond = 10 * kCoin;
  constexpr Amount kFee = 1'000;
  const BlockHash genesis = node_.params().genesis_hash;
  const FinalityParams& finality = node_.params().finality;
  TempDir dir;
  std::vector<std::unique_ptr<SlashingProtection>> protections;
  std::vector<std::unique_ptr<Validator>> validators;
  for (size_t i = 0; i < kValidators; ++i) {
    auto protection = SlashingProtection::open(dir.path() / ("validator" + std::to_string(i)), genesis);
    ASSERT_TRUE(protection.ok()) << protection.error().to_string();
    protections.push_back(std::make_unique<SlashingProtection>(std::move(*protection)));
    Seed seed;  // support/keys.h's derivation of test_key(kFirstVotingKey + i)
    seed.bytes.fill(static_cast<uint8_t>(kFirstVotingKey + i + 1));
    validators.push_back(std::make_unique<Validator>(KeyPair::from_seed(seed), *protections.back(), genesis));
  }
  std::vector<Block> blocks;
  std::vector<Vote> pending;
  auto mine = [&](std::vector<Transaction> txs = {}, Amount fees = 0) {
    blocks.push_back(mine_on(node_, std::exchange(pending, {}), std::move(txs), fees));
    const BlockNode& tip = chain().tip();
    if (!is_checkpoint_height(finality, tip.height())) return;
    for (auto& validator : validators) {
      auto vote = validator->vote(chain().stake(), epoch_of(finality, tip.height()), tip.hash);
      if (vote) pending.push_back(*vote);
    }
  };
  for (uint64_t h = 0; h < node_.params().coinbase_maturity + kValidators; ++h) mine();
  std::vector<Transaction> bonds;
  for (size_t i = 0; i < kValidators; ++i) {
    bonds.push_back(test::signed_bond(
        blocks[i].transactions[0], test::test_key(kFirstVotingKey + i).public_key(), kBond, kFee, genesis));
  }
  mine(bonds, kValidators * kFee);
  EXPECT_EQ(chain().finalized_height(), 0u);
  EXPECT_TRUE(results_of(sink_->take(), finalized_, kFinalizedTopic).empty()) << "nothing finalized yet";

  // Mine until two checkpoints past the first finalized one have been finalized.
  uint64_t first_finalized = 0;
  for (int i = 0; i < 200 && (first_finalized == 0 ||
                              chain().finalized_height() < first_finalized + 2 * finality.epoch_length);
       ++i) {
    mine();
    if (first_finalized == 0) first_finalized = chain().finalized_height();
  }
  ASSERT_GT(first_finalized, 0u) << "the validators never finalized";
  ASSERT_GE(chain().finalized_height(), first_finalized + 2 * finality.epoch_length);

  const std::vector<json> messages = sink_->take();
  const std::vector<json> finalized = results_of(messages, finalized_, kFinalizedTopic);
  ASSERT_GE(finalized.size(), 3u);
  EXPECT_EQ(finalized.front()["height"], first_finalized);
  EXPECT_EQ(finalized.back()["height"], chain().finalized_height());
  uint64_t last = 0;
  for (const json& checkpoint : finalized) {
    const auto height = checkpoint["height"].get<uint64_t>();
    EXPECT_GT(height, last) << "finalized checkpoints strictly in order, each once";
    EXPECT_EQ(height % finality.epoch_length, 0u) << "a checkpoint height";
    EXPECT_EQ(checkpoint["hash"], chain().at_height(height)->hash.hex());
    EXPECT_EQ(checkpoint["finalized"], true);
    EXPECT_EQ(checkpoint.count("event"), 0u) << "finalized notices are plain headers";
    last = height;
  }
  // The heads kept coming one by one meanwhile, without gaps.
  const std::vector<json> heads = results_of(messages, heads_, kNewHeadsTopic);
  ASSERT_FALSE(heads.empty());
  for (size_t i = 1; i < heads.size(); ++i) {
    EXPECT_EQ(heads[i]["event"], "connected");
    EXPECT_EQ(heads[i]["height"].get<uint64_t>(), heads[i - 1]["height"].get<uint64_t>() + 1);
  }
  EXPECT_EQ(heads.back()["height"], chain().tip().height());
}

}  // namespace
}  // namespace cairn::rpc
