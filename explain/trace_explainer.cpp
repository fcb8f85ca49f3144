#include "explain/trace_explainer.hpp"

#include <algorithm>
#include <set>

#include "config/render.hpp"
#include "explain/fix_lines.hpp"
#include "explain/rule_cover.hpp"
#include "ipsec/esp.hpp"
#include "pipeline/stage.hpp"
#include "stages/ipsec_stage.hpp"
#include "stages/server_map_stage.hpp"

namespace vfw::explain {
namespace {

// "icmp 10.1.1.2 -> 10.2.1.2", "tcp 10.1.1.2:49152 -> 10.2.1.2:80", "proto 47 1.1.1.1 -> ..."
std::string flow_words(const TraceFlow& f) {
  const bool ports = f.proto == ipproto::kTcp || f.proto == ipproto::kUdp;
  const std::string name = f.proto == ipproto::kTcp    ? "tcp"
                           : f.proto == ipproto::kUdp  ? "udp"
                           : f.proto == ipproto::kIcmp ? "icmp"
                                                       : "protocol " + std::to_string(f.proto);
  if (!ports) return name + " " + to_string(Ipv4{f.src}) + " -> " + to_string(Ipv4{f.dst});
  return name + " " + endpoint(f.src, f.sport) + " -> " + endpoint(f.dst, f.dport);
}

bool key_equal(const TraceFlow& a, const TraceFlow& b) {
  return a.proto == b.proto && a.src == b.src && a.dst == b.dst && a.sport == b.sport &&
         a.dport == b.dport;
}

ipsec::Flow ipsec_flow(const TraceFlow& f) {
  return ipsec::Flow{f.proto, Ipv4{f.src}, Ipv4{f.dst}, f.sport, f.dport};
}

FlowFields fields_of(const TraceFlow& f) {
  return FlowFields{f.in_zone, f.out_zone, Ipv4{f.src}, Ipv4{f.dst}, f.proto, f.sport, f.dport};
}

std::string entry_name(const ipsec::SpdMatch& m) {
  return "ipsec policy " + m.entry->policy + " " + std::to_string(m.entry->seq) + " (acl " +
         std::to_string(m.entry->acl) + " rule " + std::to_string(m.rule->id) + ")";
}

std::string nat_action_text(config::NatAction a) {
  switch (a) {
    case config::NatAction::NoNat:
      return "no-nat";
    case config::NatAction::SourceEasyIp:
      return "source-nat easy-ip";
    case config::NatAction::SourceAddressGroup:
      return "source-nat address-group";
    case config::NatAction::DestinationStatic:
    case config::NatAction::DestinationGroup:
      return "destination-nat";
    case config::NatAction::Unset:
      break;
  }
  return "no action";
}

class Explainer {
 public:
  Explainer(Trace& t, const Snapshot& snap, const config::Config& cfg, const Runtime& rt)
      : t_(t), snap_(snap), cfg_(cfg), rt_(rt) {}

  void run() {
    translated_out_of_tunnel();
    shadowed_security_rule();
    shadowed_nat_rule();
    route_misses_tunnel();
    policy_blocks_tunnel();
    local_zone_blocks_ike();
    too_big_for_tunnel();
    refused_on_arrival();
  }

 private:
  TraceStep* step(StageId stage) {
    for (auto& s : t_.steps) {
      if (s.stage == stage) return &s;
    }
    return nullptr;
  }

  // The step gets the whole explanation and the fix; the result a one-line summary pointing
  // at the step.
  void warn(TraceStep& s, const std::string& summary, std::string message,
            std::vector<std::string> fix = {}) {
    t_.result.warnings.push_back({summary + " (stage " + std::to_string(s.number) + ", " +
                                      std::string(stage_id(s.stage)) + ")",
                                  {},
                                  {},
                                  0});
    s.warnings.push_back({std::move(message), std::move(fix), {}, 0});
  }

  std::string zone(uint8_t z) const {
    return z < snap_.zones.names.size() ? snap_.zones.names[z] : std::string("(none)");
  }
  std::string interface(uint16_t i) const {
    return i < snap_.interfaces.size() ? snap_.interfaces[i].name : std::string("(none)");
  }
  bool valid(uint16_t i) const { return i < snap_.interfaces.size(); }

  // The flow as it arrived: after decapsulation when it came out of a tunnel.
  const TraceFlow& arrived() {
    if (const TraceStep* s = step(StageId::Session)) return s->before;
    return t_.steps.front().before;
  }

  std::string fate_short() const {
    return t_.result.action == Action::Forward ? "sent in plain text" : "dropped";
  }
  static std::string policy_short(const ipsec::SpdMatch& m) {
    return "ipsec policy " + m.entry->policy + " " + std::to_string(m.entry->seq);
  }

  std::string fate() const {
    if (t_.result.action == Action::Forward)
      return "it leaves " + t_.result.output + " in plain text and never starts IKE";
    return "it is dropped (" + std::string(drop_reason_id(t_.result.drop)) + ")";
  }

