#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/cli_session.hpp"
#include "app/exit_status.hpp"
#include "device/packet_trace.hpp"
#include "lab.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

PacketTraceOptions seed_ping(const std::string& config) {
  PacketTraceOptions o;
  o.config = std::string(VFW_SOURCE_DIR) + "/examples/" + config;
  o.input = "g0/0/1";
  o.protocol = "icmp";
  o.source = "10.1.1.2";
  o.destination = "10.2.1.2";
  return o;
}

int run_packet_trace(const PacketTraceOptions& o, std::ostream& out, std::ostream& err) {
  cli::LoadResult loaded = cli::load_config_file(o.config);
  for (const auto& e : loaded.errors) err << e.format();
  if (!loaded.ok()) return 1;
  Device device(std::move(loaded.config));
  return exit_status(vfw::run_packet_trace(device, o, out), "packet-trace", err);
}

std::string trace_text(const PacketTraceOptions& o, int expected_status = 0) {
  std::ostringstream out, err;
  REQUIRE(run_packet_trace(o, out, err) == expected_status);
  return out.str() + err.str();
}

}  // namespace

TEST_CASE("the misordered NAT of the seed's FW1 is readable from the trace alone", "[trace]") {
  // FW1 with easy-ip on the untrust interface and no no-nat rule ahead of it: the VPN traffic's
  // source becomes 1.1.1.1 before the ipsec stage, where the security ACL expects 10.1.1.0/24.
  const std::string text = trace_text(seed_ping("fw1-misordered-nat.cfg"));
  const size_t snat = text.find(
      "Stage 9: snat\n  Result:  translated\n  Matched: nat-policy rule internet\n"
      "  Change:  source 10.1.1.2 -> 1.1.1.1\n");
  const size_t ipsec = text.find("Stage 11: ipsec\n");
  REQUIRE(snat != std::string::npos);
  REQUIRE(ipsec != std::string::npos);
  CHECK(snat < ipsec);
  CHECK(text.find("Stage 11: ipsec\n  Result:  bypass\n  Matched: ipsec policy map1 on "
                  "GigabitEthernet0/0/2\n"
                  "  Info:    no security ACL rule of policy map1 permits 1.1.1.1:2048 -> "
                  "10.2.1.2:2048 (the source as "
                  "SNAT left it): sent in plain text\n",
                  ipsec) != std::string::npos);

  // With the no-nat rule the source reaches the ipsec stage untouched.
  const std::string fixed = trace_text(seed_ping("fw1.cfg"));
  CHECK(fixed.find("Stage 9: snat\n  Result:  no-nat\n  Matched: nat-policy rule no_nat_vpn\n") !=
        std::string::npos);
  CHECK(
      fixed.find(
          "Stage 11: ipsec\n  Result:  drop\n  Matched: ipsec policy map1 10, acl 3000 rule 5\n") !=
      std::string::npos);
  CHECK(fixed.find("  Action:           held (sent through the tunnel once IKE brings it up)\n"
                   "  Held for:         ipsec-sa-negotiating\n") != std::string::npos);
}

