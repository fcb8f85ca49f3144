#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <set>

#include "lab.hpp"
#include "stages/standard_stages.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

const char* kLan = "GigabitEthernet0/0/1";
const char* kWan = "GigabitEthernet0/0/2";
const char* kDmz = "GigabitEthernet0/0/3";

std::vector<std::string> stages_of(const Sent& s) {
  std::vector<std::string> names;
  for (const auto& step : s.trace.steps) names.emplace_back(stage_id(step.stage));
  return names;
}

uint16_t l4_checksum(const std::vector<uint8_t>& p) {
  const size_t len = p.size() - 20;
  uint32_t pseudo = load16(&p[12]) + load16(&p[14]) + load16(&p[16]) + load16(&p[18]) + p[9] +
                    static_cast<uint32_t>(len);
  return internet_checksum({p.data() + 20, len}, pseudo);
}

}  // namespace

TEST_CASE("the stages run in the USG order", "[pipeline]") {
  const std::vector<std::string_view> expected = {
      "ingress",         "ipsec-inbound",  "session", "server-map", "dnat",  "route",
      "security-policy", "traffic-policy", "snat",    "tcp-mss",    "ipsec", "egress"};
  CHECK(Pipeline(standard_stages()).order() == expected);
}

TEST_CASE("a first packet traverses every stage, the second takes the session fast path",
          "[pipeline][session]") {
  Device d(load_example("nat-lab.cfg"));
  Sent first = send(d, icmp("10.1.1.2", "8.8.8.8"), kLan);
  REQUIRE(first.action == Action::Forward);
  CHECK(stages_of(first).size() == 12);
  CHECK(first.step(StageId::Session)->result == Outcome::Miss);
  Sent second = send(d, icmp("10.1.1.2", "8.8.8.8"), kLan);
  REQUIRE(second.action == Action::Forward);
  CHECK(stages_of(second) == std::vector<std::string>{"ingress", "ipsec-inbound", "session",
                                                      "tcp-mss", "ipsec", "egress"});
  CHECK(second.step(StageId::Session)->result == Outcome::Hit);
  // The fast path applies the translation recorded at creation.
  CHECK(second.after.src == first.after.src);
  CHECK(second.after.src_port == first.after.src_port);
  CHECK(d.runtime().sessions.size() == 1);
}

TEST_CASE("return traffic is recognised and reverse-translated", "[pipeline][session][nat]") {
  Device d(load_example("nat-lab.cfg"));
  Sent out = send(d, tcp("10.1.1.2", 40000, "8.8.8.8", 443), kLan);
  REQUIRE(out.action == Action::Forward);
  CHECK((out.after.src == *parse_ipv4("1.1.1.10") || out.after.src == *parse_ipv4("1.1.1.11")));
  CHECK(out.after.src_port >= 2048);
  CHECK(l4_checksum(out.bytes) == 0);

  PacketSpec reply =
      tcp("8.8.8.8", 443, "0.0.0.0", out.after.src_port, tcpflag::kSyn | tcpflag::kAck);
  reply.dst = out.after.src;
  Sent back = send(d, reply, kWan);
  REQUIRE(back.action == Action::Forward);
  CHECK(back.trace.result.output == kLan);
  CHECK(back.after.dst == *parse_ipv4("10.1.1.2"));
  CHECK(back.after.dst_port == 40000);
  CHECK(l4_checksum(back.bytes) == 0);
  const Session& s = d.runtime().sessions.at(0);
  CHECK(s.tcp == TcpState::SynReceived);
  CHECK(s.packets[0] == 1);
  CHECK(s.packets[1] == 1);
}

TEST_CASE("a TCP flow must open with a SYN", "[pipeline][session]") {
  Device d(load_example("nat-lab.cfg"));
  Sent s = send(d, tcp("10.1.1.2", 40000, "8.8.8.8", 443, tcpflag::kAck), kLan);
  CHECK(s.action == Action::Drop);
  CHECK(s.drop() == DropReason::TcpFirstNotSyn);
  CHECK(d.runtime().drops[DropReason::TcpFirstNotSyn] == 1);
}

