#include "diagnose/diagnosis.hpp"

#include <algorithm>

#include <sstream>

#include "config/render.hpp"
#include "config/services.hpp"
#include "device/device.hpp"
#include "diagnose/negotiation_forecast.hpp"
#include "diagnose/negotiation_in_memory.hpp"
#include "diagnose/trace_evidence.hpp"
#include "explain/fix_lines.hpp"
#include "stages/server_map_stage.hpp"

namespace vfw::diagnose {
namespace {

class Run {
 public:
  Run(const config::Config& local, const config::Config* peer, PacketSpec spec,
      const DiagnoseOptions& options)
      : local_(local), peer_(peer), spec_(spec), options_(options) {}

  Diagnosis run(const std::string& input) {
    Diagnosis d;
    d.traffic = flow_words(spec_);
    // The traffic, traced on a device of its own (the trace may start IKE: that device is not
    // the one that negotiates below).
    Device fw1(local_);
    const Traced out = send(fw1, build_packet(spec_), input);
    const std::string me = label(local_);
    requirements(fw1, out.trace, me, "", d.findings);
    checklist_near(fw1, out.trace, me, input, d.findings);
    const config::IpsecPolicy* entry = protecting_entry(fw1, out.trace);
    if (peer_ == nullptr) {
      reply_without_peer(fw1, out.trace, me, d.findings);
      far_side_undecidable(entry, d.findings);
      return d;
    }
    with_peer(entry, input, d.findings);
    return d;
  }

 private:
  static std::string label(const config::Config& c) { return c.sysname; }

  // --- the forwarding requirements on one gateway -------------------------------------------
  void requirements(const Device& dev, const Trace& t, const std::string& device,
                    const std::string& direction, std::vector<Finding>& out) {
    auto item = [&](int n, const std::string& title) {
      Finding f;
      f.item = {ItemList::Requirement, n, direction};
      f.title = title;
      f.device = device;
      return f;
    };
    auto unreached = [&](Finding f) {
      f.verdict = ItemStatus::NotReached;
      f.evidence = {stopped_at(t)};
      out.push_back(std::move(f));
    };
    // 1 and 2: nothing translates the destination before routing.
    const std::pair<StageId, const char*> translations[] = {
        {StageId::ServerMap,
         "no nat server (server map or its reverse entry) translates the packet"},
        {StageId::Dnat, "no destination-nat rule translates the packet"}};
    int n = 1;
    for (const auto& [stage, title] : translations) {
      Finding f = item(n++, title);
      const TraceStep* s = find(t, stage);
      if (s == nullptr) {
        unreached(std::move(f));
        continue;
      }
      f.evidence = evidence_of(*s);
      // A reverse entry is found at server-map and translates at the snat stage (after the
      // security policy, as source NAT): its translation is this requirement's all the same.
      bool translated = moved(*s);
      if (stage == StageId::ServerMap && s->result == Outcome::Hit) {
        if (const TraceStep* applied = find(t, StageId::Snat);
            applied != nullptr && applies_reverse_entry(*applied)) {
          translated = moved(*applied);
          for (auto& line : evidence_of(*applied)) f.evidence.push_back(line);
        }
      }
      // The seed forbids the translation because it takes the flow out of the security ACL;
      // one the ACL covers on both sides of it is protected all the same.
      if (translated && !s->warnings.empty()) {
        f.verdict = ItemStatus::Failed;
        f.fix = fix_of(*s);
      } else if (translated) {
        f.check =
            "the security ACL covers the translated flow too: the peer's ACL must mirror "
            "the translated flow, not the original one";
      }
      out.push_back(std::move(f));
    }
    // 3: a route, out of an interface with the IPSec policy.
    {
      Finding f = item(3,
                       "a route to the peer's network leaves by the interface with the IPSec "
                       "policy");
      const TraceStep* s = find(t, StageId::Route);
      if (s == nullptr) {
        unreached(std::move(f));
      } else {
        f.evidence = evidence_of(*s);
        with_config(dev, *s, f);
        f.fix = with_next_hop(dev, fix_of(*s));
        if (s->drop != DropReason::None) {
          f.verdict = ItemStatus::Failed;
        } else if (s->after.to_device) {
          f.verdict = ItemStatus::Failed;
          f.evidence.push_back("the destination is an address of " + device);
        } else {
          const InterfaceState& o = dev.snapshot().interfaces[s->after.out_if];
          if (o.spd.empty()) {
            f.verdict = ItemStatus::Failed;
            f.evidence.push_back(o.name +
                                 " has no ipsec policy: the IPSec module never sees "
                                 "the packet, which leaves in plain text");
          } else {
            f.evidence.push_back(o.name + " has ipsec policy " + o.ipsec_policy);
          }
        }
        out.push_back(std::move(f));
      }
    }
    // 4 and 5: the interzone policy permits it; SNAT leaves it inside the security ACL.
    auto judged = [&](Finding f, StageId stage, auto&& failed) {
      const TraceStep* s = find(t, stage);
      if (s == nullptr) return unreached(std::move(f));
      f.evidence = evidence_of(*s);
      with_config(dev, *s, f);
      if (failed(*s)) {
        f.verdict = ItemStatus::Failed;
        f.fix = fix_of(*s);
      }
      out.push_back(std::move(f));
    };
    judged(item(4, "the interzone security policy permits it"), StageId::SecurityPolicy,
           [](const TraceStep& s) { return s.drop != DropReason::None; });
    judged(item(5, "source NAT leaves it inside the security ACL"), StageId::Snat,
           [](const TraceStep& s) { return !s.warnings.empty(); });
    // 6: the security ACL of the policy covers it.
    {
      Finding f = item(6, "a security ACL rule of the IPSec policy covers it");
      const TraceStep* s = find(t, StageId::Ipsec);
      if (s == nullptr) {
        unreached(std::move(f));
      } else {
        f.evidence = {step_line(*s)};
        for (const auto& i : s->info) f.evidence.push_back("  " + i);
        with_config(dev, *s, f);
        if (s->result == Outcome::Bypass || s->result == Outcome::Skip) {
          f.verdict = ItemStatus::Failed;
          if (s->result == Outcome::Skip) {
            f.check = "see requirement 3" + direction + ": no IPSec policy on the output interface";
          } else if (const Finding* earlier = first_failed(out, device)) {
            f.check = "see " + earlier->item.text() + ": " + earlier->title;
          } else {
            f.fix = acl_fix(dev, *s);
          }
        }
        out.push_back(std::move(f));
        // The tunnel's own packets, which the same stage needs.
        if (!s->warnings.empty() && s->drop != DropReason::FragmentNeeded) {
          Finding g = item(4, "the security policy permits IKE and ESP between the gateways");
          g.item.qualifier += " (local zone)";
          g.verdict = ItemStatus::Failed;
          g.evidence = {step_line(*s), "  warning: " + s->warnings.front().message};
          g.fix = s->warnings.front().fix;
          out.push_back(std::move(g));
        }
      }
    }
  }

