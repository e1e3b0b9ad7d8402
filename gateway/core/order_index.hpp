#pragma once
// An index from an order's id to its entry that never stalls its caller to grow.
//
// One std::unordered_map past a million orders rehashes every order at once when it grows
// (a 42.7 ms run of the event loop measured in docs/PERFORMANCE.md, "Where the fail-fast
// tail comes from"). Here the keys are spread over kShards small flat indexes by their hash,
// so each growth moves 1/kShards of the orders: at a million orders about 8,000 slots of 16
// bytes, a fraction of a millisecond, and the shards grow at different moments. The slots
// point at the entries, whose own ids are the keys (common/flat_index.hpp).

#include <array>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fusebox/common/flat_index.hpp"

namespace fusebox::gateway {

// `KeyOf` reads an entry's id (payment id, merchant order id, ...): the index keeps no copy.
// An entry's id must not change while it is indexed.
template <typename Entry, typename KeyOf>
class OrderIndex {
 public:
  static constexpr std::size_t kShards = 128;

  // Sizes the shards for `orders` ids in all, so growth starts only past it.
  void reserve(std::size_t orders) {
    for (Shard& shard : shards_)
      shard.reserve(orders / kShards + 1);
  }

  // Indexes `entry` under its own id; false (and nothing changes) when that id is indexed
  // already.
  bool emplace(Entry* entry) {
    const std::string_view id = KeyOf{}(entry);
    return shard_of(id).insert(id, entry, KeyOf{});
  }

  void erase(std::string_view id) { shard_of(id).erase(id, KeyOf{}); }

  [[nodiscard]] Entry* find(std::string_view id) const { return shard_of(id).find(id, KeyOf{}); }

  [[nodiscard]] bool contains(std::string_view id) const { return find(id) != nullptr; }

  // For ids the core indexed itself: a missing one is a bug, not an input error.
  [[nodiscard]] Entry& at(std::string_view id) const {
    Entry* entry = find(id);
    if (entry == nullptr) throw std::logic_error("order index: no entry for " + std::string(id));
    return *entry;
  }

 private:
  using Shard = FlatIndexOf<Entry*, nullptr>;

  // The top bits of the id's hash choose the shard; the shard's slots use the low ones.
  static std::size_t shard_index(std::string_view id) {
    return (std::hash<std::string_view>{}(id) >> 32) % kShards;
  }
  Shard& shard_of(std::string_view id) { return shards_[shard_index(id)]; }
  const Shard& shard_of(std::string_view id) const { return shards_[shard_index(id)]; }

  std::array<Shard, kShards> shards_;
};

}  // namespace fusebox::gateway
