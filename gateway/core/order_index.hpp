#pragma once
// An index from an order's id to its entry that never stalls its caller to grow.
//
// One std::unordered_map past a million orders rehashes every order at once when it grows
// (a 42.7 ms run of the event loop measured in docs/PERFORMANCE.md, "Where the fail-fast
// tail comes from"). Here the keys are spread over kShards small maps by their hash, so each
// growth moves 1/kShards of the orders: at a million orders about 8,000 entries, a fraction
// of a millisecond, and the shards grow at different moments.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace fusebox::gateway {

template <typename Entry>
class OrderIndex {
 public:
  static constexpr std::size_t kShards = 128;

  // Sizes the shards for `orders` ids in all, so growth starts only past it.
  void reserve(std::size_t orders) {
    for (Shard& shard : shards_)
      shard.reserve(orders / kShards + 1);
  }

  // False (and nothing changes) when `id` is indexed already.
  bool emplace(const std::string& id, Entry* entry) {
    return shard_of(id).emplace(id, entry).second;
  }

  void erase(std::string_view id) {
    Shard& shard = shard_of(id);
    if (const auto it = shard.find(id); it != shard.end()) shard.erase(it);
  }

  [[nodiscard]] Entry* find(std::string_view id) const {
    const Shard& shard = shard_of(id);
    const auto it = shard.find(id);
    return it == shard.end() ? nullptr : it->second;
  }

  [[nodiscard]] bool contains(std::string_view id) const { return find(id) != nullptr; }

  // For ids the core indexed itself: a missing one is a bug, not an input error.
  [[nodiscard]] Entry& at(std::string_view id) const {
    Entry* entry = find(id);
    if (entry == nullptr) throw std::logic_error("order index: no entry for " + std::string(id));
    return *entry;
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
  };
  using Shard = std::unordered_map<std::string, Entry*, Hash, std::equal_to<>>;

  // The top bits choose the shard; the shard's buckets use the low ones.
  static std::size_t shard_index(std::string_view id) { return (Hash{}(id) >> 32) % kShards; }
  Shard& shard_of(std::string_view id) { return shards_[shard_index(id)]; }
  const Shard& shard_of(std::string_view id) const { return shards_[shard_index(id)]; }

  std::array<Shard, kShards> shards_;
};

}  // namespace fusebox::gateway