  static void with_config(const Device& dev, const TraceStep& s, Finding& f) {
    const auto lines = config_lines(dev, s);
    f.evidence.insert(f.evidence.end(), lines.begin(), lines.end());
  }

  // An item configurations cannot answer: why, and what to check instead.
  static Finding undecidable(int checklist, std::string title, std::string why, std::string check) {
    Finding f;
    f.item = {ItemList::Checklist, checklist, {}};
    f.title = std::move(title);
    f.verdict = ItemStatus::NotDecidable;
    f.evidence = {std::move(why)};
    f.check = std::move(check);
    return f;
  }

  static const Finding* first_failed(const std::vector<Finding>& out, const std::string& device) {
    for (const auto& f : out) {
      if (f.device == device && f.verdict == ItemStatus::Failed &&
          f.item.list == ItemList::Requirement)
        return &f;
    }
    return nullptr;
  }

  // The ACL rule that would cover the packet as the IPSec stage saw it.
  static std::vector<std::string> acl_fix(const Device& dev, const TraceStep& s) {
    const InterfaceState& o = dev.snapshot().interfaces[s.before.out_if];
    if (o.spd.empty()) return {};
    return {"system-view", "acl number " + std::to_string(o.spd.front().acl),
            " rule permit ip source " + to_string(Ipv4{s.before.src}) + " 0 destination " +
                to_string(Ipv4{s.before.dst}) + " 0",
            "return"};
  }

  // --- checklist items 1 to 5: this side and the path ---------------------------------------
  void checklist_near(const Device& dev, const Trace& t, const std::string& device,
                      const std::string& input, std::vector<Finding>& out) {
    {
      Finding f;
      f.item = {ItemList::Checklist, 1, {}};
      f.title = "packets from " + to_string(spec_.src) + " reach the gateway " + device;
      f.device = device;
      const auto& i = dev.config().interfaces.at(input);
      if (i.address && i.address->network().contains(spec_.src)) {
        const InterfaceState& st = dev.snapshot().interfaces[dev.snapshot().interface_index(input)];
        f.evidence = {input + " (" + to_string(i.address->host) + "/" +
                      std::to_string(i.address->length) + ", zone " +
                      (st.zone < dev.snapshot().zones.names.size()
                           ? dev.snapshot().zones.names[st.zone]
                           : std::string("none")) +
                      ") holds " + to_string(spec_.src)};
        f.check = "on " + to_string(spec_.src) + ": its default gateway is " +
                  to_string(i.address->host) + " (ping " + to_string(i.address->host) + ")";
        if (st.service_manage && !st.manage_permitted.has(config::ManageService::Ping)) {
          f.evidence.push_back("a ping to " + to_string(i.address->host) +
                               " is refused: service-manage on " + input +
                               " does not permit ping (the seed's test of this item)");
          f.fix = {"system-view", "interface " + input, " service-manage ping permit", "return"};
        }
      } else {
        f.verdict = ItemStatus::NotDecidable;
        f.evidence = {to_string(spec_.src) + " is not on a network of " + device +
                      "; it arrives on " + input + " through a router"};
        f.check = "that router's route to " + to_string(spec_.dst) + " through " + device;
      }
      out.push_back(std::move(f));
    }
    {
      Finding f;
      f.item = {ItemList::Checklist, 2, {}};
      f.title = "packets cross from the inside zone to the outside zone";
      f.device = device;
      for (const auto& g : out) {
        if (g.device == device &&
            (g.item.is(ItemList::Requirement, 3) || g.item.is(ItemList::Requirement, 4)) &&
            g.verdict != ItemStatus::Passed) {
          f.verdict = g.verdict == ItemStatus::Failed ? ItemStatus::Failed : ItemStatus::NotReached;
          f.evidence.push_back("see " + g.item.text() + ": " + g.title);
        }
      }
      if (f.evidence.empty()) f.evidence = {"requirements 3 and 4 pass"};
      out.push_back(std::move(f));
    }
    {
      Finding f;
      f.item = {ItemList::Checklist, 3, {}};
      f.title = "packets enter the IPSec module";
      f.device = device;
      for (const auto& g : out) {
        if (g.device == device && g.item.list == ItemList::Requirement &&
            g.verdict != ItemStatus::Passed) {
          if (f.verdict != ItemStatus::Failed)
            f.verdict =
                g.verdict == ItemStatus::Failed ? ItemStatus::Failed : ItemStatus::NotReached;
          f.evidence.push_back("see " + g.item.text() + ": " + g.title);
        }
      }
      if (f.evidence.empty()) {
        const TraceStep* s = find(t, StageId::Ipsec);
        f.evidence = {"requirements 1 to 6 pass" +
                      (s != nullptr ? "; " + step_line(*s) : std::string())};
      }
      out.push_back(std::move(f));
    }
    out.push_back(undecidable(
        4, "the NAT device between the gateways keeps the tunnel's session",
        "configurations do not describe the NAT device between the gateways",
        "on the NAT device, that the UDP 4500 session of the tunnel lives longer than the NAT "
        "keepalive interval of the gateways (ike nat-keepalive-timer), and that no one clears it; "
        "`display ike sa` shows peer:4500 when NAT-T is in use"));
    out.push_back(undecidable(
        5, "the carrier lets the IPSec packets through",
        "configurations do not describe the carrier",
        "that UDP 500, UDP 4500 and ESP (IP protocol 50) pass both ways between the gateways: "
        "capture on both uplinks (tshark -f 'udp port 500 or udp port 4500 or ip proto 50') and "
        "compare what leaves one with what reaches the other"));
  }

