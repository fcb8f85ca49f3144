// The seed's faults in the built-in lab: each one injected by the lines an engineer would have
// typed shows the seed's symptoms (the error-info record with the seed's reason, the trace's
// disposition and warning, the link's drops), and `lab fault clear` brings the lab back.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "app/lab_console.hpp"
#include "app/lab_faults.hpp"
#include "cli/line_runner.hpp"
#include "seed_lab.hpp"

using namespace vfw;
using namespace vfw::lab;

namespace {

using test::seed_lab;

const LabFault& fault_named(const std::string& name) {
  for (const auto& f : seed_faults()) {
    if (f.name == name) return f;
  }
  FAIL(name);
  return seed_faults().front();
}

bool recorded(Lab& lab, const std::string& reason, uint8_t version) {
  for (const char* node : {"fw1", "fw3"}) {
    for (const auto& e : lab.device(node)->ike().error_info()) {
      if (ike::failure_words(e.record.reason) == reason && e.record.version == version) return true;
    }
  }
  return false;
}

Ipv4 pc2() {
  return *parse_ipv4("10.2.1.2");
}

Lab::TraceResult trace_ping(Lab& lab) {
  PacketSpec p;
  p.src = *parse_ipv4("10.1.1.2");
  p.dst = pc2();
  p.src_port = 99;
  return lab.trace("pc1", p);
}

}  // namespace

TEST_CASE("the negotiation faults: the tunnel stays down and the seed's reason is recorded",
          "[lab][faults]") {
  const char* reasons[] = {"phase1 proposal mismatch",
                           "",
                           "peer address mismatch",
                           "config ID mismatch",
                           "flow mismatch",
                           "phase2 proposal or pfs mismatch"};
  for (int version : {2, 1}) {
    for (int i = 0; i < 6; ++i) {
      char name[8];
      std::snprintf(name, sizeof name, "f%02d", (version == 2 ? 1 : 7) + i);
      INFO(name);
      auto lab = seed_lab();
      REQUIRE(inject(*lab, fault_named(name)));
      CHECK(lab->ping("pc1", pc2(), 2).received == 0);
      const std::string reason = i != 1         ? reasons[i]
                                 : version == 1 ? "malformed payload"
                                                : "authentication fail";
      CHECK(recorded(*lab, reason, static_cast<uint8_t>(version)));
    }
  }
}

TEST_CASE("the forwarding faults: the trace names where the packet stops and why",
          "[lab][faults]") {
  struct Case {
    const char* fault;
    const char* disposition;
    const char* warning_at;  // the firewall whose trace warns, "" when none should
  };
  const Case cases[] = {
      {"f13", "dropped at fw2 by stage route (no-route)", "fw1"},
      {"f14", "dropped at fw2 by stage route (no-route)", "fw1"},
      {"f15", "dropped at fw1 by stage route (no-route)", "fw1"},
      {"f16", "dropped at fw1 by stage security-policy (default-policy-deny)", "fw1"},
  };
  for (const Case& c : cases) {
    INFO(c.fault);
    auto lab = seed_lab();
    REQUIRE(inject(*lab, fault_named(c.fault)));
    const Lab::TraceResult t = trace_ping(*lab);
    INFO(Lab::format_trace_text(t));
    REQUIRE_FALSE(t.legs.empty());
    CHECK(t.legs.front().disposition == c.disposition);
    bool warned = false;
    for (const auto& hop : t.legs.front().hops)
      warned = warned || (hop.node == c.warning_at && !hop.trace.result.warnings.empty());
    CHECK(warned);
    CHECK(lab->ping("pc1", pc2(), 1).received == 0);
  }
}

TEST_CASE("the carrier's faults: IKE filtered, a path MTU that loses large DF packets",
          "[lab][faults]") {
  auto filtered = seed_lab();
  REQUIRE(inject(*filtered, fault_named("f17")));
  CHECK(filtered->ping("pc1", pc2(), 2).received == 0);
  CHECK(filtered->link_drops().at("filter udp 500") >= 1);

  auto mtu = seed_lab();
  REQUIRE(inject(*mtu, fault_named("f18")));
  CHECK(mtu->ping("pc1", pc2(), 1).received == 1);  // small packets pass
  CHECK(mtu->ping("pc1", pc2(), 2, 1400, true).received == 0);
  CHECK(mtu->link_drops().at("mtu") >= 2);
}

