// IKE in the device: the seed's FW1 and FW3 (examples/fw1.cfg, examples/fw3.cfg) carrying each
// other's IKE datagrams in memory. PC1's first packet to PC2 starts the negotiation, the SAs land
// in the SAD, and the next packet crosses the tunnel and comes out at FW3 decrypted.
#include <catch2/catch.hpp>

#include <functional>

#include "cli/display_formats.hpp"
#include "cli/line_runner.hpp"
#include "ike/proposals.hpp"
#include "ike_test_support.hpp"
#include "lab.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

constexpr const char* kLan = "GigabitEthernet0/0/1";
constexpr const char* kWan = "GigabitEthernet0/0/2";

}  // namespace

TEST_CASE("a packet without an SA starts IKE, the tunnel it builds carries the next one",
          "[ike][device]") {
  Device fw1(load_example("fw1.cfg"));
  Device fw3(load_example("fw3.cfg"));
  REQUIRE(fw1.ike().problems().empty());
  REQUIRE(fw3.ike().problems().empty());

  Sent first = send(fw1, icmp("10.1.1.2", "10.2.1.2"), kLan);
  CHECK(first.drop() == DropReason::IpsecNoSa);
  const TraceStep* ipsec = first.step(StageId::Ipsec);
  REQUIRE(ipsec != nullptr);
  CHECK(ipsec->info.back().find("negotiation with ike-peer fw3 starts") != std::string::npos);
  CHECK(ipsec->info.back().find("this packet is held") != std::string::npos);
  REQUIRE(fw1.ike().engine().sas().size() == 1);
  // More packets of the flow wait too, up to the bound.
  for (uint16_t i = 0; i < 10; ++i) send(fw1, icmp("10.1.1.2", "10.2.1.2", 100), kLan);

  exchange(fw1, fw3);
  // The held packets leave through the new SA, in order, and FW3 decrypts them.
  auto released = fw1.take_released();
  REQUIRE(released.size() == Runtime::kMaxHeldPerEntry);
  for (auto& p : released) {
    Sent in = send_bytes(fw3, p.bytes, kWan);
    CHECK(in.action == Action::Forward);
  }
  CHECK(fw1.ike().engine().sas().at(0)->state == ike::IkeSaState::Established);
  CHECK(fw1.runtime().sad.all().size() == 2);
  CHECK(fw3.runtime().sad.all().size() == 2);

  Sent second = send(fw1, icmp("10.1.1.2", "10.2.1.2", 2), kLan);
  REQUIRE(second.action == Action::Forward);
  CHECK(second.after.protocol == ipproto::kEsp);
  CHECK(to_string(second.after.src) == "1.1.1.1");
  CHECK(to_string(second.after.dst) == "2.1.1.1");

  Sent arrived = send_bytes(fw3, second.bytes, kWan);
  CHECK(arrived.action == Action::Forward);
  const TraceStep* in = arrived.step(StageId::IpsecInbound);
  REQUIRE(in != nullptr);
  CHECK(in->result == Outcome::Decapsulated);
  // And the reply goes back through FW3's outbound SA to FW1.
  Sent reply = send(fw3, icmp("10.2.1.2", "10.1.1.2", 2), kLan);
  REQUIRE(reply.action == Action::Forward);
  CHECK(reply.after.protocol == ipproto::kEsp);
  CHECK(send_bytes(fw1, reply.bytes, kWan).action == Action::Forward);
}

TEST_CASE("a failed negotiation is kept as the device's error-info record", "[ike][device]") {
  config::Config other = load_example("fw3.cfg");
  other.ike_peers.at(0).pre_shared_key = "not-the-key";
  Device fw1(load_example("fw1.cfg"));
  Device fw3(std::move(other));
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  REQUIRE(fw3.ike().error_info().size() == 1);
  CHECK(fw3.ike().error_info().back().record.reason == ike::Failure::AuthenticationFail);
  REQUIRE(fw1.ike().error_info().size() == 1);
  CHECK(fw1.ike().error_info().back().record.reason == ike::Failure::AuthenticationFail);
  CHECK(fw1.runtime().sad.all().empty());
}