  // The ipsec policy entry whose ACL covers the traffic, on the interface the route chose (or
  // any interface, when the route is missing).
  const config::IpsecPolicy* protecting_entry(const Device& dev, const Trace& t) const {
    const TraceStep* first = find(t, StageId::Session);
    if (first == nullptr) return nullptr;
    const ipsec::Flow flow{first->before.proto, Ipv4{first->before.src}, Ipv4{first->before.dst},
                           first->before.sport, first->before.dport};
    for (const auto& i : dev.snapshot().interfaces) {
      const ipsec::SpdMatch m = ipsec::spd_lookup(i.spd, flow);
      if (m.entry == nullptr) continue;
      for (const auto& p : local_.ipsec_policies) {
        if (p.name == m.entry->policy && p.seq == m.entry->seq) return &p;
      }
    }
    return nullptr;
  }

  // --- without the peer: this side's part of the reply, and what cannot be told ------------
  void reply_without_peer(const Device& dev, const Trace& t, const std::string& device,
                          std::vector<Finding>& out) {
    Finding f;
    f.item = {ItemList::Reply, 0, {}};
    f.title = "the reply, decapsulated, crosses back into the inside zone";
    f.device = device;
    const TraceStep* route = find(t, StageId::Route);
    if (route == nullptr || route->after.to_device ||
        route->after.out_if >= dev.snapshot().interfaces.size()) {
      f.verdict = ItemStatus::NotReached;
      f.evidence = {stopped_at(t)};
      out.push_back(std::move(f));
      return;
    }
    const Snapshot& snap = dev.snapshot();
    // The decapsulated reply comes in where the tunnel ends: the interface whose ipsec policy
    // protects the flow as it arrived (a translation may have sent the packet elsewhere).
    uint8_t outside = snap.interfaces[route->after.out_if].zone;
    if (const TraceStep* first = find(t, StageId::Session); first != nullptr) {
      const ipsec::Flow flow{first->before.proto, Ipv4{first->before.src}, Ipv4{first->before.dst},
                             first->before.sport, first->before.dport};
      for (const auto& i : snap.interfaces) {
        if (ipsec::spd_lookup(i.spd, flow).entry != nullptr) {
          outside = i.zone;
          break;
        }
      }
    }
    const uint8_t inside = route->before.in_zone;
    const FlowFields back{outside,
                          inside,
                          spec_.dst,
                          spec_.src,
                          spec_.protocol,
                          spec_.protocol == ipproto::kIcmp ? spec_.src_port : spec_.dst_port,
                          spec_.protocol == ipproto::kIcmp ? uint16_t{0} : spec_.src_port};
    policy_finding(snap, local_, back, f);
    out.push_back(std::move(f));
  }

  // Whether the security policy permits flow, with the rule to add when it does not.
  static void policy_finding(const Snapshot& snap, const config::Config& cfg,
                             const FlowFields& flow, Finding& f) {
    auto zone = [&](uint8_t z) {
      return z < snap.zones.names.size() ? snap.zones.names[z] : std::string("(none)");
    };
    const std::string zones = zone(flow.in_zone) + " -> " + zone(flow.out_zone);
    const int idx = snap.security.match(flow);
    const bool permit = idx >= 0 ? snap.security.rules()[static_cast<size_t>(idx)].permit
                                 : snap.security.default_permit();
    const std::string by = idx >= 0 ? "rule " + snap.security.rules()[static_cast<size_t>(idx)].name
                                    : std::string("the default action");
    f.evidence.push_back(by + (permit ? " permits " : " denies ") + to_string(flow.src) + " -> " +
                         to_string(flow.dst) + " (" + zones + ")");
    if (permit) return;
    f.verdict = ItemStatus::Failed;
    explain::RuleLines r;
    r.name = explain::unused_name("ipsec_" + zone(flow.in_zone) + "_" + zone(flow.out_zone),
                                  explain::security_rule_names(cfg));
    r.source_zones = {zone(flow.in_zone)};
    r.destination_zones = {zone(flow.out_zone)};
    r.source_addresses = {to_string(flow.src) + " mask 255.255.255.255"};
    r.destination_addresses = {to_string(flow.dst) + " mask 255.255.255.255"};
    r.action = "permit";
    f.fix = explain::rule_fix("security-policy", r,
                              idx >= 0 ? snap.security.rules()[static_cast<size_t>(idx)].name : "");
  }

