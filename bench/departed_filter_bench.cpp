// What the gateway core's departed-id filter saves each new pay once orders leave memory
// (GatewayConfig::retain_final_ns): the idempotency check of a merchant order id memory does
// not hold. Before the filter it asked the store (SQLite in live mode) every time; now it asks
// a BloomFilter of the ids that left, and the store only on a "maybe". Both at scale: a
// million departed ids in the filter, 200,000 payments in an SQLite file; absent ids probed.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "fusebox/common/bloom_filter.hpp"
#include "fusebox/common/rng.hpp"
#include "fusebox/gateway/store.hpp"

namespace fusebox::gateway {
namespace {

std::string merchant_id(const char* prefix, std::uint64_t n) { return prefix + std::to_string(n); }

void BM_DepartedFilterNewMerchantId(benchmark::State& state) {
  BloomFilter departed(std::size_t{1} << 16);  // as the core sizes it (core_state.hpp)
  for (std::int64_t i = 0; i < state.range(0); ++i)
    departed.add(BloomFilter::hash_of(merchant_id("sim-21-", static_cast<std::uint64_t>(i)), 2));
  Rng rng(7);
  std::vector<std::string> fresh;
  for (int i = 0; i < 4096; ++i)
    fresh.push_back(merchant_id("new-", rng.next_u64()));
  std::size_t i = 0, maybes = 0;
  for (auto _ : state) {
    maybes += departed.may_contain(BloomFilter::hash_of(fresh[i++ % fresh.size()], 2)) ? 1U : 0U;
  }
  benchmark::DoNotOptimize(maybes);
  state.counters["false_maybe_pct"] =
      100.0 * static_cast<double>(maybes) / static_cast<double>(state.iterations());
  state.counters["filter_MiB"] = static_cast<double>(departed.memory_bytes()) / (1 << 20);
}
BENCHMARK(BM_DepartedFilterNewMerchantId)->Arg(1'000'000);

void BM_SqliteStoreNewMerchantId(benchmark::State& state) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "fusebox-departed-bench.db";
  std::filesystem::remove(path);
  {
    SqliteOptions options;
    options.path = path;
    auto store = make_sqlite_store(options);
    for (std::int64_t i = 0; i < state.range(0); ++i) {
      Payment p;
      p.payment_id = "P" + std::to_string(1'000'000'000'000 + i);
      p.merchant_order_id = merchant_id("sim-21-", static_cast<std::uint64_t>(i));
      p.amount_minor = 1000;
      p.currency = "CNY";
      p.channel = "wallet-a";
      p.status = PaymentStatus::succeeded;
      store->save(p);
    }
    store->flush();
    Rng rng(7);
    std::vector<std::string> fresh;
    for (int i = 0; i < 4096; ++i)
      fresh.push_back(merchant_id("new-", rng.next_u64()));
    std::size_t i = 0, found = 0;
    for (auto _ : state)
      found += store->find_payment_by_merchant_id(fresh[i++ % fresh.size()]) ? 1U : 0U;
    benchmark::DoNotOptimize(found);
  }
  std::filesystem::remove(path);
}
BENCHMARK(BM_SqliteStoreNewMerchantId)->Arg(200'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fusebox::gateway
