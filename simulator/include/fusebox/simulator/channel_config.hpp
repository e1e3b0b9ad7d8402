#pragma once
// Reading channels and faults from JSON (a simulator config file, a control API request, a
// scenario's fault timeline), with the kernel's precise errors: file, JSON path, what was
// expected and what was found. Every field and its default: docs/CHANNELS.md, "Configuring
// channels".

#include <cstdint>
#include <string>
#include <vector>

#include "fusebox/common/config.hpp"
#include "fusebox/common/signing.hpp"
#include "fusebox/simulator/channel_model.hpp"
#include "fusebox/simulator/faults.hpp"

namespace fusebox::sim {

enum class Family : std::uint8_t { wallet_json, wallet_xml, bank_binary };
[[nodiscard]] std::string_view to_string(Family family);

struct ChannelSpec {
  Family family = Family::wallet_json;
  SignScheme sign = SignScheme::rsa_sha256;
  bool tls = true;
  int nodes = 1;           // front-end nodes, each its own port (bank-binary)
  std::vector<int> ports;  // 0: chosen by the OS; one per node
  std::string notify_url;  // where notifications go unless a pay request names one
  ChannelModelConfig model;
  std::vector<Fault> faults;  // loaded at start; windows may lie in the future
};

struct SimulatorSpec {
  std::uint64_t seed = 1;
  std::string host = "127.0.0.1";
  int control_port = 0;
  std::vector<ChannelSpec> channels;
  // Certificates (PEM) that HTTPS notifications trust besides the simulator's own test CA:
  // the CA of a merchant's own gateway. Read from "notify_ca_file" when the config is parsed.
  std::string notify_ca_pem;
};

// A fault as JSON: {"kind": "outage", "operation": "pay", "node": 1, "at_s": 10,
// "for_s": 30, "p": 0.5, "delay_ms": <distribution>, "factor": 5, "period_s": 10,
// "duty": 0.5}. Only "kind" is required; fields a kind does not use are rejected.
[[nodiscard]] Fault parse_fault(const ConfigNode& node);
// Changes a live fault's timing or probability: `node` may hold "at_s" (a new start; a
// bounded fault keeps its length), "for_s" (a new length from its start) and "p". Anything
// else is an error naming the field: delete the fault and add another to change its kind.
void patch_fault(const ConfigNode& node, Fault& fault);
[[nodiscard]] ChannelSpec parse_channel(const ConfigNode& node);
// The whole simulator config; names must be unique and every channel valid.
[[nodiscard]] SimulatorSpec parse_simulator(const ConfigNode& root);

// The built-in default: two wallet-json channels, one wallet-xml and one bank-binary with
// three front-end nodes, no faults.
[[nodiscard]] SimulatorSpec default_simulator();

}  // namespace fusebox::sim