  // The IKE peer's address for a policy entry: its remote-address, else what the SAD knows.
  std::optional<Ipv4> peer_address(const ipsec::SpdEntry& e) const {
    if (e.remote) return e.remote;
    for (const auto& p : cfg_.ipsec_policies) {
      if (p.name != e.policy || p.seq != e.seq) continue;
      if (p.tunnel_remote) return p.tunnel_remote;
      for (const auto& peer : cfg_.ike_peers) {
        if (peer.name == p.ike_peer && peer.remote_address) return peer.remote_address;
      }
    }
    for (const auto& sa : rt_.sad.all()) {
      if (sa->policy_index == e.index) return sa->remote;
    }
    return std::nullopt;
  }

  // The tunnel's own address: tunnel local when the policy sets it (a VRRP address, a loopback),
  // else the address of the interface it is applied to.
  Ipv4 local_address(const ipsec::SpdEntry& e, const InterfaceState& out) const {
    for (const auto& p : cfg_.ipsec_policies) {
      if (p.name == e.policy && p.seq == e.seq && p.tunnel_local) return *p.tunnel_local;
    }
    return out.address;
  }

  // --- 1. NAT moved the flow out of the security ACL that covered it -----------------------
  void translated_out_of_tunnel() {
    // Where the packet ended: at the IPSec stage when it got there, else where it was dropped.
    TraceStep* ip = step(StageId::Ipsec);
    const TraceFlow& last = ip != nullptr ? ip->before : t_.steps.back().after;
    if (last.to_device) return;
    // The interfaces whose policy could have protected it: the one it left by, or any when it
    // was dropped before the IPSec stage.
    std::vector<uint16_t> candidates;
    if (ip != nullptr) {
      if (valid(ip->before.out_if)) candidates.push_back(ip->before.out_if);
    } else {
      for (size_t i = 0; i < snap_.interfaces.size(); ++i)
        candidates.push_back(static_cast<uint16_t>(i));
    }
    for (const uint16_t i : candidates) {
      const InterfaceState& out = snap_.interfaces[i];
      if (!out.spd.empty() && ipsec::spd_lookup(out.spd, ipsec_flow(last)).entry == nullptr &&
          translated_out_of(out, ip))
        return;
    }
  }

  // Finds the step whose translation took the flow out of out's security ACL and explains it.
  bool translated_out_of(const InterfaceState& out, const TraceStep* ip) {
    const TraceFlow& first = arrived();
    for (auto& s : t_.steps) {
      if (&s == ip) break;
      const bool moved = s.before.src != s.after.src || s.before.dst != s.after.dst ||
                         s.before.sport != s.after.sport || s.before.dport != s.after.dport;
      if (!moved || s.stage == StageId::Ingress || s.stage == StageId::IpsecInbound) continue;
      // The step that took the flow out of the ACL, not an earlier one that kept it in.
      const ipsec::SpdMatch then = ipsec::spd_lookup(out.spd, ipsec_flow(s.before));
      if (then.entry == nullptr || ipsec::spd_lookup(out.spd, ipsec_flow(s.after)).entry != nullptr)
        continue;
      const bool as_arrived = key_equal(first, s.before);
      const std::string what = entry_name(then) + " protects " + flow_words(s.before) +
                               (as_arrived ? " as it arrived" : "") + ", but ";
      const std::string after = flow_words(s.after);
      const std::string tail = " before the IPSec stage, whose security ACL sees " + after +
                               " and does not cover it: " + fate();
      // A nat server's reverse entry translates at the snat stage; the warning goes where the
      // entry was found, the server-map step, which the seed's requirement 1 names.
      TraceStep* found_at = step(StageId::ServerMap);
      const bool reverse_entry = applies_reverse_entry(s) && found_at != nullptr;
      if (s.stage == StageId::Snat && !reverse_entry) {
        explain_snat(s, then, what, tail);
      } else if (reverse_entry) {
        explain_server_map(*found_at, s, then, what, tail);
      } else if (s.stage == StageId::ServerMap) {
        explain_server_map(s, s, then, what, tail);
      } else if (s.stage == StageId::Dnat) {
        warn(s,
             fate_short() + ": destination NAT translated traffic that " + policy_short(then) +
                 " protects",
             what + "destination NAT (" + s.matched + ") translated it to " + after + tail,
             acl_fix(then, s.after));
      } else if (s.stage == StageId::Session) {
        warn(s,
             fate_short() + ": this flow's session translates traffic that " + policy_short(then) +
                 " protects",
             what + "the session of this flow translates it to " + after + tail +
                 " (the first packet's trace names the rule that made the session)");
      }
      return true;
    }
    return false;
  }

