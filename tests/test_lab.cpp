// The lab: the seed's network from its topology file, a ping across it that brings the IKEv2
// tunnel up through the carrier, the same run twice giving the same bytes, link faults, and the
// topology file's errors naming file, line and field.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <sstream>

#include "app/lab_console.hpp"
#include "cli/line_runner.hpp"
#include "device/pcap_reader.hpp"
#include "lab/lab.hpp"
#include "seed_lab.hpp"

using namespace vfw;
using namespace vfw::lab;

namespace {

using test::seed_lab;

// The line of a display that holds what.
std::string row(const std::string& display, const std::string& what) {
  std::istringstream in(display);
  for (std::string line; std::getline(in, line);) {
    if (line.find(what) != std::string::npos) return line;
  }
  return "";
}

std::string typed(Device& d, const std::string& line) {
  LineRunner run(d);
  const LineOutput out = run.run(line, 0);
  return out.out + out.err;
}

}  // namespace

TEST_CASE("the seed's lab: PC1 pings PC2 through FW1, the carrier and FW3, the tunnel comes up",
          "[lab]") {
  auto lab = seed_lab();
  CHECK(lab->name() == "seed");
  CHECK(lab->node_names() == std::vector<std::string>{"pc1", "fw1", "fw2", "fw3", "pc2"});
  // The seed's names as the seed writes them: PC1 is the node pc1.
  const Lab::PingResult r = lab->ping("PC1", *parse_ipv4("10.2.1.2"), 3);
  INFO(r.text);
  CHECK(r.transmitted == 3);
  CHECK(r.received == 3);
  CHECK(r.text.rfind("PING 10.2.1.2 (10.2.1.2) 56(84) bytes of data.\n"
                     "64 bytes from 10.2.1.2: icmp_seq=1 ttl=",
                     0) == 0);
  CHECK(r.text.find("3 packets transmitted, 3 received, 0% packet loss") != std::string::npos);
  // FW1 initiated: the IKE SA and the CHILD SA, ready and stay-alive, as the seed shows them.
  const std::string sa = typed(*lab->device("fw1"), "display ike sa");
  INFO(sa);
  CHECK(sa.find("2.1.1.1:500") != std::string::npos);
  for (const char* phase : {"v2:1", "v2:2"}) {
    const std::string line = row(sa, phase);
    CHECK(line.find("2.1.1.1:500") != std::string::npos);
    CHECK(line.find("RD|ST") != std::string::npos);
  }
  // FW1's ARP cache: its two interfaces, PC1 and the carrier, learnt on the way.
  const std::string arp = typed(*lab->device("fw1"), "display arp");
  INFO(arp);
  CHECK(row(arp, "10.1.1.1 ").find("00e0-fc00-0101            I -         GE0/0/1") !=
        std::string::npos);
  CHECK(row(arp, "10.1.1.2 ").find("0200-0000-0001  20        D-0         GE0/0/1") !=
        std::string::npos);
  CHECK(row(arp, "1.1.1.2 ").find("D-0         GE0/0/2") != std::string::npos);
  CHECK(arp.find("Total:4         Dynamic:2       Static:0     Interface:2") != std::string::npos);
  // display interface: the state, the zone, the MAC address, and the frames the links carried
  // each way: ARP (FW1's request, the carrier's reply), IKE's two exchanges, three pings in ESP.
  const std::string ge2 = typed(*lab->device("fw1"), "display interface GigabitEthernet0/0/2");
  INFO(ge2);
  CHECK(ge2.rfind("GigabitEthernet0/0/2 current state : UP\nLine protocol current state : UP\n"
                  "GigabitEthernet0/0/2 current firewall zone : untrust\n",
                  0) == 0);
  CHECK(ge2.find("Hardware address is 00e0-fc00-0102\n") != std::string::npos);
  CHECK(ge2.find("    Input: 6 packets, ") != std::string::npos);
  CHECK(ge2.find("    Output: 6 packets, ") != std::string::npos);
  // The carrier saw only ESP and IKE between 1.1.1.1 and 2.1.1.1, never 10.x in clear.
  const std::string sessions = typed(*lab->device("fw2"), "display firewall session table");
  INFO(sessions);
  CHECK(sessions.find("10.1.1.2") == std::string::npos);
  CHECK(sessions.find("1.1.1.1") != std::string::npos);
}

