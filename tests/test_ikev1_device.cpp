// IKEv1 in the device: the seed's FW1 and FW3 with `undo version 2` (and `exchange-mode
// aggressive` where said) carrying each other's ISAKMP datagrams in memory: the first packet
// starts main mode and quick mode, the tunnel carries the next one, display ike sa shows the
// seed's v1:1 and v1:2 rows, and a failure prints the seed's `debugging ikev1 error` lines.
#include <catch2/catch.hpp>

#include "cli/line_runner.hpp"
#include "ike_test_support.hpp"
#include "lab.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

constexpr const char* kLan = "GigabitEthernet0/0/1";
constexpr const char* kWan = "GigabitEthernet0/0/2";

// The seed's example with its ike peer speaking IKEv1 only, in the exchange mode given.
config::Config ikev1(const char* example, const char* mode = "") {
  config::Config c = load_example(example);
  c.ike_peers.at(0).version2 = false;
  c.ike_peers.at(0).exchange_mode =
      config::parse_ExchangeMode(mode).value_or(config::ExchangeMode::Unset);
  return c;
}

std::string run(Device& d, const std::string& line) {
  LineRunner r(d);
  return r.run(line, 0).out;
}

bool contains(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE(
    "IKEv1 in the device: the first packet starts main mode and quick mode, the tunnel "
    "carries the next",
    "[ikev1][device]") {
  for (const char* mode : {"", "aggressive"}) {
    INFO("exchange-mode " << mode);
    Device fw1(ikev1("fw1.cfg", mode));
    Device fw3(ikev1("fw3.cfg"));
    REQUIRE(fw1.ike().problems().empty());
    REQUIRE(fw3.ike().problems().empty());
    Sent first = send(fw1, icmp("10.1.1.2", "10.2.1.2"), kLan);
    CHECK(first.drop() == DropReason::IpsecNoSa);
    REQUIRE(fw1.ike().engine_v1().sas().size() == 1);
    CHECK(fw1.ike().engine().sas().empty());  // IKEv2 is off for this peer
    exchange(fw1, fw3);
    CHECK(fw1.ike().engine_v1().sas().at(0)->aggressive == (std::string(mode) == "aggressive"));
    auto released = fw1.take_released();
    REQUIRE(released.size() == 1);
    CHECK(send_bytes(fw3, released[0].bytes, kWan).action == Action::Forward);
    CHECK(fw1.runtime().sad.all().size() == 2);
    CHECK(fw3.runtime().sad.all().size() == 2);
    Sent second = send(fw1, icmp("10.1.1.2", "10.2.1.2", 2), kLan);
    REQUIRE(second.action == Action::Forward);
    CHECK(second.after.protocol == ipproto::kEsp);
    Sent arrived = send_bytes(fw3, second.bytes, kWan);
    CHECK(arrived.action == Action::Forward);
    Sent reply = send(fw3, icmp("10.2.1.2", "10.1.1.2", 2), kLan);
    REQUIRE(reply.action == Action::Forward);
    CHECK(send_bytes(fw1, reply.bytes, kWan).action == Action::Forward);
  }
}

TEST_CASE("display ike sa shows IKEv1 as the seed does: v1:1 and v1:2, RD|ST on the initiator",
          "[ikev1][device][display]") {
  Device fw1(ikev1("fw1.cfg"));
  Device fw3(ikev1("fw3.cfg"));
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  const auto& sa = *fw1.ike().engine_v1().sas().at(0);
  auto row = [](uint32_t conn, const char* flags, const char* phase, const char* id) {
    std::string line = " " + std::to_string(conn);
    line.resize(12, ' ');
    line += id[0] == '2' ? "2.1.1.1:500" : "1.1.1.1:500";
    line.resize(75, ' ');
    line += flags;
    line.resize(97, ' ');
    line += phase;
    line.resize(104, ' ');
    line += "IP";
    line.resize(116, ' ');
    line += id;
    line.resize(132, ' ');
    return line + "\n";
  };
  const std::string shown = run(fw1, "display ike sa");
  CHECK(shown.find(row(sa.conn_id, "RD|ST|A", "v1:1", "2.1.1.1")) != std::string::npos);
  CHECK(shown.find(row(sa.children.at(0).conn_id, "RD|ST|A", "v1:2", "2.1.1.1")) !=
        std::string::npos);
  CHECK(shown.find("Number of IKE SA : 2") != std::string::npos);
  // The IPsec SA pair was made after the ISAKMP SA: it is listed first, as in the seed.
  CHECK(shown.find("v1:2") < shown.find("v1:1"));
  const auto& peer_sa = *fw3.ike().engine_v1().sas().at(0);
  const std::string other = run(fw3, "display ike sa");
  CHECK(other.find(row(peer_sa.conn_id, "RD|A", "v1:1", "1.1.1.1")) != std::string::npos);
  const std::string verbose = run(fw1, "display ike sa verbose");
  CHECK(verbose.find("Version                   : v1") != std::string::npos);
  CHECK(verbose.find("Exchange mode             : main") != std::string::npos);
  CHECK(verbose.find("IPSec SA " + std::to_string(sa.children.at(0).conn_id) + ": ESP") !=
        std::string::npos);
}

TEST_CASE("debugging ikev1 error prints the seed's lines, display ike error-info says v1",
          "[ikev1][device][display]") {
  config::Config other = ikev1("fw3.cfg");
  other.ike_proposals.at(0).encryption = {"aes-128"};
  Device fw1(ikev1("fw1.cfg"));
  Device fw3(std::move(other));
  CHECK(run(fw1, "debugging ikev1 error").empty());
  CHECK(run(fw3, "debugging ikev1 error").empty());
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  const auto lines = fw1.ike().take_debug();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find(" IKE/7/IKE_Debug: \n IKE_ERROR 17:5773 Message from peer 2.1.1.1: Got "
                      "NOTIFY of type NO_PROPOSAL_CHOSEN") != std::string::npos);
  CHECK(lines[1].find("IKE_ERROR 0:9946 Ikev1 error-info record(peer address: 2.1.1.1, error "
                      "reason: phase1 proposal mismatch,list number: 11).") != std::string::npos);
  CHECK(contains(fw3.ike().take_debug(),
                 "Ikev1 error-info record(peer address: 1.1.1.1, error reason: phase1 proposal "
                 "mismatch,list number: 11)."));
  const std::string info = run(fw1, "display ike error-info");
  CHECK(info.find("phase1 proposal mismatch              v1") != std::string::npos);
  // Off again: nothing printed.
  CHECK(run(fw1, "undo debugging ikev1 error").empty());
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  CHECK(fw1.ike().take_debug().empty());
}