  void explain_snat(TraceStep& s, const ipsec::SpdMatch& then, const std::string& what,
                    const std::string& tail) {
    const int idx = snap_.nat.match_source(fields_of(s.before), s.before.out_if);
    if (idx < 0) return;
    const NatRuleEntry& rule = snap_.nat.source_rules()[static_cast<size_t>(idx)];
    const std::string said = what + "nat-policy rule " + rule.name + " (" +
                             nat_action_text(rule.action) + ") translated it to " +
                             flow_words(s.after) + tail;
    // A no-nat rule for it already exists below: moving it is the fix.
    const auto& rules = snap_.nat.source_rules();
    for (size_t j = static_cast<size_t>(idx) + 1; j < rules.size(); ++j) {
      const NatRuleEntry& later = rules[j];
      if (later.action != config::NatAction::NoNat || !later.match.matches(fields_of(s.before)) ||
          (later.egress_if != kAnyInterface && later.egress_if != s.before.out_if))
        continue;
      warn(s,
           fate_short() + ": nat-policy rule " + rule.name + " translates traffic that " +
               policy_short(then) + " protects",
           said + "; nat-policy rule " + later.name + " (no-nat) matches it too, but sits below " +
               rule.name + ", which matched first",
           move_fix("nat-policy", later.name, rule.name));
      return;
    }
    RuleLines no_nat;
    no_nat.name = unused_name("no_nat_ipsec", nat_rule_names(cfg_));
    no_nat.source_zones = {zone(s.before.in_zone)};
    no_nat.destination_zones = {zone(s.before.out_zone)};
    if (auto a = address_argument(then.rule->source)) no_nat.source_addresses = {*a};
    if (auto a = address_argument(then.rule->destination)) no_nat.destination_addresses = {*a};
    no_nat.action = "no-nat";
    warn(s,
         fate_short() + ": nat-policy rule " + rule.name + " translates traffic that " +
             policy_short(then) + " protects",
         said + "; a no-nat rule for the tunnel's traffic above " + rule.name + " fixes it",
         rule_fix("nat-policy", no_nat, rule.name));
  }

  // at: the step the warning goes to; s: the step that translated (the same, or the snat step
  // for a reverse entry).
  void explain_server_map(TraceStep& at, const TraceStep& s, const ipsec::SpdMatch& then,
                          const std::string& what, const std::string& tail) {
    const bool reverse = s.before.src != s.after.src;
    const config::NatServer* server = nullptr;
    for (const auto& n : cfg_.nat_servers) {
      if ((reverse && n.inside.v == s.before.src) || (!reverse && n.global.v == s.before.dst))
        server = &n;
    }
    const std::string by = server != nullptr ? "nat server " + server->name : s.matched;
    if (reverse && server != nullptr && !server->no_reverse) {
      config::NatServer fixed = *server;
      fixed.no_reverse = true;
      std::string line = config::render_nat_server(fixed);
      while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
      warn(at,
           fate_short() + ": the reverse server map of " + by + " translates traffic that " +
               policy_short(then) + " protects",
           what + "the reverse server-map entry of " + by + " translated its source to " +
               flow_words(s.after) + tail +
               "; without the reverse entry (no-reverse) the server's own traffic keeps its "
               "address",
           {"system-view", "undo nat server name " + server->name, line, "return"});
      return;
    }
    // The seed's remedy: the packet must not match the server map. A server whose global
    // address is one the tunnel carries traffic to takes that traffic for itself: remove it
    // (a server the outside must still reach gets a global address outside the tunnel's
    // networks, or protocol and ports narrower than the tunnel's traffic).
    if (!reverse && server != nullptr) {
      warn(at,
           fate_short() + ": the server map of " + by + " translates traffic that " +
               policy_short(then) + " protects",
           what + "the server map of " + by + " translated it to " + flow_words(s.after) + tail +
               "; the server's global address " + to_string(server->global) +
               " is an address the tunnel carries traffic to, so the server map must not hold "
               "it: without the server (or with a global address outside the tunnel's networks) "
               "the packet keeps its destination",
           {"system-view", "undo nat server name " + server->name, "return"});
      return;
    }
    warn(at,
         fate_short() + ": the server map of " + by + " translates traffic that " +
             policy_short(then) + " protects",
         what + "the server map of " + by + " translated it to " + flow_words(s.after) + tail,
         acl_fix(then, s.after));
  }

  // The security ACL extended to the translated flow, host to host.
  std::vector<std::string> acl_fix(const ipsec::SpdMatch& m, const TraceFlow& f) const {
    return {"system-view", "acl number " + std::to_string(m.entry->acl),
            " rule permit ip source " + to_string(Ipv4{f.src}) + " 0 destination " +
                to_string(Ipv4{f.dst}) + " 0",
            "return"};
  }

  // --- 2. a rule below a broader one never matches ----------------------------------------
  void shadowed_security_rule() {
    TraceStep* s = step(StageId::SecurityPolicy);
    if (s == nullptr || s->before.to_device || !s->warnings.empty()) return;
    const FlowFields f = fields_of(s->before);
    const int idx = snap_.security.match(f);
    if (idx < 0) return;
    const auto& rules = snap_.security.rules();
    const SecurityRuleEntry& first = rules[static_cast<size_t>(idx)];
    for (size_t j = static_cast<size_t>(idx) + 1; j < rules.size(); ++j) {
      const SecurityRuleEntry& later = rules[j];
      if (later.permit == first.permit || !later.match.matches(f) ||
          !covers(first.match, later.match))
        continue;
      const char* a = first.permit ? "permit" : "deny";
      const char* b = later.permit ? "permit" : "deny";
      warn(*s,
           "security-policy rule " + later.name +
               " never takes effect: it sits below the broader rule " + first.name,
           "rule " + later.name + " (" + b + ") matches this packet but sits below rule " +
               first.name + " (" + a + "), which matches everything " + later.name +
               " matches: " + later.name + " never takes effect",
           move_fix("security-policy", later.name, first.name));
      return;
    }
  }