TEST_CASE("sessions age out after the USG default times", "[pipeline][session]") {
  Device d(load_example("nat-lab.cfg"));
  d.set_time(1000);
  REQUIRE(send(d, icmp("10.1.1.2", "8.8.8.8"), kLan).action == Action::Forward);
  d.set_time(1020);
  CHECK(send(d, icmp("10.1.1.2", "8.8.8.8"), kLan).step(StageId::Session)->result == Outcome::Hit);
  d.set_time(1041);  // 21 s after the last packet: the ICMP session (20 s) is gone
  CHECK(send(d, icmp("10.1.1.2", "8.8.8.8"), kLan).step(StageId::Session)->result == Outcome::Miss);

  REQUIRE(send(d, udp("10.1.1.2", 5000, "8.8.8.8", 53), kLan).action == Action::Forward);
  d.set_time(1041 + 120);
  CHECK(send(d, udp("10.1.1.2", 5000, "8.8.8.8", 53), kLan).step(StageId::Session)->result ==
        Outcome::Hit);
  d.set_time(1041 + 120 + 121);
  CHECK(send(d, udp("10.1.1.2", 5000, "8.8.8.8", 53), kLan).step(StageId::Session)->result ==
        Outcome::Miss);
}

TEST_CASE("an aged session gives its NAT port back", "[pipeline][nat]") {
  Device d(load_example("nat-lab.cfg"));
  Sent s = send(d, udp("10.1.1.2", 5000, "8.8.8.8", 53), kLan);
  REQUIRE(d.runtime().ports.in_use(s.after.src, ipproto::kUdp, s.after.src_port));
  d.set_time(500);
  d.runtime().sweep(d.now());
  CHECK_FALSE(d.runtime().ports.in_use(s.after.src, ipproto::kUdp, s.after.src_port));
  CHECK(d.runtime().sessions.size() == 0);
}

TEST_CASE("server-map: nat server translates the global address to the server",
          "[pipeline][server-map]") {
  Device d(load_example("nat-lab.cfg"));
  Sent in = send(d, tcp("8.8.8.8", 33000, "1.1.1.3", 80), kWan);
  REQUIRE(in.action == Action::Forward);
  CHECK(in.step(StageId::ServerMap)->result == Outcome::Hit);
  CHECK(in.after.dst == *parse_ipv4("192.168.100.10"));
  CHECK(in.after.dst_port == 8080);
  CHECK(in.trace.result.output == kDmz);
  CHECK(in.step(StageId::SecurityPolicy)->matched.find("web_in") != std::string::npos);

  PacketSpec reply = tcp("192.168.100.10", 8080, "8.8.8.8", 33000, tcpflag::kSyn | tcpflag::kAck);
  Sent back = send(d, reply, kDmz);
  REQUIRE(back.action == Action::Forward);
  CHECK(back.after.src == *parse_ipv4("1.1.1.3"));
  CHECK(back.after.src_port == 80);
}

TEST_CASE("server-map: the reverse entry gives the server's own connections its global address",
          "[pipeline][server-map]") {
  Device d(load_example("nat-lab.cfg"));
  Sent out = send(d, tcp("192.168.100.20", 45000, "8.8.8.8", 25), kDmz);
  REQUIRE(out.action == Action::Forward);
  CHECK(out.step(StageId::ServerMap)->matched.find("Nat Server Reverse mail") != std::string::npos);
  CHECK(out.after.src == *parse_ipv4("1.1.1.4"));
  // Applied at the snat stage, after the security policy, which saw the server's own address.
  CHECK(out.step(StageId::Snat)->result == Outcome::Translated);
  CHECK(out.step(StageId::Snat)->matched.find("Nat Server Reverse mail") != std::string::npos);

  // no-reverse: the DNS server's own traffic is not translated by the server map.
  Sent dns = send(d, udp("192.168.100.30", 53, "8.8.8.8", 53), kDmz);
  REQUIRE(dns.action == Action::Forward);
  CHECK(dns.step(StageId::ServerMap)->result == Outcome::Miss);
  CHECK(dns.after.src == *parse_ipv4("192.168.100.30"));
}

