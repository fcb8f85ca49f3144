// vfw diagnose: the seed's six negotiation failures, for IKEv1 and IKEv2, forecast from the two
// configurations and negotiated for real in memory, both giving the seed's reason; the fix the
// forecast gives, typed into the side it names, makes the tunnel come up. And the checklists on
// the seed's scenarios, each broken item with its evidence and fix.
#include <catch2/catch.hpp>

#include "cli/line_runner.hpp"
#include "diagnose/diagnosis.hpp"
#include "diagnose/negotiation_forecast.hpp"
#include "diagnose/negotiation_in_memory.hpp"
#include "lab.hpp"
#include "verify/fix_proof.hpp"

using namespace vfw;
using namespace vfw::test;
using namespace vfw::diagnose;

namespace {

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

// The seed's pair, IKEv2 (the default) or IKEv1 main mode (`undo version 2` on both peers).
struct Pair {
  std::string fw1 = load_example_text("fw1.cfg");
  std::string fw3 = load_example_text("fw3.cfg");
  explicit Pair(int version) {
    if (version == 1) {
      fw1 =
          replaced(fw1, " remote-address 2.1.1.1\n", " remote-address 2.1.1.1\n undo version 2\n");
      fw3 =
          replaced(fw3, " remote-address 1.1.1.1\n", " remote-address 1.1.1.1\n undo version 2\n");
    }
  }
};

struct Negotiated {
  NegotiationForecast forecast;
  NegotiationResult real;
};

Negotiated negotiate(const config::Config& c1, const config::Config& c3) {
  const TunnelSide a{"FW1", &c1, &c1.ipsec_policies.at(0), *parse_ipv4("1.1.1.1")};
  const TunnelSide b{"FW3", &c3, &c3.ipsec_policies.at(0), *parse_ipv4("2.1.1.1")};
  Negotiated o;
  o.forecast = forecast_negotiation(a, b);
  Device fw1(c1);
  Device fw3(c3);
  o.real = negotiate_in_memory(fw1, fw3, "map1", 10);
  return o;
}

bool recorded_by(const std::vector<ike::ErrorRecord>& errors, const std::string& reason,
                 uint8_t version) {
  for (const auto& e : errors) {
    if (ike::failure_words(e.reason) == reason && e.version == version) return true;
  }
  return false;
}

void type_fix(config::Config& c, const std::vector<std::string>& lines) {
  Device d(c);
  LineRunner run(d);
  for (const auto& line : lines) {
    const LineOutput out = run.run(line, 0);
    INFO(line << "\n" << out.err);
    REQUIRE(out.ok);
  }
  c = d.config();
}

struct Mismatch {
  const char* name;
  bool on_fw1;  // the change is made on FW1 (else on FW3)
  const char* from;
  const char* to;
  const char* reason_v1;
  const char* reason_v2;
};

// The seed's six, each made by one change to the seed's correct pair.
const Mismatch kMismatches[] = {
    {"IKE proposal", false, " encryption-algorithm aes-256\n dh group14\n",
     " encryption-algorithm aes-128\n dh group14\n", "phase1 proposal mismatch",
     "phase1 proposal mismatch"},
    {"pre-shared key", false, " pre-shared-key Seed@2026\n", " pre-shared-key Other@2026\n",
     "malformed payload", "authentication fail"},
    {"remote-address", false, " remote-address 1.1.1.1\n", "", "peer address mismatch",
     "peer address mismatch"},
    {"remote-id", true, " remote-address 2.1.1.1\n",
     " remote-address 2.1.1.1\n remote-id-type ip\n remote-id 2.1.1.9\n", "config ID mismatch",
     "config ID mismatch"},
    {"mirrored ACL", false, "destination 10.1.1.0 0.0.0.255", "destination 10.1.9.0 0.0.0.255",
     "flow mismatch", "flow mismatch"},
    {"IPSec proposal", false, " esp encryption-algorithm aes-256\n",
     " esp encryption-algorithm aes-128\n", "phase2 proposal or pfs mismatch",
     "phase2 proposal or pfs mismatch"},
};

}  // namespace