  void shadowed_nat_rule() {
    TraceStep* s = step(StageId::Snat);
    if (s == nullptr || s->before.to_device || !s->warnings.empty()) return;
    const FlowFields f = fields_of(s->before);
    const int idx = snap_.nat.match_source(f, s->before.out_if);
    if (idx < 0) return;
    const auto& rules = snap_.nat.source_rules();
    const NatRuleEntry& first = rules[static_cast<size_t>(idx)];
    for (size_t j = static_cast<size_t>(idx) + 1; j < rules.size(); ++j) {
      const NatRuleEntry& later = rules[j];
      const bool egress = later.egress_if == kAnyInterface || later.egress_if == s->before.out_if;
      if (later.action == first.action || !egress || !later.match.matches(f) ||
          !covers(first, later))
        continue;
      warn(*s,
           "nat-policy rule " + later.name +
               " never takes effect: it sits below the broader rule " + first.name,
           "nat-policy rule " + later.name + " (" + nat_action_text(later.action) +
               ") matches this packet but sits below rule " + first.name + " (" +
               nat_action_text(first.action) + "), which matches everything " + later.name +
               " matches: " + later.name + " never takes effect",
           move_fix("nat-policy", later.name, first.name));
      return;
    }
  }

  // --- 3. no route to the tunnel, or a route out of an interface without its policy -------
  struct Protecting {
    uint16_t interface = 0;
    ipsec::SpdMatch match;
  };
  std::optional<Protecting> protecting_interface(const TraceFlow& f, uint16_t except) const {
    for (size_t i = 0; i < snap_.interfaces.size(); ++i) {
      if (i == except || snap_.interfaces[i].spd.empty()) continue;
      const ipsec::SpdMatch m = ipsec::spd_lookup(snap_.interfaces[i].spd, ipsec_flow(f));
      if (m.entry != nullptr) return Protecting{static_cast<uint16_t>(i), m};
    }
    return std::nullopt;
  }

  std::vector<std::string> route_fix(const Protecting& p) const {
    const std::string destination = route_destination(p.match.rule->destination);
    std::string via = snap_.interfaces[p.interface].name;
    if (auto peer = peer_address(*p.match.entry)) {
      const Route* r = snap_.fib.lookup(*peer);
      if (r != nullptr && r->out_if == p.interface) {
        via = to_string(r->next_hop.v != 0 ? r->next_hop : *peer);
      }
    }
    return {"system-view", "ip route-static " + destination + " " + via, "return"};
  }

  void route_misses_tunnel() {
    TraceStep* s = step(StageId::Route);
    if (s == nullptr) return;
    if (s->drop == DropReason::NoRoute) {
      if (auto p = protecting_interface(s->before, kNoInterface)) {
        warn(*s,
             "no route to " + to_string(Ipv4{s->before.dst}) + ": traffic that " +
                 policy_short(p->match) + " protects never reaches the tunnel",
             "no route to " + to_string(Ipv4{s->before.dst}) + ": the packet never reaches " +
                 snap_.interfaces[p->interface].name + ", where " + entry_name(p->match) +
                 " would protect it, so it never triggers IKE (a flow that fails a stage before "
                 "IPSec does not start negotiation); a route to the peer's network through " +
                 snap_.interfaces[p->interface].name + " fixes it",
             route_fix(*p));
      }
      return;
    }
    if (s->after.to_device || !valid(s->after.out_if)) return;
    const InterfaceState& out = snap_.interfaces[s->after.out_if];
    if (!out.spd.empty() && ipsec::spd_lookup(out.spd, ipsec_flow(s->after)).entry != nullptr)
      return;
    // The ACL sees the packet after SNAT: judge by what the ipsec stage saw when it ran.
    const TraceStep* ip = step(StageId::Ipsec);
    const TraceFlow& judged = ip != nullptr ? ip->before : s->after;
    if (out.spd.empty() && !protecting_interface(judged, kNoInterface)) {
      unapplied_policy(*s, judged, out);
      return;
    }
    if (auto p = protecting_interface(judged, s->after.out_if)) {
      warn(*s,
           "the route bypasses the tunnel: " + policy_short(p->match) + " on " +
               snap_.interfaces[p->interface].name +
               " protects this traffic, the route sends it out of " + out.name,
           "the route sends the packet out of " + out.name +
               (out.spd.empty() ? ", which has no ipsec policy" : "") + ", but " +
               entry_name(p->match) + " on " + snap_.interfaces[p->interface].name +
               " protects it: " + fate() + "; a route through " +
               snap_.interfaces[p->interface].name + " fixes it",
           route_fix(*p));
    }
  }

