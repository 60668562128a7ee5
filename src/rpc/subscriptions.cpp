#include "rpc/subscriptions.h"

#include <algorithm>
#include <array>

#include "crypto/ed25519.h"
#include "rpc/jsonrpc.h"
#include "rpc/schema.h"
#include "util/bytes.h"

namespace cairn::rpc {

namespace {

constexpr size_t kSubscriptionIdBytes = 16;

std::string new_subscription_id() {
  std::array<uint8_t, kSubscriptionIdBytes> bytes{};
  OsRng{}.fill(bytes);
  return to_hex(bytes);
}

// Same owner, even after the sink is gone: a new connection allocated at the old one's
// address never inherits its subscriptions.
bool owned_by(const std::weak_ptr<NotificationSink>& held, const std::shared_ptr<NotificationSink>& sink) {
  return !held.owner_before(sink) && !sink.owner_before(held);
}

// The notification text, with the result serialised once for all subscribers.
std::string notification(const std::string& id, std::string_view topic, const std::string& result_text) {
  return std::string(R"({"jsonrpc":"2.0","method":")") + kNotificationMethod +
         R"(","params":{"subscription":)" + to_text(id) + R"(,"topic":)" + to_text(std::string(topic)) +
         R"(,"result":)" + result_text + "}}";
}

}  // namespace

Result<std::string> SubscriptionHub::subscribe(const std::shared_ptr<NotificationSink>& sink,
                                               std::string topic, json filter) {
  MutexLock lock(mutex_);
  size_t held = 0;
  for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
    if (it->second.sink.expired()) {
      it = subscriptions_.erase(it);
      continue;
    }
    if (owned_by(it->second.sink, sink)) ++held;
    ++it;
  }
  if (held >= kMaxSubscriptionsPerSink) {
    return Error{ErrorCode::limit, "a connection may hold at most " +
                                       std::to_string(kMaxSubscriptionsPerSink) + " subscriptions"};
  }
  std::string id = new_subscription_id();
  subscriptions_.emplace(
      id, Subscription{sink, std::move(topic), std::make_shared<const json>(std::move(filter))});
  return id;
}

bool SubscriptionHub::unsubscribe(const std::shared_ptr<NotificationSink>& sink, std::string_view id) {
  MutexLock lock(mutex_);
  const auto it = subscriptions_.find(id);
  if (it == subscriptions_.end() || !owned_by(it->second.sink, sink)) return false;
  subscriptions_.erase(it);
  return true;
}

size_t SubscriptionHub::publish(std::string_view topic, const json& result, const Matcher& matches) {
  struct Target {
    std::string id;
    std::weak_ptr<NotificationSink> sink;
    std::shared_ptr<const json> filter;
  };
  std::vector<Target> targets;
  {
    MutexLock lock(mutex_);
    for (const auto& [id, subscription] : subscriptions_) {
      if (subscription.topic == topic) targets.push_back(Target{id, subscription.sink, subscription.filter});
    }
  }
  const std::string result_text = to_text(result);
  size_t sent = 0;
  std::vector<std::string> dead;
  for (const auto& target : targets) {
    auto sink = target.sink.lock();
    if (!sink) {
      dead.push_back(target.id);
      continue;
    }
    if (matches && !matches(*target.filter)) continue;
    if (!sink->send(notification(target.id, topic, result_text))) {
      dead.push_back(target.id);
      continue;
    }
    ++sent;
  }
  drop(dead);
  return sent;
}

void SubscriptionHub::drop(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  MutexLock lock(mutex_);
  for (const auto& id : ids) subscriptions_.erase(id);
}

size_t SubscriptionHub::subscription_count() const {
  MutexLock lock(mutex_);
  return subscriptions_.size();
}