TEST_CASE(
    "a carrier that translates and drops UDP 4500: NAT-T alone works, the drop stops IKE_AUTH",
    "[lab][faults]") {
  // The fault's lines without its filter: the tunnel comes up through the NAT on port 4500.
  auto translated = seed_lab();
  REQUIRE(inject(*translated, fault_named("f20")));
  REQUIRE(translated->set_link_impairment("fw2:GigabitEthernet0/0/2", {}, 0));
  CHECK(translated->ping("pc1", pc2(), 2).received == 2);
  const auto& sas = translated->device("fw1")->ike().engine().sas();
  REQUIRE(sas.size() == 1);
  CHECK(sas[0]->state == ike::IkeSaState::Established);
  CHECK(sas[0]->remote.port == ike::kNatTraversalPort);
  CHECK(sas[0]->nat_local);  // FW1 knows it is the one behind the NAT
  // display ipsec sa shows the ports the tunnel floated to: 4500 here, the NAT's port there.
  LineRunner fw1(*translated->device("fw1"));
  const std::string shown = fw1.run("display ipsec sa", 0).out;
  INFO(shown);
  CHECK(shown.find("    Tunnel local      : 1.1.1.1:4500\n") != std::string::npos);
  CHECK(shown.find("    Tunnel remote     : 2.1.1.1:4500\n") != std::string::npos);
  LineRunner fw3(*translated->device("fw3"));
  const std::string far = fw3.run("display ipsec sa", 0).out;
  INFO(far);
  CHECK(far.find("    Tunnel local      : 2.1.1.1:4500\n") != std::string::npos);
  CHECK(far.find(":500\n") == std::string::npos);

  // With the filter: IKE_SA_INIT passes on 500, IKE_AUTH on 4500 is lost, retransmitted, and
  // the exchange times out after its six transmissions.
  auto lab = seed_lab();
  REQUIRE(inject(*lab, fault_named("f20")));
  CHECK(lab->ping("pc1", pc2(), 2).received == 0);
  const auto& pending = lab->device("fw1")->ike().engine().sas();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0]->state == ike::IkeSaState::AuthSent);
  CHECK(pending[0]->remote.port == ike::kNatTraversalPort);
  CHECK(lab->link_drops().at("filter udp 4500") >= 1);
  CHECK(lab->link_drops().count("filter udp 500") == 0);
  lab->advance(130'000);
  CHECK(lab->link_drops().at("filter udp 4500") == 6);
  CHECK(recorded(*lab, "exchange timeout", 2));
  CHECK(lab->device("fw1")->ike().engine().sas().empty());
}

TEST_CASE("SHA-2 computed differently: the tunnel is up, every ESP packet refused on arrival",
          "[lab][faults]") {
  auto lab = seed_lab();
  REQUIRE(inject(*lab, fault_named("f19")));
  CHECK(lab->ping("pc1", pc2(), 2).received == 0);
  CHECK(lab->device("fw1")->runtime().sad.outbound("map1", 10) != nullptr);
  CHECK(lab->device("fw3")->runtime().drops[DropReason::IpsecMalformed] >= 1);
}