  void far_side_undecidable(const config::IpsecPolicy* entry, std::vector<Finding>& out) {
    const std::string without = "without the peer's configuration (--peer)";
    out.push_back(undecidable(
        6, "the peer forwards the decapsulated packets from its outside zone to its inside",
        without,
        "on the peer: a security-policy rule permitting " + to_string(spec_.src) + " -> " +
            to_string(spec_.dst) + " from its outside zone to its inside zone"));
    out.push_back(sha2_finding(entry, nullptr, 0));
    out.push_back(undecidable(8, "the peer routes the packets to " + to_string(spec_.dst), without,
                              "on the peer: a route to " + to_string(spec_.dst) +
                                  " (display ip routing-table " + to_string(spec_.dst) + ")"));
  }

  // Checklist 7: both ends compute SHA-2 the same way.
  Finding sha2_finding(const config::IpsecPolicy* entry, const config::Config* peer,
                       uint8_t version) const {
    Finding f;
    f.item = {ItemList::Checklist, 7, {}};
    f.title = "both ends compute SHA-2 the same way (ipsec sha2 compatible)";
    const config::IpsecProposal* prop = nullptr;
    if (entry != nullptr) {
      for (const auto& p : local_.ipsec_proposals) {
        if (p.name == entry->proposal) prop = &p;
      }
    }
    if (prop == nullptr) {
      f.verdict = ItemStatus::NotReached;
      f.evidence = {"no ipsec policy entry protects this traffic"};
      return f;
    }
    const bool esp = prop->transform != config::IpsecProposal::Transform::Ah;
    const std::string auth = esp ? prop->esp_authentication : prop->ah_authentication;
    if (auth.rfind("sha2", 0) != 0) {
      f.evidence = {"ipsec proposal " + prop->name + " authenticates with " + auth +
                    ": no SHA-2, nothing to agree on"};
      return f;
    }
    const std::string mine = local_.ipsec_sha2_compatible ? "enabled" : "not enabled";
    f.evidence = {"ipsec proposal " + prop->name + " authenticates with " + auth + "; " +
                  label(local_) + ": ipsec sha2 compatible " + mine};
    if (peer == nullptr) {
      f.verdict = ItemStatus::NotDecidable;
      f.check = "on the peer: `ipsec sha2 compatible enable` exactly when " + label(local_) +
                " has it (" + mine + ")";
      return f;
    }
    f.evidence.push_back(label(*peer) + ": ipsec sha2 compatible " +
                         (peer->ipsec_sha2_compatible ? "enabled" : "not enabled"));
    if (version == 2) {
      f.evidence.push_back(
          "IKEv2 names the truncation of each algorithm (RFC 4868): the "
          "setting does not change an IKEv2 SA");
      return f;
    }
    if (local_.ipsec_sha2_compatible != peer->ipsec_sha2_compatible) {
      f.verdict = ItemStatus::Failed;
      f.device = label(*peer);
      f.evidence.push_back(
          "the two ends truncate HMAC-SHA-256 differently: every ESP packet "
          "fails its ICV on arrival");
      f.fix = {"system-view",
               local_.ipsec_sha2_compatible ? "ipsec sha2 compatible enable"
                                            : "undo ipsec sha2 compatible enable",
               "return"};
    }
    return f;
  }

  // A next hop for a route out of interface out: a router beside the device on that interface's
  // network (options' neighbours), else the next hop another route of the device takes there.
  std::optional<Ipv4> next_hop_on(const Device& dev, uint16_t out) const {
    const Snapshot& snap = dev.snapshot();
    if (out >= snap.interfaces.size()) return std::nullopt;
    const auto i = dev.config().interfaces.find(snap.interfaces[out].name);
    if (i == dev.config().interfaces.end() || !i->second.address) return std::nullopt;
    const Prefix net = i->second.address->network();
    if (const auto n = options_.neighbours.find(dev.config().sysname);
        n != options_.neighbours.end()) {
      for (const Ipv4 a : n->second) {
        if (net.contains(a) && a != i->second.address->host) return a;
      }
    }
    for (const Route& r : snap.fib.routes()) {
      if (r.kind == RouteKind::Static && r.out_if == out && r.next_hop != Ipv4{} &&
          net.contains(r.next_hop))
        return r.next_hop;
    }
    return std::nullopt;
  }

  // A route fix that names an Ethernet interface and no next hop (the explainer's, where the
  // device has no route to copy one from) names the next hop when one is known: on Ethernet the
  // device would ask ARP for the destination itself, which no router across a carrier answers.
  std::vector<std::string> with_next_hop(const Device& dev, std::vector<std::string> fix) const {
    for (auto& line : fix) {
      if (line.rfind("ip route-static ", 0) != 0) continue;
      const auto last = line.rfind(' ');
      const std::string via = line.substr(last + 1);
      const uint16_t out = dev.snapshot().interface_index(via);
      if (out == kNoInterface) continue;
      if (const auto hop = next_hop_on(dev, out)) line = line.substr(0, last + 1) + to_string(*hop);
    }
    return fix;
  }

