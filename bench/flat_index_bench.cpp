// FlatIndex against std::unordered_map<std::string, std::uint32_t>, the index it replaced in
// the memory store, the channel models and the load's book: lookups of keys that are there
// and of keys that are not, and inserts, at a million order ids (past every cache).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>

#include "fusebox/common/flat_index.hpp"
#include "fusebox/common/rng.hpp"

namespace fusebox {
namespace {

std::vector<std::string> order_ids(std::size_t n, const char* prefix) {
  std::vector<std::string> ids;
  ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    ids.push_back(prefix + std::to_string(i));
  return ids;
}

struct Flat {
  std::vector<std::string> keys;
  FlatIndex index;
  [[nodiscard]] auto key_of() const {
    return [this](std::uint32_t row) -> const std::string& { return keys[row]; };
  }
};

Flat flat_of(const std::vector<std::string>& ids) {
  Flat flat{ids, {}};
  for (std::size_t i = 0; i < ids.size(); ++i)
    flat.index.insert(flat.keys[i], static_cast<std::uint32_t>(i), flat.key_of());
  return flat;
}

std::unordered_map<std::string, std::uint32_t> map_of(const std::vector<std::string>& ids) {
  std::unordered_map<std::string, std::uint32_t> map;
  for (std::size_t i = 0; i < ids.size(); ++i)
    map.emplace(ids[i], static_cast<std::uint32_t>(i));
  return map;
}

// Random probes, so each lookup pays the cache misses a run of scattered orders pays.
template <class Find>
void probe(benchmark::State& state, const std::vector<std::string>& queries, Find find) {
  Rng rng(7);
  std::uint64_t hits = 0;
  for (auto _ : state)
    hits += find(queries[static_cast<std::size_t>(rng.below(queries.size()))]) ? 1U : 0U;
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_FlatIndexFindHit(benchmark::State& state) {
  const auto ids = order_ids(static_cast<std::size_t>(state.range(0)), "sim-21-");
  const Flat flat = flat_of(ids);
  probe(state, ids, [&flat](const std::string& id) {
    return flat.index.find(id, flat.key_of()) != FlatIndex::none;
  });
}
BENCHMARK(BM_FlatIndexFindHit)->Arg(1'000'000);

void BM_UnorderedMapFindHit(benchmark::State& state) {
  const auto ids = order_ids(static_cast<std::size_t>(state.range(0)), "sim-21-");
  const auto map = map_of(ids);
  probe(state, ids, [&map](const std::string& id) { return map.count(id) != 0; });
}
BENCHMARK(BM_UnorderedMapFindHit)->Arg(1'000'000);

void BM_FlatIndexFindMiss(benchmark::State& state) {
  const auto ids = order_ids(static_cast<std::size_t>(state.range(0)), "sim-21-");
  const auto misses = order_ids(static_cast<std::size_t>(state.range(0)), "sim-22-");
  const Flat flat = flat_of(ids);
  probe(state, misses, [&flat](const std::string& id) {
    return flat.index.find(id, flat.key_of()) != FlatIndex::none;
  });
}
BENCHMARK(BM_FlatIndexFindMiss)->Arg(1'000'000);

void BM_UnorderedMapFindMiss(benchmark::State& state) {
  const auto ids = order_ids(static_cast<std::size_t>(state.range(0)), "sim-21-");
  const auto misses = order_ids(static_cast<std::size_t>(state.range(0)), "sim-22-");
  const auto map = map_of(ids);
  probe(state, misses, [&map](const std::string& id) { return map.count(id) != 0; });
}
BENCHMARK(BM_UnorderedMapFindMiss)->Arg(1'000'000);

// A million inserts into an empty index, growth included (the keys exist beforehand, as the
// rows holding them do).
void BM_FlatIndexInsert(benchmark::State& state) {
  const auto ids = order_ids(static_cast<std::size_t>(state.range(0)), "sim-21-");
  for (auto _ : state) {
    Flat flat{ids, {}};
    for (std::size_t i = 0; i < ids.size(); ++i)
      flat.index.insert(flat.keys[i], static_cast<std::uint32_t>(i), flat.key_of());
    benchmark::DoNotOptimize(flat.index.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_FlatIndexInsert)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_UnorderedMapInsert(benchmark::State& state) {
  const auto ids = order_ids(static_cast<std::size_t>(state.range(0)), "sim-21-");
  for (auto _ : state) {
    const std::vector<std::string> keys = ids;  // the same copy of the keys the flat run makes
    std::unordered_map<std::string, std::uint32_t> map;
    for (std::size_t i = 0; i < keys.size(); ++i)
      map.emplace(keys[i], static_cast<std::uint32_t>(i));
    benchmark::DoNotOptimize(map.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_UnorderedMapInsert)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fusebox