TEST_CASE("lab fault: list without saying what, inject, reveal, clear", "[lab][faults]") {
  auto lab = seed_lab();
  LabConsoleOptions options;
  options.remake = [] { return seed_lab(); };
  std::istringstream in(
      "lab fault list\nlab fault inject f05\nlab ping pc1 10.2.1.2 count 1\nlab fault reveal\n"
      "lab fault clear\nlab ping pc1 10.2.1.2 count 1\n");
  std::ostringstream out, err;
  const int status = run_lab_script(*lab, options, in, out, err);
  const std::string text = out.str();
  INFO(text << err.str());
  CHECK(status == 1);  // the ping under the fault failed
  CHECK(text.find("  f05  IKEv2\n") != std::string::npos);
  // The list and the injection say nothing of the cause; the reveal does.
  const size_t injected = text.find("Fault injected.");
  REQUIRE(injected != std::string::npos);
  CHECK(text.substr(0, injected + 16).find("mirror") == std::string::npos);
  CHECK(text.find("f05: IKEv2: the ACLs do not mirror each other (flow mismatch)\n  on fw3:\n"
                  "    system-view\n    acl number 3000\n") != std::string::npos);
  CHECK(text.find("The lab is as it started.\n") != std::string::npos);
  CHECK(text.rfind("1 packets transmitted, 1 received") > text.find("The lab is as it started."));
}

TEST_CASE("a fault's debugging lines on the attached firewall's console, as the seed shows them",
          "[lab][faults]") {
  auto lab = seed_lab();
  std::istringstream in(
      "lab fault inject f05\ndebugging ikev2 error\nlab ping pc1 10.2.1.2 count 1\n"
      "display ike error-info\n");
  std::ostringstream out, err;
  run_lab_script(*lab, {}, in, out, err);
  const std::string text = out.str();
  INFO(text << err.str());
  CHECK(text.find("Ikev2 error Info record(peer address: 2.1.1.1, error reason: flow "
                  "mismatch") != std::string::npos);
  // display ike error-info lists it, in the device's columns.
  CHECK(text.find("  2.1.1.1            500     flow mismatch                         v2") !=
        std::string::npos);
}

TEST_CASE("display ikev2 statistics error counts the failures by the device's reasons",
          "[lab][display]") {
  auto lab = seed_lab();
  LabConsoleOptions options;
  std::istringstream in(
      "lab fault inject f01\nlab ping pc1 10.2.1.2 count 1\nlab ping pc1 10.2.1.2 count 1\n"
      "display ikev2 statistics error\n");
  std::ostringstream out, err;
  run_lab_script(*lab, options, in, out, err);
  const std::string o = out.str();
  CHECK(o.find("\nError statistics:\n" + std::string(79, '-') + "\nConfig error:\n") !=
        std::string::npos);
  // The proposals differ: each attempt is counted (the error-info list keeps the last ones).
  CHECK(o.find("Phase1 proposal mismatch :") != std::string::npos);
  CHECK(o.find("Phase1 proposal mismatch :0") == std::string::npos);
  CHECK(o.find("Flow mismatch            :0\n") != std::string::npos);
  // Two counters a line, the second at column 38, as the device's page shows.
  CHECK(o.find("\nResponder dh mismatch    :0           Initiator dh mismatch          :0\n") !=
        std::string::npos);
}

TEST_CASE(
    "lab fault inject random: another fault each run, its seed printed, the same one again "
    "with seed N",
    "[lab][faults]") {
  auto inject = [](const std::string& line) {
    auto lab = seed_lab();
    LabConsoleOptions options;
    std::istringstream in(line + "\nlab fault reveal\n");
    std::ostringstream out, err;
    run_lab_script(*lab, options, in, out, err);
    return out.str() + err.str();
  };
  const std::string first = inject("lab fault inject random");
  INFO(first);
  const size_t at = first.find("seed ");
  REQUIRE(at != std::string::npos);
  const std::string seed = first.substr(at + 5, first.find(':', at) - at - 5);
  // The seed printed gives the same fault again.
  const std::string again = inject("lab fault inject random seed " + seed);
  auto revealed = [](const std::string& text) { return text.substr(text.find("\nf") + 1, 4); };
  CHECK(revealed(again) == revealed(first));
  // Without a seed, the runs do not all inject the same fault (20 faults; 8 runs all alike would
  // happen once in 20^7).
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) seen.insert(revealed(inject("lab fault inject random")));
  CHECK(seen.size() > 1);
  CHECK(inject("lab fault inject random seed x").find("N is a number") != std::string::npos);
}
