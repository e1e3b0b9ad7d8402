#pragma once
// A set of 64-bit key hashes that answers "certainly not" or "maybe" in about 12 bits per
// key and one cache line per stage: what stands in front of a slow lookup that usually misses
// (the gateway core asking its store for an order that never left memory). Never a false
// "certainly not"; a false "maybe" (about 0.5% per stage) only costs the slow lookup.
//
// Blocked: each key sets kProbes bits inside one 512-bit block chosen by its hash, so an
// answer reads one cache line per stage. It grows in stages: when the newest stage holds as
// many keys as it was sized for, a new one twice as large starts, so memory stays about 12
// bits per key added (nothing is ever removed) and the false positives grow only with the
// number of stages, a log of the keys added.
//
// Header-only; bench/departed_filter_bench.cpp measures it.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace fusebox {

class BloomFilter {
 public:
  // `first_stage_keys`: how many keys the first stage is sized for (at least one block).
  explicit BloomFilter(std::size_t first_stage_keys = 4096) : first_stage_keys_(first_stage_keys) {}

  // A well-mixed 64-bit hash of `key` in namespace `salt` (keys of several kinds share one
  // filter: the same text under two salts is two keys).
  [[nodiscard]] static std::uint64_t hash_of(std::string_view key, std::uint64_t salt = 0) {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ (salt * 0x9E3779B97F4A7C15ULL);
    for (const char c : key)
      h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
    return mix(h);
  }

  void add(std::uint64_t hash) {
    if (stages_.empty() || stages_.back().keys == stages_.back().capacity) grow();
    Stage& stage = stages_.back();
    std::uint64_t* block = stage.block_of(hash);
    for (std::uint32_t i = 0; i < kProbes; ++i) {
      const std::uint32_t bit = probe(hash, i);
      block[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
    ++stage.keys;
    ++keys_;
  }

  [[nodiscard]] bool may_contain(std::uint64_t hash) const {
    for (const Stage& stage : stages_) {
      if (stage.holds(hash)) return true;
    }
    return false;
  }

  [[nodiscard]] std::size_t size() const { return keys_; }  // keys added, repeats included
  [[nodiscard]] bool empty() const { return keys_ == 0; }
  [[nodiscard]] std::size_t stages() const { return stages_.size(); }
  [[nodiscard]] std::size_t memory_bytes() const {
    std::size_t bytes = 0;
    for (const Stage& stage : stages_)
      bytes += stage.words.size() * sizeof(std::uint64_t);
    return bytes;
  }

 private:
  static constexpr std::uint32_t kProbes = 8;
  static constexpr std::size_t kBitsPerKey = 12;
  static constexpr std::size_t kBlockWords = 8;  // 512 bits: one cache line
  static constexpr std::uint32_t kBlockBits = 512;

  // splitmix64's finaliser: every input bit reaches every output bit.
  static std::uint64_t mix(std::uint64_t h) {
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
    return h ^ (h >> 31);
  }
  // The i-th bit of the key's block: double hashing on the high 32 bits (the low ones pick
  // the block), the step odd so the probes differ.
  static std::uint32_t probe(std::uint64_t hash, std::uint32_t i) {
    const auto h1 = static_cast<std::uint32_t>(hash >> 32);
    const std::uint32_t h2 = (h1 >> 9) | 1U;
    return (h1 + i * h2) % kBlockBits;
  }

  struct Stage {
    std::vector<std::uint64_t> words;
    std::size_t capacity = 0, keys = 0;
    [[nodiscard]] std::uint64_t* block_of(std::uint64_t hash) {
      return words.data() + block_index(hash) * kBlockWords;
    }
    [[nodiscard]] std::size_t block_index(std::uint64_t hash) const {
      return static_cast<std::uint32_t>(hash) % (words.size() / kBlockWords);
    }
    [[nodiscard]] bool holds(std::uint64_t hash) const {
      const std::uint64_t* block = words.data() + block_index(hash) * kBlockWords;
      for (std::uint32_t i = 0; i < kProbes; ++i) {
        const std::uint32_t bit = probe(hash, i);
        if ((block[bit / 64] & (std::uint64_t{1} << (bit % 64))) == 0) return false;
      }
      return true;
    }
  };

  void grow() {
    const std::size_t capacity = stages_.empty() ? (first_stage_keys_ > 0 ? first_stage_keys_ : 1)
                                                 : stages_.back().capacity * 2;
    const std::size_t blocks = (capacity * kBitsPerKey + kBlockBits - 1) / kBlockBits;
    Stage& stage = stages_.emplace_back();
    stage.capacity = capacity;
    stage.words.assign(blocks * kBlockWords, 0);
  }

  std::size_t first_stage_keys_;
  std::size_t keys_ = 0;
  std::vector<Stage> stages_;
};

}  // namespace fusebox