  // IKE's packets to the peer need a route, with a next hop where the peer is not on the
  // interface's own network: the negotiation in memory carries them by hand, the carrier does not.
  Finding reaches_peer(const config::Config& cfg, Ipv4 peer) const {
    const Device dev(cfg);
    Finding f;
    f.item = {ItemList::Negotiation, 0, {}};
    f.title = "a route carries IKE's packets to the peer " + to_string(peer);
    f.device = label(cfg);
    const Snapshot& snap = dev.snapshot();
    const Route* r = snap.fib.lookup(peer);
    auto suggest = [&](uint16_t out) {
      if (const auto hop = next_hop_on(dev, out)) {
        f.fix = {"system-view",
                 "ip route-static " + to_string(peer) + " 255.255.255.255 " + to_string(*hop),
                 "return"};
        return;
      }
      const auto& i = dev.config().interfaces.at(snap.interfaces[out].name);
      f.check = "a route to " + to_string(peer) + " through the carrier's address on " +
                snap.interfaces[out].name + " (" + to_string(i.address->network().addr) + "/" +
                std::to_string(i.address->length) +
                "), usually the default route (ip route-static 0.0.0.0 0.0.0.0 NEXT-HOP): "
                "the configurations do not say which address the carrier has there";
    };
    const std::optional<uint16_t> tunnel = [&]() -> std::optional<uint16_t> {
      for (size_t n = 0; n < snap.interfaces.size(); ++n) {
        const auto i = cfg.interfaces.find(snap.interfaces[n].name);
        if (!snap.interfaces[n].spd.empty() && i != cfg.interfaces.end() && i->second.address)
          return static_cast<uint16_t>(n);
      }
      return std::nullopt;
    }();
    if (r == nullptr) {
      f.verdict = ItemStatus::Failed;
      f.evidence = {"no route to " + to_string(peer) +
                    ": the IKE packets to the peer are never sent, and the negotiation times "
                    "out (display ike sa shows no SA with " +
                    to_string(peer) + ")"};
      if (tunnel) suggest(*tunnel);
      return f;
    }
    const std::string route_words = to_string(r->prefix.addr) + "/" +
                                    std::to_string(r->prefix.len) + " interface " +
                                    snap.interfaces[r->out_if].name +
                                    (r->next_hop != Ipv4{} ? " nexthop " + to_string(r->next_hop)
                                                           : std::string(" (no next hop)"));
    f.evidence = {"route " + route_words};
    const auto i = cfg.interfaces.find(snap.interfaces[r->out_if].name);
    const bool on_link = i != cfg.interfaces.end() && i->second.address &&
                         i->second.address->network().contains(peer);
    if (r->next_hop == Ipv4{} && !on_link && r->kind == RouteKind::Static) {
      f.verdict = ItemStatus::Failed;
      f.evidence.push_back("the route names " + snap.interfaces[r->out_if].name +
                           " and no next hop: on Ethernet " + label(cfg) + " asks ARP for " +
                           to_string(peer) +
                           " itself, which is not on the interface's network, "
                           "and no router across the carrier answers (unless the carrier answers "
                           "ARP for it: proxy ARP)");
      suggest(r->out_if);
    }
    return f;
  }