TEST_CASE("packet-trace --json has the documented shape", "[trace]") {
  PacketTraceOptions o = seed_ping("fw1-misordered-nat.cfg");
  o.json = true;
  const std::string json = trace_text(o);
  CHECK(json.rfind("{\"version\":2,\"device\":\"FW1\",\"packet\":\"icmp 10.1.1.2 -> 10.2.1.2", 0) ==
        0);
  for (const char* stage :
       {"ingress", "ipsec-inbound", "session", "server-map", "dnat", "route", "security-policy",
        "traffic-policy", "snat", "tcp-mss", "ipsec", "egress"}) {
    CHECK(json.find(std::string("{\"stage\":\"") + stage + "\",\"result\":") != std::string::npos);
  }
  CHECK(json.find(
            "\"changes\":[{\"field\":\"source\",\"before\":\"10.1.1.2\",\"after\":\"1.1.1.1\"}") !=
        std::string::npos);
  CHECK(json.find("\"result\":{\"action\":\"forward\",\"input\":\"GigabitEthernet0/0/1\","
                  "\"output\":\"GigabitEthernet0/0/2\",\"leaving\":\"icmp 1.1.1.1 -> 10.2.1.2 "
                  "type 8 code 0 id 2048\",\"leaving_headers\":{\"protocol\":\"icmp\"") !=
        std::string::npos);
  CHECK(json.find("\"held\":false,\"drop_reason\":null,\"warnings\":[{"
                  "\"message\":\"sent in plain text: nat-policy rule internet translates "
                  "traffic that ipsec policy map1 10 protects (stage 9, snat)\",\"fix\":[],"
                  "\"proof\":null}]}}") != std::string::npos);
  // The step where it happens carries the warning with the fix, line by line.
  CHECK(json.find("\"drop_reason\":null,\"warnings\":[{\"message\":\"ipsec policy map1 10 (acl "
                  "3000 rule 5) protects icmp 10.1.1.2 -> 10.2.1.2 as it arrived") !=
        std::string::npos);
  CHECK(json.find("\"fix\":[\"system-view\",\"nat-policy\",\" rule name no_nat_ipsec\",") !=
        std::string::npos);
  // Proven before it is shown: traced again on a copy with the fix, the packet waits for IKE.
  CHECK(json.find("\"return\"],\"proof\":\"traced again with it on a copy of the configuration: "
                  "held while IKE negotiates, then sent through the tunnel\"}") !=
        std::string::npos);
}

TEST_CASE("reverse through a tunnel is the peer's ESP, decapsulated and delivered", "[trace]") {
  // The reply of a flow that left in the tunnel arrives as the peer sends it: ESP under the SA
  // the device holds for the inbound direction, not a plain packet between the gateways.
  PacketTraceOptions o = seed_ping("ipsec-manual-fw1.cfg");
  o.reverse = true;
  o.json = true;
  std::ostringstream out, err;
  REQUIRE(run_packet_trace(o, out, err) == 0);
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].find("encapsulated by the peer") != std::string::npos);
  CHECK(lines[1].find("{\"stage\":\"ipsec-inbound\",\"result\":\"decapsulated\"") !=
        std::string::npos);
  CHECK(lines[1].find("{\"stage\":\"session\",\"result\":\"hit\"") != std::string::npos);
  CHECK(lines[1].find("\"result\":{\"action\":\"forward\",\"input\":\"GigabitEthernet0/0/2\","
                      "\"output\":\"GigabitEthernet0/0/1\"") != std::string::npos);
}

TEST_CASE("repeat 2 shows the fast path and reverse shows the reply un-translated", "[trace]") {
  PacketTraceOptions o = seed_ping("fw1-misordered-nat.cfg");
  o.repeat = 2;
  o.reverse = true;
  o.json = true;
  std::ostringstream out, err;
  REQUIRE(run_packet_trace(o, out, err) == 0);
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].find("{\"stage\":\"session\",\"result\":\"hit\"") != std::string::npos);
  CHECK(lines[1].find("\"stage\":\"route\"") == std::string::npos);
  CHECK(lines[2].find("\"packet\":\"icmp 10.2.1.2 -> 1.1.1.1 type 0") != std::string::npos);
  CHECK(
      lines[2].find("{\"field\":\"destination\",\"before\":\"1.1.1.1\",\"after\":\"10.1.1.2\"}") !=
      std::string::npos);
  CHECK(lines[2].find("\"output\":\"GigabitEthernet0/0/1\"") != std::string::npos);
}

TEST_CASE("a dropped packet's trace names the stage and the reason", "[trace]") {
  PacketTraceOptions o = seed_ping("fw1.cfg");
  o.protocol = "tcp";
  o.destination = "8.8.8.8";
  o.destination_port = 23;
  o.input = "GigabitEthernet0/0/2";  // from the Internet to a LAN address: default deny
  o.source = "8.8.8.8";
  o.destination = "10.1.1.2";
  const std::string text = trace_text(o);
  CHECK(text.find(
            "Stage 7: security-policy\n  Result:  deny\n  Matched: default (untrust -> trust)\n") !=
        std::string::npos);
  CHECK(text.find("  Action:           drop\n  Drop reason:      default-policy-deny\n") !=
        std::string::npos);
}