TEST_CASE("the seed's pair negotiates, forecast and in memory, with IKEv1 and IKEv2",
          "[diagnose][ike]") {
  for (const int version : {1, 2}) {
    INFO("IKEv" << version);
    Pair p(version);
    const Negotiated o = negotiate(load_text(p.fw1), load_text(p.fw3));
    CHECK(o.forecast.version == version);
    CHECK(!o.forecast.reason);
    CHECK(o.forecast.starts);
    CHECK(o.real.up);
    CHECK(o.real.initiator_errors.empty());
    CHECK(o.real.responder_errors.empty());
  }
}

TEST_CASE(
    "each of the seed's six failures: the forecast and the real negotiation give the same "
    "reason, and the fix brings the tunnel up",
    "[diagnose][ike]") {
  for (const int version : {1, 2}) {
    for (const Mismatch& m : kMismatches) {
      INFO("IKEv" << version << ": " << m.name);
      Pair p(version);
      std::string& changed = m.on_fw1 ? p.fw1 : p.fw3;
      changed = replaced(changed, m.from, m.to);
      config::Config c1 = load_text(p.fw1);
      config::Config c3 = load_text(p.fw3);
      const Negotiated o = negotiate(c1, c3);
      const std::string reason = version == 1 ? m.reason_v1 : m.reason_v2;
      REQUIRE(o.forecast.reason);
      CHECK(ike::failure_words(*o.forecast.reason) == reason);
      CHECK_FALSE(o.real.up);
      // The side the forecast names records the seed's reason in the real negotiation.
      const auto& errors =
          o.forecast.found_by == "FW1" ? o.real.initiator_errors : o.real.responder_errors;
      CHECK(recorded_by(errors, reason, static_cast<uint8_t>(version)));
      // The keys are compared, never printed.
      CHECK(o.forecast.detail.find("Seed@2026") == std::string::npos);
      CHECK(o.forecast.detail.find("Other@2026") == std::string::npos);

      // The fix, typed as printed on the side it names (a key in the device's cipher form, which
      // reveals nothing of it).
      REQUIRE_FALSE(o.forecast.fix.empty());
      for (const auto& line : o.forecast.fix) CHECK(line.find("Seed@2026") == std::string::npos);
      type_fix(o.forecast.fix_on == "FW1" ? c1 : c3, o.forecast.fix);
      const Negotiated fixed = negotiate(c1, c3);
      CHECK(!fixed.forecast.reason);
      CHECK(fixed.real.up);
    }
  }
}

TEST_CASE(
    "a PFS mismatch fails IKEv1's quick mode, IKEv2's first CHILD SA comes up and its "
    "first rekey fails",
    "[diagnose][ike]") {
  for (const int version : {1, 2}) {
    INFO("IKEv" << version);
    Pair p(version);
    p.fw1 = replaced(p.fw1, " ike-peer fw3\n proposal p1\n",
                     " ike-peer fw3\n proposal p1\n pfs dh-group14\n");
    const Negotiated o = negotiate(load_text(p.fw1), load_text(p.fw3));
    if (version == 1) {
      CHECK(o.forecast.reason == ike::Failure::Phase2ProposalOrPfsMismatch);
      CHECK(o.forecast.detail == "PFS differs (FW1: dh-group14, FW3: none)");
      CHECK_FALSE(o.real.up);
      CHECK(recorded_by(o.real.responder_errors, "phase2 proposal or pfs mismatch", 1));
    } else {
      CHECK(o.forecast.reason == ike::Failure::Phase2ProposalOrPfsMismatch);
      CHECK(o.forecast.detail.find("its first rekey") != std::string::npos);
      CHECK(o.forecast.fix.at(1) == "ipsec policy map1 10 isakmp");
      CHECK(o.real.up);  // the first CHILD SA: IKE_AUTH carries no key exchange
      // Run on to the first rekey, the responder refuses the CREATE_CHILD_SA.
      Device a(load_text(p.fw1));
      Device b(load_text(p.fw3));
      const diagnose::NegotiationResult renewal =
          diagnose::negotiate_in_memory(a, b, "map1", 10, true);
      CHECK(renewal.up);
      CHECK_FALSE(renewal.rekeyed);
      CHECK(recorded_by(renewal.responder_errors, "phase2 proposal or pfs mismatch", 2));
    }
  }
}