  // --- with the peer: the forecast, the negotiation in memory, and the traffic through ------
  void with_peer(const config::IpsecPolicy* entry, const std::string& input,
                 std::vector<Finding>& out) {
    const std::string me = label(local_);
    const std::string them = label(*peer_);
    Finding forecast_item;
    forecast_item.item = {ItemList::Negotiation, 0, {}};
    forecast_item.title = "the two configurations negotiate (forecast)";
    if (entry == nullptr) {
      forecast_item.verdict = ItemStatus::NotReached;
      forecast_item.evidence = {"no ipsec policy entry of " + me + " protects this traffic"};
      out.push_back(std::move(forecast_item));
      return;
    }
    Device probe(local_);
    const TunnelSide a{me, &local_, entry, tunnel_address(probe, local_, *entry)};
    const config::IpsecPolicy* peer_entry = nullptr;
    Ipv4 peer_address;
    if (const config::IkePeer* p = local_.find_ike_peer(entry->ike_peer);
        p != nullptr && p->remote_address)
      peer_address = *p->remote_address;
    Device far(*peer_);
    peer_entry = answering_entry(far, peer_address);
    if (peer_entry == nullptr) {
      forecast_item.verdict = ItemStatus::Failed;
      forecast_item.device = them;
      forecast_item.evidence = {them + " has no ipsec policy applied to an interface with " +
                                to_string(peer_address) + " (" + me + "'s remote-address)"};
      // The peer's one interface with an ipsec policy is where the remote-address should point.
      std::vector<Ipv4> tunnel_ends;
      for (const auto& i : far.snapshot().interfaces) {
        if (!i.spd.empty() && i.has_address) tunnel_ends.push_back(i.address);
      }
      if (const config::IkePeer* p = local_.find_ike_peer(entry->ike_peer);
          p != nullptr && tunnel_ends.size() == 1) {
        forecast_item.device = me;
        forecast_item.evidence.push_back(them +
                                         "'s ipsec policy is applied to the interface with " +
                                         to_string(tunnel_ends.front()));
        forecast_item.fix = {"system-view", "ike peer " + p->name,
                             " remote-address " + to_string(tunnel_ends.front()), "return"};
      }
      out.push_back(std::move(forecast_item));
      return;
    }
    const TunnelSide b{them, peer_, peer_entry, peer_address};
    // Each gateway reaches the other: the in-memory negotiation below does not route.
    out.push_back(reaches_peer(local_, peer_address));
    if (a.address != Ipv4{}) out.push_back(reaches_peer(*peer_, a.address));
    const NegotiationForecast fc = forecast_negotiation(a, b);
    forecast_item.evidence.push_back(
        me + " starts with IKEv" + std::to_string(fc.version) + " (ipsec policy " + entry->name +
        " " + std::to_string(entry->seq) + "); " + them + " answers with " +
        (peer_entry->is_template ? "ipsec policy-template " : "ipsec policy ") + peer_entry->name +
        " " + std::to_string(peer_entry->seq));
    if (fc.undecidable) {
      forecast_item.verdict = ItemStatus::NotDecidable;
      forecast_item.evidence.push_back(fc.detail);
    } else if (fc.reason || !fc.starts) {
      forecast_item.verdict = ItemStatus::Failed;
      forecast_item.device = fc.fix_on;
      if (fc.reason)
        forecast_item.evidence.push_back(fc.found_by + " records \"" +
                                         std::string(ike::failure_words(*fc.reason)) + "\" (Ikev" +
                                         std::to_string(fc.version) + " error-info record)");
      forecast_item.evidence.push_back(fc.detail);
      forecast_item.fix = fc.fix;
    } else {
      forecast_item.evidence.emplace_back("the IKE SA and the IPSec SA pair come up");
    }
    for (const auto& n : fc.notes) forecast_item.evidence.push_back(n);
    out.push_back(std::move(forecast_item));

    // The real exchange, with the engines, between two fresh devices.
    Device fw1(local_);
    Device fw3(*peer_);
    const NegotiationResult real = negotiate_in_memory(fw1, fw3, entry->name, entry->seq);
    // The same again on two other devices, on to the first rekey (where IKEv2 meets PFS): the
    // devices above keep the SAs of the first exchange for the traffic below.
    NegotiationResult renewal;
    if (real.up) {
      Device again1(local_);
      Device again3(*peer_);
      renewal = negotiate_in_memory(again1, again3, entry->name, entry->seq, true);
    }
    const bool holds = real.up && renewal.rekeyed;
    Finding neg;
    neg.item = {ItemList::Negotiation, 0, {}};
    neg.title = "the two configurations negotiate (in memory, with the real engines)";
    neg.verdict = holds ? ItemStatus::Passed : ItemStatus::Failed;
    auto records = [&](const std::string& who, const std::vector<ike::ErrorRecord>& errors) {
      for (const auto& e : errors)
        neg.evidence.push_back(who + " recorded: Ikev" + std::to_string(e.version) +
                               " error-info record(peer address: " + to_string(e.peer) +
                               ", error reason: " + std::string(ike::failure_words(e.reason)) +
                               ")" + (e.detail.empty() ? "" : " - " + e.detail));
    };
    if (!real.started) {
      neg.evidence.push_back(me + " has nothing to start: no usable IKE peer");
      // A key sealed by another device cannot be used here: that is not the tunnel's fault.
      if (fc.undecidable) neg.verdict = ItemStatus::NotDecidable;
    }
    if (real.up) neg.evidence.emplace_back("the IKE SA and the IPSec SA pair are up");
    records(me, real.initiator_errors);
    records(them, real.responder_errors);
    if (real.up) {
      neg.evidence.emplace_back(renewal.rekeyed
                                    ? "their first rekey renews the IPSec SA pair"
                                    : "their first rekey fails: the tunnel goes down at the SA's "
                                      "hard lifetime");
      records(me + " at the rekey", renewal.initiator_errors);
      records(them + " at the rekey", renewal.responder_errors);
    }
    const bool agree = holds == (!fc.reason && fc.starts) &&
                       (!fc.reason || recorded(real, *fc.reason) || recorded(renewal, *fc.reason));
    if (!fc.undecidable)
      neg.evidence.push_back(agree ? "as forecast"
                                   : "the forecast said otherwise: please report this");
    out.push_back(std::move(neg));
    out.push_back(sha2_finding(entry, peer_, fc.version));

    if (real.up) {
      through_the_tunnel(fw1, fw3, input, out);
    } else {
      far_side_static(far, out);
    }
    // Traffic started from the far side meets the same requirements on the peer: traced there
    // as a new flow (it is also what makes the peer start IKE).
    const std::string lan = interface_towards(far, spec_.dst);
    if (!lan.empty()) {
      PacketSpec reverse = spec_;
      std::swap(reverse.src, reverse.dst);
      Device fresh(*peer_);
      const Traced t = send(fresh, build_packet(reverse), lan);
      requirements(fresh, t.trace, them, " (from " + to_string(spec_.dst) + ")", out);
    }
  }

  static bool recorded(const NegotiationResult& r, ike::Failure reason) {
    auto has = [&](const std::vector<ike::ErrorRecord>& v) {
      return std::any_of(v.begin(), v.end(), [&](const auto& e) { return e.reason == reason; });
    };
    return has(r.initiator_errors) || has(r.responder_errors);
  }

  static Ipv4 tunnel_address(const Device& dev, const config::Config& cfg,
                             const config::IpsecPolicy& entry) {
    if (entry.tunnel_local) return *entry.tunnel_local;
    for (const auto& [name, i] : cfg.interfaces) {
      if (i.ipsec_policy == entry.name && i.address) return i.address->host;
    }
    (void)dev;
    return Ipv4{};
  }

  // The peer's entry that answers address: applied on an interface with that address (or with
  // it as tunnel local), its ACL mirroring the traffic when several do.
  const config::IpsecPolicy* answering_entry(const Device& far, Ipv4 address) const {
    const config::IpsecPolicy* any = nullptr;
    const ipsec::Flow flow{spec_.protocol, spec_.src, spec_.dst, spec_.src_port, spec_.dst_port};
    for (const auto& p : peer_->ipsec_policies) {
      bool applied = false;
      for (const auto& [name, i] : peer_->interfaces) {
        applied = applied ||
                  (i.ipsec_policy == p.name && ((i.address && i.address->host == address) ||
                                                (p.tunnel_local && *p.tunnel_local == address)));
      }
      if (!applied) continue;
      if (any == nullptr) any = &p;
      for (const auto& st : far.snapshot().interfaces) {
        const ipsec::SpdMatch m = ipsec::spd_lookup_inbound(st.spd, flow);
        if (m.entry != nullptr && m.entry->policy == p.name && m.entry->seq == p.seq) return &p;
      }
    }
    if (any != nullptr && !any->template_name.empty()) {
      for (const auto& t : peer_->ipsec_templates) {
        if (t.name == any->template_name) return &t;
      }
    }
    return any;
  }

