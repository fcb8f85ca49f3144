// Every fix vfw diagnose prints is proven: the seed's network is broken as an engineer would
// break it (typed into FW1's or FW3's configuration), diagnose runs with both configurations,
// every fix it prints is typed exactly as printed into the device it names, and the seed's own
// lab (examples/seed-lab, PC1 to PC2 through FW1, the carrier and FW3) pings again with diagnose
// finding nothing failed. A fix that is not proven is not printed, and says why.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "config/render.hpp"
#include "lab.hpp"
#include "lab/lab.hpp"
#include "verify/fix_proof.hpp"

using namespace vfw;

namespace {

struct Pair {
  config::Config fw1 = test::load_example("fw1.cfg");
  config::Config fw3 = test::load_example("fw3.cfg");
  config::Config& on(const std::string& device) { return device == "FW3" ? fw3 : fw1; }
};

diagnose::DiagnoseOptions flow() {
  diagnose::DiagnoseOptions o;
  o.from = "10.1.1.2";
  o.to = "10.2.1.2";
  return o;
}

void type(Pair& p, const std::string& device, std::vector<std::string> lines) {
  lines.insert(lines.begin(), "system-view");
  lines.emplace_back("return");
  auto fixed = verify::apply_fix(p.on(device), lines);
  REQUIRE(fixed);
  p.on(device) = *fixed;
}

// The seed's lab (examples/seed-lab/seed.clab.yml) with FW1's and FW3's configurations as given:
// PC1's ping to PC2, five echo requests a second apart.
int lab_ping(const Pair& p) {
  const std::string folder = std::string(VFW_SOURCE_DIR) + "/examples/seed-lab";
  const lab::TopologyResult t = lab::load_topology(folder + "/seed.clab.yml");
  REQUIRE(t.ok());
  std::ifstream carrier(folder + "/fw2-carrier.cfg");
  std::map<std::string, std::string> files{
      {"../fw1.cfg", config::render_current_configuration(p.fw1)},
      {"fw2-carrier.cfg", std::string(std::istreambuf_iterator<char>(carrier), {})},
      {"../fw3.cfg", config::render_current_configuration(p.fw3)}};
  std::vector<std::string> errors;
  auto lab = lab::Lab::create(t.topology, errors, &files);
  for (const auto& e : errors) FAIL(e);
  REQUIRE(lab != nullptr);
  return lab->ping("pc1", *parse_ipv4("10.2.1.2"), 5).received;
}

// Diagnose, type every fix as printed (all of them, as a person going down the list), again,
// until nothing fails (or nothing is left to type).
// Returns the last diagnosis.
diagnose::Diagnosis diagnose_and_fix(Pair& p, std::string& log) {
  for (int round = 0; round < 6; ++round) {
    auto d = verify::diagnose_proven(p.fw1, &p.fw3, flow());
    REQUIRE(d);
    log += diagnose::format_diagnosis_text(*d);
    bool typed = false;
    for (const auto& f : d->findings) {
      for (const auto& r : f.proof.rejected) log += "rejected: " + r + "\n";
      if (f.fix.empty()) continue;
      // What is printed is proven; it is typed as printed.
      CHECK(f.proof.verified);
      auto fixed = verify::apply_fix(p.on(f.device), f.fix);
      REQUIRE(fixed);
      p.on(f.device) = *fixed;
      typed = true;
    }
    if (!d->failed() || !typed) return *d;
  }
  auto d = verify::diagnose_proven(p.fw1, &p.fw3, flow());
  REQUIRE(d);
  return *d;
}

struct Break {
  const char* name;
  const char* device;
  std::vector<std::string> lines;
};

// The seed's six IKE failures and what else a configuration can break on the way, each as typed.
std::vector<Break> seed_breaks() {
  return {
      {"phase1 proposal mismatch", "FW3", {"ike proposal 10", " encryption-algorithm aes-128"}},
      {"pre-shared key mismatch", "FW3", {"ike peer fw1", " pre-shared-key Other@2026"}},
      {"remote-id mismatch (type and value)",
       "FW1",
       {"ike peer fw3", " remote-id-type fqdn", " remote-id fw9"}},
      {"flow mismatch",
       "FW3",
       {"acl number 3000", " undo rule 5",
        " rule 5 permit ip source 10.2.1.0 0.0.0.255 destination 10.1.9.0 0.0.0.255"}},
      {"ipsec proposal mismatch",
       "FW3",
       {"ipsec proposal p1", " esp encryption-algorithm aes-128"}},
      {"pfs on one side only", "FW3", {"ipsec policy map1 10 isakmp", " pfs dh-group14"}},
      {"peer address mismatch", "FW3", {"ike peer fw1", " remote-address 1.1.1.9"}},
      {"trust_to_untrust disabled",
       "FW1",
       {"security-policy", " rule name trust_to_untrust", "  disable"}},
      // The seed's requirement 1: a nat server whose global address is the remote host takes
      // the tunnel's traffic into its server map.
      {"nat server on the remote host's address",
       "FW1",
       {"nat server s16 global 10.2.1.2 inside 10.1.1.20"}},
  };
}

}  // namespace