TEST_CASE("dnat: a destination-nat rule translates before routing", "[pipeline][dnat]") {
  Device d(load_example("nat-lab.cfg"));
  Sent s = send(d, tcp("8.8.8.8", 33000, "1.1.1.6", 22), kWan);
  REQUIRE(s.action == Action::Forward);
  CHECK(s.step(StageId::Dnat)->result == Outcome::Translated);
  CHECK(s.after.dst == *parse_ipv4("192.168.100.40"));
  CHECK(s.trace.result.output == kDmz);  // routed on the translated address
  CHECK(s.step(StageId::SecurityPolicy)->matched.find("ssh_in") != std::string::npos);
  // The rule's service limits it: telnet to the same address is not translated.
  Sent t = send(d, tcp("8.8.8.8", 33001, "1.1.1.6", 23), kWan);
  CHECK(t.step(StageId::Dnat)->result == Outcome::Miss);
}

TEST_CASE("route: longest prefix, NULL0, no route, TTL and shut-down interfaces",
          "[pipeline][route]") {
  Device d(load_example("nat-lab.cfg"));
  Sent small = send(d, icmp("10.1.1.2", "172.30.1.1"), kLan);
  CHECK(small.trace.result.output == "GigabitEthernet0/0/4");
  CHECK(
      small.step(StageId::Route)->matched.find("172.30.0.0/16 Static pre 60 nexthop 172.16.0.2") !=
      std::string::npos);

  Sent null0 = send(d, icmp("10.1.1.2", "192.0.2.9"), kLan);
  CHECK(null0.drop() == DropReason::BlackholeRoute);

  Sent shut =
      send(d, icmp("10.1.1.2", "10.5.5.2"), kLan);  // its direct route is gone: default route
  CHECK(shut.trace.result.output == kWan);

  PacketSpec ttl1 = icmp("10.1.1.2", "8.8.8.8");
  ttl1.ttl = 1;
  CHECK(send(d, ttl1, kLan).drop() == DropReason::TtlExpired);

  Device bare(
      load_text("interface GigabitEthernet0/0/1\n ip address 10.1.1.1 24\n#\nfirewall zone trust\n "
                "add interface GigabitEthernet0/0/1\n#\nreturn\n"));
  CHECK(send(bare, icmp("10.1.1.2", "8.8.8.8"), kLan).drop() == DropReason::NoRoute);
  CHECK(bare.runtime().drops[DropReason::NoRoute] == 1);
}

TEST_CASE("security-policy: first match, deny rules, disabled rules and the default action",
          "[pipeline][policy]") {
  Device d(load_example("nat-lab.cfg"));
  Sent telnet = send(d, tcp("10.1.1.2", 40000, "8.8.8.8", 23), kLan);
  CHECK(telnet.drop() == DropReason::PolicyDeny);
  CHECK(telnet.step(StageId::SecurityPolicy)->matched == "rule block_telnet (trust -> untrust)");

  Sent in = send(d, icmp("8.8.8.8", "10.1.1.2"), kWan);  // untrust -> trust: no rule
  CHECK(in.drop() == DropReason::DefaultPolicyDeny);

  // "everything" permits all but is disabled: the default still decides.
  Sent dmz_in = send(d, icmp("8.8.8.8", "192.168.100.99"), kWan);
  CHECK(dmz_in.drop() == DropReason::DefaultPolicyDeny);

  d.edit().security_policy.default_action = config::PolicyAction::Permit;
  d.apply();
  CHECK(send(d, icmp("8.8.8.8", "10.1.1.2"), kWan).action == Action::Forward);
}

