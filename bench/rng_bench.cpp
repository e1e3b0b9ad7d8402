// PRNG and distribution draw costs. Targets (issue #2): at least 500 million 64-bit draws
// per second; a lognormal draw under 20 ns.
#include <cmath>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "fusebox/common/distribution.hpp"
#include "fusebox/common/portable_math.hpp"
#include "fusebox/common/rng.hpp"

namespace fusebox {
namespace {

void BM_RngNextU64(benchmark::State& state) {
  Rng rng(42);
  for (auto _ : state)
    benchmark::DoNotOptimize(rng.next_u64());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RngNextU64);

void BM_RngNextDouble(benchmark::State& state) {
  Rng rng(42);
  for (auto _ : state)
    benchmark::DoNotOptimize(rng.next_double());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RngNextDouble);

void BM_RngBelow(benchmark::State& state) {
  Rng rng(42);
  for (auto _ : state)
    benchmark::DoNotOptimize(rng.below(1'000'003));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RngBelow);

void draw(benchmark::State& state, const Distribution& dist) {
  Rng rng(42);
  for (auto _ : state)
    benchmark::DoNotOptimize(dist.sample(rng));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_DrawLognormal(benchmark::State& state) { draw(state, Distribution::lognormal(20, 250)); }
BENCHMARK(BM_DrawLognormal);

void BM_DrawNormal(benchmark::State& state) { draw(state, Distribution::normal(20, 4)); }
BENCHMARK(BM_DrawNormal);

void BM_DrawUniform(benchmark::State& state) { draw(state, Distribution::uniform(5, 50)); }
BENCHMARK(BM_DrawUniform);

void BM_DrawPareto(benchmark::State& state) {
  draw(state, Distribution::pareto_from_percentiles(20, 900));
}
BENCHMARK(BM_DrawPareto);

void BM_DrawBimodal(benchmark::State& state) {
  draw(state, Distribution::mixture({0.95, 0.05}, {Distribution::lognormal(10, 30),
                                                   Distribution::lognormal(800, 3000)}));
}
BENCHMARK(BM_DrawBimodal);

void BM_DrawEmpirical(benchmark::State& state) {
  draw(state, Distribution::empirical(
                  {{0, 2}, {0.5, 20}, {0.9, 60}, {0.99, 300}, {0.999, 900}, {1, 3000}}));
}
BENCHMARK(BM_DrawEmpirical);

void BM_DrawBernoulli(benchmark::State& state) {
  Rng rng(42);
  const Bernoulli b(0.01);
  for (auto _ : state)
    benchmark::DoNotOptimize(b.sample(rng));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DrawBernoulli);

}  // namespace
}  // namespace fusebox

namespace fusebox {
namespace {

// The building blocks of a draw, against the platform's libm for scale.
template <double (*F)(double)>
void unary(benchmark::State& state, double lo, double hi) {
  Rng rng(7);
  std::vector<double> inputs(4096);
  for (double& x : inputs)
    x = lo + (hi - lo) * rng.next_open_double();
  std::size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(F(inputs[i++ & 4095]));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

double libm_exp(double x) { return std::exp(x); }
double libm_log(double x) { return std::log(x); }

void BM_PortableExp(benchmark::State& state) { unary<portable::exp>(state, -10, 10); }
BENCHMARK(BM_PortableExp);
void BM_LibmExp(benchmark::State& state) { unary<libm_exp>(state, -10, 10); }
BENCHMARK(BM_LibmExp);
void BM_PortableLog(benchmark::State& state) { unary<portable::log>(state, 0, 1); }
BENCHMARK(BM_PortableLog);
void BM_LibmLog(benchmark::State& state) { unary<libm_log>(state, 0, 1); }
BENCHMARK(BM_LibmLog);
void BM_InverseNormalCdf(benchmark::State& state) { unary<inverse_normal_cdf>(state, 0, 1); }
BENCHMARK(BM_InverseNormalCdf);

}  // namespace
}  // namespace fusebox

namespace fusebox {
namespace {

// Same-run peers: what the standard library offers instead (and why we do not use it: its
// distributions give different numbers on libstdc++ and libc++).
void BM_PeerStdMt19937_64(benchmark::State& state) {
  std::mt19937_64 engine(42);
  for (auto _ : state)
    benchmark::DoNotOptimize(engine());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PeerStdMt19937_64);

void BM_PeerStdLognormal(benchmark::State& state) {
  std::mt19937_64 engine(42);
  std::lognormal_distribution<double> dist(std::log(20.0), std::log(250.0 / 20.0) / kZ99);
  for (auto _ : state)
    benchmark::DoNotOptimize(dist(engine));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PeerStdLognormal);

}  // namespace
}  // namespace fusebox