TEST_CASE("diagnose on the misordered FW1: requirement 5 fails with the no-nat fix, exit status",
          "[diagnose]") {
  const config::Config c1 = load_example("fw1-misordered-nat.cfg");
  const auto d = diagnose::diagnose(c1, nullptr, {"10.1.1.2", "10.2.1.2", "icmp", -1, {}});
  REQUIRE(d);
  CHECK(d->failed());
  auto item = [&](const std::string& name) -> const Finding& {
    for (const auto& f : d->findings) {
      if (f.item.text() == name) return f;
    }
    FAIL(name);
    return d->findings.front();
  };
  CHECK(item("requirement 4").verdict == ItemStatus::Passed);
  const Finding& five = item("requirement 5");
  CHECK(five.verdict == ItemStatus::Failed);
  CHECK(five.fix.at(2) == " rule name no_nat_ipsec");
  CHECK(item("requirement 6").verdict == ItemStatus::Failed);
  CHECK(item("requirement 6").check ==
        "see requirement 5: source NAT leaves it inside the "
        "security ACL");
  CHECK(item("checklist 3").verdict == ItemStatus::Failed);
  CHECK(item("checklist 4").verdict == ItemStatus::NotDecidable);
  CHECK(item("checklist 5").verdict == ItemStatus::NotDecidable);
  CHECK(item("checklist 6").verdict == ItemStatus::NotDecidable);
  // The JSON carries the same.
  const std::string json = format_diagnosis_json(*d);
  CHECK(json.rfind("{\"version\":2,\"traffic\":\"icmp 10.1.1.2 -> 10.2.1.2\",\"failed\":true,",
                   0) == 0);
  CHECK(json.find("{\"item\":\"requirement 5\",\"title\":\"source NAT leaves it inside the "
                  "security ACL\",\"device\":\"FW1\",\"verdict\":\"failed\"") != std::string::npos);

  // The correct FW1 with its peer: nothing fails, and the tunnel carries the traffic both ways.
  const config::Config good = load_example("fw1.cfg");
  const config::Config fw3 = load_example("fw3.cfg");
  const auto ok = diagnose::diagnose(good, &fw3, {"10.1.1.2", "10.2.1.2", "icmp", -1, {}});
  REQUIRE(ok);
  for (const auto& f : ok->findings) {
    INFO(f.item.text() << ": " << f.title);
    if (f.item.is(diagnose::ItemList::Quality, 1)) continue;
    CHECK((f.verdict == ItemStatus::Passed || f.verdict == ItemStatus::NotDecidable));
  }
  CHECK_FALSE(ok->failed());
}

