// fusebox_load_bench: the load generator alone against a target, for bench/load_vs_wrk.sh.
//   fusebox_load_bench --port P [--host H] --tps R --duration S [--connections C]
//                      [--timeout S] [--arrivals uniform|poisson]
// POSTs /v1/payments at a constant open-loop rate and prints one JSON line: the target and
// achieved rate (successful answers per second of the run), p50/p99/max latency from the
// planned send times (p50/p90/p99/p99.9/max), late sends and the outcome counts.
//   fusebox_load_bench --recorder-orders N
// No network: records N distinct orders (two statuses each, as a pay then a query would)
// in a Recorder and prints how much its resident set grew, the checker's book of a long run,
// and how much more it grew while every order was read back the way the checker reads them.

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "fusebox/harness/load.hpp"

namespace {

using fusebox::harness::LoadSpec;

std::map<std::string, std::string> parse_flags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    if (!name.starts_with("--")) throw std::invalid_argument("expected --flag value: " + name);
    flags[name.substr(2)] = argv[i + 1];
  }
  return flags;
}

double number(const std::map<std::string, std::string>& flags, const std::string& name,
              double fallback) {
  const auto it = flags.find(name);
  return it == flags.end() ? fallback : std::stod(it->second);
}

long rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return 0;
}

int recorder_orders(std::uint64_t orders) {
  fusebox::harness::Recorder recorder({"wallet-a"}, {}, 600, 2);
  const long before_kb = rss_kb();
  for (std::uint64_t i = 0; i < orders; ++i) {
    const std::string id = "run-7-" + std::to_string(i);
    std::string payment_id = std::to_string(i);  // like the gateway's: "P000000000001"
    payment_id.insert(0, payment_id.size() < 12 ? 12 - payment_id.size() : 0, '0').insert(0, "P");
    recorder.on_order_status(id, payment_id, 100, "PROCESSING");
    recorder.on_order_status(id, payment_id, 100, "SUCCEEDED");
  }
  const long filled_kb = rss_kb();
  const double growth_mb = static_cast<double>(filled_kb - before_kb) / 1024.0;
  // What the checker and the final fetch do at the end: read every order in place.
  std::uint64_t ids = 0;
  recorder.seen_source().for_each(
      [&ids](const fusebox::harness::SeenOrder& order) { ids += order.payment_ids.size(); });
  const double visit_growth_mb = static_cast<double>(rss_kb() - filled_kb) / 1024.0;
  std::cout << nlohmann::json{{"orders", orders},
                              {"rss_growth_mb", growth_mb},
                              {"visit_rss_growth_mb", visit_growth_mb},
                              {"payment_ids_visited", ids},
                              {"bytes_per_order",
                               growth_mb * 1024 * 1024 /
                                   static_cast<double>(std::max<std::uint64_t>(orders, 1))}}
                   .dump()
            << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  using namespace fusebox;
  using namespace fusebox::harness;
  const auto flags = parse_flags(argc, argv);
  if (flags.contains("recorder-orders")) {
    return recorder_orders(static_cast<std::uint64_t>(number(flags, "recorder-orders", 0)));
  }
  LoadPhase phase;
  phase.for_s = number(flags, "duration", 10);
  phase.tps = number(flags, "tps", 1000);
  GeneratorConfig config;
  config.host = flags.contains("host") ? flags.at("host") : "127.0.0.1";
  config.port = static_cast<std::uint16_t>(number(flags, "port", 0));
  config.load.phases = {phase};
  config.load.arrivals = flags.contains("arrivals") && flags.at("arrivals") == "poisson"
                             ? LoadSpec::Arrivals::poisson
                             : LoadSpec::Arrivals::uniform;
  config.load.connections = static_cast<int>(number(flags, "connections", 64));
  config.load.request_timeout_s = number(flags, "timeout", 10);
  config.id_prefix = "bench";
  Recorder recorder({}, {}, phase.for_s, config.load.request_timeout_s);
  LoadStatus status;
  const std::atomic<bool> stop{false};
  LoadGenerator generator(config, recorder, status);
  const auto start = std::chrono::steady_clock::now();
  generator.run(start, stop);
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Histogram& latency = recorder.run_latency("");
  nlohmann::json out{{"target_tps", phase.tps},
                     {"duration_s", phase.for_s},
                     {"elapsed_s", elapsed_s},
                     {"planned", recorder.planned()},
                     {"sent", recorder.sent()},
                     {"late", recorder.late()},
                     {"p50_ms", to_ms(latency.value_at_percentile(50))},
                     {"p90_ms", to_ms(latency.value_at_percentile(90))},
                     {"p99_ms", to_ms(latency.value_at_percentile(99))},
                     {"p999_ms", to_ms(latency.value_at_percentile(99.9))},
                     {"max_ms", to_ms(latency.max())}};
  out["outcomes"] = nlohmann::json::object();
  std::uint64_t ok = 0;
  for (const SecondStats& second : recorder.seconds("")) {
    for (std::size_t i = 0; i < kOutcomeCount; ++i) {
      const std::string name(to_string(static_cast<Outcome>(i)));
      out["outcomes"][name] = out["outcomes"].value(name, std::uint64_t{0}) + second.outcomes[i];
    }
    ok += second.outcomes[static_cast<std::size_t>(Outcome::ok)];
  }
  out["achieved_tps"] = static_cast<double>(ok) / std::max(elapsed_s, phase.for_s);
  std::cout << out.dump() << std::endl;
  return 0;
} catch (const std::exception& error) {
  std::cerr << "fusebox_load_bench: " << error.what() << "\n";
  return 2;
}
