// containerlab's files as containerlab's users write them: defaults and kinds inherited,
// huawei_vrp and the vfw image as firewalls with containerlab's eth names, linux hosts
// configured by their exec lines, both link forms. A hand-written one and the project's own
// containerlab file run in `vfw lab`; what vfw cannot emulate is refused at its line, what it
// need not emulate is noted and ignored.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "app/lab_console.hpp"
#include "lab/host_exec.hpp"
#include "lab/lab.hpp"

using namespace vfw;
using namespace vfw::lab;

namespace {

std::unique_ptr<Lab> start(const TopologyResult& t) {
  for (const auto& e : t.errors) FAIL(e.format());
  std::vector<std::string> errors;
  auto lab = Lab::create(t.topology, errors);
  for (const auto& e : errors) FAIL(e);
  REQUIRE(lab != nullptr);
  return lab;
}

// The errors a file gives, each formatted.
std::vector<std::string> errors_of(const std::string& text) {
  const TopologyResult t = parse_topology(text, "t.clab.yml", ".");
  std::vector<std::string> out;
  for (const auto& e : t.errors) out.push_back(e.format());
  return out;
}

}  // namespace

TEST_CASE("a containerlab file in containerlab's own style runs in the lab", "[lab][clab]") {
  const TopologyResult t =
      load_topology(std::string(VFW_SOURCE_DIR) + "/tests/data/clab/usg-pair.clab.yml");
  // The one exec line vfw need not emulate is noted at its line, not refused.
  REQUIRE(t.notes.size() == 1);
  CHECK(t.notes[0].format() ==
        std::string(VFW_SOURCE_DIR) +
            "/tests/data/clab/usg-pair.clab.yml:33: topology.nodes.pc1.exec[3]: `ethtool -K eth1 "
            "tx off`: `ethtool` is not emulated (a lab host has an address, a default gateway and "
            "an MTU; it answers ping and traceroute); ignored");
  const NodeSpec* pc2 = t.topology.node("pc2");
  REQUIRE(pc2 != nullptr);
  CHECK(pc2->kind == NodeKind::Host);  // defaults.kind: linux
  CHECK(to_string(pc2->address) == "10.2.1.2");
  CHECK(pc2->gateway == parse_ipv4("10.2.1.1"));
  CHECK(pc2->mtu == 1400);
  CHECK(t.topology.node("carrier")->kind == NodeKind::Firewall);
  auto lab = start(t);
  CHECK(lab->ping("pc1", *parse_ipv4("10.2.1.2"), 3).received >= 2);
  // Commands take the file's names and the device's alike.
  CHECK(lab->capture("fw1:eth2", ""));
  CHECK(lab->capture("fw1:GigabitEthernet0/0/2", ""));
  CHECK(lab->set_link("carrier:eth2", true));
}

TEST_CASE("the project's containerlab file, vfw's image on linux nodes, runs in the lab too",
          "[lab][clab]") {
  const TopologyResult t =
      load_topology(std::string(VFW_SOURCE_DIR) + "/examples/containerlab/vfw-seed.clab.yml");
  CHECK(t.notes.empty());
  const NodeSpec* fw1 = t.topology.node("fw1");
  REQUIRE(fw1 != nullptr);
  CHECK(fw1->kind == NodeKind::Firewall);
  // The configuration its cmd names inside the container, found through its binds.
  CHECK(fw1->startup_config == "../fw1.cfg");
  CHECK(device_interface(*fw1, "eth2") == "GigabitEthernet0/0/2");
  auto lab = start(t);
  CHECK(lab->ping("pc1", *parse_ipv4("10.2.1.2"), 3).received >= 2);
}

TEST_CASE("a firewall's cmd binds its interfaces, eth names follow containerlab otherwise",
          "[lab][clab]") {
  NodeSpec fw;
  fw.kind = NodeKind::Firewall;
  CHECK(device_interface(fw, "eth0") == "GigabitEthernet0/0/0");  // management
  CHECK(device_interface(fw, "eth7") == "GigabitEthernet0/0/7");
  CHECK(device_interface(fw, "GigabitEthernet0/0/3") == "GigabitEthernet0/0/3");
  CHECK(device_interface(fw, "eth99999999999") == "eth99999999999");  // not a port: as written
  fw.interface_names["eth1"] = "GigabitEthernet1/0/0";
  CHECK(device_interface(fw, "eth1") == "GigabitEthernet1/0/0");
  NodeSpec host;
  host.kind = NodeKind::Host;
  CHECK(device_interface(host, "eth1") == "eth1");
}