TEST_CASE("traffic to the device uses the local zone and service-manage", "[pipeline][policy]") {
  Device d(load_example("nat-lab.cfg"));
  Sent ping_lan = send(d, icmp("10.1.1.2", "10.1.1.1"), kLan);
  CHECK(ping_lan.action == Action::ToDevice);
  CHECK(ping_lan.step(StageId::SecurityPolicy)->matched ==
        "service-manage on GigabitEthernet0/0/1 (trust -> local)");

  Sent ping_wan = send(d, icmp("8.8.8.8", "1.1.1.1"), kWan);
  CHECK(ping_wan.drop() == DropReason::ServiceManageDeny);

  Sent ike = send(d, udp("8.8.8.8", 500, "1.1.1.1", 500), kWan);  // not a management protocol
  CHECK(ike.drop() == DropReason::DefaultPolicyDeny);

  Device fw1(load_example("fw1.cfg"));
  Sent peer = send(fw1, udp("2.1.1.1", 500, "1.1.1.1", 500), kWan);
  CHECK(peer.action == Action::ToDevice);
  CHECK(peer.step(StageId::SecurityPolicy)->matched == "rule ipsec (untrust -> local)");
}

TEST_CASE("an interface outside every zone passes no traffic", "[pipeline][policy]") {
  Device d(load_text(
      "interface GigabitEthernet0/0/1\n ip address 10.1.1.1 24\n#\ninterface GigabitEthernet0/0/2\n"
      " ip address 1.1.1.1 24\n#\nfirewall zone trust\n add interface GigabitEthernet0/0/1\n#\n"
      "ip route-static 0.0.0.0 0 1.1.1.2\n#\nreturn\n"));
  CHECK(send(d, icmp("10.1.1.2", "8.8.8.8"), kLan).drop() == DropReason::InterfaceNoZone);
  CHECK(send(d, icmp("8.8.8.8", "10.1.1.2"), kWan).drop() == DropReason::InterfaceNoZone);
}

TEST_CASE("snat: PAT never reuses a port in use", "[pipeline][nat]") {
  Device d(load_example("nat-lab.cfg"));
  std::set<std::pair<uint32_t, uint16_t>> seen;
  for (uint16_t i = 0; i < 500; ++i) {
    Sent s = send(d, udp("10.1.1.2", static_cast<uint16_t>(10000 + i), "8.8.8.8", 53), kLan);
    REQUIRE(s.action == Action::Forward);
    REQUIRE(seen.insert({s.after.src.v, s.after.src_port}).second);
  }
}

TEST_CASE("snat: no-pat gives each host its own address, and the pool runs out",
          "[pipeline][nat]") {
  Device d(load_example("nat-lab.cfg"));
  Sent a = send(d, tcp("10.1.1.100", 40000, "8.8.8.8", 443), kLan);
  Sent a2 = send(d, tcp("10.1.1.100", 40001, "8.8.8.8", 443), kLan);
  Sent b = send(d, tcp("10.1.1.101", 40000, "8.8.8.8", 443), kLan);
  REQUIRE(a.action == Action::Forward);
  CHECK(a.after.src_port == 40000);  // no-pat keeps the port
  CHECK(a.after.src == a2.after.src);
  CHECK(b.after.src != a.after.src);
  Sent c = send(d, tcp("10.1.1.102", 40000, "8.8.8.8", 443), kLan);
  CHECK(c.drop() == DropReason::NatPoolExhausted);
}

TEST_CASE("snat: no-nat ahead of easy-ip keeps VPN traffic untranslated", "[pipeline][nat]") {
  Device good(load_example("fw1.cfg"));
  Sent vpn = send(good, icmp("10.1.1.2", "10.2.1.2"), kLan);
  CHECK(vpn.step(StageId::Snat)->result == Outcome::NoNat);
  // The untranslated source matches the security ACL: the packet waits for IKE (no SA yet).
  CHECK(vpn.step(StageId::Ipsec)->matched == "ipsec policy map1 10, acl 3000 rule 5");
  CHECK(vpn.drop() == DropReason::IpsecNoSa);
  Sent web = send(good, icmp("10.1.1.2", "8.8.8.8"), kLan);
  CHECK(web.after.src == *parse_ipv4("1.1.1.1"));
}