TEST_CASE("a lab run is deterministic: the same pings give the same output, byte for byte",
          "[lab]") {
  auto a =
      seed_lab("    - endpoints: [\"fw2:GigabitEthernet0/0/2\", \"fw3:GigabitEthernet0/0/2\"]\n",
               "    - endpoints: [\"fw2:GigabitEthernet0/0/2\", \"fw3:GigabitEthernet0/0/2\"]\n"
               "      labels: {vfw.delay-ms: 15, vfw.loss: 0.1}\n");
  auto b =
      seed_lab("    - endpoints: [\"fw2:GigabitEthernet0/0/2\", \"fw3:GigabitEthernet0/0/2\"]\n",
               "    - endpoints: [\"fw2:GigabitEthernet0/0/2\", \"fw3:GigabitEthernet0/0/2\"]\n"
               "      labels: {vfw.delay-ms: 15, vfw.loss: 0.1}\n");
  // The carrier's link captured in both labs: IKE's SPIs, nonces, KE values and IVs and ESP's
  // SPIs, IVs and ciphertext are the same bytes, for they come from each node's seeded stream.
  REQUIRE(a->capture("fw2:GigabitEthernet0/0/2", "deterministic-a.pcap"));
  REQUIRE(b->capture("fw2:GigabitEthernet0/0/2", "deterministic-b.pcap"));
  const auto ra = a->ping("pc1", *parse_ipv4("10.2.1.2"), 10);
  const auto rb = b->ping("pc1", *parse_ipv4("10.2.1.2"), 10);
  CHECK(ra.text == rb.text);
  REQUIRE(a->capture("fw2:GigabitEthernet0/0/2", ""));
  REQUIRE(b->capture("fw2:GigabitEthernet0/0/2", ""));
  auto file = [](const char* path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string pa = file("deterministic-a.pcap");
  CHECK(pa.size() > 2000);  // IKE_SA_INIT, IKE_AUTH and ten ESP exchanges at least
  CHECK(pa == file("deterministic-b.pcap"));
  CHECK(a->esp_keys() == b->esp_keys());
  CHECK(a->esp_keys().size() == 2);  // one per SPI: FW1 to FW3 and back
  for (const char* display : {"display ike sa verbose", "display ipsec sa"}) {
    CHECK(typed(*a->device("fw1"), display) == typed(*b->device("fw1"), display));
  }
  CHECK(a->link_drops() == b->link_drops());
  CHECK(a->link_drops().count("loss") == 1);  // the loss happened, the same way twice
  // Two crossings of the 15 ms link and of the three others at the default 1 ms.
  CHECK(ra.text.find("time=36.0 ms") != std::string::npos);
}

TEST_CASE("a carrier that drops UDP 500 keeps the tunnel down, a link down stops everything",
          "[lab]") {
  auto lab =
      seed_lab("    - endpoints: [\"fw2:GigabitEthernet0/0/2\", \"fw3:GigabitEthernet0/0/2\"]\n",
               "    - endpoints: [\"fw2:GigabitEthernet0/0/2\", \"fw3:GigabitEthernet0/0/2\"]\n"
               "      labels: {vfw.drop: udp 500}\n");
  const auto r = lab->ping("pc1", *parse_ipv4("10.2.1.2"), 2);
  CHECK(r.received == 0);
  CHECK(lab->link_drops().at("filter udp 500") >= 1);
  CHECK(row(typed(*lab->device("fw1"), "display ike sa"), "v2:").find("RD") == std::string::npos);

  auto up = seed_lab();
  REQUIRE(up->ping("pc1", *parse_ipv4("10.2.1.2"), 1).received == 1);
  REQUIRE(up->set_link("fw1:GigabitEthernet0/0/2", false));
  CHECK(up->ping("pc1", *parse_ipv4("10.2.1.2"), 2).received == 0);
  CHECK(up->link_drops().at("link down") >= 2);
  REQUIRE(up->set_link("fw1:g0/0/2", true));
  CHECK(up->ping("pc1", *parse_ipv4("10.2.1.2"), 1).received == 1);
}

TEST_CASE("a gateway answers a ping only where service-manage permits it", "[lab]") {
  auto lab = seed_lab();
  Device& fw1 = *lab->device("fw1");
  LineRunner run(fw1);
  auto type = [&](const char* permit) {
    for (const std::string& line :
         {std::string("system-view"), std::string("interface GigabitEthernet0/0/1"),
          std::string("service-manage ping ") + permit, std::string("return")})
      REQUIRE(run.run(line, 0).ok);
  };
  type("deny");
  CHECK(lab->ping("pc1", *parse_ipv4("10.1.1.1"), 1).received == 0);
  CHECK(fw1.runtime().drops[DropReason::ServiceManageDeny] == 1);
  type("permit");
  CHECK(lab->ping("pc1", *parse_ipv4("10.1.1.1"), 1).received == 1);
}

TEST_CASE("topology errors name the file, the line and the field", "[lab]") {
  auto errors = [](const std::string& text) {
    std::string all;
    for (const auto& e : parse_topology(text, "t.clab.yml", ".").errors) all += e.format() + "\n";
    return all;
  };
  CHECK(errors("name: x\ntopology:\n  nodes:\n    a: [unclosed\n").rfind("t.clab.yml:", 0) == 0);
  CHECK(errors("name: x\ntopology:\n  nodes:\n    fw1:\n      kind: router\n") ==
        "t.clab.yml:5: topology.nodes.fw1.kind: \"router\" is not a kind of this lab (vfw or "
        "huawei_vrp for a firewall, linux or host for an end system; a linux node of the vfw "
        "image is a firewall)\n");
  // containerlab's kinds for the same roles: huawei_vrp is a firewall, linux a host.
  const TopologyResult clab = parse_topology(
      "name: x\ntopology:\n  nodes:\n    fw1:\n      kind: huawei_vrp\n      startup-config: "
      "fw1.cfg\n    pc1:\n      kind: linux\n      labels: {vfw.address: 10.1.1.2/24}\n",
      "t.clab.yml", ".");
  CHECK(clab.errors.empty());
  REQUIRE(clab.topology.nodes.size() == 2);
  CHECK(clab.topology.nodes[0].kind == lab::NodeKind::Firewall);
  CHECK(clab.topology.nodes[1].kind == lab::NodeKind::Host);
  CHECK(errors("name: x\ntopology:\n  nodes:\n    fw1:\n      kind: vfw\n") ==
        "t.clab.yml:4: topology.nodes.fw1.startup-config: a firewall needs its configuration: "
        "startup-config, or (a linux node of the vfw image) the file in its binds\n");
  CHECK(errors("name: x\ntopology:\n  nodes:\n    pc1:\n      kind: host\n      labels:\n"
               "        vfw.address: 10.1.1.300/24\n") ==
        "t.clab.yml:7: topology.nodes.pc1.labels.vfw.address: \"10.1.1.300/24\" is not an "
        "address like 10.1.1.2/24\n");
  CHECK(errors("name: x\ntopology:\n  nodes:\n    pc1:\n      kind: host\n      labels: "
               "{vfw.address: 10.1.1.2/24}\n  links:\n    - endpoints: [\"pc1:eth1\", "
               "\"fw9:GigabitEthernet0/0/1\"]\n") ==
        "t.clab.yml:8: topology.links[0].endpoints: no node named fw9\n");
  CHECK(errors("name: x\ntopology:\n  nodes:\n    pc1:\n      kind: host\n      labels: "
               "{vfw.address: 10.1.1.2/24}\n  links:\n    - endpoints: [\"pc1:eth1\"]\n") ==
        "t.clab.yml:8: topology.links[0].endpoints: two endpoints, NODE:INTERFACE each\n");
  // What is not a lab file is refused before it is read; a node of the wrong shape is an error,
  // not an exception.
  CHECK(load_topology("/dev/zero").errors.at(0).format() == "/dev/zero: is not a regular file");
  CHECK(load_topology("/nonexistent.clab.yml").errors.at(0).format() ==
        "/nonexistent.clab.yml: cannot be read: No such file or directory");
  CHECK_FALSE(parse_topology("name: x\ntopology:\n  nodes:\n    pc1:\n      kind: host\n"
                             "      labels: [a, b]\n",
                             "t.clab.yml", ".")
                  .ok());
  // A firewall interface the configuration does not have is refused when the lab is made.
  TopologyResult t = parse_topology(
      "name: x\ntopology:\n  nodes:\n    fw1:\n      kind: vfw\n      startup-config: fw1.cfg\n"
      "  links:\n    - endpoints: [\"fw1:GigabitEthernet0/0/9\", \"fw1:GigabitEthernet0/0/1\"]\n",
      "t.clab.yml", std::string(VFW_SOURCE_DIR) + "/examples");
  REQUIRE(t.ok());
  std::vector<std::string> lab_errors;
  CHECK(Lab::create(t.topology, lab_errors) == nullptr);
  CHECK(lab_errors ==
        std::vector<std::string>{"link at line 8: fw1 has no interface GigabitEthernet0/0/9"});
}

TEST_CASE(
    "the lab console: VRP lines on the attached firewall, lab commands beside them, the same "
    "output on every run",
    "[lab]") {
  auto run = [](const std::string& script, std::string& err) {
    auto lab = seed_lab();
    std::istringstream in(script);
    std::ostringstream out, e;
    const int status = run_lab_script(*lab, {}, in, out, e);
    err = e.str();
    return std::make_pair(status, out.str());
  };
  const std::string script =
      "lab ping pc1 10.2.1.2 count 2\n"
      "display ike sa\n"
      "system-view\n"
      "sysname BRANCH\n"
      "lab attach fw3\n"
      "display ipsec sa brief\n"
      "lab attach fw1\n"
      "display current-configuration | include sysname\n"
      "lab clock advance 10\n"
      "lab list\n";
  std::string err;
  const auto [status, out] = run(script, err);
  INFO(out << err);
  CHECK(status == 0);
  CHECK(err.empty());
  CHECK(out.find("2 packets transmitted, 2 received, 0% packet loss") != std::string::npos);
  // FW1's view survived the visit to FW3: sysname was typed in FW1's system view.
  CHECK(out.find(" sysname BRANCH\n") != std::string::npos);
  CHECK(out.find("2026-01-01 00:00:02") != std::string::npos);  // the lab's own dates
  CHECK(out.find("clock 12.0 s") != std::string::npos);
  CHECK(out.find("  fw1      vfw   BRANCH (attached)\n") != std::string::npos);
  // Byte for byte the same on a second run, but for what IKE draws at random (SPIs, cookies,
  // nonces and keys come from OpenSSL's generator, as the RFCs want them): the SA display.
  auto without_sa_brief = [](std::string text) {
    const size_t at = text.find("current ipsec sa number");
    if (at != std::string::npos) text.erase(at, text.find(" sysname BRANCH") - at);
    return text;
  };
  std::string err2;
  CHECK(without_sa_brief(run(script, err2).second) == without_sa_brief(out));

  const auto [bad, text] = run("lab ping pc9 10.2.1.2\nlab attach pc1\nlab frobnicate\n", err);
  CHECK(bad == 1);
  CHECK(err ==
        "line 1: lab ping pc9 10.2.1.2\nError: No host named pc9 in the lab.\n"
        "line 2: lab attach pc1\nError: No firewall named pc1 in the lab.\n"
        "line 3: lab frobnicate\nError: Unrecognized lab command. Lab commands: lab list, lab "
        "attach NAME, lab ping HOST DEST [count N] [size N] [df], lab trace HOST DEST [protocol P] "
        "[port N] [detail] [json], lab diagnose HOST DEST [protocol P] [port N], lab fix N, lab "
        "clock "
        "advance SECONDS, lab link down|up NODE:INTERFACE, lab send "
        "HOST tcp|udp DEST PORT, lab capture NODE:INTERFACE FILE|stop, lab keys [FILE|DIR], lab "
        "fault list|inject|reveal|clear, lab export DIR [--format clab].\n");
}

TEST_CASE(
    "lab trace follows the packet across the firewalls and back: held for IKE, then "
    "delivered, a drop named on each firewall",
    "[lab]") {
  auto lab = seed_lab();
  PacketSpec ping;
  ping.src = *parse_ipv4("10.1.1.2");
  ping.dst = *parse_ipv4("10.2.1.2");
  ping.src_port = 7;
  const Lab::TraceResult t = lab->trace("pc1", ping);
  const std::string text = Lab::format_trace_text(t);
  INFO(text);
  REQUIRE(t.legs.size() == 3);
  CHECK(t.legs[0].kind == Lab::LegKind::Packet);
  CHECK(t.legs[0].disposition == "held at fw1 while IKE negotiates (ipsec-sa-negotiating)");
  CHECK(t.negotiation.rfind("fw1 negotiated its tunnel", 0) == 0);
  CHECK(t.legs[1].kind == Lab::LegKind::SecondAttempt);
  std::vector<std::string> path;
  for (const auto& h : t.legs[1].hops) path.push_back(h.node + " " + h.input);
  CHECK(path == std::vector<std::string>{"fw1 GigabitEthernet0/0/1", "fw2 GigabitEthernet0/0/1",
                                         "fw3 GigabitEthernet0/0/2"});
  CHECK(t.legs[1].disposition == "delivered to pc2 (10.2.1.2)");
  CHECK(t.legs[2].kind == Lab::LegKind::Reply);
  CHECK(t.legs[2].hops.size() == 3);
  CHECK(t.legs[2].disposition == "delivered to pc1 (10.1.1.2)");
  // Each firewall's hop is its packet-trace, stages and all.
  CHECK(text.find("Hop 3: fw3, input GigabitEthernet0/0/2\n  Device: FW3\n  Packet: esp 1.1.1.1 "
                  "-> 2.1.1.1, ") != std::string::npos);
  CHECK(text.find("    Result:  decapsulated\n") != std::string::npos);
  // The summary: a line per firewall, the step that decided, what it did.
  const std::string summary = Lab::format_trace_summary(t);
  INFO(summary);
  CHECK(summary.find("== packet ==\n  1  fw1    GigabitEthernet0/0/1 -> GigabitEthernet0/0/2  "
                     "stage 11 ipsec: drop, ipsec policy map1 10") != std::string::npos);
  CHECK(summary.find("  Disposition: held at fw1 while IKE negotiates") != std::string::npos);
  CHECK(summary.find("== second attempt ==\n  1  fw1    GigabitEthernet0/0/1 -> "
                     "GigabitEthernet0/0/2  stage 11 ipsec: encapsulated") != std::string::npos);
  CHECK(summary.find("  3  fw3    GigabitEthernet0/0/2 -> GigabitEthernet0/0/1  stage 2 "
                     "ipsec-inbound: decapsulated") != std::string::npos);
  CHECK(summary.find("  Disposition: delivered to pc2 (10.2.1.2)\n== reply ==") !=
        std::string::npos);
  const std::string json = Lab::format_trace_json(t);
  CHECK(json.find("{\"label\":\"second attempt\",\"hops\":[{\"node\":\"fw1\",\"input\":"
                  "\"GigabitEthernet0/0/1\",\"trace\":{\"version\":2,\"device\":\"FW1\"") !=
        std::string::npos);

  auto type = [&](const char* node, std::vector<std::string> lines) {
    LineRunner run(*lab->device(node));
    for (const auto& line : lines) REQUIRE(run.run(line, 0).ok);
  };
  auto dropped_at = [&](uint16_t id) {
    ping.src_port = id;
    const Lab::TraceResult r = lab->trace("pc1", ping);
    INFO(Lab::format_trace_text(r));
    REQUIRE_FALSE(r.legs.empty());
    return r.legs.back().disposition;
  };
  // FW3: the decapsulated packet meets no untrust -> trust rule.
  type("fw3", {"system-view", "security-policy", "rule name vpn_in", "disable", "return"});
  CHECK(dropped_at(8) == "dropped at fw3 by stage security-policy (default-policy-deny)");
  type("fw3", {"system-view", "security-policy", "rule name vpn_in", "enable", "return"});
  // FW2, the carrier: a deny for everything, its sessions cleared.
  type("fw2", {"system-view", "security-policy", "default action deny", "return",
               "reset firewall session table"});
  CHECK(dropped_at(9) == "dropped at fw2 by stage security-policy (default-policy-deny)");
  type("fw2", {"system-view", "security-policy", "default action permit", "return"});
  // FW1: the trust -> untrust rule gone.
  type("fw1",
       {"system-view", "security-policy", "rule name trust_to_untrust", "disable", "return"});
  CHECK(dropped_at(10) == "dropped at fw1 by stage security-policy (default-policy-deny)");
  // A link down on the way.
  type("fw1", {"system-view", "security-policy", "rule name trust_to_untrust", "enable", "return"});
  REQUIRE(lab->set_link("fw2:GigabitEthernet0/0/2", false));
  CHECK(dropped_at(11) ==
        "lost on the link fw2:GigabitEthernet0/0/2 -- fw3:GigabitEthernet0/0/2 "
        "(link down)");
}

TEST_CASE("links carry Ethernet: a host asks ARP for its gateway, and waits when no one answers",
          "[lab]") {
  // PC1 with a gateway that does not exist: its packets wait for an ARP answer that never comes.
  auto lab = seed_lab("        vfw.gateway: 10.1.1.1\n", "        vfw.gateway: 10.1.1.9\n");
  PacketSpec p;
  p.src = *parse_ipv4("10.1.1.2");
  p.dst = *parse_ipv4("10.2.1.2");
  p.src_port = 3;
  const Lab::TraceResult t = lab->trace("pc1", p);
  REQUIRE(t.legs.size() == 1);
  CHECK(t.legs[0].hops.empty());
  CHECK(t.legs[0].disposition == "waiting at pc1 for the MAC address of 10.1.1.9 (ARP unanswered)");
  // On the same network, PC1 reaches its gateway's address without a gateway at all.
  CHECK(lab->ping("pc1", *parse_ipv4("10.1.1.1"), 1).received == 1);
}

TEST_CASE(
    "a lab's firewall is on Ethernet as vfw run is: a next hop that never answers is asked three "
    "times a second apart, then given up",
    "[lab]") {
  auto lab = seed_lab();
  Device& fw1 = *lab->device("fw1");
  // FW1's default route to an address on the carrier's network that no one holds.
  LineRunner run(fw1);
  for (const char* line : {"system-view", "ip route-static 0.0.0.0 0.0.0.0 1.1.1.9",
                           "undo ip route-static 0.0.0.0 0.0.0.0 1.1.1.2", "return"}) {
    const LineOutput out = run.run(line, 0);
    REQUIRE(out.err.empty());
  }
  Device& fw2 = *lab->device("fw2");
  const uint16_t fw2_in = fw2.snapshot().interface_index("GigabitEthernet0/0/1");
  const uint64_t before = fw2.counters(fw2_in).in_packets;
  PacketSpec web;
  web.protocol = ipproto::kTcp;
  web.src = *parse_ipv4("10.1.1.2");
  web.dst = *parse_ipv4("8.8.8.8");
  web.src_port = 40000;
  web.dst_port = 443;
  const Lab::TraceResult t = lab->trace("pc1", web);
  REQUIRE(t.legs.size() == 1);
  // FW1 forwarded it (its trace is there) and holds it while it asks for 1.1.1.9.
  REQUIRE(t.legs[0].hops.size() == 1);
  CHECK(t.legs[0].hops[0].trace.result.action == Action::Forward);
  CHECK(t.legs[0].disposition == "waiting at fw1 for the MAC address of 1.1.1.9 (ARP unanswered)");
  // The broadcast request reached the carrier's side, then two retries, then nothing more.
  CHECK(fw2.counters(fw2_in).in_packets - before == 1);
  lab->advance(10'000);
  CHECK(fw2.counters(fw2_in).in_packets - before == 3);
  lab->advance(10'000);
  CHECK(fw2.counters(fw2_in).in_packets - before == 3);
}

TEST_CASE("Tab completes the lab's commands, its nodes, hosts, link ends and faults", "[lab]") {
  auto lab = seed_lab();
  using V = std::vector<std::string>;
  CHECK(lab_completions(*lab, "l") == V{"lab"});
  CHECK(lab_completions(*lab, "lab ") == V{"list", "attach", "ping", "send", "trace", "diagnose",
                                           "fix", "capture", "keys", "clock", "link", "fault",
                                           "export"});
  CHECK(lab_completions(*lab, "lab c") == V{"capture", "clock"});
  CHECK(lab_completions(*lab, "lab at") == V{"attach"});
  // attach: the firewalls only; ping: the hosts only; whatever case the user types in.
  CHECK(lab_completions(*lab, "lab attach ") == V{"fw1", "fw2", "fw3"});
  CHECK(lab_completions(*lab, "lab attach FW") == V{"fw1", "fw2", "fw3"});
  CHECK(lab_completions(*lab, "lab ping ") == V{"pc1", "pc2"});
  CHECK(lab_completions(*lab, "lab ping pc1 10.2.1.2 c") == V{"count"});
  CHECK(lab_completions(*lab, "lab trace pc1 10.2.1.2 protocol ") == V{"icmp", "tcp", "udp"});
  CHECK(lab_completions(*lab, "lab capture fw2") ==
        V{"fw2:GigabitEthernet0/0/1", "fw2:GigabitEthernet0/0/2"});
  CHECK(lab_completions(*lab, "lab link down pc") == V{"pc1:eth1", "pc2:eth1"});
  CHECK(lab_completions(*lab, "lab fault inject f2") == V{"f20"});
  CHECK(lab_completions(*lab, "lab fault inject r") == V{"random"});
  CHECK(lab_completions(*lab, "display ").empty());  // the firewall's CLI completes that
}

TEST_CASE("packet-trace next: the next real packets that match are traced as they arrive",
          "[lab]") {
  auto lab = seed_lab();
  Device& fw1 = *lab->device("fw1");
  CHECK(typed(fw1, "packet-trace next 2 protocol icmp destination 10.2.1.2") ==
        "Info: The next 2 packets that match are traced as they arrive; display packet-trace "
        "shows them.\n");
  CHECK(typed(fw1, "display packet-trace") == "0 traced, 2 still awaited\n");
  lab->ping("pc1", *parse_ipv4("10.2.1.2"), 3);
  const std::string shown = typed(fw1, "display packet-trace");
  INFO(shown);
  // The first held while IKE negotiates, the second through the tunnel; the third not traced.
  CHECK(shown.find("== packet 1 ==") != std::string::npos);
  CHECK(shown.find("Held for:         ipsec-sa-negotiating") != std::string::npos);
  CHECK(shown.find("== packet 2 ==") != std::string::npos);
  CHECK(shown.find("outer header 1.1.1.1 -> 2.1.1.1 ESP") != std::string::npos);
  CHECK(shown.find("== packet 3 ==") == std::string::npos);
  CHECK(shown.find("2 traced, 0 still awaited\n") != std::string::npos);
  // A filter that nothing matches traces nothing.
  typed(fw1, "packet-trace next 1 protocol tcp");
  lab->ping("pc1", *parse_ipv4("10.2.1.2"), 1);
  CHECK(typed(fw1, "display packet-trace") == "0 traced, 1 still awaited\n");
}

TEST_CASE("packet-trace next on live traffic proves its fixes as packet-trace does", "[lab]") {
  auto lab = seed_lab();
  Device& fw1 = *lab->device("fw1");
  // FW1's no-nat rule removed: easy-ip translates the tunnel's traffic before IPSec sees it.
  LineRunner run(fw1);
  for (const char* line : {"system-view", "nat-policy", "undo rule name no_nat_vpn", "return"})
    REQUIRE(run.run(line, 0).ok);
  typed(fw1, "packet-trace next 1 protocol icmp destination 10.2.1.2");
  lab->ping("pc1", *parse_ipv4("10.2.1.2"), 1);
  const std::string shown = typed(fw1, "display packet-trace");
  INFO(shown);
  CHECK(shown.find("sent in plain text: nat-policy rule internet translates traffic that ipsec "
                   "policy map1 10 protects") != std::string::npos);
  CHECK(shown.find("Proven:  traced again with it on a copy of the configuration") !=
        std::string::npos);
  // The proof ran on copies: the device's own configuration is as it was.
  CHECK(typed(fw1, "display current-configuration").find("no_nat") == std::string::npos);
}

TEST_CASE("ping from the firewall itself goes through its own pipeline, IPSec included",
          "[lab][ping]") {
  // The seed's FW1 with a rule that lets its own traffic out: `ping -a 10.1.1.1 10.2.1.2`, as
  // engineers bring a tunnel up, triggers IKE and comes back through the tunnel.
  auto run = [](const std::string& script) {
    auto lab = seed_lab();
    LabConsoleOptions options;
    std::istringstream in(script);
    std::ostringstream out, err;
    const int status = run_lab_script(*lab, options, in, out, err);
    return std::make_pair(status, out.str() + err.str());
  };
  const auto [denied_status, denied] = run("ping -c 2 -a 10.1.1.1 10.2.1.2\ndisplay ike sa\n");
  // The seed's policy has no rule from the local zone for 10.1.1.1: the device's own packet is
  // denied as any other, and nothing is negotiated.
  CHECK(denied.find("    Request time out\n    Request time out\n") != std::string::npos);
  CHECK(denied.find("    0 packet(s) received\n    100.00% packet loss\n") != std::string::npos);
  CHECK(denied.find("v2:1") == std::string::npos);
  CHECK(denied_status == 0);

  const std::string allow =
      "system-view\nsecurity-policy\nrule name local_out\nsource-zone local\n"
      "destination-zone untrust\nsource-address 10.1.1.1 32\naction permit\nreturn\n";
  const auto [status, out] =
      run(allow +
          "ping -a 10.1.1.1 10.2.1.2\ndisplay ike sa\nping -c 3 -s 1000 10.2.1.2\n"
          "display ipsec statistics\n");
  CHECK(status == 0);
  CHECK(out.find("  PING 10.2.1.2: 56  data bytes, press CTRL_C to break\n") != std::string::npos);
  // PC2's reply crossed FW3 (TTL 64, one hop) and the tunnel.
  CHECK(out.find("    Reply from 10.2.1.2: bytes=56 Sequence=5 ttl=63 time=") != std::string::npos);
  CHECK(out.find("\n  --- 10.2.1.2 ping statistics ---\n    5 packet(s) transmitted\n") !=
        std::string::npos);
  CHECK(row(out, "v2:2").find("RD|ST") != std::string::npos);
  // Without -a the source is the outgoing interface's address, 1.1.1.1: outside the tunnel's
  // ACL, and the seed's ipsec rule lets only 1.1.1.1 to 2.1.1.1 out. Lost, as on the device.
  CHECK(out.find("    3 packet(s) transmitted\n    0 packet(s) received\n") != std::string::npos);
  // The probes and their replies counted as the tunnel's security packets.
  unsigned long long in = 0, sent = 0;
  const size_t at = out.find("input/output security packets: ");
  REQUIRE(at != std::string::npos);
  REQUIRE(std::sscanf(out.c_str() + at, "input/output security packets: %llu/%llu", &in, &sent) ==
          2);
  CHECK(in >= 4);
  CHECK(sent >= 5);
}

TEST_CASE("ping from the firewall: its own address, a wrong source, the options", "[lab][ping]") {
  auto lab = seed_lab();
  LabConsoleOptions options;
  std::istringstream in(
      "ping -c 2 -s 100 10.1.1.1\nping -a 10.9.9.9 10.1.1.1\nping -t 50 -c 1 -f 192.0.2.1\n");
  std::ostringstream out, err;
  CHECK(run_lab_script(*lab, options, in, out, err) == 1);
  CHECK(out.str().find("    Reply from 10.1.1.1: bytes=100 Sequence=2 ttl=255 time=1 ms\n") !=
        std::string::npos);
  CHECK(out.str().find("    round-trip min/avg/max = 1/1/1 ms\n") != std::string::npos);
  CHECK(err.str().find("Error: The source address 10.9.9.9 is not an address of this device's "
                       "interfaces.") != std::string::npos);
  CHECK(out.str().find("    1 packet(s) transmitted\n    0 packet(s) received\n") !=
        std::string::npos);
}

TEST_CASE("tracert from the firewall: each hop's time exceeded, the end's port unreachable",
          "[lab][ping]") {
  auto lab = seed_lab();
  LabConsoleOptions options;
  std::istringstream in(
      "tracert 2.1.1.1\ntracert -a 1.1.1.1 -q 2 -m 1 2.1.1.1\n"
      "system-view\nsecurity-policy\nrule name local_out\nsource-zone local\n"
      "destination-zone untrust\nsource-address 10.1.1.1 32\naction permit\nreturn\n"
      "ping -c 1 -a 10.1.1.1 10.2.1.2\ntracert -a 10.1.1.1 -w 500 10.2.1.2\n");
  std::ostringstream out, err;
  CHECK(run_lab_script(*lab, options, in, out, err) == 0);
  const std::string o = out.str();
  // The carrier (FW2) answers TTL 1 with time exceeded; FW3's own address, port unreachable.
  CHECK(o.find(" traceroute to  2.1.1.1(2.1.1.1), max hops: 30 ,packet length: 40,press CTRL_C "
               "to break \n 1 1.1.1.2 1 ms  1 ms  1 ms \n 2 2.1.1.1 1 ms  1 ms  1 ms \n") !=
        std::string::npos);
  CHECK(o.find("max hops: 1 ,packet length: 40,press CTRL_C to break \n 1 1.1.1.2 1 ms  1 ms \n") !=
        std::string::npos);
  // Through the tunnel (up after the ping): FW3 decapsulates the first probe and its time
  // exceeded does not come back in the tunnel; PC2 answers the second.
  CHECK(o.find(" 1 * * * \n 2 10.2.1.2 1 ms  1 ms  1 ms \n") != std::string::npos);
}

TEST_CASE("a session table filled by a burst ages on the lab's clock and admits new flows again",
          "[lab][session]") {
  // The issue's report: 16,500 UDP flows from PC1 fill FW1's 16,384 sessions; 200 s later (past
  // UDP's 120 s) they have aged without anyone typing a display, and PC1's ping gets through.
  auto lab = seed_lab();
  LabConsoleOptions options;
  std::string script;
  for (int port = 20000; port < 36500; ++port)
    script += "lab send pc1 udp 198.51.100.1 " + std::to_string(port) + "\n";
  script += "lab ping pc1 10.2.1.2 count 1\nlab clock advance 200\nlab ping pc1 10.2.1.2 count 2\n";
  std::istringstream in(script);
  std::ostringstream out, err;
  run_lab_script(*lab, options, in, out, err);
  const std::string o = out.str();
  CHECK(o.find("(session-table-full)") != std::string::npos);  // the burst did fill it
  const size_t after = o.rfind("--- 10.2.1.2 ping statistics ---");
  REQUIRE(after != std::string::npos);
  CHECK(o.find("2 packets transmitted, 2 received", after) != std::string::npos);
  CHECK(lab->device("fw1")->runtime().sessions.size() < 100);
}

TEST_CASE("with a per-ip connection limit one host's burst cannot take the session table",
          "[lab][session][traffic-policy]") {
  // The same burst from PC1, FW1 now limiting each trust host to 1,000 sessions: PC1's flows
  // beyond it are refused by name, the table keeps room, and PC2 still reaches PC1.
  auto lab = seed_lab();
  LineRunner fw1(*lab->device("fw1"));
  for (const char* line :
       {"system-view", "traffic-policy", "profile per_host",
        "bandwidth connection-limit per-ip upstream 1000", "quit", "rule name trust_hosts",
        "source-zone trust", "action qos profile per_host", "return"})
    REQUIRE(fw1.run(line, 0).ok);
  LabConsoleOptions options;
  std::string script = "lab ping pc2 10.1.1.2 count 1\n";  // the tunnel up
  for (int port = 20000; port < 36500; ++port)
    script += "lab send pc1 udp 198.51.100.1 " + std::to_string(port) + "\n";
  script += "lab ping pc2 10.1.1.2 count 2\n";
  std::istringstream in(script);
  std::ostringstream out, err;
  run_lab_script(*lab, options, in, out, err);
  const std::string o = out.str();
  CHECK(o.find("(connection-limit)") != std::string::npos);
  CHECK(o.find("(session-table-full)") == std::string::npos);
  const Runtime& rt = lab->device("fw1")->runtime();
  CHECK(rt.sessions.size() < 1100);
  CHECK(rt.drops[DropReason::ConnectionLimit] == 15500);
  const size_t after = o.rfind("--- 10.1.1.2 ping statistics ---");
  REQUIRE(after != std::string::npos);
  CHECK(o.find("2 packets transmitted, 2 received", after) != std::string::npos);
}

TEST_CASE(
    "in the lab, where learners are: break FW3, lab diagnose, lab fix N as printed, and the "
    "ping comes back",
    "[lab][diagnose][proof]") {
  auto lab = seed_lab();
  LabConsoleOptions options;
  // FW3's key broken at its console, as a learner would; the ping fails.
  std::istringstream in(
      "lab attach fw3\nsystem-view\nike peer fw1\npre-shared-key Wrong@2026\nreturn\n"
      "lab ping pc1 10.2.1.2 count 2\n"
      "lab diagnose pc1 10.2.1.2\n"
      "lab fix 9\n"
      "lab fix 1\n"
      "lab ping pc1 10.2.1.2 count 3\n"
      "lab diagnose pc1 10.2.1.2\n");
  std::ostringstream out, err;
  run_lab_script(*lab, options, in, out, err);
  const std::string text = out.str() + err.str();
  INFO(text);
  // The first ping is lost, the diagnosis names FW3's key and numbers its proven fix.
  CHECK(text.find("2 packets transmitted, 0 received") != std::string::npos);
  CHECK(text.find("FW3 records \"authentication fail\"") != std::string::npos);
  CHECK(text.find("fix on FW3 (verified):") != std::string::npos);
  CHECK(text.find("  1. on fw3: ike peer fw1; pre-shared-key %^%#") != std::string::npos);
  // lab fix 1 types it at FW3's console; the next ping gets through, nothing fails any more.
  CHECK(text.find("[FW3-ike-peer-fw1]") != std::string::npos);
  CHECK(text.find("3 packets transmitted, 3 received") != std::string::npos);
  CHECK(text.find("0 failed,") != std::string::npos);
  CHECK(text.find("[passed] lab:") != std::string::npos);
  // A number the diagnosis did not print.
  CHECK(text.find("Error: lab fix takes a number from 1 to 1.") != std::string::npos);
}

namespace {

// Lines typed into a lab firewall from user view, each answered.
void type_lines(Device& d, const std::vector<std::string>& lines) {
  LineRunner run(d);
  for (const auto& line : lines) REQUIRE(run.run(line, 0).ok);
}

void ikev1_only(Lab& lab) {
  type_lines(*lab.device("fw1"), {"system-view", "ike peer fw3", "undo version 2", "return"});
  type_lines(*lab.device("fw3"), {"system-view", "ike peer fw1", "undo version 2", "return"});
}

}  // namespace

TEST_CASE(
    "IKEv1 in the lab: quick mode's third message leaves before the packet that waited for it, "
    "which arrives",
    "[lab][ikev1]") {
  auto lab = seed_lab();
  ikev1_only(*lab);
  const Lab::PingResult r = lab->ping("pc1", *parse_ipv4("10.2.1.2"), 3);
  INFO(r.text);
  // The first echo request waited for the tunnel: the responder installs its inbound SA on
  // quick mode's third message, and the packet reaches PC2 after it.
  CHECK(r.text.find("icmp_seq=1 ") != std::string::npos);
  CHECK(r.received == 3);
  const std::string discards =
      typed(*lab->device("fw3"), "display firewall statistics system discard");
  INFO(discards);
  CHECK(discards.find("SPI not found") == std::string::npos);
  CHECK(row(typed(*lab->device("fw1"), "display ike sa"), "v1:2").find("RD") != std::string::npos);
}

TEST_CASE(
    "an initiator that rejects the responder's ID tells it: the responder keeps no READY SA "
    "per attempt (IKEv2 and IKEv1)",
    "[lab][ike]") {
  for (const bool v1 : {false, true}) {
    DYNAMIC_SECTION((v1 ? "IKEv1" : "IKEv2")) {
      auto lab = seed_lab();
      if (v1) ikev1_only(*lab);
      type_lines(*lab->device("fw1"),
                 {"system-view", "ike peer fw3", "remote-id-type fqdn", "remote-id fw9", "return"});
      const Lab::PingResult r = lab->ping("pc1", *parse_ipv4("10.2.1.2"), 3);
      INFO(r.text);
      CHECK(r.received == 0);
      // FW1 recorded why; FW3, which accepted FW1 and answered, was told and kept nothing.
      CHECK(typed(*lab->device("fw1"), "display ike error-info").find("config ID mismatch") !=
            std::string::npos);
      const std::string responder = typed(*lab->device("fw3"), "display ike sa");
      INFO(responder);
      CHECK(responder.find("  Number of IKE SA : 0\n") != std::string::npos);
      CHECK(lab->device("fw3")->runtime().sad.all().empty());
    }
  }
}

TEST_CASE(
    "lab diagnose names the next hop the lab has where a file has none: FW1 without its default "
    "route, fixed as printed",
    "[lab][diagnose][proof]") {
  auto lab = seed_lab();
  LabConsoleOptions options;
  std::istringstream in(
      "lab attach fw1\nsystem-view\nundo ip route-static 0.0.0.0 0.0.0.0 1.1.1.2\nreturn\n"
      "lab ping pc1 10.2.1.2 count 2\n"
      "lab diagnose pc1 10.2.1.2\n"
      "lab fix 1\nlab fix 2\nlab fix 3\n"
      "lab ping pc1 10.2.1.2 count 3\n"
      "lab diagnose pc1 10.2.1.2\n");
  std::ostringstream out, err;
  run_lab_script(*lab, options, in, out, err);
  const std::string text = out.str() + err.str();
  INFO(text);
  CHECK(text.find("2 packets transmitted, 0 received") != std::string::npos);
  // The carrier's address on FW1's link is the lab's, not a guess: 1.1.1.2.
  CHECK(
      text.find("[FAILED] negotiation (FW1): a route carries IKE's packets to the peer 2.1.1.1") !=
      std::string::npos);
  CHECK(text.find("on fw1: ip route-static 2.1.1.1 255.255.255.255 1.1.1.2") != std::string::npos);
  CHECK(text.find("on fw1: ip route-static 10.2.1.0 255.255.255.0 1.1.1.2") != std::string::npos);
  CHECK(text.find("3 packets transmitted, 3 received") != std::string::npos);
  CHECK(text.find("0 failed,") != std::string::npos);
}

// The first packet of a flow into a tunnel not yet up is held, and opens the flow's session: the
// reply that comes back through the tunnel is that flow's reply (not a new flow from the other
// side under another rule), and a large first ping's later fragments find it and are held too.
TEST_CASE("a held first packet opens its flow's session: the reply and the later fragments find it",
          "[lab][ipsec]") {
  {
    auto lab = seed_lab();
    REQUIRE(lab->capture("fw3:GigabitEthernet0/0/1", "held-first-packet.pcap"));
    REQUIRE(lab->ping("pc1", *parse_ipv4("10.2.1.2"), 2).received == 2);
    REQUIRE(lab->capture("fw3:GigabitEthernet0/0/1", ""));
    // Both echo requests reach PC2 with the TTL two firewalls leave (64 - 2): the held one's
    // hop at FW1 counted once, as the second's.
    auto reader = PcapReader::open("held-first-packet.pcap");
    REQUIRE(reader);
    std::vector<int> ttls;
    while (auto p = (*reader)->next()) {
      PacketInfo info;
      if (p->ip.empty() || parse_ipv4(p->ip, info) != DropReason::None) continue;
      if (info.protocol == ipproto::kIcmp && info.icmp_type == 8) ttls.push_back(info.ttl);
    }
    CHECK(ttls == std::vector<int>{62, 62});
    bool forward = false;
    bool backwards = false;
    lab->device("fw1")->runtime().sessions.for_each([&](uint32_t, const Session& s) {
      if (s.fwd.proto != ipproto::kIcmp) return;
      forward = forward || (Ipv4{s.fwd.src} == *parse_ipv4("10.1.1.2") &&
                            Ipv4{s.fwd.dst} == *parse_ipv4("10.2.1.2"));
      backwards = backwards || Ipv4{s.fwd.src} == *parse_ipv4("10.2.1.2");
    });
    CHECK(forward);
    CHECK_FALSE(backwards);
  }
  {
    // 3,000 bytes: three fragments from PC1, the first of them starting IKE.
    auto lab = seed_lab();
    const Lab::PingResult r = lab->ping("pc1", *parse_ipv4("10.2.1.2"), 2, 3000);
    INFO(r.text);
    CHECK(r.received == 2);
  }
}
