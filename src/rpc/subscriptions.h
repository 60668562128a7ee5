// WebSocket subscriptions (docs/rpc.md "node_subscribe"): a SubscriptionHub remembers which
// connection (NotificationSink) wants which topic, and publish() sends each of them
//   {"jsonrpc":"2.0","method":"node_subscription",
//    "params":{"subscription":ID,"topic":TOPIC,"result":RESULT}}
// A subscription ends when its owner unsubscribes, when its connection is gone, or when a
// send fails (the connection's queue was full: the server has closed it after a notice).
//
// Thread-safe: every member function may be called from any thread. Sinks are held weakly
// and called without the hub's lock held, so a sink may call back into the hub.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/registry.h"
#include "util/thread_annotations.h"

namespace cairn::rpc {

// A connection may hold this many subscriptions at once.
inline constexpr size_t kMaxSubscriptionsPerSink = 32;
inline constexpr const char* kNotificationMethod = "node_subscription";

class SubscriptionHub {
 public:
  // Decides from a subscriber's filter (null when it gave none) whether it gets a
  // notification.
  using Matcher = std::function<bool(const json& filter)>;

  // A new unguessable subscription id (32 hex digits), or a limit Error when `sink` already
  // holds kMaxSubscriptionsPerSink.
  Result<std::string> subscribe(const std::shared_ptr<NotificationSink>& sink, std::string topic, json filter)
      EXCLUDES(mutex_);
  // Ends subscription `id` if `sink` owns it; false otherwise (another connection's ids are
  // not ours to end).
  bool unsubscribe(const std::shared_ptr<NotificationSink>& sink, std::string_view id) EXCLUDES(mutex_);
  // Notifies every live subscriber of `topic` that `matches` (all when empty); the number of
  // notifications sent.
  size_t publish(std::string_view topic, const json& result, const Matcher& matches = {}) EXCLUDES(mutex_);

  size_t subscription_count() const EXCLUDES(mutex_);

 private:
  struct Subscription {
    std::weak_ptr<NotificationSink> sink;
    std::string topic;
    std::shared_ptr<const json> filter;
  };
  void drop(const std::vector<std::string>& ids) EXCLUDES(mutex_);

  mutable Mutex mutex_;
  std::map<std::string, Subscription, std::less<>> subscriptions_ GUARDED_BY(mutex_);
};

struct TopicSpec {
  std::string name;  // "new_heads"
  std::string description;
  std::optional<json> filter_schema;  // none: the topic takes no filter
};

// Adds node_subscribe {topic, filter?} -> id and node_unsubscribe {subscription} -> bool
// [public]. Both need a WebSocket (CallContext::sink); over HTTP they answer
// error_code::unavailable. `hub` must outlive the registry's use.
Status register_subscription_methods(Registry& registry, SubscriptionHub& hub, std::vector<TopicSpec> topics);

}  // namespace cairn::rpc