TEST_CASE("display ike sa shows the seed's table: v2:1 and v2:2, RD|ST on the side that started",
          "[ike][device][display]") {
  Device fw1(load_example("fw1.cfg"));
  Device fw3(load_example("fw3.cfg"));
  fw1.fix_wall_clock(1746630612750);
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  LineRunner r1(fw1);
  const std::string shown = r1.run("display ike sa", 0).out;
  const auto sa = fw1.ike().engine().sas().at(0)->conn_id;
  const auto child = fw1.ike().engine().sas().at(0)->children.at(0).conn_id;
  auto row = [](uint32_t conn, const char* peer, const char* flags, const char* phase,
                const char* id) {
    std::string line = " " + std::to_string(conn);
    line.resize(12, ' ');
    line += peer;
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
  CHECK(shown.find("IKE SA information :\n Conn-ID    Peer") != std::string::npos);
  CHECK(shown.find(row(child, "2.1.1.1:500", "RD|ST|A", "v2:2", "2.1.1.1") +
                   row(sa, "2.1.1.1:500", "RD|ST|A", "v2:1", "2.1.1.1")) != std::string::npos);
  CHECK(shown.find("  Number of IKE SA : 2\n") != std::string::npos);
  LineRunner r3(fw3);
  CHECK(r3.run("display ike sa", 0).out.find("RD|A ") != std::string::npos);
  // verbose: the SA's SPIs, algorithms, identity and its CHILD SA's SPIs.
  const std::string verbose = r1.run("display ike sa verbose", 0).out;
  const auto& ike_sa = *fw1.ike().engine().sas().at(0);
  CHECK(verbose.find("   Connection ID             : " + std::to_string(sa) + "\n") !=
        std::string::npos);
  CHECK(verbose.find(cli::format("   Responder SPI             : %016llx\n",
                                 static_cast<unsigned long long>(ike_sa.spi_r))) !=
        std::string::npos);
  CHECK(verbose.find("   Encryption algorithm      : AES-256\n") != std::string::npos);
  CHECK(verbose.find("   Remote ID                 : IP 2.1.1.1\n") != std::string::npos);
  CHECK(verbose.find("ESP inbound spi " + std::to_string(ike_sa.children.at(0).spi_in)) !=
        std::string::npos);
  const std::string peer = r1.run("display ike peer name fw3", 0).out;
  CHECK(peer.find("  Peer IP address         : 2.1.1.1\n") != std::string::npos);
  CHECK(peer.find("Seed@2026") == std::string::npos);
  // reset ike sa: the SAs go on both sides (the peer is told).
  r1.run("reset ike sa", 0);
  exchange(fw1, fw3);
  CHECK(fw1.runtime().sad.all().empty());
  CHECK(fw3.runtime().sad.all().empty());
  CHECK(r1.run("display ike sa", 0).out.find("  Number of IKE SA : 0\n") != std::string::npos);
}

TEST_CASE("display ike proposal prints the default proposal as the USG6000V1 does",
          "[ike][display]") {
  Device d(load_text("ike proposal default\n#\n"));
  d.fix_wall_clock(1609146178190);
  setenv("TZ", "UTC", 1);
  tzset();
  LineRunner r(d);
  CHECK(r.run("display ike proposal", 0).out ==
        "2020-12-28 09:02:58.190 \n\nNumber of IKE Proposals: 1\n\n"
        "-------------------------------------------\n"
        " IKE Proposal: Default\n"
        "   Authentication Method      : PRE_SHARED \n"
        "   Authentication Algorithm   : SHA2-512 SHA2-384 SHA2-256 \n"
        "   Encryption Algorithm       : AES-256 AES-192 AES-128 \n"
        "   Diffie-Hellman Group       : MODP-2048 \n"
        "   SA Duration(Seconds)       : 86400 \n"
        "   Integrity Algorithm        : HMAC-SHA2-256 \n"
        "   Prf Algorithm              : HMAC-SHA2-256 \n"
        "-------------------------------------------\n");
}

TEST_CASE("debugging ikev2 error prints the seed's lines for each failure",
          "[ike][device][diagnostics]") {
  struct Case {
    const char* what;
    std::function<void(config::Config&)> change;
    std::vector<std::string> lines;  // on FW3, the responder
  };
  const std::vector<Case> cases = {
      {"pre-shared key",
       [](config::Config& c) { c.ike_peers.at(0).pre_shared_key = "other"; },
       {"IKE_ERROR 63:4087 Authentication failed for the peer 1.1.1.1",
        "IKE_ERROR 56:8841 Ikev2 error Info record(peer address: 1.1.1.1, error reason: "
        "authentication fail,list number: 4)."}},
      {"IKE proposal",
       [](config::Config& c) { c.ike_proposals.at(0).encryption = {"aes-128"}; },
       {"IKE_ERROR 56:8841 Ikev2 error Info record(peer address: 1.1.1.1, error reason: phase1 "
        "proposal mismatch,list number: 200)."}},
      {"remote-address",
       [](config::Config& c) { c.ike_peers.at(0).remote_address = *parse_ipv4("9.9.9.9"); },
       {"IKE_ERROR 56:8841 Ikev2 error Info record(peer address: 1.1.1.1, error reason: peer "
        "address mismatch,list number: 107)."}},
      {"remote-id",
       [](config::Config& c) {
         c.ike_peers.at(0).remote_id_type = config::IdType::Fqdn;
         c.ike_peers.at(0).remote_id = "fw3";
       },
       {"IKE_ERROR 27:27568 ERROR - Peer remote-name(1.1.1.1) does not match with fw3",
        "IKE_ERROR 56:8841 Ikev2 error Info record(peer address: 1.1.1.1, error reason: config ID "
        "mismatch,list number: 151)."}},
      {"ACL",
       [](config::Config& c) {
         c.acls.at(3000).rules.at(0).destination =
             Wildcard{*parse_ipv4("10.9.9.0"), *parse_ipv4("0.0.0.255")};
       },
       {"IKE_ERROR 56:8841 Ikev2 error Info record(peer address: 1.1.1.1, error reason: flow "
        "mismatch,list number: 200).",
        "[IPSEC-Error] acl mismatch.(Ifindex=[3], SeqNum=[0],PeerAddress=[1.1.1.1], "
        "PeerPort=[500])"}},
      {"IPSec proposal",
       [](config::Config& c) { c.ipsec_proposals.at(0).esp_encryption = "aes-128"; },
       {"IKE_ERROR 56:8841 Ikev2 error Info record(peer address: 1.1.1.1, error reason: phase2 "
        "proposal or pfs mismatch,list number: 200).",
        "[IPSEC-Error] ipsec proposal or pfs mismatch.(Ifindex=[3], "
        "SeqNum=[10],PeerAddress=[1.1.1.1], "
        "PeerPort=[500])"}},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      config::Config cfg = load_example("fw3.cfg");
      c.change(cfg);
      Device fw1(load_example("fw1.cfg"));
      Device fw3(std::move(cfg));
      LineRunner r(fw3);
      REQUIRE(r.run("debugging ikev2 error", 0).ok);
      REQUIRE(r.run("debugging ipsec error", 0).ok);
      REQUIRE(fw1.ike_initiate("map1", 10));
      exchange(fw1, fw3);
      const auto debug = fw3.ike().take_debug();
      REQUIRE(debug.size() == c.lines.size());
      for (size_t i = 0; i < debug.size(); ++i) {
        INFO(debug[i]);
        CHECK(debug[i].find(" FW3 I") != std::string::npos);
        CHECK(debug[i].substr(debug[i].find("\n ") + 2) == c.lines[i]);
      }
    }
  }
}

