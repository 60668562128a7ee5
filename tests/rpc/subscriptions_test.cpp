#include "rpc/subscriptions.h"

#include <gtest/gtest.h>

#include "rpc/dispatcher.h"

namespace cairn::rpc {
namespace {

using namespace nlohmann::literals;

class FakeSink : public NotificationSink {
 public:
  bool send(std::string text) override {
    if (!open) return false;
    received.push_back(json::parse(text));
    return true;
  }
  bool open = true;
  std::vector<json> received;
};

TEST(SubscriptionHub, DeliversTheNotificationFormat) {
  SubscriptionHub hub;
  auto sink = std::make_shared<FakeSink>();
  auto id = hub.subscribe(sink, "new_heads", nullptr);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->size(), 32u);
  EXPECT_EQ(hub.publish("new_heads", {{"height", 5}}), 1u);
  EXPECT_EQ(hub.publish("finalized", {{"height", 5}}), 0u);
  ASSERT_EQ(sink->received.size(), 1u);
  const json expected = {
      {"jsonrpc", "2.0"},
      {"method", "node_subscription"},
      {"params", {{"subscription", *id}, {"topic", "new_heads"}, {"result", {{"height", 5}}}}}};
  EXPECT_EQ(sink->received[0], expected);
}

TEST(SubscriptionHub, IdsAreUnique) {
  SubscriptionHub hub;
  auto sink = std::make_shared<FakeSink>();
  auto a = hub.subscribe(sink, "new_heads", nullptr);
  auto b = hub.subscribe(sink, "new_heads", nullptr);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(hub.publish("new_heads", 1), 2u);
}

TEST(SubscriptionHub, PerSinkLimitAtTheBoundary) {
  SubscriptionHub hub;
  auto sink = std::make_shared<FakeSink>();
  std::vector<std::string> ids;
  for (size_t i = 0; i < kMaxSubscriptionsPerSink; ++i) {
    auto id = hub.subscribe(sink, "new_heads", nullptr);
    ASSERT_TRUE(id) << i;
    ids.push_back(*id);
  }
  auto refused = hub.subscribe(sink, "new_heads", nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::limit);
  // Another connection has its own allowance; ending one frees a slot.
  EXPECT_TRUE(hub.subscribe(std::make_shared<FakeSink>(), "new_heads", nullptr));
  EXPECT_TRUE(hub.unsubscribe(sink, ids[0]));
  EXPECT_TRUE(hub.subscribe(sink, "new_heads", nullptr));
}

TEST(SubscriptionHub, OnlyTheOwnerUnsubscribes) {
  SubscriptionHub hub;
  auto owner = std::make_shared<FakeSink>();
  auto other = std::make_shared<FakeSink>();
  auto id = hub.subscribe(owner, "mempool", nullptr);
  ASSERT_TRUE(id);
  EXPECT_FALSE(hub.unsubscribe(other, *id));
  EXPECT_FALSE(hub.unsubscribe(owner, "ffff"));
  EXPECT_TRUE(hub.unsubscribe(owner, *id));
  EXPECT_FALSE(hub.unsubscribe(owner, *id));
  EXPECT_EQ(hub.publish("mempool", 1), 0u);
}

TEST(SubscriptionHub, GoneAndFailingSinksAreDropped) {
  SubscriptionHub hub;
  auto gone = std::make_shared<FakeSink>();
  auto full = std::make_shared<FakeSink>();
  auto live = std::make_shared<FakeSink>();
  ASSERT_TRUE(hub.subscribe(gone, "new_heads", nullptr));
  ASSERT_TRUE(hub.subscribe(full, "new_heads", nullptr));
  ASSERT_TRUE(hub.subscribe(live, "new_heads", nullptr));
  gone.reset();
  full->open = false;
  EXPECT_EQ(hub.publish("new_heads", 1), 1u);
  EXPECT_EQ(hub.subscription_count(), 1u);
  full->open = true;  // dropped for good: a subscriber never misses notifications silently
  EXPECT_EQ(hub.publish("new_heads", 2), 1u);
  EXPECT_TRUE(full->received.empty());
  EXPECT_EQ(live->received.size(), 2u);
}

TEST(SubscriptionHub, FiltersDecidePerSubscriber) {
  SubscriptionHub hub;
  auto a = std::make_shared<FakeSink>();
  auto b = std::make_shared<FakeSink>();
  ASSERT_TRUE(hub.subscribe(a, "events", {{"contract", "aa"}}));
  ASSERT_TRUE(hub.subscribe(b, "events", nullptr));
  const auto for_aa = [](const json& filter) { return filter.is_null() || filter["contract"] == "aa"; };
  const auto for_bb = [](const json& filter) { return filter.is_null() || filter["contract"] == "bb"; };
  EXPECT_EQ(hub.publish("events", 1, for_aa), 2u);
  EXPECT_EQ(hub.publish("events", 2, for_bb), 1u);
  EXPECT_EQ(a->received.size(), 1u);
  EXPECT_EQ(b->received.size(), 2u);
}

class SubscriptionMethodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(register_subscription_methods(
        registry_, hub_,
        {TopicSpec{"new_heads", "Each new best block header.", std::nullopt},
         TopicSpec{
             "events", "Contract events.",
             R"({"type":"object","properties":{"contract":{"type":"string"}},"additionalProperties":false})"_json}}));
  }

  json call(const std::string& body, std::shared_ptr<NotificationSink> sink) const {
    Dispatcher dispatcher(registry_, DispatcherOptions{{}, /*check_results=*/true});
    CallContext context;
    context.sink = std::move(sink);
    return json::parse(*dispatcher.handle(body, context));
  }

  Registry registry_;
  SubscriptionHub hub_;
};