TEST_CASE("egress: too big with DF set is dropped and answered with fragmentation-needed",
          "[pipeline][egress]") {
  Device d(load_example("nat-lab.cfg"));
  PacketSpec big = icmp("10.1.1.2", "172.30.1.1");
  big.total_length = 1500;
  big.dont_fragment = true;
  Sent s = send(d, big, kLan);
  CHECK(s.drop() == DropReason::FragmentNeeded);
  REQUIRE(s.emitted.size() == 1);
  const auto& icmp_error = s.emitted[0].bytes;
  PacketInfo info;
  REQUIRE(parse_ipv4(icmp_error, info) == DropReason::None);
  CHECK(info.dst == *parse_ipv4("10.1.1.2"));
  CHECK(info.icmp_type == 3);
  CHECK(info.icmp_code == 4);
  CHECK(load16(&icmp_error[26]) == 1400);  // RFC 1191 next-hop MTU
  CHECK(internet_checksum({icmp_error.data() + 20, icmp_error.size() - 20}) == 0);
  CHECK(d.runtime().sessions.size() == 0);  // no session for a dropped first packet
}

TEST_CASE("egress: too big without DF is fragmented", "[pipeline][egress]") {
  Device d(load_example("nat-lab.cfg"));
  PacketSpec big = udp("10.1.1.2", 5000, "172.30.1.1", 9000);
  big.total_length = 3000;
  Sent s = send(d, big, kLan);
  REQUIRE(s.action == Action::Forward);
  REQUIRE(s.emitted.size() == 3);
  size_t payload = 0;
  for (const auto& f : s.emitted) {
    PacketInfo info;
    REQUIRE(parse_ipv4(f.bytes, info) == DropReason::None);
    CHECK(f.bytes.size() <= 1400);
    CHECK(info.fragment_offset == payload);
    payload += f.bytes.size() - info.header_length;
  }
  CHECK(payload == 3000 - 20);
}

TEST_CASE("later fragments follow the first fragment's session", "[pipeline][session]") {
  Device d(load_example("nat-lab.cfg"));
  PacketSpec first = udp("10.1.1.2", 5000, "8.8.8.8", 53);
  first.total_length = 100;
  first.ip_id = 777;
  auto bytes = build_packet(first);
  store16(&bytes[6], 0x2000);  // MF
  store16(&bytes[10], 0);
  store16(&bytes[10], internet_checksum({bytes.data(), 20}));
  Sent f1 = send_bytes(d, bytes, kLan);
  REQUIRE(f1.action == Action::Forward);
  PacketInfo out1;
  REQUIRE(parse_ipv4(f1.bytes, out1) == DropReason::None);

  auto later = build_packet(first);
  store16(&later[6], 10);  // offset 80 bytes, last
  store16(&later[10], 0);
  store16(&later[10], internet_checksum({later.data(), 20}));
  Sent f2 = send_bytes(d, later, kLan);
  REQUIRE(f2.action == Action::Forward);
  PacketInfo out2;
  REQUIRE(parse_ipv4(f2.bytes, out2) == DropReason::None);
  CHECK(out2.src == out1.src);  // the same source NAT as the first fragment
  CHECK(f2.step(StageId::Session)->result == Outcome::Hit);

  auto orphan = later;
  store16(&orphan[4], 999);  // another datagram, whose first fragment never came
  store16(&orphan[10], 0);
  store16(&orphan[10], internet_checksum({orphan.data(), 20}));
  CHECK(send_bytes(d, orphan, kLan).drop() == DropReason::FragmentNoSession);
}

TEST_CASE("malformed packets and unknown interfaces are counted drops", "[pipeline]") {
  Device d(load_example("nat-lab.cfg"));
  auto bytes = build_packet(icmp("10.1.1.2", "8.8.8.8"));
  bytes[10] ^= 0xff;
  CHECK(send_bytes(d, bytes, kLan).drop() == DropReason::IpBadChecksum);
  CHECK(send_bytes(d, {0x45, 0x00}, kLan).drop() == DropReason::IpTooShort);
  CHECK(send_bytes(d, build_packet(icmp("10.1.1.2", "8.8.8.8")), "GigabitEthernet9/9/9").drop() ==
        DropReason::UnknownInterface);
  CHECK(d.runtime().drops[DropReason::IpBadChecksum] == 1);
  CHECK(d.runtime().drops[DropReason::IpTooShort] == 1);
}