TEST_CASE("debugging ipsec error names the ACL mismatch of an IKEv1 quick mode",
          "[ikev1][device][display]") {
  config::Config other = ikev1("fw3.cfg");
  for (auto& [number, acl] : other.acls) {
    for (auto& rule : acl.rules) rule.destination = Wildcard{*parse_ipv4("10.9.1.0"), Ipv4{255}};
  }
  Device fw1(ikev1("fw1.cfg"));
  Device fw3(std::move(other));
  run(fw3, "debugging ipsec error");
  run(fw3, "debugging ikev1 error");
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  const auto lines = fw3.ike().take_debug();
  CHECK(contains(lines,
                 "Ikev1 error-info record(peer address: 1.1.1.1, error reason: flow "
                 "mismatch,list number: 200)."));
  CHECK(contains(lines, " IPSEC/7/IPSEC-DEBUG: \n [IPSEC-Error] acl mismatch.(Ifindex=["));
  CHECK(contains(lines, "PeerAddress=[1.1.1.1], PeerPort=[500])"));
  REQUIRE(!fw1.ike().error_info().empty());
  CHECK(fw1.ike().error_info().back().record.reason == ike::Failure::FlowMismatch);
}

TEST_CASE("an IKEv1 policy whose ACL has several rules is reported: one flow per quick mode",
          "[ikev1][device]") {
  config::Config c = ikev1("fw1.cfg");
  auto& acl = c.acls.begin()->second;
  acl.rules.push_back(acl.rules.front());
  acl.rules.back().id += 5;
  Device fw1(std::move(c));
  CHECK(std::any_of(
      fw1.ike().problems().begin(), fw1.ike().problems().end(), [](const std::string& p) {
        return p.find("IKEv1 negotiates one flow per quick mode") != std::string::npos;
      }));
}

TEST_CASE("ipsec sha2 compatible enable: two devices carry ESP with SHA2-256-96",
          "[ikev1][device]") {
  config::Config a = ikev1("fw1.cfg");
  config::Config b = ikev1("fw3.cfg");
  a.ipsec_sha2_compatible = b.ipsec_sha2_compatible = true;
  Device fw1(std::move(a));
  Device fw3(std::move(b));
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  Sent out = send(fw1, icmp("10.1.1.2", "10.2.1.2", 3), kLan);
  REQUIRE(out.action == Action::Forward);
  CHECK(send_bytes(fw3, out.bytes, kWan).action == Action::Forward);
  CHECK(run(fw1, "display ipsec sa").find("SHA2-256-96") != std::string::npos);
}

TEST_CASE("an IKEv1 proposal with DES, which this OpenSSL lacks, is reported and never offered",
          "[ikev1][device]") {
  if (ike::v1::available(*ike::v1::find_cipher("des"))) {
    WARN("this OpenSSL has DES (its legacy provider is loaded): the case cannot arise here");
    return;
  }
  config::Config c = ikev1("fw1.cfg");
  c.ike_proposals.at(0).encryption = {"des"};
  Device fw1(std::move(c));
  CHECK(std::any_of(
      fw1.ike().problems().begin(), fw1.ike().problems().end(),
      [](const std::string& p) { return p.find("encryption-algorithm des") != p.npos; }));
  // Traffic still triggers IKE; the negotiation fails at once, with the reason, and nothing is
  // sent.
  send(fw1, icmp("10.1.1.2", "10.2.1.2"), kLan);
  CHECK(fw1.ike_take_datagrams().empty());
  REQUIRE(!fw1.ike().error_info().empty());
  CHECK(fw1.ike().error_info().back().record.detail.find("no IKEv1 algorithms") !=
        std::string::npos);
}

TEST_CASE("undo version 2: an IKEv2 request for that peer is not answered as IKEv2",
          "[ikev1][device]") {
  Device fw1(load_example("fw1.cfg"));  // IKEv2 on: it starts with IKEv2
  Device fw3(ikev1("fw3.cfg"));         // IKEv1 only
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  CHECK(fw3.ike().engine().sas().empty());
  CHECK(fw3.runtime().sad.all().empty());
  REQUIRE(!fw3.ike().error_info().empty());
  CHECK(fw3.ike().error_info().back().record.reason == ike::Failure::VersionMismatch);
  CHECK(fw3.ike().error_info().back().record.detail.find("undo version 2") != std::string::npos);
}