TEST_CASE(
    "quality 1: full-size packets through the tunnel, the overhead by part, tcp adjust-mss for "
    "TCP proven, and passed once the interface clamps",
    "[diagnose][proof]") {
  const config::Config fw1 = load_example("fw1.cfg");
  const config::Config fw3 = load_example("fw3.cfg");
  auto quality = [](const diagnose::Diagnosis& d) {
    for (const auto& f : d.findings) {
      if (f.item.is(diagnose::ItemList::Quality, 1)) return f;
    }
    FAIL("no quality item");
    return diagnose::Finding{};
  };
  // ICMP: a warning with what it costs and what to check; nothing fails.
  const auto icmp = verify::diagnose_proven(fw1, &fw3, {"10.1.1.2", "10.2.1.2", "icmp", -1, {}});
  REQUIRE(icmp);
  CHECK_FALSE(icmp->failed());
  const diagnose::Finding qi = quality(*icmp);
  INFO(diagnose::format_diagnosis_text(*icmp));
  CHECK(qi.verdict == ItemStatus::Warning);
  CHECK(qi.title ==
        "packets of GigabitEthernet0/0/1's MTU (1500 bytes) cross the tunnel without "
        "fragmentation");
  const std::string evidence = [&] {
    std::string all;
    for (const auto& e : qi.evidence) all += e + "\n";
    return all;
  }();
  CHECK(evidence.find("this SA adds 20 (outer IP header, tunnel mode) + 8 (ESP header: SPI and "
                      "sequence number) + 16 (IV) + ") != std::string::npos);
  CHECK(qi.fix.empty());
  CHECK(qi.check.find("path MTU discovery") != std::string::npos);
  CHECK(format_diagnosis_text(*icmp).find(" passed, 1 warning, ") != std::string::npos);
  // TCP: the proven fix is tcp adjust-mss on the input interface; typed, the item passes.
  const auto tcp = verify::diagnose_proven(fw1, &fw3, {"10.1.1.2", "10.2.1.2", "tcp", 80, {}});
  REQUIRE(tcp);
  const diagnose::Finding qt = quality(*tcp);
  INFO(diagnose::format_diagnosis_text(*tcp));
  REQUIRE(qt.verdict == ItemStatus::Warning);
  CHECK(qt.proof.verified);
  REQUIRE(qt.fix.size() >= 4);
  CHECK(qt.fix[1] == "interface GigabitEthernet0/0/1");
  CHECK(qt.fix[2].rfind(" tcp adjust-mss ", 0) == 0);
  const auto clamped = verify::apply_fix(fw1, qt.fix);
  REQUIRE(clamped);
  const auto again =
      verify::diagnose_proven(*clamped, &fw3, {"10.1.1.2", "10.2.1.2", "tcp", 80, {}});
  REQUIRE(again);
  CHECK(quality(*again).verdict == ItemStatus::Passed);
}