TEST_CASE("after a rekey the tunnel carries traffic on the new SAs, the old ones are gone",
          "[ike][device][rekey]") {
  config::Config a = load_example("fw1.cfg");
  config::Config b = load_example("fw3.cfg");
  a.ipsec_policies.at(0).duration_time = 600;
  b.ipsec_policies.at(0).duration_time = 600;
  Device fw1(std::move(a));
  Device fw3(std::move(b));
  fw1.set_time(0);
  fw3.set_time(0);
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  const uint32_t old_spi = fw1.runtime().sad.outbound("map1", 10)->spi;
  for (uint32_t t = 10; t <= 560; t += 10) {
    fw1.set_time(t);
    fw3.set_time(t);
    fw1.ike_tick();
    fw3.ike_tick();
    exchange(fw1, fw3);
  }
  const ipsec::Sa* now_out = fw1.runtime().sad.outbound("map1", 10);
  REQUIRE(now_out != nullptr);
  CHECK(now_out->spi != old_spi);
  CHECK(fw1.runtime().sad.all().size() == 2);
  CHECK(fw3.runtime().sad.all().size() == 2);
  Sent out = send(fw1, icmp("10.1.1.2", "10.2.1.2", 9), kLan);
  REQUIRE(out.action == Action::Forward);
  CHECK(send_bytes(fw3, out.bytes, kWan).action == Action::Forward);
}