namespace {

RpcError websocket_only(const std::string& method) {
  return RpcError{error_code::unavailable,
                  method + " needs a WebSocket connection: over HTTP there is nowhere to send notifications",
                  std::nullopt};
}

std::string topics_description(const std::vector<TopicSpec>& topics) {
  std::string text =
      "WebSocket only. Each notification is "
      "`{\"jsonrpc\":\"2.0\",\"method\":\"node_subscription\",\"params\":"
      "{\"subscription\":ID,\"topic\":TOPIC,\"result\":...}}`. A connection may hold " +
      std::to_string(kMaxSubscriptionsPerSink) +
      " subscriptions; one that cannot keep up is closed after a notice. Topics:";
  for (const auto& topic : topics) {
    text += " `" + topic.name + "`: " + topic.description;
    if (topic.filter_schema) text += " Filter: `" + to_text(*topic.filter_schema) + "`.";
  }
  return text;
}

MethodSpec subscribe_spec(SubscriptionHub& hub, const std::vector<TopicSpec>& topics) {
  json names = json::array();
  for (const auto& topic : topics) names.push_back(topic.name);
  MethodSpec spec;
  spec.name = "node_subscribe";
  spec.summary = "Subscribes this WebSocket connection to a topic's notifications.";
  spec.description = topics_description(topics);
  spec.params = {
      ParamSpec{"topic", "What to be notified of.", {{"type", "string"}, {"enum", names}}, true, {}},
      ParamSpec{"filter",
                "Which notifications of the topic (topics that take one).",
                {{"type", "object"}},
                false,
                std::nullopt}};
  spec.result_name = "subscription";
  spec.result_schema = {{"type", "string"}, {"pattern", "^[0-9a-f]{32}$"}};
  spec.errors = {ErrorSpec{error_code::unavailable, "called over HTTP, not a WebSocket"},
                 ErrorSpec{error_code::limit_exceeded, "the connection holds too many subscriptions"}};
  spec.examples = {ExampleSpec{"first topic", {{"topic", topics.front().name}}, std::string(32, 'a')}};
  spec.handler = [&hub, topics](const json& params, const CallContext& context) -> MethodResult {
    if (!context.sink) return websocket_only("node_subscribe");
    const std::string name = params["topic"].get<std::string>();
    const auto topic =
        std::find_if(topics.begin(), topics.end(), [&](const TopicSpec& t) { return t.name == name; });
    json filter = params.contains("filter") ? params["filter"] : json(nullptr);
    if (!filter.is_null()) {
      if (!topic->filter_schema) {
        return RpcError{error_code::invalid_params, "topic '" + name + "' takes no filter", std::nullopt};
      }
      if (auto violation = schema_violation(*topic->filter_schema, filter, "params.filter")) {
        return RpcError{error_code::invalid_params, *violation, std::nullopt};
      }
    }
    auto id = hub.subscribe(context.sink, name, std::move(filter));
    if (!id) return to_rpc_error(id.error());
    return json(*id);
  };
  return spec;
}

MethodSpec unsubscribe_spec(SubscriptionHub& hub) {
  MethodSpec spec;
  spec.name = "node_unsubscribe";
  spec.summary = "Ends one of this connection's subscriptions.";
  spec.description = "WebSocket only. False when the connection holds no such subscription.";
  spec.params = {ParamSpec{"subscription", "An id node_subscribe returned.", {{"type", "string"}}, true, {}}};
  spec.result_name = "ended";
  spec.result_schema = {{"type", "boolean"}};
  spec.errors = {ErrorSpec{error_code::unavailable, "called over HTTP, not a WebSocket"}};
  spec.examples = {ExampleSpec{"ended", {{"subscription", std::string(32, 'a')}}, true}};
  spec.handler = [&hub](const json& params, const CallContext& context) -> MethodResult {
    if (!context.sink) return websocket_only("node_unsubscribe");
    return json(hub.unsubscribe(context.sink, params["subscription"].get<std::string>()));
  };
  return spec;
}

}  // namespace

Status register_subscription_methods(Registry& registry, SubscriptionHub& hub,
                                     std::vector<TopicSpec> topics) {
  if (topics.empty()) return Error{ErrorCode::invalid_argument, "node_subscribe: no topics"};
  for (const auto& topic : topics) {
    if (topic.filter_schema) {
      if (auto status = check_schema(*topic.filter_schema); !status) {
        return Error{ErrorCode::invalid_argument,
                     "node_subscribe: topic '" + topic.name + "' filter " + status.error().message};
      }
    }
  }
  CAIRN_TRY_STATUS(registry.add(subscribe_spec(hub, topics)));
  return registry.add(unsubscribe_spec(hub));
}

}  // namespace cairn::rpc