TEST_F(SubscriptionMethodsTest, SubscribeAndUnsubscribeOverWebSocket) {
  auto sink = std::make_shared<FakeSink>();
  const json subscribed =
      call(R"({"jsonrpc":"2.0","id":1,"method":"node_subscribe","params":["new_heads"]})", sink);
  ASSERT_TRUE(subscribed.contains("result")) << subscribed;
  const std::string id = subscribed["result"];
  EXPECT_EQ(hub_.publish("new_heads", {{"height", 1}}), 1u);
  const json ended =
      call(R"({"jsonrpc":"2.0","id":2,"method":"node_unsubscribe","params":[")" + id + "\"]}", sink);
  EXPECT_EQ(ended["result"], true);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":2,"method":"node_unsubscribe","params":[")" + id + "\"]}",
                 sink)["result"],
            false);
}

TEST_F(SubscriptionMethodsTest, HttpIsRefusedClearly) {
  const json response =
      call(R"({"jsonrpc":"2.0","id":1,"method":"node_subscribe","params":["new_heads"]})", nullptr);
  EXPECT_EQ(response["error"]["code"], error_code::unavailable);
  EXPECT_NE(response["error"]["message"].get<std::string>().find("WebSocket"), std::string::npos);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"node_unsubscribe","params":["aa"]})",
                 nullptr)["error"]["code"],
            error_code::unavailable);
}

TEST_F(SubscriptionMethodsTest, TopicsAndFiltersAreValidated) {
  auto sink = std::make_shared<FakeSink>();
  auto code = [&](const std::string& params) {
    const json response =
        call(R"({"jsonrpc":"2.0","id":1,"method":"node_subscribe","params":)" + params + "}", sink);
    return response.contains("error") ? response["error"]["code"].get<int>() : 0;
  };
  EXPECT_EQ(code(R"(["blocks"])"), error_code::invalid_params);
  EXPECT_EQ(code(R"(["new_heads",{"contract":"aa"}])"), error_code::invalid_params);
  EXPECT_EQ(code(R"(["events",{"contract":5}])"), error_code::invalid_params);
  EXPECT_EQ(code(R"(["events",{"contract":"aa"}])"), 0);
  EXPECT_EQ(code(R"(["events"])"), 0);
}

TEST_F(SubscriptionMethodsTest, LimitIsAJsonRpcError) {
  auto sink = std::make_shared<FakeSink>();
  for (size_t i = 0; i < kMaxSubscriptionsPerSink; ++i) {
    ASSERT_TRUE(hub_.subscribe(sink, "new_heads", nullptr));
  }
  const json response =
      call(R"({"jsonrpc":"2.0","id":1,"method":"node_subscribe","params":["new_heads"]})", sink);
  EXPECT_EQ(response["error"]["code"], error_code::limit_exceeded);
}

}  // namespace
}  // namespace cairn::rpc