TEST_CASE("a full session table refuses new flows with a named reason", "[pipeline][session]") {
  Device d(load_example("nat-lab.cfg"), 1);
  REQUIRE(send(d, icmp("10.1.1.2", "8.8.8.8"), kLan).action == Action::Forward);
  Sent s = send(d, icmp("10.1.1.3", "8.8.8.8"), kLan);
  CHECK(s.drop() == DropReason::SessionTableFull);
  // The port taken for it went back to the pool.
  CHECK(d.runtime().ports.used(*parse_ipv4("1.1.1.10"), ipproto::kIcmp) +
            d.runtime().ports.used(*parse_ipv4("1.1.1.11"), ipproto::kIcmp) ==
        1);
}

TEST_CASE("sessions survive a configuration change", "[pipeline][session]") {
  Device d(load_example("nat-lab.cfg"));
  Sent first = send(d, tcp("10.1.1.2", 40000, "8.8.8.8", 443), kLan);
  REQUIRE(first.action == Action::Forward);
  // The permitting rule goes away: the established flow still passes, a new one does not.
  auto& rules = d.edit().security_policy.rules;
  rules.erase(
      std::find_if(rules.begin(), rules.end(), [](const auto& r) { return r.name == "lan_out"; }));
  d.apply();
  CHECK(send(d, tcp("10.1.1.2", 40000, "8.8.8.8", 443, tcpflag::kAck), kLan).action ==
        Action::Forward);
  CHECK(send(d, tcp("10.1.1.2", 40001, "8.8.8.8", 443), kLan).drop() ==
        DropReason::DefaultPolicyDeny);
}

TEST_CASE("a batch gives the same verdicts and bytes as packets one by one", "[pipeline]") {
  Device single(load_example("nat-lab.cfg"));
  Device batched(load_example("nat-lab.cfg"));
  std::vector<PacketSpec> specs = {icmp("10.1.1.2", "8.8.8.8"),
                                   tcp("10.1.1.2", 40000, "8.8.8.8", 23),
                                   udp("10.1.1.3", 5000, "8.8.8.8", 53),
                                   icmp("10.1.1.2", "8.8.8.8"),
                                   tcp("10.1.1.2", 40001, "8.8.8.8", 443, tcpflag::kAck),
                                   icmp("10.1.1.2", "192.0.2.7")};
  std::vector<std::vector<uint8_t>> a, b;
  std::vector<Action> expected;
  for (const auto& s : specs) {
    a.push_back(build_packet(s));
    b.push_back(build_packet(s));
    expected.push_back(single.receive(a.back(), kLan));
  }
  std::vector<uint8_t*> pointers;
  std::vector<uint32_t> lengths;
  for (auto& p : b) {
    pointers.push_back(p.data());
    lengths.push_back(static_cast<uint32_t>(p.size()));
  }
  std::vector<Action> actions(specs.size());
  const std::vector<uint32_t> capacities = lengths;
  batched.receive_batch(pointers.data(), lengths.data(), capacities.data(), specs.size(),
                        batched.snapshot().interface_index(kLan), actions.data());
  CHECK(actions == expected);
  CHECK(a == b);
  CHECK(batched.runtime().drops.count == single.runtime().drops.count);
}

TEST_CASE("server-map: the security policy sees the server's own address, not its global one",
          "[pipeline][server-map]") {
  // As the device matches any source before its source NAT (Huawei, "How to Configure Security
  // Policies to Allow Source NAT"). Found by the kernel differential test: vfw used to translate
  // at the server-map stage, so a rule naming the server's network never matched its traffic.
  const auto loaded = cli::load_config_text(
      "#\ninterface GigabitEthernet0/0/1\n ip address 10.1.0.1 255.255.255.0\n#\n"
      "interface GigabitEthernet0/0/3\n ip address 172.16.0.1 255.255.255.0\n#\n"
      "firewall zone untrust\n add interface GigabitEthernet0/0/1\n#\n"
      "firewall zone dmz\n add interface GigabitEthernet0/0/3\n#\n"
      "ip route-static 10.10.0.0 16 10.1.0.2\nip route-static 172.20.0.0 16 172.16.0.2\n#\n"
      "nat server srv0 global 192.0.2.55 inside 10.10.0.162\n"
      "security-policy\n rule name servers_out\n  source-address 10.10.0.0 mask 16\n"
      "  action permit\n#\nreturn\n",
      "server.cfg");
  REQUIRE(loaded.ok());
  Device d(loaded.config);
  Sent out = send(d, icmp("10.10.0.162", "172.20.0.240"), "GigabitEthernet0/0/1");
  REQUIRE(out.action == Action::Forward);
  CHECK(out.step(StageId::SecurityPolicy)->matched.find("servers_out") != std::string::npos);
  CHECK(out.after.src == *parse_ipv4("192.0.2.55"));
}

