// A lab's topology, in containerlab's file format: `name`, `topology.nodes` (each with `kind`
// and, for a firewall, `startup-config`), `topology.links` (each with `endpoints:
// ["fw1:GigabitEthernet0/0/2", "fw2:GigabitEthernet0/0/1"]`). Kinds: `vfw`, a firewall running
// its VRP configuration, and `host`, an end system. What containerlab has no field for (a host's
// address, a link's delay or filter) goes in `labels`, which containerlab keeps as it finds them:
//
//   pc1:
//     kind: host
//     labels: {vfw.address: 10.1.1.2/24, vfw.gateway: 10.1.1.1}
//   links:
//     - endpoints: ["fw2:GigabitEthernet0/0/1", "fw1:GigabitEthernet0/0/2"]
//       mtu: 1500
//       labels: {vfw.delay-ms: 5, vfw.loss: 0.01, vfw.drop: "udp 500"}
//
// Errors name the file, the line and the field.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "packet/address.hpp"

namespace vfw::lab {

// What a node is. The file's `kind` words for each (vfw's own and containerlab's) are in
// topology.cpp's table.
enum class NodeKind : uint8_t { Firewall, Host };

struct NodeSpec {
  std::string name;
  NodeKind kind = NodeKind::Firewall;
  std::string startup_config;  // vfw: the file, relative to the topology file's folder
  // host: its one interface
  Ipv4 address;
  uint8_t prefix_length = 24;
  std::optional<Ipv4> gateway;
  uint32_t mtu = 1500;
  int line = 0;
};

struct Endpoint {
  std::string node;
  std::string interface;  // a firewall's interface name as typed; "eth0" (or anything) for a host
};

struct LinkSpec {
  Endpoint a, b;
  uint32_t mtu = 0;  // 0: the interfaces' own
  uint32_t delay_ms = 0;
  double loss = 0;  // 0 to 1, drawn from the lab's seeded generator
  // Packets the link drops, as "udp 500", "udp 4500", "esp" (several separated by commas).
  std::vector<std::string> drop;
  int line = 0;
};

struct Topology {
  std::string name;
  std::string folder;  // where relative paths start
  std::vector<NodeSpec> nodes;
  std::vector<LinkSpec> links;
  const NodeSpec* node(const std::string& node_name) const;
};

struct TopologyError {
  std::string file;
  int line = 0;  // from 1; 0 when the file could not be read
  std::string field;
  std::string message;
  std::string format() const;  // "seed.clab.yml:12: topology.links[0].endpoints: ..."
};

struct TopologyResult {
  Topology topology;
  std::vector<TopologyError> errors;
  bool ok() const { return errors.empty(); }
};

TopologyResult parse_topology(const std::string& text, const std::string& file,
                              const std::string& folder);
TopologyResult load_topology(const std::string& path);

}  // namespace vfw::lab