TEST_CASE("the engine's view of a configuration: dpd, auto-neg, identities, ACL as selectors",
          "[ike][device][config]") {
  config::Config cfg = load_example("fw1.cfg");
  cfg.ike_peers.at(0).opaque = {" dpd type periodic", " dpd idle-time 15"};
  cfg.ike_peers.at(0).local_id_type = config::IdType::Fqdn;
  cfg.ike_local_name = "branch";
  cfg.interfaces.at("GigabitEthernet0/0/2").ipsec_auto_neg = true;
  std::vector<std::string> problems;
  const ike::EngineConfig e = ike_engine_config(cfg, problems);
  CHECK(problems.empty());
  REQUIRE(e.peers.size() == 1);
  CHECK(e.peers[0].dpd_seconds == 15);
  CHECK(e.peers[0].local_id.type == ike::id_type::kFqdn);
  CHECK(e.peers[0].local_id.text() == "branch");
  REQUIRE(e.children.size() == 1);
  CHECK(e.children[0].auto_negotiate);
  CHECK(ike::describe(e.children[0].local_ts) == "10.1.1.0-10.1.1.255");
  CHECK(ike::describe(e.children[0].remote_ts) == "10.2.1.0-10.2.1.255");
  // A key sealed by another device makes the peer unusable, and says so.
  cfg.ike_peers.at(0).pre_shared_key.clear();
  cfg.ike_peers.at(0).foreign_psk = "%^%#x%^%#";
  const ike::EngineConfig none = ike_engine_config(cfg, problems);
  CHECK(none.children.empty());
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("sealed by another device") != std::string::npos);
}

TEST_CASE("display ipsec proposal name prints the USG6000V1 capture's layout", "[ipsec][display]") {
  Device d(
      load_text("ipsec proposal 10\n esp authentication-algorithm sha2-256\n"
                " esp encryption-algorithm aes-256\n#\n"));
  LineRunner r(d);
  CHECK(r.run("display ipsec proposal name 10", 0).out ==
        "IPSec proposal name: 10\n"
        " Encapsulation mode: Tunnel\n"
        " Transform         : esp-new\n"
        " ESP protocol      : Authentication SHA2-HMAC-256 \n"
        "                     Encryption AES-256 \n");
  CHECK(r.run("display ipsec proposal name 11", 0).out ==
        "Error: The IPSec proposal does not exist.\n");
  Device fw1(load_example("fw1.cfg"));
  LineRunner r1(fw1);
  const std::string policy = r1.run("display ipsec policy", 0).out;
  CHECK(policy.find("IPSec policy group: \"map1\"\nUsing interface: GigabitEthernet0/0/2\n") !=
        std::string::npos);
  CHECK(policy.find("    Security data flow: 3000\n    Peer name: fw3\n") != std::string::npos);
  // brief: VRP's columns (the NE40E command reference's sample; no USG capture is published).
  CHECK(r1.run("display ipsec policy brief", 0).out ==
        "current ipsec policy number: 1 \n" + std::string(83, '-') +
            "\nIPsec-Policy-Name  Mode     acl  ike-peer         Local-Address   Remote-Address   "
            "\n" +
            std::string(83, '-') +
            "\nmap1-10            isakmp   3000 fw3              1.1.1.1         2.1.1.1\n");
  CHECK(r1.run("dis ipsec pol b", 0).out == r1.run("display ipsec policy brief", 0).out);
}