// docs/packet-trace.md is the schema users script against: its rows for steps[].stage and
// steps[].result list exactly the words the tables in pipeline/trace_vocabulary.hpp produce.
TEST_CASE("docs/packet-trace.md lists every stage and every step result the trace prints",
          "[pipeline][docs]") {
  std::ifstream in(std::string(VFW_SOURCE_DIR) + "/docs/packet-trace.md");
  REQUIRE(in);
  std::string line;
  std::string stages;
  std::string results;
  while (std::getline(in, line)) {
    if (line.rfind("| `steps[].stage` |", 0) == 0) stages = line;
    if (line.rfind("| `steps[].result` |", 0) == 0) results = line;
  }
  REQUIRE(!stages.empty());
  REQUIRE(!results.empty());
  // The words in backquotes after the row's name, up to the first sentence of prose.
  auto words_of = [](const std::string& row, size_t from) {
    std::set<std::string> words;
    for (size_t at = row.find('`', from); at != std::string::npos; at = row.find('`', at + 1)) {
      const size_t end = row.find('`', at + 1);
      if (end == std::string::npos) break;
      words.insert(row.substr(at + 1, end - at - 1));
      at = end;
    }
    return words;
  };
  const std::set<std::string> stage_words = words_of(stages.substr(0, stages.find(" in that")), 20);
  const std::set<std::string> result_words = words_of(results, 21);
  std::set<std::string> expected_stages(kStageIds.begin(), kStageIds.end());
  std::set<std::string> expected_results(kOutcomeIds.begin(), kOutcomeIds.end());
  CHECK(stage_words == expected_stages);
  CHECK(result_words == expected_results);
}

namespace {

// Mixed traffic of a few hosts: first packets and later packets of the same flows side by side
// (so that one batch holds both), TCP opening with a SYN and going on with ACKs, ICMP to the
// device and beyond it, packets too big for the link, and one packet in eight corrupted.
std::vector<std::vector<uint8_t>> mixed_traffic(const char* lan_prefix, const char* far_host,
                                                uint32_t seed, size_t count) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> packets;
  for (size_t i = 0; i < count; ++i) {
    const std::string src = std::string(lan_prefix) + std::to_string(2 + rng() % 4);
    const auto sport = static_cast<uint16_t>(40000 + rng() % 6);
    PacketSpec s;
    switch (rng() % 6) {
      case 0:
        s = icmp(src.c_str(), far_host, static_cast<uint16_t>(rng() % 3));
        break;
      case 1:
        s = tcp(src.c_str(), sport, far_host, 443, rng() % 3 == 0 ? tcpflag::kSyn : tcpflag::kAck);
        s.tcp_mss = 1460;
        break;
      case 2:
        s = icmp(src.c_str(), (std::string(lan_prefix) + "1").c_str());  // the device itself
        break;
      default:
        s = udp(src.c_str(), sport, far_host, 53);
        if (rng() % 10 == 0) s.total_length = 1600;  // beyond the 1500-byte link
        s.dont_fragment = rng() % 2 == 0;
        break;
    }
    auto p = build_packet(s);
    if (rng() % 8 == 0) p[rng() % p.size()] ^= static_cast<uint8_t>(1U << (rng() % 8));
    packets.push_back(std::move(p));
  }
  return packets;
}