  // An ipsec policy that would protect the flow, applied to no interface: the route's output
  // interface is where it belongs (the seed's checklist: the policy applied to the interface
  // the traffic leaves by).
  void unapplied_policy(TraceStep& s, const TraceFlow& judged, const InterfaceState& out) {
    std::set<std::string> applied;
    for (const auto& i : snap_.interfaces) applied.insert(i.ipsec_policy);
    std::set<std::string> names;
    for (const auto& pol : cfg_.ipsec_policies) names.insert(pol.name);
    for (const auto& name : names) {
      if (applied.count(name) != 0) continue;
      const auto spd = ipsec::compile_spd(cfg_, name);
      const ipsec::SpdMatch m = ipsec::spd_lookup(spd, ipsec_flow(judged));
      if (m.entry == nullptr) continue;
      warn(s,
           "ipsec policy " + name + " protects this traffic but is applied to no interface: " +
               "it leaves " + out.name + " in plain text",
           policy_short(m) + " protects this traffic, but ipsec policy " + name +
               " is applied to no interface, and the route sends the packet out of " + out.name +
               ", which has none: " + fate() + "; applying the policy to " + out.name + " fixes it",
           {"system-view", "interface " + out.name, " ipsec policy " + name, "return"});
      return;
    }
  }

  // --- 4. the interzone policy against the tunnel's traffic and IKE -----------------------
  // A security-policy rule permitting what the ACL rule covers, from one zone to another.
  RuleLines permit_rule(const std::string& base, uint8_t from, uint8_t to,
                        const std::optional<Wildcard>& src,
                        const std::optional<Wildcard>& dst) const {
    RuleLines r;
    r.name = unused_name(base, security_rule_names(cfg_));
    r.source_zones = {zone(from)};
    r.destination_zones = {zone(to)};
    if (auto a = address_argument(src)) r.source_addresses = {*a};
    if (auto a = address_argument(dst)) r.destination_addresses = {*a};
    r.action = "permit";
    return r;
  }

  void policy_blocks_tunnel() {
    TraceStep* s = step(StageId::SecurityPolicy);
    if (s == nullptr || !s->warnings.empty() || s->before.to_device) return;
    if (s->drop != DropReason::PolicyDeny && s->drop != DropReason::DefaultPolicyDeny) return;
    const int idx = snap_.security.match(fields_of(s->before));
    const std::string denied =
        idx >= 0 ? "rule " + snap_.security.rules()[static_cast<size_t>(idx)].name + " (deny)"
                 : std::string("the default action (deny)");
    const std::string above = idx >= 0 ? snap_.security.rules()[static_cast<size_t>(idx)].name : "";
    // A deny rule narrower than the tunnel's traffic is an exception the user made (one host
    // kept out of it); one that spans all of it leaves the tunnel nothing to carry.
    auto deliberate = [&](const std::optional<Wildcard>& src, const std::optional<Wildcard>& dst) {
      if (idx < 0) return false;
      const CompiledMatch& deny = snap_.security.rules()[static_cast<size_t>(idx)].match;
      return !covers(deny.src, span_of(src)) || !covers(deny.dst, span_of(dst));
    };
    // Out of the tunnel: the inbound entry whose mirrored ACL let it in.
    const TraceStep* in = step(StageId::IpsecInbound);
    if (in != nullptr && in->result == Outcome::Decapsulated && valid(s->before.in_if)) {
      const InterfaceState& iface = snap_.interfaces[s->before.in_if];
      const ipsec::SpdMatch m = ipsec::spd_lookup_inbound(iface.spd, ipsec_flow(s->before));
      if (m.entry == nullptr || deliberate(m.rule->destination, m.rule->source)) return;
      deny_warning(*s,
                   denied + " drops traffic that arrived through the tunnel of " + policy_short(m),
                   denied,
                   " traffic that arrived through the tunnel of " + entry_name(m) +
                       ": the tunnel is up but the traffic stops here; ",
                   m.rule->destination, m.rule->source, above);
      return;
    }
    if (!valid(s->before.out_if)) return;
    const auto& spd = snap_.interfaces[s->before.out_if].spd;
    const ipsec::SpdMatch m = ipsec::spd_lookup(spd, ipsec_flow(s->before));
    if (m.entry == nullptr || deliberate(m.rule->source, m.rule->destination)) return;
    deny_warning(*s, denied + " drops traffic that " + policy_short(m) + " protects", denied,
                 " traffic that " + entry_name(m) +
                     " protects: it never reaches the IPSec stage, so it never triggers IKE; ",
                 m.rule->source, m.rule->destination, above);
  }