TEST_CASE("diagnose names each broken requirement and checklist item with its fix", "[diagnose]") {
  const std::string fw1 = load_example_text("fw1.cfg");
  const std::string fw3 = load_example_text("fw3.cfg");
  struct Case {
    const char* name;
    bool on_fw1;
    const char* from;
    const char* to;
    const char* item;
    const char* evidence;
  };
  const Case cases[] = {
      {"requirement 1: a nat server's reverse entry", true, "nat-policy\n",
       "nat server web global 1.1.1.10 inside 10.1.1.2\n#\nnat-policy\n", "requirement 1",
       "source 10.1.1.2 -> 1.1.1.10"},
      {"requirement 2: destination NAT", true, "nat-policy\n",
       "nat-policy\n rule name to_new\n  source-zone trust\n  destination-address 10.2.1.2 mask "
       "255.255.255.255\n  action destination-nat static address-to-address address 10.3.1.2\n",
       "requirement 2", "destination 10.2.1.2 -> 10.3.1.2"},
      {"requirement 3: no route", true, "ip route-static 0.0.0.0 0.0.0.0 1.1.1.2\n", "",
       "requirement 3", "no route to 10.2.1.2"},
      {"requirement 4: the interzone policy", true, " rule name trust_to_untrust\n",
       " rule name trust_to_untrust\n  disable\n", "requirement 4",
       "the default action (deny) drops trust -> untrust traffic"},
      {"requirement 4: IKE and ESP between the gateways", true, " rule name ipsec\n",
       " rule name ipsec\n  disable\n", "requirement 4 (local zone)",
       "IKE (UDP 500) from 1.1.1.1 to 2.1.1.1"},
      {"requirement 6: an ACL that does not cover the traffic", true,
       "destination 10.2.1.0 0.0.0.255", "destination 10.2.9.0 0.0.0.255", "requirement 6",
       "no security ACL rule of policy map1 permits"},
      {"checklist 1: ping to the gateway refused", true,
       " ip address 10.1.1.1 255.255.255.0\n service-manage ping permit\n",
       " ip address 10.1.1.1 255.255.255.0\n", "checklist 1", "does not permit ping"},
      {"checklist 6: the peer's untrust -> trust rule", false, " rule name vpn_in\n",
       " rule name vpn_in\n  disable\n", "checklist 6",
       "the default action (deny) drops untrust -> trust traffic"},
      {"checklist 7: SHA-2 computed differently (IKEv1)", false, " sysname FW3\n",
       " sysname FW3\n#\nipsec sha2 compatible enable\n", "checklist 7",
       "truncate HMAC-SHA-256 differently"},
      {"checklist 8: the peer routing PC2 away", false, "ip route-static 0.0.0.0 0.0.0.0 2.1.1.2\n",
       "ip route-static 0.0.0.0 0.0.0.0 2.1.1.2\nip route-static 10.2.1.2 255.255.255.255 NULL0\n",
       "checklist 8", "the route points to NULL0"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    std::string t1 = c.on_fw1 ? replaced(fw1, c.from, c.to) : fw1;
    std::string t3 = c.on_fw1 ? fw3 : replaced(fw3, c.from, c.to);
    if (std::string(c.item) == "checklist 7") {
      t1 = replaced(t1, " remote-address 2.1.1.1\n", " remote-address 2.1.1.1\n undo version 2\n");
      t3 = replaced(t3, " remote-address 1.1.1.1\n", " remote-address 1.1.1.1\n undo version 2\n");
    }
    config::Config c1 = load_text(t1);
    config::Config c3 = load_text(t3);
    const auto d = diagnose::diagnose(c1, &c3, {"10.1.1.2", "10.2.1.2", "icmp", -1, {}});
    REQUIRE(d);
    // Checklist 1 passes (packets do reach the gateway); only the seed's way of testing it, a
    // ping to the gateway, is refused, and the item says so with the line that permits it.
    const bool fails = std::string(c.item) != "checklist 1";
    const Finding* found = nullptr;
    for (const auto& f : d->findings) {
      if (f.item.text() == c.item && (f.verdict == ItemStatus::Failed) == fails && found == nullptr)
        found = &f;
    }
    INFO(format_diagnosis_text(*d));
    REQUIRE(found != nullptr);
    std::string evidence;
    for (const auto& e : found->evidence) evidence += e + "\n";
    CHECK(evidence.find(c.evidence) != std::string::npos);
    CHECK(d->failed() == fails);
    if (std::string(c.item) == "checklist 7") {
      // The ESP itself, refused on arrival, says why in its trace.
      CHECK(format_diagnosis_text(*d).find("the peer computes HMAC-SHA-256 with the other "
                                           "length") != std::string::npos);
    }
    // The fix, where the item gives one, typed on its device, clears the item.
    if (found->fix.empty()) continue;
    config::Config& target = found->device == "FW3" ? c3 : c1;
    type_fix(target, found->fix);
    const auto again = diagnose::diagnose(c1, &c3, {"10.1.1.2", "10.2.1.2", "icmp", -1, {}});
    REQUIRE(again);
    for (const auto& f : again->findings) {
      if (f.item.text() == c.item) CHECK(f.verdict != ItemStatus::Failed);
    }
  }
}

TEST_CASE("diagnose refuses arguments that name no flow", "[diagnose]") {
  const config::Config c1 = load_example("fw1.cfg");
  const auto bad_address = diagnose::diagnose(c1, nullptr, {"10.1.1", "10.2.1.2", "icmp", -1, {}});
  REQUIRE_FALSE(bad_address);
  CHECK(bad_address.error().message == "--from: \"10.1.1\" is not an IPv4 address");
  const auto no_port = diagnose::diagnose(c1, nullptr, {"10.1.1.2", "10.2.1.2", "tcp", -1, {}});
  REQUIRE_FALSE(no_port);
  CHECK(no_port.error().message == "--port (1 to 65535) is needed for tcp and udp");
  // TCP to a port works like ICMP.
  const auto d = diagnose::diagnose(c1, nullptr, {"10.1.1.2", "10.2.1.2", "tcp", 443, {}});
  REQUIRE(d);
  CHECK(d->traffic == "tcp 10.1.1.2:49152 -> 10.2.1.2:443");
  CHECK_FALSE(d->failed());
}