// The packets through one device one by one and through another in batches of `chunk`: the same
// verdicts, the same bytes out, the same drops, sessions and forwarded count. Returns what the
// single path forwarded (for the next device).
std::vector<std::vector<uint8_t>> check_batches_match_single(
    const config::Config& cfg, const std::vector<std::vector<uint8_t>>& packets,
    const std::string& iface, size_t chunk) {
  Device single(cfg);
  Device batched(cfg);
  std::vector<Action> expected;
  std::vector<std::vector<uint8_t>> out;
  std::vector<std::vector<uint8_t>> forwarded;
  for (auto p : packets) {
    expected.push_back(single.receive(p, iface));
    if (expected.back() == Action::Forward) forwarded.push_back(p);
    out.push_back(std::move(p));
  }
  constexpr size_t kTailroom = 128;  // as Device::receive leaves for ESP
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<uint8_t*> pointers;
  std::vector<uint32_t> lengths;
  std::vector<uint32_t> capacities;
  buffers.reserve(packets.size());
  for (const auto& p : packets) {
    buffers.push_back(p);
    buffers.back().resize(p.size() + kTailroom);
    pointers.push_back(buffers.back().data());
    lengths.push_back(static_cast<uint32_t>(p.size()));
    capacities.push_back(static_cast<uint32_t>(buffers.back().size()));
  }
  std::vector<Action> actions(packets.size());
  const uint16_t in = batched.snapshot().interface_index(iface);
  for (size_t at = 0; at < packets.size(); at += chunk) {
    const size_t n = std::min(chunk, packets.size() - at);
    batched.receive_batch(&pointers[at], &lengths[at], &capacities[at], n, in, &actions[at]);
  }
  for (size_t i = 0; i < packets.size(); ++i) {
    INFO("packet " << i);
    REQUIRE(actions[i] == expected[i]);
    if (actions[i] == Action::Forward) {
      CHECK(std::vector<uint8_t>(buffers[i].begin(), buffers[i].begin() + lengths[i]) == out[i]);
    }
  }
  CHECK(batched.runtime().drops.count == single.runtime().drops.count);
  CHECK(batched.runtime().sessions.size() == single.runtime().sessions.size());
  CHECK(batched.runtime().forwarded == single.runtime().forwarded);
  return forwarded;
}

}  // namespace

TEST_CASE("batches of mixed traffic give what the packets give one by one", "[pipeline][batch]") {
  // The batch path runs the leading stages over the whole batch first and skips the stages the
  // configuration leaves idle; whatever the batch size, nothing of that may show.
  for (const size_t chunk : {size_t{1}, size_t{7}, size_t{64}, size_t{150}}) {
    INFO("batches of " << chunk);
    SECTION("NAT, no tcp adjust-mss or ipsec: those stages idle") {
      check_batches_match_single(load_example("nat-lab.cfg"),
                                 mixed_traffic("10.1.1.", "8.8.8.8", 1, 400), kLan, chunk);
    }
    SECTION("tcp adjust-mss on the LAN: the SYNs' MSS clamped in the batch too") {
      config::Config cfg = load_example("nat-lab.cfg");
      cfg.interface(kLan).tcp_adjust_mss = 1200;
      check_batches_match_single(cfg, mixed_traffic("10.1.1.", "8.8.8.8", 2, 400), kLan, chunk);
    }
    SECTION("through a tunnel: encapsulated by FW1, decapsulated by FW3 with anti-replay") {
      const auto esp =
          check_batches_match_single(load_example("ipsec-manual-fw1.cfg"),
                                     mixed_traffic("10.1.1.", "10.2.1.2", 3, 400), kLan, chunk);
      REQUIRE(esp.size() > 100);  // the tunnel carried most of it
      std::vector<std::vector<uint8_t>> arriving;
      std::mt19937 rng(4);
      for (const auto& p : esp) {
        arriving.push_back(p);
        if (rng() % 10 == 0) arriving.push_back(p);  // a replay: dropped by the window
        if (rng() % 10 == 0) {                       // a corrupted one: fails authentication
          auto bad = p;
          bad.back() ^= 0x01;
          arriving.push_back(bad);
        }
      }
      check_batches_match_single(load_example("ipsec-manual-fw3.cfg"), arriving, kWan, chunk);
    }
  }
}