  // The interzone policy dropped the tunnel's traffic: a rule for it, from the zone it came from
  // to the zone it goes to, with the ACL rule's addresses, above the deny that matched.
  void deny_warning(TraceStep& s, const std::string& summary, const std::string& denied,
                    const std::string& middle, const std::optional<Wildcard>& src,
                    const std::optional<Wildcard>& dst, const std::string& above) {
    const std::string zones = zone(s.before.in_zone) + " -> " + zone(s.before.out_zone);
    // A rule that would permit it, disabled: enabling it is the least change.
    if (const config::SecurityRule* off = disabled_permit_for(fields_of(s.before), above)) {
      warn(s, summary,
           denied + " drops " + zones + middle + "rule " + off->name +
               " would permit it, but it is disabled",
           {"system-view", "security-policy", " rule name " + off->name, "  enable", "  quit",
            "return"});
      return;
    }
    warn(s, summary, denied + " drops " + zones + middle + zones + " needs a rule that permits it",
         rule_fix("security-policy",
                  permit_rule("ipsec_" + zone(s.before.in_zone) + "_" + zone(s.before.out_zone),
                              s.before.in_zone, s.before.out_zone, src, dst),
                  above));
  }

  // The first disabled permit rule that would match the flow, above the rule that denied it
  // (above: its name; "" for the default action).
  const config::SecurityRule* disabled_permit_for(const FlowFields& f,
                                                  const std::string& above) const {
    for (const auto& r : cfg_.security_policy.rules) {
      if (!above.empty() && r.name == above) return nullptr;
      if (!r.disabled || r.action != config::PolicyAction::Permit) continue;
      const CompiledMatch m =
          compile_match(cfg_, snap_.zones, r.source_zones, r.destination_zones, r.source_addresses,
                        r.destination_addresses, r.services);
      if (m.matches(f)) return &r;
    }
    return nullptr;
  }

  bool permitted(const FlowFields& f, std::string& denied_by) const {
    const int idx = snap_.security.match(f);
    if (idx >= 0) {
      const auto& r = snap_.security.rules()[static_cast<size_t>(idx)];
      if (!r.permit) denied_by = r.name;
      return r.permit;
    }
    return snap_.security.default_permit();
  }

  void local_zone_blocks_ike() {
    TraceStep* s = step(StageId::Ipsec);
    if (s == nullptr || s->before.to_device || !valid(s->before.out_if)) return;
    if (s->result != Outcome::Encapsulated && s->drop != DropReason::IpsecNoSa) return;
    const InterfaceState& out = snap_.interfaces[s->before.out_if];
    const ipsec::SpdMatch m = ipsec::spd_lookup(out.spd, ipsec_flow(s->before));
    if (m.entry == nullptr || m.entry->manual || !out.has_address) return;
    const auto peer = peer_address(*m.entry);
    if (!peer) return;
    const Ipv4 local = local_address(*m.entry, out);
    const uint8_t lz = snap_.local_zone;
    const uint8_t uz = out.zone;
    std::string denied_by;
    std::vector<std::string> missing;
    if (!permitted({lz, uz, local, *peer, ipproto::kUdp, 500, 500}, denied_by))
      missing.push_back("IKE (UDP 500) from " + to_string(local) + " to " + to_string(*peer) +
                        ", " + zone(lz) + " -> " + zone(uz));
    if (!permitted({uz, lz, *peer, local, ipproto::kUdp, 500, 500}, denied_by))
      missing.push_back("IKE (UDP 500) from " + to_string(*peer) + " to " + to_string(local) +
                        ", " + zone(uz) + " -> " + zone(lz));
    if (!permitted({uz, lz, *peer, local, ipproto::kEsp, 0, 0}, denied_by))
      missing.push_back("ESP from " + to_string(*peer) + " to " + to_string(local) + ", " +
                        zone(uz) + " -> " + zone(lz));
    if (missing.empty()) return;
    std::string list;
    for (const auto& x : missing) list += (list.empty() ? "" : "; ") + x;
    RuleLines r;
    r.name = unused_name("ipsec_" + zone(lz) + "_" + zone(uz), security_rule_names(cfg_));
    r.source_zones = {zone(lz), zone(uz)};
    r.destination_zones = {zone(lz), zone(uz)};
    r.source_addresses = {to_string(local) + " mask 255.255.255.255",
                          to_string(*peer) + " mask 255.255.255.255"};
    r.destination_addresses = r.source_addresses;
    r.action = "permit";
    warn(*s,
         "the security policy denies IKE or ESP between " + to_string(local) + " and " +
             to_string(*peer),
         "the security policy denies the tunnel's own packets between the gateways: " + list +
             ". IKE with " + to_string(*peer) +
             " cannot complete (and the peer's ESP is dropped on arrival); the local and " +
             zone(uz) + " zones need a rule for them",
         rule_fix("security-policy", r, denied_by));
  }