TEST_CASE(
    "the seed's breaks, IKEv2 and IKEv1: every fix diagnose prints is typed as printed, and "
    "the seed's lab pings again",
    "[diagnose][proof]") {
  REQUIRE(lab_ping(Pair{}) >= 4);  // the seed's lab as shipped
  for (const bool v1 : {false, true}) {
    for (const Break& b : seed_breaks()) {
      DYNAMIC_SECTION((v1 ? "IKEv1: " : "IKEv2: ") << b.name) {
        Pair p;
        if (v1) {
          type(p, "FW1", {"ike peer fw3", " undo version 2"});
          type(p, "FW3", {"ike peer fw1", " undo version 2"});
        }
        type(p, b.device, b.lines);
        std::string log;
        const auto before = verify::diagnose_proven(p.fw1, &p.fw3, flow());
        REQUIRE(before);
        CHECK(before->failed());
        const diagnose::Diagnosis after = diagnose_and_fix(p, log);
        INFO(log);
        CHECK_FALSE(after.failed());
        CHECK(lab_ping(p) >= 3);
      }
    }
  }
}

TEST_CASE("breaks no fix was designed for: two at once, both sides, the other side broken",
          "[diagnose][proof]") {
  struct Combo {
    const char* name;
    std::vector<Break> breaks;
  };
  const std::vector<Combo> combos = {
      {"proposal and key on FW3",
       {{"", "FW3", {"ike proposal 10", " encryption-algorithm aes-128"}},
        {"", "FW3", {"ike peer fw1", " pre-shared-key Other@2026"}}}},
      {"FW1's flows and FW3's ipsec proposal",
       {{"",
         "FW1",
         {"acl number 3000", " undo rule 5",
          " rule 5 permit ip source 10.1.1.0 0.0.0.255 destination 10.2.9.0 0.0.0.255"}},
        {"", "FW3", {"ipsec proposal p1", " esp authentication-algorithm sha2-512"}}}},
      {"FW1's key and FW3's remote-id",
       {{"", "FW1", {"ike peer fw3", " pre-shared-key Third@2026"}},
        {"", "FW3", {"ike peer fw1", " remote-id-type fqdn", " remote-id branch"}}}},
      {"FW3's vpn_in rule disabled",
       {{"", "FW3", {"security-policy", " rule name vpn_in", "  disable"}}}},
      {"FW1's ike proposal and trust_to_untrust disabled",
       {{"", "FW1", {"ike proposal 10", " dh group19"}},
        {"", "FW1", {"security-policy", " rule name trust_to_untrust", "  disable"}}}},
      {"FW1 speaks IKEv1 only", {{"", "FW1", {"ike peer fw3", " undo version 2"}}}},
      {"FW3's no-nat rule removed and PFS on FW1",
       {{"", "FW3", {"nat-policy", " undo rule name no_nat_vpn"}},
        {"", "FW1", {"ipsec policy map1 10 isakmp", " pfs dh-group14"}}}},
      {"FW1's ipsec policy taken off its interface",
       {{"", "FW1", {"interface GigabitEthernet0/0/2", " undo ipsec policy"}}}},
      {"FW3's IKE rule disabled and FW1's prf",
       {{"", "FW3", {"security-policy", " rule name ipsec", "  disable"}},
        {"", "FW1", {"ike proposal 10", " prf hmac-sha2-512"}}}},
      {"FW3's flows and its ESP cipher",
       {{"",
         "FW3",
         {"acl number 3000", " undo rule 5",
          " rule 5 permit ip source 10.2.1.0 0.0.0.255 destination 10.1.9.0 0.0.0.255"}},
        {"", "FW3", {"ipsec proposal p1", " esp encryption-algorithm aes-128"}}}},
      {"both remote addresses wrong",
       {{"", "FW1", {"ike peer fw3", " remote-address 2.1.1.9"}},
        {"", "FW3", {"ike peer fw1", " remote-address 1.1.1.9"}}}},
      {"FW1's tunnel ACL emptied and FW3's key",
       {{"", "FW1", {"acl number 3000", " undo rule 5"}},
        {"", "FW3", {"ike peer fw1", " pre-shared-key Other@2026"}}}},
  };
  for (const Combo& c : combos) {
    DYNAMIC_SECTION(c.name) {
      Pair p;
      for (const Break& b : c.breaks) type(p, b.device, b.lines);
      std::string log;
      const diagnose::Diagnosis after = diagnose_and_fix(p, log);
      INFO(log);
      CHECK_FALSE(after.failed());
      CHECK(lab_ping(p) >= 3);
    }
  }
}

TEST_CASE("a fix that cannot be proven is not printed: the finding says what was tried and why",
          "[diagnose][proof]") {
  Pair p;
  // FW1 without its default route: an interface route on Ethernet finds no next hop for the
  // peer's address in the lab, whatever the checklists say of the tunnel's own traffic.
  type(p, "FW1", {"undo ip route-static 0.0.0.0 0.0.0.0 1.1.1.2"});
  const auto d = verify::diagnose_proven(p.fw1, &p.fw3, flow());
  REQUIRE(d);
  CHECK(d->failed());
  const std::string text = diagnose::format_diagnosis_text(*d);
  INFO(text);
  for (const auto& f : d->findings) {
    // Nothing printed unproven.
    if (!f.fix.empty()) CHECK(f.proof.verified);
    for (const auto& r : f.proof.rejected) CHECK(r.find(": ") != std::string::npos);
  }
  CHECK(lab_ping(p) == 0);
}

TEST_CASE(
    "a fix vfw's own CLI refuses is refused by apply_fix, with the line and the caret's words",
    "[diagnose][proof]") {
  const config::Config fw1 = test::load_example("fw1.cfg");
  const auto refused =
      verify::apply_fix(fw1, {"system-view", "ipsec policy map1 10", " undo pfs", "return"});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("`ipsec policy map1 10`") == 0);
  const auto typed = verify::apply_fix(
      fw1,
      {"system-view", "ike peer fw3", " pre-shared-key <the key of FW3's ike peer>", "return"});
  REQUIRE_FALSE(typed);
}