TEST_CASE(
    "a configuration change while SAs are up: unrelated changes keep them, a removed policy "
    "deletes them on both sides",
    "[ike][device][hostile]") {
  Device fw1(load_example("fw1.cfg"));
  Device fw3(load_example("fw3.cfg"));
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  REQUIRE(fw1.runtime().sad.all().size() == 2);
  LineRunner r(fw1);
  r.run("system-view", 0);
  // A new policy entry before map1 moves its position: the SAs follow it.
  REQUIRE(r.run("ipsec policy aaa 5 isakmp", 0).ok);
  REQUIRE(r.run("quit", 0).ok);
  REQUIRE(r.run("ike peer other", 0).ok);
  REQUIRE(r.run("quit", 0).ok);
  Sent out = send(fw1, icmp("10.1.1.2", "10.2.1.2", 4), kLan);
  CHECK(out.action == Action::Forward);
  CHECK(fw1.ike().engine().sas().size() == 1);
  // Removing the policy deletes its SAs, and FW3 hears of it.
  REQUIRE(r.run("interface GigabitEthernet0/0/2", 0).ok);
  REQUIRE(r.run("undo ipsec policy", 0).ok);
  REQUIRE(r.run("quit", 0).ok);
  REQUIRE(r.run("undo ipsec policy map1", 0).ok);
  CHECK(fw1.runtime().sad.all().empty());
  CHECK(fw1.ike().engine().sas().empty());
  exchange(fw1, fw3);
  CHECK(fw3.ike().engine().sas().empty());
  CHECK(fw3.runtime().sad.all().empty());
}

TEST_CASE("sa duration traffic-based: the SA is renewed once most of its kilobytes are used",
          "[ike][device][rekey]") {
  config::Config a = load_example("fw1.cfg");
  a.ipsec_policies.at(0).duration_traffic = 10;  // 10 KB
  Device fw1(std::move(a));
  Device fw3(load_example("fw3.cfg"));
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  const uint32_t first = fw1.runtime().sad.outbound("map1", 10)->spi;
  PacketSpec big = icmp("10.1.1.2", "10.2.1.2", 5);
  big.total_length = 1000;
  for (int i = 0; i < 10; ++i) REQUIRE(send(fw1, big, kLan).action == Action::Forward);
  fw1.ike_tick();
  exchange(fw1, fw3);
  CHECK(fw1.runtime().sad.outbound("map1", 10)->spi != first);
  CHECK(send(fw1, big, kLan).action == Action::Forward);
}

TEST_CASE(
    "a policy template answers a peer it has no address for, authentication-address checks "
    "its identity",
    "[ike][device]") {
  // FW3 as a head office that answers any branch: ipsec policy-template, ike peer without
  // remote-address.
  std::string text = load_example_text("fw3.cfg");
  auto replace = [&](const std::string& from, const std::string& to) {
    REQUIRE(text.find(from) != std::string::npos);
    text.replace(text.find(from), from.size(), to);
  };
  replace(" remote-address 1.1.1.1\n", "");
  replace("ipsec policy map1 10 isakmp\n security acl 3000\n ike-peer fw1\n proposal p1\n#\n",
          "ipsec policy-template tpl 1\n security acl 3000\n ike-peer fw1\n proposal p1\n#\n"
          "ipsec policy map1 10 isakmp template tpl\n#\n");
  Device fw3(load_text(text));
  REQUIRE(fw3.ike().problems().empty());
  Device fw1(load_example("fw1.cfg"));
  REQUIRE(fw1.ike_initiate("map1", 10));
  exchange(fw1, fw3);
  CHECK(fw3.runtime().sad.all().size() == 2);
  // A template never starts a negotiation itself.
  CHECK_FALSE(fw3.ike_initiate("map1", 10));
  // With remote-address authentication-address, the peer must authenticate as that address.
  replace(" ike-proposal 10\n",
          " ike-proposal 10\n remote-address authentication-address 9.9.9.9\n");
  Device strict(load_text(text));
  Device fw1b(load_example("fw1.cfg"));
  REQUIRE(fw1b.ike_initiate("map1", 10));
  exchange(fw1b, strict);
  REQUIRE_FALSE(strict.ike().error_info().empty());
  CHECK(strict.ike().error_info().back().record.reason == ike::Failure::ConfigIdMismatch);
}