  // --- 5. DF packets larger than the tunnel's MTU -----------------------------------------
  void too_big_for_tunnel() {
    TraceStep* s = step(StageId::Ipsec);
    if (s == nullptr || s->drop != DropReason::FragmentNeeded || !valid(s->before.out_if)) return;
    const InterfaceState& out = snap_.interfaces[s->before.out_if];
    const ipsec::SpdMatch m = ipsec::spd_lookup(out.spd, ipsec_flow(s->before));
    if (m.entry == nullptr) return;
    const ipsec::Sa* esp = rt_.sad.outbound(m.entry->index, ipproto::kEsp);
    const ipsec::Sa* ah = rt_.sad.outbound(m.entry->index, ipproto::kAh);
    constexpr uint32_t kHeader = 20;
    const uint32_t length = s->before.length;
    std::string parts;
    auto part = [&](uint32_t bytes, const std::string& what) {
      if (bytes == 0) return;
      parts += (parts.empty() ? "" : " + ") + std::to_string(bytes) + " (" + what + ")";
    };
    if (esp != nullptr) {
      const uint32_t outer = esp->tunnel ? 20 : 0;
      const uint32_t udp = esp->udp_encapsulation ? 8 : 0;
      const auto iv = static_cast<uint32_t>(esp->crypto.iv_bytes());
      const auto icv = static_cast<uint32_t>(esp->crypto.icv_bytes());
      const uint32_t total = ipsec::esp_overhead(*esp, length, kHeader);
      part(outer, "outer IP header, tunnel mode");
      part(udp, "UDP header, NAT traversal");
      part(8, "ESP header: SPI and sequence number");
      part(iv, "IV");
      part(total - outer - udp - 8 - iv - icv,
           "padding to the cipher block, pad length and next "
           "header");
      part(icv, "ICV");
    }
    if (ah != nullptr) part(ipsec_overhead(nullptr, ah, length, kHeader), "AH, with its header");
    const uint32_t fits = largest_inner_packet(esp, ah, out.mtu, kHeader);
    const uint32_t added = ipsec_overhead(esp, ah, length, kHeader);
    const std::string summary = "too large for the tunnel: " + std::to_string(length) +
                                " bytes with DF set, at most " + std::to_string(fits) + " fit";
    std::string message = std::to_string(length) + " bytes with DF set do not fit the MTU " +
                          std::to_string(out.mtu) + " of " + out.name +
                          " once encapsulated: this SA adds " + parts + " = " +
                          std::to_string(added) + " bytes; the largest packet that fits is " +
                          std::to_string(fits) + " bytes";
    if (s->before.proto == ipproto::kTcp && valid(s->before.in_if)) {
      const uint32_t mss = fits - 40;
      warn(*s, summary,
           message + ". TCP: clamping the MSS to " + std::to_string(mss) +
               " (IP and TCP headers, 40 bytes, below it) on " + interface(s->before.in_if) +
               " keeps segments under it; a larger MTU on the path, or path MTU discovery at the "
               "hosts, also helps",
           {"system-view", "interface " + interface(s->before.in_if),
            " tcp adjust-mss " + std::to_string(mss), "return"});
      // The fix acts on the segments the hosts send next, not on this one: those are proven.
      s->warnings.back().proof_length = fits;
      return;
    }
    warn(*s, summary,
         message + ": the sender must send at most " + std::to_string(fits) +
             " bytes (path MTU discovery does it on the ICMP fragmentation-needed this device "
             "sent), or clear DF, or the path must carry a larger MTU");
  }