TEST_CASE("bad packet-trace arguments are refused with a message", "[trace]") {
  PacketTraceOptions o = seed_ping("fw1.cfg");
  o.input = "g9/9/9";
  CHECK(trace_text(o, 2).find("interface \"g9/9/9\" does not exist") != std::string::npos);
  o = seed_ping("fw1.cfg");
  o.protocol = "tcp";
  CHECK(trace_text(o, 2).find("--destination-port is needed") != std::string::npos);
  o = seed_ping("does-not-exist.cfg");
  CHECK(trace_text(o, 1).find("Cannot open the file") != std::string::npos);
}

TEST_CASE("every drop is a counter in display firewall statistics system discard", "[trace]") {
  Device d(load_example("nat-lab.cfg"));
  send(d, tcp("10.1.1.2", 40000, "8.8.8.8", 23), "GigabitEthernet0/0/1");
  send(d, icmp("10.1.1.2", "192.0.2.1"), "GigabitEthernet0/0/1");
  send(d, icmp("10.1.1.2", "192.0.2.1"), "GigabitEthernet0/0/1");
  LineRunner console(d);
  const LineOutput r = console.run("display firewall statistics system discard", 0);
  REQUIRE(r.ok);
  CHECK(r.out ==
        "Discard statistic information:\n"
        "  Route to NULL0 packets discarded:                         2\n"
        "  Security policy deny packets discarded:                   1\n");
}