TEST_CASE("what the lab cannot emulate is refused at its line", "[lab][clab]") {
  const std::string head = "name: t\ntopology:\n  nodes:\n";
  CHECK(errors_of(head + "    r1:\n      kind: srl\n") ==
        std::vector<std::string>{
            "t.clab.yml:5: topology.nodes.r1.kind: \"srl\" is not a kind of this lab (vfw or "
            "huawei_vrp for a firewall, linux or host for an end system; a linux node of the vfw "
            "image is a firewall)"});
  CHECK(errors_of(head + "    sw:\n      kind: bridge\n") ==
        std::vector<std::string>{"t.clab.yml:5: topology.nodes.sw.kind: a bridge is not emulated: "
                                 "the lab's links join two nodes each"});
  CHECK(errors_of(head +
                  "    pc:\n      kind: linux\n      exec:\n        - ip addr add 10.0.0.2/24 dev "
                  "eth1\n        - ip route add 192.168.0.0/16 via 10.0.0.1\n") ==
        std::vector<std::string>{
            "t.clab.yml:8: topology.nodes.pc.exec[1]: `ip route add 192.168.0.0/16 via "
            "10.0.0.1`: a route to 192.168.0.0/16: a lab host routes by one default gateway (ip "
            "route add default via GATEWAY)"});
  CHECK(errors_of(head + "    pc:\n      kind: linux\n") ==
        std::vector<std::string>{
            "t.clab.yml:4: topology.nodes.pc: a host needs its address: an exec line `ip "
            "addr add 10.1.1.2/24 dev eth1`, or labels: vfw.address"});
  CHECK(
      errors_of(head + "    fw:\n      kind: linux\n      image: vfw:latest\n      cmd: --config "
                       "/config/fw.cfg\n") ==
      std::vector<std::string>{
          "t.clab.yml:7: topology.nodes.fw.cmd: the configuration /config/fw.cfg is inside the "
          "container: no bind of this node maps it to a file (binds: [\"FILE:/config/fw.cfg\"])"});
  // No cmd: the image's default, /config/startup.cfg, must be bound.
  CHECK(errors_of(head + "    fw:\n      kind: linux\n      image: vfw\n") ==
        std::vector<std::string>{
            "t.clab.yml:4: topology.nodes.fw.binds: the configuration /config/startup.cfg is "
            "inside the container: no bind of this node maps it to a file (binds: "
            "[\"FILE:/config/startup.cfg\"])"});
  CHECK(errors_of(head +
                  "    a:\n      kind: linux\n      exec: [ip addr add 10.0.0.1/24 dev eth1]\n"
                  "  links:\n    - type: vxlan\n      endpoints: [\"a:eth1\", \"a:eth2\"]\n") ==
        std::vector<std::string>{"t.clab.yml:8: topology.links[0].type: \"vxlan\" links are not "
                                 "emulated: the lab's links join two nodes (veth)"});
}

TEST_CASE("a host's exec lines in iproute2's spellings", "[lab][clab]") {
  std::vector<ExecNote> notes;
  const HostExec h =
      read_host_exec({"ip -4 address add 192.0.2.10/28 dev eth1", "ip ro del default",
                      "ip r a default via 192.0.2.1 dev eth1", "ip l set eth1 mtu 9000", "sleep 2",
                      "ip -6 addr add ::1/128 dev lo"},
                     notes);
  CHECK(to_string(*h.address) == "192.0.2.10");
  CHECK(h.prefix_length == 28);
  CHECK(h.interface == "eth1");
  CHECK(h.gateway == parse_ipv4("192.0.2.1"));
  CHECK(h.mtu == 9000u);
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].line == 4);
  CHECK_FALSE(notes[0].error);
  CHECK(notes[1].message == "IPv6 is not emulated yet; ignored");
  notes.clear();
  (void)read_host_exec({"ip addr add 10.0.0.1/24 dev eth1", "ip addr add 10.0.0.2/24 dev eth1",
                        "ip link set eth1 mtu 20", "ip addr add banana dev eth1"},
                       notes);
  REQUIRE(notes.size() == 3);
  for (const auto& n : notes) CHECK(n.error);
}

TEST_CASE("lab export --format clab writes a topology in containerlab's style that runs again",
          "[lab][clab]") {
  const TopologyResult seed =
      load_topology(std::string(VFW_SOURCE_DIR) + "/examples/seed-lab/seed.clab.yml");
  auto lab = start(seed);
  // A change typed into FW1 first: the export carries the running configuration, not the file.
  LabConsoleOptions options;
  std::istringstream script(
      "lab attach fw1\nsystem-view\nsysname FW1-EXPORTED\nreturn\n"
      "lab export clab-export --format clab\n");
  std::ostringstream out, err;
  REQUIRE(run_lab_script(*lab, options, script, out, err) == 0);
  INFO(out.str() + err.str());
  std::ifstream in("clab-export/seed.clab.yml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("kind: linux") != std::string::npos);
  CHECK(text.find("image: vfw:latest") != std::string::npos);
  CHECK(text.find("- fw1.cfg:/config/startup.cfg:ro") != std::string::npos);
  CHECK(text.find("- ip addr add 10.1.1.2/24 dev eth1") != std::string::npos);
  CHECK(text.find("endpoints: [\"fw1:eth2\", \"fw2:eth1\"]") != std::string::npos);
  CHECK(text.find("GigabitEthernet") == std::string::npos);  // containerlab's names only
  const TopologyResult again = load_topology("clab-export/seed.clab.yml");
  CHECK(again.notes.empty());
  auto exported = start(again);
  CHECK(exported->ping("pc1", *parse_ipv4("10.2.1.2"), 3).received >= 2);
  CHECK(exported->device("fw1")->config().sysname == "FW1-EXPORTED");
  // The secrets in clear: a container's vfw has a device key of its own.
  std::ifstream fw1("clab-export/fw1.cfg");
  const std::string cfg((std::istreambuf_iterator<char>(fw1)), std::istreambuf_iterator<char>());
  CHECK(cfg.find(" pre-shared-key Seed@2026\n") != std::string::npos);
}
