#include "storage/kv.h"

#include <cassert>

namespace cairn {

std::string_view column_name(Column column) {
  switch (column) {
    case Column::meta:
      return "meta";
    case Column::block_index:
      return "block_index";
    case Column::block_bodies:
      return "block_bodies";
    case Column::undo:
      return "undo";
    case Column::utxo:
      return "utxo";
    case Column::tx_index:
      return "tx_index";
    case Column::address_index:
      return "address_index";
    case Column::stake:
      return "stake";
    case Column::contracts:
      return "contracts";
  }
  assert(false && "unknown column");
  return "unknown";
}

void WriteBatch::put(Column column, ByteSpan key, ByteSpan value) {
  ops_.push_back({column, false, Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end())});
}

void WriteBatch::erase(Column column, ByteSpan key) {
  ops_.push_back({column, true, Bytes(key.begin(), key.end()), {}});
}

std::optional<Bytes> prefix_successor(ByteSpan prefix) {
  Bytes out(prefix.begin(), prefix.end());
  while (!out.empty() && out.back() == 0xff) out.pop_back();
  if (out.empty()) return std::nullopt;
  ++out.back();
  return out;
}

}  // namespace cairn
