#include "crypto/hash.h"

#include <cassert>

namespace cairn {
namespace {

std::array<Hash256, kHashContexts.size()> derive_all_keys() {
  std::array<Hash256, kHashContexts.size()> keys{};
  for (size_t i = 0; i < kHashContexts.size(); ++i) {
    assert(static_cast<size_t>(kHashContexts[i].id) == i && "kHashContexts must follow the enum order");
    keys[i] = Hasher::derive_key(kHashContexts[i].context).finalize();
  }
  return keys;
}

}  // namespace

std::string_view context_string(HashContext ctx) { return kHashContexts[static_cast<size_t>(ctx)].context; }

const Hash256& context_key(HashContext ctx) {
  static const auto keys = derive_all_keys();
  return keys[static_cast<size_t>(ctx)];
}

Hash256 blake3(ByteSpan data) { return Hasher::plain().update(data).finalize(); }

Hash256 hash(HashContext ctx, ByteSpan data) { return Hasher::keyed(ctx).update(data).finalize(); }

Hash256 derive_key(std::string_view context, ByteSpan material) {
  return Hasher::derive_key(context).update(material).finalize();
}

Hasher Hasher::plain() {
  Hasher h;
  blake3_hasher_init(&h.h_);
  return h;
}

Hasher Hasher::keyed(const Hash256& key) {
  Hasher h;
  blake3_hasher_init_keyed(&h.h_, key.data());
  return h;
}

Hasher Hasher::derive_key(std::string_view context) {
  Hasher h;
  blake3_hasher_init_derive_key_raw(&h.h_, context.data(), context.size());
  return h;
}

Hasher& Hasher::update(ByteSpan data) {
  blake3_hasher_update(&h_, data.data(), data.size());
  return *this;
}

Hash256 Hasher::finalize() const {
  Hash256 out;
  blake3_hasher_finalize(&h_, out.data(), Hash256::size());
  return out;
}

void Hasher::finalize_xof(std::span<uint8_t> out, uint64_t seek) const {
  blake3_hasher_finalize_seek(&h_, seek, out.data(), out.size());
}

}  // namespace cairn