  void through_the_tunnel(Device& fw1, Device& fw3, const std::string& input,
                          std::vector<Finding>& out) {
    const std::string them = label(*peer_);
    const std::string me = label(local_);
    PacketSpec again = spec_;
    again.ip_id = static_cast<uint16_t>(spec_.ip_id + 1);
    if (again.protocol == ipproto::kTcp) again.tcp_flags = tcpflag::kSyn;
    const Traced sent = send(fw1, build_packet(again), input);
    const TraceStep* enc = find(sent.trace, StageId::Ipsec);
    Finding six;
    six.item = {ItemList::Checklist, 6, {}};
    six.title = them + " forwards the decapsulated packets from its outside zone to its inside";
    six.device = them;
    Finding eight;
    eight.item = {ItemList::Checklist, 8, {}};
    eight.title = them + " routes the packets to " + to_string(spec_.dst);
    eight.device = them;
    if (sent.action != Action::Forward || enc == nullptr || enc->result != Outcome::Encapsulated) {
      six.verdict = eight.verdict = ItemStatus::NotReached;
      six.evidence =
          eight.evidence = {me + " did not encapsulate the packet: " + stopped_at(sent.trace)};
      out.push_back(std::move(six));
      out.push_back(std::move(eight));
      return;
    }
    PacketInfo outer;
    parse_ipv4(sent.bytes, outer);
    const std::string arrival = interface_towards(fw3, outer.dst);
    const Traced in = send(fw3, sent.bytes, arrival);
    const TraceStep* dec = find(in.trace, StageId::IpsecInbound);
    if (dec != nullptr && dec->drop != DropReason::None) {
      six.verdict = eight.verdict = ItemStatus::NotReached;
      six.evidence = eight.evidence = evidence_of(*dec);
      // An ICV failure between two ends that negotiated is the SHA-2 item's.
      for (auto& f : out) {
        const bool icv = dec->drop == DropReason::IpsecIcvFailure ||
                         (dec->drop == DropReason::IpsecMalformed && !dec->warnings.empty());
        if (f.item.is(ItemList::Checklist, 7) && icv && f.verdict == ItemStatus::Passed) {
          f.verdict = ItemStatus::Failed;
          f.evidence.push_back(step_line(*dec));
        }
      }
    } else {
      const TraceStep* pol = find(in.trace, StageId::SecurityPolicy);
      if (pol == nullptr) {
        six.verdict = ItemStatus::NotReached;
        six.evidence = {stopped_at(in.trace)};
      } else {
        six.evidence = evidence_of(*pol);
        if (pol->drop != DropReason::None) {
          six.verdict = ItemStatus::Failed;
          six.fix = fix_of(*pol);
        }
      }
      const TraceStep* route = find(in.trace, StageId::Route);
      if (route == nullptr) {
        eight.verdict = ItemStatus::NotReached;
        eight.evidence = {stopped_at(in.trace)};
      } else {
        eight.evidence = evidence_of(*route);
        if (route->drop != DropReason::None) eight.verdict = ItemStatus::Failed;
      }
    }
    out.push_back(std::move(six));
    out.push_back(std::move(eight));
    out.push_back(full_size(fw1, input));

    // The reply, from the far side's network back through both gateways, in the sessions the
    // request made.
    const std::string lan = interface_towards(fw3, spec_.dst);
    if (lan.empty()) return;
    const Traced reply = send(fw3, build_packet(reply_of(spec_)), lan);
    Finding back;
    back.item = {ItemList::Reply, 0, {}};
    back.title = "the reply comes back through the tunnel to " + to_string(spec_.src);
    back.device = me;
    const TraceStep* renc = find(reply.trace, StageId::Ipsec);
    if (reply.action != Action::Forward || renc == nullptr ||
        renc->result != Outcome::Encapsulated) {
      back.verdict = ItemStatus::Failed;
      back.evidence = {them + " did not encapsulate the reply: " + stopped_at(reply.trace)};
      out.push_back(std::move(back));
      return;
    }
    PacketInfo router;
    parse_ipv4(reply.bytes, router);
    const Traced home = send(fw1, reply.bytes, interface_towards(fw1, router.dst));
    back.evidence = {them + " encapsulates it: " + step_line(*renc)};
    if (home.action == Action::Forward) {
      back.evidence.push_back(me + " decapsulates it and forwards it out of " +
                              home.trace.result.output);
    } else {
      back.verdict = ItemStatus::Failed;
      for (const auto& s : home.trace.steps) {
        if (s.drop != DropReason::None) {
          const auto more = evidence_of(s);
          back.evidence.insert(back.evidence.end(), more.begin(), more.end());
          back.fix = fix_of(s);
        }
      }
    }
    out.push_back(std::move(back));
  }

