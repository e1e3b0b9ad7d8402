#pragma once
// What the pieces of the scenario reader share: the channels and named spans that later
// sections are checked against, and small helpers for messages. Internal to
// fusebox_harness_scenario.

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fusebox/common/config.hpp"
#include "fusebox/harness/scenario.hpp"

namespace fusebox::harness::detail {

struct ChannelInfo {
  std::string name;
  std::string family;  // "wallet-json" | "wallet-xml" | "bank-binary"
  std::string method;  // the gateway's method for it ("wallet" | "bank")
  int nodes = 1;
};

// A named fault or action on the timeline, as windows and assertions see it.
struct Span {
  std::string name;
  bool is_fault = true;
  bool instant = false;  // reconcile actions: a moment, not a span
  double start_s = 0;
  double end_s = 0;  // for_s absent: the end of the load
  bool ends = true;  // false when for_s is absent (the fault lasts the whole run)
};

struct Context {
  std::vector<ChannelInfo> channels;
  std::vector<std::string> currencies;   // the gateway's accepted currencies
  std::vector<std::string> alert_rules;  // names of the gateway's alert rules
  double duration_s = 0;
  double settle_s = 10;
  std::vector<Span> spans;

  [[nodiscard]] double run_end_s() const { return duration_s + settle_s; }
  [[nodiscard]] const Span* span(std::string_view name) const;
};

// The channel a string node names; fails naming the scenario's channels.
const ChannelInfo& require_channel(const Context& context, const ConfigNode& node);
// Like ConfigNode::expect_fields with a list built at run time.
void expect_fields(const ConfigNode& node, const std::vector<std::string_view>& allowed);
// "20s", "2.5s": seconds for messages and window texts.
[[nodiscard]] std::string seconds_text(double s);
[[nodiscard]] std::string window_text(const Window& window);

[[nodiscard]] LoadSpec parse_load(const ConfigNode& node, const Context& context);
[[nodiscard]] std::vector<TimelineFault> parse_faults(const ConfigNode& node, Context& context);
[[nodiscard]] std::vector<TimelineAction> parse_actions(const ConfigNode& node, Context& context);
[[nodiscard]] Window parse_window(const ConfigNode& node, const Context& context);
[[nodiscard]] std::vector<Assertion> parse_assertions(const ConfigNode& node,
                                                      const Context& context);

// JSON Pointer -> line (1-based) of the value there, for every value of a JSON text with
// comments; empty when the text does not scan.
using LineMap = std::map<std::string, int>;
[[nodiscard]] LineMap json_pointer_lines(std::string_view text);
// Turns "<source>: <path>: ..." into "<source>:<line>: <path>: ..." when the path's line is
// known; any other message is returned unchanged.
[[nodiscard]] std::string with_line(const std::string& message, const std::string& source,
                                    const LineMap& lines);

}  // namespace fusebox::harness::detail
