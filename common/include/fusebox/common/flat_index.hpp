#pragma once
// FlatIndex: string keys to rows, for a table that keeps its rows, and the keys inside them,
// itself (a store's rows, a channel's orders, the load's book, the gateway's resident orders).
//
// Open addressing with linear probing over small slots, each holding a value (a row number or
// a pointer) and 32 bits of its key's hash (0 marks an empty slot). No allocation per key and
// no second copy of it: a lookup reads one run of slots (usually one cache line) and asks the
// table for a value's key (`key_of(value)`, anything comparable with std::string_view) only to
// confirm a hash match. Growing places every slot again by its stored hash, without asking for
// a key; erasing shifts the run back, so no tombstones pile up in a table that forgets rows.
//
// `None` is what find() answers for a missing key, so it cannot be stored. Not thread-safe;
// no iteration (nothing may depend on an order of keys).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace fusebox {

template <class Value, Value None>
class FlatIndexOf {
 public:
  static constexpr Value none = None;

  [[nodiscard]] std::size_t size() const { return size_; }

  // Makes room for `keys` keys, so reaching that many never rehashes.
  void reserve(std::size_t keys) {
    const std::size_t wanted = std::bit_ceil((keys * 4 + 2) / 3 + 1);
    if (wanted > slots_.size()) rehash(wanted);
  }

  // The value indexed under `key`, or None.
  template <class KeyOf>
  [[nodiscard]] Value find(std::string_view key, const KeyOf& key_of) const {
    return size_ == 0 ? None : slots_[slot_of(key, hash_of(key), key_of)].value;
  }

  // Indexes `key` -> `value` unless `key` is indexed already: {the value now under `key`,
  // whether it is `value`, just added}. One probe for both. `key_of(value)` is not asked
  // here, so the row may be added to the table after. Throws std::invalid_argument for None.
  template <class KeyOf>
  std::pair<Value, bool> emplace(std::string_view key, Value value, const KeyOf& key_of) {
    if (value == None) throw std::invalid_argument("flat index: the 'not found' value is stored");
    if ((size_ + 1) * 4 > slots_.size() * 3) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    const std::uint32_t hash = hash_of(key);
    const std::size_t at = slot_of(key, hash, key_of);
    if (slots_[at].hash != 0) return {slots_[at].value, false};
    slots_[at] = Slot{value, hash};
    ++size_;
    return {value, true};
  }

  // emplace() for a key known to be new: false, changing nothing, when it is indexed already.
  template <class KeyOf>
  bool insert(std::string_view key, Value value, const KeyOf& key_of) {
    return emplace(key, value, key_of).second;
  }

  // Forgets `key`; false when it was not indexed. `key_of` must still answer for its value.
  template <class KeyOf>
  bool erase(std::string_view key, const KeyOf& key_of) {
    if (size_ == 0) return false;
    const std::size_t at = slot_of(key, hash_of(key), key_of);
    if (slots_[at].hash == 0) return false;
    close_gap(at);
    --size_;
    return true;
  }

 private:
  struct Slot {
    Value value = None;
    std::uint32_t hash = 0;  // 0: empty
  };

  [[nodiscard]] static std::uint32_t hash_of(std::string_view key) {
    const std::uint64_t h = std::hash<std::string_view>{}(key);
    const auto folded = static_cast<std::uint32_t>(h ^ (h >> 32));
    return folded == 0 ? 1 : folded;
  }

  // The slot holding `key`, else the empty slot that ends its run. Needs a non-empty table.
  template <class KeyOf>
  [[nodiscard]] std::size_t slot_of(std::string_view key, std::uint32_t hash,
                                    const KeyOf& key_of) const {
    for (std::size_t at = hash & mask_;; at = (at + 1) & mask_) {
      const Slot& slot = slots_[at];
      if (slot.hash == 0) return at;
      if (slot.hash == hash && std::string_view(key_of(slot.value)) == key) return at;
    }
  }

  void rehash(std::size_t slots) {
    if (slots > (std::size_t{1} << 32)) throw std::length_error("flat index: too many keys");
    std::vector<Slot> old(slots);
    old.swap(slots_);
    mask_ = slots - 1;
    for (const Slot& slot : old) {
      if (slot.hash == 0) continue;
      std::size_t at = slot.hash & mask_;
      while (slots_[at].hash != 0)
        at = (at + 1) & mask_;
      slots_[at] = slot;
    }
  }

  // Backward-shift deletion: each later slot of the run that may sit in the gap (its home
  // slot is not cyclically inside (gap, slot]) moves into it, and the gap moves on.
  void close_gap(std::size_t gap) {
    for (std::size_t at = (gap + 1) & mask_; slots_[at].hash != 0; at = (at + 1) & mask_) {
      const std::size_t home = slots_[at].hash & mask_;
      const bool stays = gap < at ? (home > gap && home <= at) : (home > gap || home <= at);
      if (stays) continue;
      slots_[gap] = slots_[at];
      gap = at;
    }
    slots_[gap] = Slot{};
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

// Row numbers (into a vector or deque the table keeps); a miss is FlatIndex::none.
using FlatIndex = FlatIndexOf<std::uint32_t, std::numeric_limits<std::uint32_t>::max()>;

}  // namespace fusebox
