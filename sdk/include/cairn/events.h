// Events (docs/contracts.md §10): CAIRN_EVENT declares an event and a function emit_<Name>
// that emits it through the host's `emit`.
//
//   CAIRN_EVENT(Transfer, (indexed, cairn::Account, from), (indexed, cairn::Account, to),
//               (data, uint64_t, amount))
//   ... emit_Transfer(from, to, amount);
//
// Topic 0 is the event id, the plain BLAKE3-256 of the event's name (computed at compile
// time). Each `indexed` field (at most 3) adds a topic, in field order: a u8..u64, i32, i64,
// bool or hash value is its canonical encoding zero-padded on the right to 32 bytes; an
// account, bytes, string or list is the BLAKE3-256 of its canonical encoding. The event's
// data is the canonical encoding of ALL its fields in order, indexed ones included, so an
// event decodes from its data alone. Event names: 1..64 bytes of [A-Za-z0-9_].
#pragma once

#include <stdint.h>

#include "cairn/abi.h"
#include "cairn/core.h"
#include "cairn/pp.h"

namespace cairn {

inline constexpr uint32_t kMaxEventTopics = 4;

namespace detail {

consteval bool is_event_name(const char* s) {
  uint32_t n = 0;
  for (; s[n] != 0; ++n) {
    char c = s[n];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return n >= 1 && n <= 64;
}

class EventBuilder {
 public:
  explicit EventBuilder(const Hash& id) { topics_[0] = id; }

  template <bool Indexed, class T>
  void field(const T& value) {
    uint32_t start = data_.size();
    Codec<T>::encode(data_, value);
    if constexpr (Indexed) {
      Hash& topic = topics_[count_++];
      if constexpr (Codec<T>::kPaddedTopic) {
        memcpy(topic.bytes, data_.data() + start, data_.size() - start);
      } else {
        host::blake3(data_.data() + start, static_cast<int32_t>(data_.size() - start), topic.bytes);
      }
    }
  }

  void emit() {
    refuse_in_view("a read-only method cannot emit events");
    host::emit(topics_, static_cast<int32_t>(count_), data_.data(), static_cast<int32_t>(data_.size()));
  }

 private:
  Hash topics_[kMaxEventTopics];
  uint32_t count_ = 1;
  Writer data_;
};

}  // namespace detail
}  // namespace cairn

#define CAIRN_EVENT_KIND_indexed true
#define CAIRN_EVENT_KIND_data false
#define CAIRN_EVENT_PARAM_(f) CAIRN_EVENT_PARAM_3 f
#define CAIRN_EVENT_PARAM_3(kind, T, n) const T& n
#define CAIRN_EVENT_FIELD_(f) CAIRN_EVENT_FIELD_3 f
#define CAIRN_EVENT_FIELD_3(kind, T, n) cairn_event.field<CAIRN_EVENT_KIND_##kind>(n);
#define CAIRN_EVENT_COUNT_(f) CAIRN_EVENT_COUNT_3 f
#define CAIRN_EVENT_COUNT_3(kind, T, n) +(CAIRN_EVENT_KIND_##kind ? 1 : 0)

#ifdef CAIRN_ABI_GEN
#define CAIRN_EVENT_ABI_(f) CAIRN_EVENT_ABI_3 f
#define CAIRN_EVENT_ABI_3(kind, T, n) ::cairn::abi_gen::param<T>(#n, CAIRN_EVENT_KIND_##kind)
#define CAIRN_EVENT_REGISTER(Name, ...)                                 \
  static ::cairn::abi_gen::EventRegistrar cairn_event_registrar_##Name{ \
      #Name, {CAIRN_PP_LIST(CAIRN_EVENT_ABI_, __VA_ARGS__)}};
#else
#define CAIRN_EVENT_REGISTER(Name, ...)
#endif

#define CAIRN_EVENT(Name, ...)                                                                         \
  static_assert(::cairn::detail::is_event_name(#Name), "event names are 1..64 bytes of [A-Za-z0-9_]"); \
  static_assert(0 CAIRN_PP_EACH(CAIRN_EVENT_COUNT_, __VA_ARGS__) < ::cairn::kMaxEventTopics,           \
                "an event has at most 3 indexed fields");                                              \
  inline void emit_##Name(CAIRN_PP_LIST(CAIRN_EVENT_PARAM_, __VA_ARGS__)) {                            \
    static constexpr ::cairn::Hash cairn_event_id = ::cairn::blake3_short(#Name, sizeof(#Name) - 1);   \
    ::cairn::detail::EventBuilder cairn_event(cairn_event_id);                                         \
    CAIRN_PP_EACH(CAIRN_EVENT_FIELD_, __VA_ARGS__)                                                     \
    cairn_event.emit();                                                                                \
  }                                                                                                    \
  CAIRN_EVENT_REGISTER(Name, __VA_ARGS__)
