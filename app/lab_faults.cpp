#include "app/lab_faults.hpp"

#include "cli/line_runner.hpp"

#include <cstdio>
#include <utility>

namespace vfw {
namespace {

using Lines = std::vector<std::string>;

LabFault fault(std::string name, std::string hint, std::string cause,
               std::vector<LabFault::Step> steps) {
  LabFault f;
  f.name = std::move(name);
  f.hint = std::move(hint);
  f.cause = std::move(cause);
  f.steps = std::move(steps);
  return f;
}

Lines in_view(const std::string& view, Lines lines) {
  lines.insert(lines.begin(), view);
  lines.insert(lines.begin(), "system-view");
  lines.emplace_back("return");
  return lines;
}

// The six negotiation failures of the seed, for one IKE version.
std::vector<LabFault> negotiation_faults(int version, int first) {
  const std::string v = "IKEv" + std::to_string(version);
  auto name = [&](int i) {
    const int n = first + i;
    return std::string(n < 10 ? "f0" : "f") + std::to_string(n);
  };
  const std::string key_reason = version == 1 ? "malformed payload" : "authentication fail";
  std::vector<LabFault> out;
  out.push_back(fault(name(0), v, v + ": the IKE proposals differ (phase1 proposal mismatch)",
                      {{"fw3", in_view("ike proposal 10", {" encryption-algorithm aes-128"})}}));
  out.push_back(fault(name(1), v, v + ": the pre-shared keys differ (" + key_reason + ")",
                      {{"fw3", in_view("ike peer fw1", {" pre-shared-key Wrong@2026"})}}));
  out.push_back(fault(name(2), v,
                      v + ": FW3's ike peer has no remote-address (peer address mismatch)",
                      {{"fw3", in_view("ike peer fw1", {" undo remote-address"})}}));
  out.push_back(
      fault(name(3), v, v + ": FW1's remote-id is not FW3's identity (config ID mismatch)",
            {{"fw1", in_view("ike peer fw3", {" remote-id-type ip", " remote-id 2.1.1.9"})}}));
  out.push_back(fault(name(4), v, v + ": the ACLs do not mirror each other (flow mismatch)",
                      {{"fw3", in_view("acl number 3000",
                                       {" rule 5 permit ip source 10.2.1.0 0.0.0.255 destination "
                                        "10.1.9.0 0.0.0.255"})}}));
  out.push_back(
      fault(name(5), v, v + ": the IPSec proposals differ (phase2 proposal or pfs mismatch)",
            {{"fw3", in_view("ipsec proposal p1", {" esp encryption-algorithm aes-128"})}}));
  if (version == 1) {
    for (auto& f : out) {
      f.steps.insert(f.steps.begin(), {"fw3", in_view("ike peer fw1", {" undo version 2"})});
      f.steps.insert(f.steps.begin(), {"fw1", in_view("ike peer fw3", {" undo version 2"})});
    }
  }
  return out;
}

std::vector<LabFault> make_faults() {
  std::vector<LabFault> f = negotiation_faults(2, 1);
  for (auto& x : negotiation_faults(1, 7)) f.push_back(std::move(x));
  f.push_back(fault("f13", "IKEv2",
                    "the no-nat rule sits below the easy-ip rule: the tunnel's traffic is "
                    "translated before the IPSec stage and leaves in plain text",
                    {{"fw1", in_view("nat-policy", {" rule move no_nat_vpn after internet"})}}));
  f.push_back(fault(
      "f14", "IKEv2",
      "a nat server for PC1: its reverse server-map entry translates PC1's traffic "
      "before the IPSec stage, which no longer protects it",
      {{"fw1", Lines{"system-view", "nat server web global 1.1.1.10 inside 10.1.1.2", "return"}}}));
  f.push_back(fault("f15", "IKEv2",
                    "FW1 has no route to the peer's private network (only to the peer): the "
                    "traffic never reaches the IPSec stage and never triggers IKE",
                    {{"fw1", Lines{"system-view", "undo ip route-static 0.0.0.0 0.0.0.0 1.1.1.2",
                                   "ip route-static 2.1.1.0 255.255.255.0 1.1.1.2", "return"}}}));
  f.push_back(
      fault("f16", "IKEv2",
            "FW1's trust -> untrust rule is disabled: the interzone policy drops the "
            "traffic",
            {{"fw1", in_view("security-policy", {" rule name trust_to_untrust", "  disable"})}}));
  LabFault udp500 = fault("f17", "IKEv2", "the carrier drops UDP 500: IKE never completes", {});
  udp500.link = "fw2:GigabitEthernet0/0/2";
  udp500.drop = {"udp 500"};
  udp500.link_change = "drops udp 500";
  f.push_back(udp500);
  // A carrier that translates (a CGN): FW3 is told where FW1 now appears from, as an engineer
  // would, so that NAT-T alone works (ESP in UDP 4500); then the carrier drops UDP 4500.
  LabFault udp4500 = fault(
      "f20", "IKEv2",
      "the carrier translates FW1's address (2.1.1.2) and drops UDP 4500: IKE_SA_INIT passes on "
      "500 and detects the NAT, IKE_AUTH moves to 4500 (RFC 7296 2.23) and never arrives",
      {{"fw2", in_view("nat-policy",
                       {" rule name carrier_nat", "  source-address 1.1.1.0 24",
                        "  egress-interface GigabitEthernet0/0/2", "  action source-nat easy-ip"})},
       {"fw3", in_view("ike peer fw1", {" remote-address 2.1.1.2"})},
       {"fw3", in_view("security-policy",
                       {" rule name ipsec", "  source-address 2.1.1.2 mask 255.255.255.255",
                        "  destination-address 2.1.1.2 mask 255.255.255.255"})}});
  udp4500.link = "fw2:GigabitEthernet0/0/2";
  udp4500.drop = {"udp 4500"};
  udp4500.link_change = "translates FW1's address and drops udp 4500";
  LabFault mtu = fault("f18", "IKEv2",
                       "the carrier's path MTU is 1400: encapsulated packets above it are lost, "
                       "silently (try lab ping pc1 10.2.1.2 size 1400 df)",
                       {});
  mtu.link = "fw2:GigabitEthernet0/0/2";
  mtu.mtu = 1400;
  mtu.link_change = "mtu 1400";
  f.push_back(mtu);
  f.push_back(fault("f19", "IKEv1",
                    "FW3 computes SHA-2 the old way (ipsec sha2 compatible enable) and FW1 does "
                    "not: every ESP packet is refused on arrival",
                    {{"fw1", in_view("ike peer fw3", {" undo version 2"})},
                     {"fw3", in_view("ike peer fw1", {" undo version 2"})},
                     {"fw3", Lines{"system-view", "ipsec sha2 compatible enable", "return"}}}));
  f.push_back(udp4500);
  return f;
}

}  // namespace

const std::vector<LabFault>& seed_faults() {
  static const std::vector<LabFault> faults = make_faults();
  return faults;
}

Status inject(lab::Lab& lab, const LabFault& fault) {
  for (const auto& step : fault.steps) {
    Device* d = lab.device(step.node);
    if (d == nullptr)
      return fail("this lab has no firewall " + step.node + " (the faults are the seed lab's)");
    LineRunner run(*d);
    for (const auto& line : step.lines) {
      const LineOutput out = run.run(line, 0);
      if (!out.ok) return fail(step.node + " refused \"" + line + "\": " + out.err);
    }
  }
  if (!fault.link.empty() && !lab.set_link_impairment(fault.link, fault.drop, fault.mtu))
    return fail("this lab has no link at " + fault.link);
  return {};
}

}  // namespace vfw