TEST_CASE("a file of flows (--flows) is traced through one device, each leaving as translated",
          "[trace]") {
  char dir[] = "/tmp/vfw-flows-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string flows = std::string(dir) + "/flows.txt";
  {
    std::ofstream f(flows);
    f << "# the LAN to the Internet (pool_pat), then a second flow: the next PAT port\n"
         "--input g0/0/1 --protocol tcp --source 10.1.1.10 --destination 8.8.8.8 "
         "--source-port 1234 --destination-port 80\n"
         "\n"
         "  --input g0/0/1 --protocol tcp --source 10.1.1.10 --destination 8.8.8.8 "
         "--source-port 1235 --destination-port 443\n"
         "--input g0/0/2 --protocol tcp --source 8.8.8.8 --destination 1.1.1.3 "
         "--destination-port 80\n"
         "--input g0/0/1 --protocol tcp --source 10.1.1.10 --destination 8.8.8.8 "
         "--destination-port 23\n";
  }
  PacketTraceOptions o;
  o.config = std::string(VFW_SOURCE_DIR) + "/examples/nat-lab.cfg";
  o.flows = flows;
  o.json = true;
  std::ostringstream out, err;
  REQUIRE(run_packet_trace(o, out, err) == 0);
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 4);
  // Both through the one device: the second flow's PAT port follows the first's.
  CHECK(lines[0].find("\"leaving\":\"tcp 1.1.1.10:2048 -> 8.8.8.8:80\"") != std::string::npos);
  CHECK(lines[1].find("\"leaving\":\"tcp 1.1.1.10:2049 -> 8.8.8.8:443\"") != std::string::npos);
  // nat server web: 1.1.1.3:80 -> 192.168.100.10:8080.
  CHECK(lines[2].find("\"leaving\":\"tcp 8.8.8.8:49152 -> 192.168.100.10:8080\"") !=
        std::string::npos);
  // Telnet out is denied: no leaving packet.
  CHECK(lines[3].find("\"action\":\"drop\"") != std::string::npos);
  CHECK(lines[3].find("\"leaving\":null") != std::string::npos);

  // The text form says it too.
  o.json = false;
  std::ostringstream text;
  Device fresh(cli::load_config_file(o.config).config);
  REQUIRE(vfw::run_packet_trace(fresh, o, text));
  CHECK(text.str().find("  Leaves as:        tcp 1.1.1.10:2048 -> 8.8.8.8:80\n") !=
        std::string::npos);

  // A mistake anywhere in the file is reported with its line before any flow runs.
  {
    std::ofstream f(flows);
    f << "--input g0/0/1 --protocol icmp --source 10.1.1.10 --destination 8.8.8.8\n"
         "--input g0/0/1 --protocol tcp --source 10.1.1.10 --destination 8.8.8.8 "
         "--destination-port 99999\n";
  }
  std::ostringstream none, why;
  CHECK(run_packet_trace(o, none, why) == 2);
  CHECK(none.str().empty());
  CHECK(why.str() == "packet-trace: " + flows +
                         " line 2: --destination-port takes a number from 0 to 65535, not "
                         "\"99999\"\n");
  // Hostile files: no end of line, or a line too long, stop at the limit with the reason.
  o.flows = "/dev/zero";
  std::ostringstream zero, zero_err;
  CHECK(run_packet_trace(o, zero, zero_err) == 2);
  CHECK(zero_err.str() == "packet-trace: /dev/zero line 1: longer than 1024 characters\n");
  o.flows = flows;
  {
    std::ofstream f(flows);
    f << "# fine\n" << std::string(1025, 'x') << "\n";
  }
  std::ostringstream long_out, long_err;
  CHECK(run_packet_trace(o, long_out, long_err) == 2);
  CHECK(long_err.str() == "packet-trace: " + flows + " line 2: longer than 1024 characters\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("a flow line is the command line's options, each checked", "[trace]") {
  PacketTraceOptions flow;
  REQUIRE(
      parse_flow_line("--input g0/0/1 --protocol icmp --source 10.1.1.2 --destination "
                      "10.2.1.2 --source-port 7 --icmp-type 13 --size 100 --df --repeat 2",
                      flow));
  CHECK(flow.input == "g0/0/1");
  CHECK(flow.protocol == "icmp");
  CHECK(flow.source == "10.1.1.2");
  CHECK(flow.destination == "10.2.1.2");
  CHECK(flow.source_port == 7);
  CHECK(flow.icmp_type == 13);
  CHECK(flow.size == 100);
  CHECK(flow.dont_fragment);
  CHECK(flow.repeat == 2);
  auto error = [&](std::string_view line) {
    const Status read = parse_flow_line(line, flow);
    return read ? std::string("(read)") : read.error().message;
  };
  CHECK(error("--input") == "--input needs a value");
  CHECK(error("--config x.cfg").rfind("unknown option \"--config\"", 0) == 0);
  CHECK(error("--repeat 101") == "--repeat takes a number from 1 to 100, not \"101\"");
  CHECK(error("--repeat 0") == "--repeat takes a number from 1 to 100, not \"0\"");
  CHECK(error("--source-port -1") == "--source-port takes a number from 0 to 65535, not \"-1\"");
}

TEST_CASE("a traced packet too big for its link leaves as its fragments through the egress sink",
          "[trace][fragments]") {
  // As on a running vfw: whoever carries the device's packets (its raw sockets, its frames) gets
  // the fragments in the packet's place, and packet-trace's pcap sees them too.
  Device d(test::load_example("fw1.cfg"));
  std::vector<std::vector<uint8_t>> left;
  d.set_egress_sink(
      [&](std::span<const uint8_t> p, uint16_t) { left.emplace_back(p.begin(), p.end()); });
  PacketTraceOptions o;
  o.input = "g0/0/1";
  o.protocol = "udp";
  o.source = "10.1.1.2";
  o.destination = "8.8.8.8";
  o.destination_port = 53;
  o.size = 2000;
  std::ostringstream out;
  REQUIRE(run_packet_trace(d, o, out));
  INFO(out.str());
  CHECK(out.str().find("sent as 2 fragments") != std::string::npos);
  REQUIRE(left.size() == 2);
  size_t payload = 0;
  for (const auto& f : left) {
    PacketInfo info;
    REQUIRE(parse_ipv4(f, info) == DropReason::None);
    CHECK(info.total_length <= 1500);
    CHECK(info.is_fragment());
    payload += info.total_length - info.header_length;
  }
  CHECK(payload == 2000 - 20);
}