  // --- 6. ESP refused on arrival ----------------------------------------------------------
  void refused_on_arrival() {
    TraceStep* s = step(StageId::IpsecInbound);
    if (s == nullptr || s->drop == DropReason::None) return;
    const TraceFlow& f = s->before;
    switch (s->drop) {
      case DropReason::IpsecPlaintextProtected: {
        const InterfaceState& in = snap_.interfaces[f.in_if];
        const ipsec::SpdMatch m = ipsec::spd_lookup_inbound(in.spd, ipsec_flow(f));
        if (m.entry == nullptr) return;
        const auto src = address_argument(m.rule->destination);
        const auto dst = address_argument(m.rule->source);
        warn(*s,
             "the peer sent in plain text traffic that must arrive encrypted (" + policy_short(m) +
                 ")",
             "the pre-IPSec check drops " + flow_words(f) + " because the mirror of " +
                 entry_name(m) +
                 " says it must arrive encrypted: the peer sent it in plain text. "
                 "It passes when the peer's security ACL covers it (a rule permitting " +
                 (src ? *src : std::string("any")) + " to " + (dst ? *dst : std::string("any")) +
                 ", the mirror of this side's) and no NAT on the peer changes it before its "
                 "IPSec stage");
        return;
      }
      case DropReason::IpsecUnknownSpi:
        warn(*s, "ESP with an unknown SPI: the two ends do not hold the same SAs",
             "no inbound SA has this SPI: the peer still uses an SA this device no longer has "
             "(reset here, expired, or lost in a restart), or one it never finished negotiating. "
             "It passes once both sides hold the same SAs: compare `display ipsec sa` on both; "
             "`reset ike sa` renegotiates, and DPD (`dpd type periodic` in the ike peer) lets the "
             "peer notice by itself",
             {"reset ike sa"});
        return;
      case DropReason::IpsecReplay:
        warn(*s, "ESP refused as a replay",
             "the sequence number is one the SA has already accepted or lies left of the "
             "anti-replay window (" +
                 std::to_string(cfg_.ipsec_anti_replay_window) +
                 " packets): a duplicate, or packets reordered further than the window by the "
                 "path. Reordering passes with a larger window; a duplicate never should",
             {"system-view", "ipsec anti-replay window 1024", "return"});
        return;
      case DropReason::IpsecIcvFailure: {
        const ipsec::Sa* sa = nullptr;
        for (const auto& x : rt_.sad.all()) {
          if (x->inbound && x->local.v == f.dst && x->remote.v == f.src) sa = x.get();
        }
        std::string message =
            "the ICV does not verify: the two ends do not hold the same key for this SA, or "
            "the packet was changed in transit";
        std::vector<std::string> fix;
        if (sa != nullptr && sa->conn_id == 0) {
          message +=
              "; for a manual SA, this side's inbound keys (sa authentication-hex "
              "inbound) must be the peer's outbound keys";
        }
        const auto auth = sa != nullptr ? sa->crypto.authentication() : ipsec::Authentication::None;
        const bool sha2 = auth == ipsec::Authentication::Sha256 ||
                          auth == ipsec::Authentication::Sha384 ||
                          auth == ipsec::Authentication::Sha512 ||
                          auth == ipsec::Authentication::Sha256Truncated96;
        if (sha2) {
          message +=
              "; with SHA-2, the two ends must also compute it the same way: `ipsec sha2 "
              "compatible enable` on both or on neither (checklist item 7)";
          fix = {"system-view",
                 cfg_.ipsec_sha2_compatible ? "undo ipsec sha2 compatible enable"
                                            : "ipsec sha2 compatible enable",
                 "return"};
        }
        warn(*s, "ESP refused: the ICV does not verify", message, fix);
        return;
      }
      case DropReason::IpsecMalformed: {
        const ipsec::Sa* sa = nullptr;
        for (const auto& x : rt_.sad.all()) {
          if (x->inbound && x->local.v == f.dst && x->remote.v == f.src) sa = x.get();
        }
        const auto auth = sa != nullptr ? sa->crypto.authentication() : ipsec::Authentication::None;
        if (auth != ipsec::Authentication::Sha256 &&
            auth != ipsec::Authentication::Sha256Truncated96)
          return;
        // Both ends agree on HMAC-SHA-256 and disagree on its length: the receiver takes an
        // ICV of its own length off the end, and what is left is not whole cipher blocks.
        warn(*s, "ESP refused: the two ends cut the SHA-256 ICV to different lengths",
             "the ESP packet does not parse under this SA once an ICV of " +
                 std::to_string(sa->crypto.icv_bytes()) +
                 " bytes is taken off: the peer computes HMAC-SHA-256 with the other length "
                 "(96 or 128 bits). `ipsec sha2 compatible enable` must be on both ends or on "
                 "neither (checklist item 7)",
             {"system-view",
              cfg_.ipsec_sha2_compatible ? "undo ipsec sha2 compatible enable"
                                         : "ipsec sha2 compatible enable",
              "return"});
        return;
      }
      case DropReason::IpsecSelectorMismatch:
        warn(*s, "the decrypted packet is outside this side's mirrored ACL",
             "the post-IPSec check drops the decrypted packet: the peer's ACL protects "
             "traffic that this side's ACL (mirrored) does not. It passes when the two ACLs "
             "mirror each other: add the flow to this side's ACL, or narrow the peer's");
        return;
      case DropReason::PolicyDeny:
      case DropReason::DefaultPolicyDeny: {
        if (!valid(f.in_if)) return;
        const InterfaceState& in = snap_.interfaces[f.in_if];
        if (!in.has_address) return;
        const uint8_t lz = snap_.local_zone;
        const int idx = snap_.security.match(fields_of(
            TraceFlow{ipproto::kEsp, f.src, f.dst, 0, 0, f.in_if, f.in_if, in.zone, lz, true, 0}));
        RuleLines r;
        r.name = unused_name("ipsec_" + zone(lz) + "_" + zone(in.zone), security_rule_names(cfg_));
        r.source_zones = {zone(lz), zone(in.zone)};
        r.destination_zones = {zone(lz), zone(in.zone)};
        r.source_addresses = {to_string(Ipv4{f.dst}) + " mask 255.255.255.255",
                              to_string(Ipv4{f.src}) + " mask 255.255.255.255"};
        r.destination_addresses = r.source_addresses;
        r.action = "permit";
        warn(*s, "the security policy denies the peer's ESP into the local zone",
             "the security policy denies the peer's ESP into the local zone (" + zone(in.zone) +
                 " -> " + zone(lz) + "): the tunnel is up but nothing it carries arrives",
             rule_fix("security-policy", r,
                      idx >= 0 ? snap_.security.rules()[static_cast<size_t>(idx)].name : ""));
        return;
      }
      default:
        return;
    }
  }

  Trace& t_;
  const Snapshot& snap_;
  const config::Config& cfg_;
  const Runtime& rt_;
};

}  // namespace

void explain_trace(Trace& trace, const Snapshot& snap, const config::Config& cfg,
                   const Runtime& rt) {
  if (trace.steps.empty()) return;
  Explainer(trace, snap, cfg, rt).run();
}

}  // namespace vfw::explain