  // Quality 1, the seed's "Poor IPSec Service Quality": a packet of the input interface's MTU,
  // DF set, through the tunnel the negotiation brought up. When it does not fit once
  // encapsulated, packets without DF are fragmented after encapsulation (the peer reassembles
  // them before it decrypts: CPU on both) and packets with DF are dropped with ICMP
  // fragmentation-needed; for TCP, `tcp adjust-mss` on the input interface keeps the segments
  // within it. The overhead by part is the trace's.
  Finding full_size(Device& fw1, const std::string& input) const {
    const std::string me = label(local_);
    Finding q;
    q.item = {ItemList::Quality, 1, {}};
    q.device = me;
    const Snapshot& snap = fw1.snapshot();
    const uint16_t in = snap.interface_index(input);
    const uint32_t mtu = in < snap.interfaces.size() ? snap.interfaces[in].mtu : 1500;
    q.title = "packets of " + input + "'s MTU (" + std::to_string(mtu) +
              " bytes) cross the tunnel without fragmentation";
    PacketSpec big = spec_;
    big.total_length = static_cast<uint16_t>(mtu);
    big.dont_fragment = true;
    big.ip_id = static_cast<uint16_t>(spec_.ip_id + 2);
    if (big.protocol == ipproto::kIcmp) big.src_port = static_cast<uint16_t>(spec_.src_port + 2);
    const Traced t = send(fw1, build_packet(big), input);
    const TraceStep* ip = find(t.trace, StageId::Ipsec);
    if (ip == nullptr || ip->drop != DropReason::FragmentNeeded) {
      q.evidence = {std::to_string(mtu) + " bytes with DF set: " +
                    (t.action == Action::Forward ? "fit once encapsulated" : stopped_at(t.trace))};
      return q;
    }
    q.evidence = evidence_of(*ip);
    const auto& cfg_in = local_.interfaces.find(input);
    // A plain value (0: none) rather than an optional: GCC's release build misreads the
    // optional's copy as maybe-uninitialized.
    const uint16_t mss = cfg_in != local_.interfaces.end() && cfg_in->second.tcp_adjust_mss
                             ? *cfg_in->second.tcp_adjust_mss
                             : 0;
    // The explainer proves its tcp adjust-mss fix on a segment of what fits: its length less
    // the IP and TCP headers is the largest MSS that keeps segments within the tunnel.
    const uint32_t fits = ip->warnings.empty() ? 0 : ip->warnings.front().proof_length;
    if (spec_.protocol == ipproto::kTcp && mss != 0 && fits > 40 && mss <= fits - 40) {
      q.evidence.push_back("tcp adjust-mss " + std::to_string(mss) + " on " + input +
                           " keeps the TCP segments within it");
      return q;
    }
    q.verdict = ItemStatus::Warning;
    q.evidence.push_back(
        "without DF such packets are fragmented after encapsulation, and the peer reassembles "
        "them before it decrypts (CPU on both gateways: the seed's \"Poor IPSec Service "
        "Quality\"); with DF they are dropped and ICMP fragmentation-needed goes back");
    if (spec_.protocol == ipproto::kTcp) {
      q.fix = fix_of(*ip);
    } else {
      q.check =
          "the hosts' MTU, or their path MTU discovery (DF and ICMP fragmentation-needed let "
          "through), keeps their packets within what fits";
    }
    return q;
  }

  // Without SAs, the far side's items from its configuration: the inbound policy and the route.
  void far_side_static(const Device& far, std::vector<Finding>& out) {
    const std::string them = label(*peer_);
    const Snapshot& snap = far.snapshot();
    Finding six;
    six.item = {ItemList::Checklist, 6, {}};
    six.title = them + " forwards the decapsulated packets from its outside zone to its inside";
    six.device = them;
    Finding eight;
    eight.item = {ItemList::Checklist, 8, {}};
    eight.title = them + " routes the packets to " + to_string(spec_.dst);
    eight.device = them;
    const Route* r = snap.fib.lookup(spec_.dst);
    if (r == nullptr) {
      eight.verdict = ItemStatus::Failed;
      eight.evidence = {them + " has no route to " + to_string(spec_.dst)};
      eight.check = "a route to " + to_string(spec_.dst) + " on " + them;
    } else {
      eight.evidence = {them + " routes " + to_string(spec_.dst) + " out of " +
                        snap.interfaces[r->out_if].name +
                        " (checked from the configuration: "
                        "the tunnel is not up)"};
    }
    uint8_t outside = kNoZone;
    for (const auto& i : snap.interfaces) {
      if (!i.spd.empty()) outside = i.zone;
    }
    if (r != nullptr && outside != kNoZone) {
      const FlowFields flow{outside,
                            snap.interfaces[r->out_if].zone,
                            spec_.src,
                            spec_.dst,
                            spec_.protocol,
                            spec_.src_port,
                            spec_.protocol == ipproto::kIcmp ? uint16_t{0x0800} : spec_.dst_port};
      policy_finding(snap, *peer_, flow, six);
    } else {
      six.verdict = ItemStatus::NotDecidable;
      six.evidence = {them + " has no interface with an IPSec policy, or no route inside"};
    }
    out.push_back(std::move(six));
    out.push_back(std::move(eight));
  }

  const config::Config& local_;
  const config::Config* peer_;
  PacketSpec spec_;
  const DiagnoseOptions& options_;
};

}  // namespace

std::string ItemId::text() const {
  std::string t(kItemListIds[static_cast<size_t>(list)]);
  if (number != 0) t += " " + std::to_string(number);
  return t + qualifier;
}

bool Diagnosis::failed() const {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.verdict == ItemStatus::Failed; });
}

Expected<Diagnosis> diagnose(const config::Config& local, const config::Config* peer,
                             const DiagnoseOptions& o) {
  const auto spec = flow_spec(o);
  if (!spec) return Unexpected(spec.error());
  const Device probe(local);
  const std::string input = interface_towards(probe, spec->src);
  if (input.empty()) {
    return fail(local.sysname + " has no interface or route towards " + o.from);
  }
  return Run(local, peer, *spec, o).run(input);
}

}  // namespace vfw::diagnose
