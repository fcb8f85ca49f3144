// A lab's topology, in containerlab's file format as containerlab's users write it: `name`,
// `topology.defaults` and `topology.kinds` (what every node, or every node of a kind, inherits),
// `topology.nodes`, `topology.links` (brief `endpoints: ["fw1:eth2", "fw2:eth1"]` or extended
// `{node, interface}` endpoints). A node is a firewall when its kind is `vfw` or `huawei_vrp`, or
// when it is a `linux` node running the vfw image (its configuration then comes from its `cmd`'s
// `--config`, through its `binds`); its configuration is `startup-config` otherwise. Other `linux`
// nodes (and `host`) are end systems, configured by their `exec` lines (lab/host_exec.hpp) or by
// labels. A firewall's `ethN` is GigabitEthernet0/0/N (containerlab's convention: eth0 is the
// management port, GigabitEthernet0/0/0 on a USG), unless its `cmd` binds it otherwise; the
// device's own names are accepted too. What containerlab has no field for (a link's delay or
// filter) goes in `labels`, which containerlab keeps as it finds them:
//
//   pc1:
//     kind: linux
//     exec: ["ip addr add 10.1.1.2/24 dev eth1", "ip route add default via 10.1.1.1"]
//   links:
//     - endpoints: ["fw2:eth1", "fw1:eth2"]
//       mtu: 1500
//       labels: {vfw.delay-ms: 5, vfw.loss: 0.01, vfw.drop: "udp 500"}
//
// Errors name the file, the line and the field; so do the notes on what is read and ignored.
#pragma once

#include <map>
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
  // firewall: its interfaces as the file names them (`eth1`) to the device's, from its `cmd`'s
  // `--bind GigabitEthernet0/0/1=eth1`
  std::map<std::string, std::string> interface_names;
};

// A firewall's interface as an endpoint names it: its cmd's binding, else containerlab's `ethN`
// as GigabitEthernet0/0/N, else the name as written (the device's own, normalised later).
std::string device_interface(const NodeSpec& node, const std::string& written);

struct Endpoint {
  std::string node;
  std::string interface;  // a firewall's interface name as typed; "eth0" (or anything) for a host
};

struct LinkSpec {
  Endpoint a, b;
  uint32_t mtu = 0;  // 0: the interfaces' own
  // One-way delay. A small one by default: a capture whose every packet is at the same instant
  // hides the order of an exchange (vfw.delay-ms: 0 for none).
  static constexpr uint32_t kDefaultDelayMs = 1;
  uint32_t delay_ms = kDefaultDelayMs;
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
  // What was read and ignored (a host's exec line vfw does not emulate): said, not refused.
  std::vector<TopologyError> notes;
  bool ok() const { return errors.empty(); }
};

TopologyResult parse_topology(const std::string& text, const std::string& file,
                              const std::string& folder);
TopologyResult load_topology(const std::string& path);

}  // namespace vfw::lab
