#include "verify/fix_proof.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "config/render.hpp"
#include "device/device.hpp"
#include "diagnose/trace_evidence.hpp"
#include "explain/fix_lines.hpp"
#include "lab/lab.hpp"

namespace vfw::verify {
namespace {

using diagnose::Diagnosis;
using diagnose::Finding;
using diagnose::ItemStatus;

// An item as two diagnoses name it: its id and its question (the device it names may change
// with its verdict: a failed negotiation names the side to fix).
bool same_item(const Finding& a, const Finding& b) {
  return a.item.text() == b.item.text() && a.title == b.title;
}

const Finding* find_item(const Diagnosis& d, const Finding& f) {
  for (const auto& g : d.findings) {
    if (same_item(g, f)) return &g;
  }
  return nullptr;
}

// The interface of a device that carries its tunnel: one with an ipsec policy and an address.
std::optional<std::string> tunnel_interface(const config::Config& c) {
  for (const auto& [name, i] : c.interfaces) {
    if (!i.ipsec_policy.empty() && i.address) return name;
  }
  return std::nullopt;
}

// Where a gateway's traffic to far leaves through its tunnel interface: the next hop its route
// names when it is on that interface's network, else an address of that network that is not the
// gateway's own (the carrier answers there; a gateway without a route will not find it).
Ipv4 carrier_side(const Device& d, const config::Interface::Address& own, Ipv4 far) {
  const Prefix net = own.network();
  if (const Route* r = d.snapshot().fib.lookup(far);
      r != nullptr && r->next_hop != Ipv4{} && net.contains(r->next_hop))
    return r->next_hop;
  Ipv4 pick{net.addr.v + 1};
  if (pick == own.host) pick.v += 1;
  return pick;
}

std::string carrier_config(const config::Interface::Address& a,
                           const config::Interface::Address& b) {
  auto iface = [](const char* name, const config::Interface::Address& at) {
    return std::string("interface ") + name + "\n ip address " + to_string(at.host) + " " +
           to_string(Prefix::make(at.host, at.length).mask()) + "\n#\n";
  };
  return "sysname carrier\n#\n" + iface("GigabitEthernet0/0/1", a) +
         iface("GigabitEthernet0/0/2", b) +
         "firewall zone untrust\n add interface GigabitEthernet0/0/1\n add interface "
         "GigabitEthernet0/0/2\n#\nsecurity-policy\n default action permit\n#\nreturn\n";
}

}  // namespace

LabOutcome carry_through_lab(const config::Config& local, const config::Config& peer,
                             const diagnose::DiagnoseOptions& o) {
  LabOutcome r;
  const auto spec = diagnose::flow_spec(o);
  if (!spec) {
    r.what = spec.error().message;
    return r;
  }
  const Device a(local);
  const Device b(peer);
  const std::string lan_a = diagnose::interface_towards(a, spec->src);
  const std::string lan_b = diagnose::interface_towards(b, spec->dst);
  const auto wan_a = tunnel_interface(local);
  const auto wan_b = tunnel_interface(peer);
  if (lan_a.empty() || lan_b.empty() || !wan_a || !wan_b || lan_a == *wan_a || lan_b == *wan_b ||
      !local.interfaces.at(lan_a).address || !peer.interfaces.at(lan_b).address) {
    r.what =
        "the two configurations do not describe a host behind each gateway and a tunnel "
        "interface on each";
    return r;
  }
  const auto& la = *local.interfaces.at(lan_a).address;
  const auto& lb = *peer.interfaces.at(lan_b).address;
  const auto& wa = *local.interfaces.at(*wan_a).address;
  const auto& wb = *peer.interfaces.at(*wan_b).address;
  lab::Topology t;
  t.name = "diagnose";
  auto host = [&](const char* name, Ipv4 address, const config::Interface::Address& gateway) {
    lab::NodeSpec n;
    n.name = name;
    n.kind = lab::NodeKind::Host;
    n.address = address;
    n.prefix_length = gateway.length;
    n.gateway = gateway.host;
    t.nodes.push_back(n);
  };
  auto firewall = [&](const char* name) {
    lab::NodeSpec n;
    n.name = name;
    n.startup_config = std::string(name) + ".cfg";
    t.nodes.push_back(n);
  };
  auto link = [&](const char* an, std::string ai, const char* bn, std::string bi) {
    lab::LinkSpec l;
    l.a = {an, std::move(ai)};
    l.b = {bn, std::move(bi)};
    t.links.push_back(l);
  };
  std::map<std::string, std::string> files{{"fw1.cfg", config::render_current_configuration(local)},
                                           {"fw3.cfg", config::render_current_configuration(peer)}};
  host("pc1", spec->src, la);
  firewall("fw1");
  firewall("fw3");
  host("pc2", spec->dst, lb);
  link("pc1", "eth1", "fw1", lan_a);
  link("fw3", lan_b, "pc2", "eth1");
  if (wa.network().contains(wb.host)) {
    link("fw1", *wan_a, "fw3", *wan_b);  // on one network: no carrier between them
  } else {
    const config::Interface::Address ca{carrier_side(a, wa, wb.host), wa.length};
    const config::Interface::Address cb{carrier_side(b, wb, wa.host), wb.length};
    files["carrier.cfg"] = carrier_config(ca, cb);
    firewall("carrier");
    link("fw1", *wan_a, "carrier", "GigabitEthernet0/0/1");
    link("carrier", "GigabitEthernet0/0/2", "fw3", *wan_b);
  }
  std::vector<std::string> errors;
  auto lab = lab::Lab::create(t, errors, &files);
  if (lab == nullptr) {
    r.what = errors.empty() ? "the lab could not be built" : errors.front();
    return r;
  }
  r.built = true;
  // The flow and its reply; then, as diagnose's requirements (from B) ask, the same flow started
  // from the other side (a new one: another ICMP identifier).
  const bool echo = spec->protocol == ipproto::kIcmp;
  auto carry = [&](const char* from, const PacketSpec& p, const char* label) {
    const lab::Lab::TraceResult trace = lab->trace(from, p);
    const lab::Lab::Leg* out = nullptr;
    const lab::Lab::Leg* back = nullptr;
    for (const auto& leg : trace.legs) {
      if (leg.kind == lab::Lab::LegKind::Reply)
        back = &leg;
      else
        out = &leg;
    }
    r.what += std::string(r.what.empty() ? "" : "; ") + label + "lab trace " + from + " (" +
              to_string(p.src) + ") to " + to_string(p.dst) + ": " +
              (out == nullptr ? std::string("nothing left ") + from : out->disposition);
    if (echo && back != nullptr) r.what += "; its reply: " + back->disposition;
    if (echo && back == nullptr && out != nullptr && out->delivered) r.what += "; no reply came";
    return out != nullptr && out->delivered && (!echo || (back != nullptr && back->delivered));
  };
  r.delivered = carry("pc1", *spec, "");
  if (r.delivered) {
    PacketSpec other = *spec;
    std::swap(other.src, other.dst);
    if (echo) other.src_port = static_cast<uint16_t>(spec->src_port + 1);
    r.delivered = carry("pc2", other, "started from the other side, ");
  }
  return r;
}

namespace {

// The lines to type on one device, as a proven fix prints them.
struct DeviceLines {
  std::string device;
  std::vector<std::string> lines;
};

// What trying a fix came to: the lines on each device (more than the candidate when the item
// needed another fix too) and how they were proven, or why not.
struct Attempt {
  std::string why_not;  // "" when proven
  std::vector<DeviceLines> fixes;
  std::vector<std::string> ran;
};

// Tries fix lines for a failed finding: typed into a copy, the diagnosis again, the lab. When
// the item still fails but with another fix (a second fault behind the first: the key once the
// proposals agree), that fix is typed too, on whichever device it names, a few steps at most:
// several failures fixed together when one alone cannot pass.
Attempt try_fix(const Finding& f, const std::vector<std::string>& lines, const Diagnosis& before,
                const config::Config& local, const config::Config* peer,
                const diagnose::DiagnoseOptions& o) {
  Attempt at;
  config::Config l2 = local;
  std::optional<config::Config> p2;
  if (peer != nullptr) p2 = *peer;
  DeviceLines step{f.device, lines};
  const Finding* same = nullptr;
  Expected<Diagnosis> again = fail("not run");
  constexpr int kMostSteps = 4;
  for (int n = 0;; ++n) {
    const bool on_peer = p2 && step.device == p2->sysname && step.device != l2.sysname;
    const auto fixed = apply_fix(on_peer ? *p2 : l2, step.lines);
    if (!fixed) {
      at.why_not = "vfw's CLI refuses " + fixed.error().message;
      return at;
    }
    (on_peer ? *p2 : l2) = *fixed;
    at.fixes.push_back(step);
    again = diagnose::diagnose(l2, p2 ? &*p2 : nullptr, o);
    if (!again) {
      at.why_not = "diagnose cannot run on the fixed configuration: " + again.error().message;
      return at;
    }
    same = find_item(*again, f);
    if (same == nullptr ||
        (same->verdict != ItemStatus::Failed && same->verdict != ItemStatus::Warning))
      break;
    const bool progress = !same->fix.empty() && same->fix != step.lines;
    if (!progress || n + 1 == kMostSteps) {
      at.why_not = "after it, " + f.item.text() + " still fails" +
                   (same->evidence.empty() ? "" : ": " + same->evidence.back());
      return at;
    }
    step = {same->device.empty() ? f.device : same->device, same->fix};
  }
  for (const auto& g : again->findings) {
    const Finding* was = find_item(before, g);
    if (g.verdict == ItemStatus::Failed && was != nullptr && was->verdict == ItemStatus::Passed) {
      at.why_not = "after it, " + g.item.text() + " fails" +
                   (g.evidence.empty() ? "" : ": " + g.evidence.back());
      return at;
    }
  }
  std::string where;
  int devices = 0;
  for (const auto& fx : at.fixes) {
    if (where.find(fx.device + "'s") != std::string::npos) continue;
    where += (where.empty() ? "" : " and ") + fx.device + "'s";
    ++devices;
  }
  at.ran.push_back("typed into a copy of " + where + " configuration" + (devices > 1 ? "s" : "") +
                   ", diagnose ran again: " + f.item.text() + " " +
                   (same == nullptr ? std::string("is no longer found")
                                    : std::string(verdict_name(same->verdict))) +
                   ", no passed item fails");
  if (p2 && !again->failed()) {
    const LabOutcome lab = carry_through_lab(l2, *p2, o);
    if (lab.built && !lab.delivered) {
      at.why_not =
          "after it, nothing fails in diagnose but the lab of the fixed configurations does not "
          "carry the flow: " +
          lab.what;
      return at;
    }
    if (lab.built)
      at.ran.push_back("the lab of the fixed configurations carries the flow: " + lab.what);
  }
  return at;
}

// What the device needs to act on a fix at once, typed after it in user view: a NAT change
// leaves the sessions made before it translated as they were, an IKE or IPSec change leaves the
// SAs negotiated before it in force until they are renegotiated.
std::vector<std::string> with_resets(std::vector<std::string> lines) {
  bool nat = false;
  bool ike = false;
  for (const auto& typed : lines) {
    const std::string line = typed.rfind("undo ", 0) == 0 ? typed.substr(5) : typed;
    if (line.rfind("nat", 0) == 0) nat = true;
    if (line.rfind("ike ", 0) == 0 || line.rfind("ipsec ", 0) == 0) ike = true;
  }
  if (nat) lines.emplace_back("reset firewall session table");
  if (ike) lines.emplace_back("reset ike sa");
  return lines;
}

}  // namespace

Expected<Diagnosis> diagnose_proven(const config::Config& local, const config::Config* peer,
                                    const diagnose::DiagnoseOptions& o) {
  auto first = diagnose::diagnose(local, peer, o);
  if (!first) return first;
  Diagnosis d = std::move(*first);
  const Diagnosis before = d;
  std::vector<Finding> together;
  for (auto& f : d.findings) {
    if ((f.verdict != ItemStatus::Failed && f.verdict != ItemStatus::Warning) || f.fix.empty())
      continue;
    const std::vector<std::string> lines = std::exchange(f.fix, {});
    Attempt at = try_fix(f, lines, before, local, peer, o);
    if (!at.why_not.empty()) {
      f.proof.rejected.push_back(explain::fix_words(lines) + ": " + at.why_not);
      continue;
    }
    // The lines for the finding's device, one block after another; another device's part of
    // the same fix is a finding of its own, proven together.
    f.proof.verified = true;
    f.proof.ran = at.ran;
    for (const auto& fx : at.fixes) {
      if (fx.device == f.device) {
        f.fix.insert(f.fix.end(), fx.lines.begin(), fx.lines.end());
        continue;
      }
      Finding other = f;
      other.device = fx.device;
      other.fix = fx.lines;
      other.evidence = {"the second half of " + f.device +
                        "'s fix: " + explain::fix_words(fx.lines)};
      other.proof.ran = {"proven together with the fix on " + f.device};
      together.push_back(std::move(other));
    }
  }
  for (auto& t : together) d.findings.push_back(std::move(t));
  for (auto& f : d.findings) {
    if (f.proof.verified) f.fix = with_resets(std::move(f.fix));
  }
  // Nothing failed: the lab carries the flow, or the diagnosis missed what stops it.
  if (peer != nullptr && !d.failed()) {
    const LabOutcome lab = carry_through_lab(local, *peer, o);
    if (lab.built) {
      Finding f;
      f.item = {diagnose::ItemList::Lab, 0, {}};
      f.title =
          "a lab of the two gateways (a host behind each, a carrier between them) carries "
          "the flow";
      f.verdict = lab.delivered ? ItemStatus::Passed : ItemStatus::Failed;
      f.evidence = {lab.what};
      if (!lab.delivered)
        f.check =
            "the lab shows what the checklists did not: run `vfw lab` with the two "
            "configurations and `lab trace` the flow";
      d.findings.push_back(std::move(f));
    }
  }
  return d;
}

}  // namespace vfw::verify
