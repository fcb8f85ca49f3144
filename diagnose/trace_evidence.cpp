#include "diagnose/trace_evidence.hpp"

#include "config/render.hpp"
#include "config/services.hpp"
#include "explain/fix_lines.hpp"

namespace vfw::diagnose {

Traced send(Device& d, std::vector<uint8_t> bytes, const std::string& input) {
  Traced t;
  t.bytes = std::move(bytes);
  t.action = d.receive(t.bytes, input, &t.trace, nullptr);
  return t;
}

const TraceStep* find(const Trace& t, StageId stage) {
  for (const auto& s : t.steps) {
    if (s.stage == stage) return &s;
  }
  return nullptr;
}

std::string step_line(const TraceStep& s) {
  return step_summary(s);
}

// The step's own words: its line, its changes and notes, its warnings.
std::vector<std::string> evidence_of(const TraceStep& s) {
  std::vector<std::string> e{step_line(s)};
  for (const auto& c : s.changes) e.push_back("  " + c.field + " " + c.before + " -> " + c.after);
  for (const auto& i : s.info) e.push_back("  " + i);
  for (const auto& w : s.warnings) e.push_back("  warning: " + w.message);
  return e;
}

std::vector<std::string> fix_of(const TraceStep& s) {
  return s.warnings.empty() ? std::vector<std::string>{} : s.warnings.front().fix;
}

// The configuration behind a step's decision, as `display current-configuration` prints it: the
// rule, route or ACL rule, prefixed "config:".
std::vector<std::string> config_lines(const Device& dev, const TraceStep& s) {
  std::vector<std::string> lines;
  auto block = [&](const std::string& head, const std::string& text) {
    lines.push_back("config: " + head);
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back("config: " + line);
  };
  const Snapshot& snap = dev.snapshot();
  const config::Config& cfg = dev.config();
  const FlowFields f{s.before.in_zone, s.before.out_zone, Ipv4{s.before.src}, Ipv4{s.before.dst},
                     s.before.proto,   s.before.sport,    s.before.dport};
  if (s.stage == StageId::SecurityPolicy && !s.before.to_device) {
    const int idx = snap.security.match(f);
    if (idx < 0) return lines;
    const std::string& name = snap.security.rules()[static_cast<size_t>(idx)].name;
    for (const auto& r : cfg.security_policy.rules) {
      if (r.name == name) block("security-policy", config::render_security_rule(r));
    }
  } else if (s.stage == StageId::Snat && !s.before.to_device) {
    const int idx = snap.nat.match_source(f, s.before.out_if);
    if (idx < 0) return lines;
    const std::string& name = snap.nat.source_rules()[static_cast<size_t>(idx)].name;
    for (const auto& r : cfg.nat_policy.rules) {
      if (r.name == name) block("nat-policy", config::render_nat_rule(r));
    }
  } else if (s.stage == StageId::Route) {
    const Route* r = snap.fib.lookup(Ipv4{s.before.dst});
    if (r == nullptr || r->kind != RouteKind::Static) return lines;
    for (const auto& st : cfg.routes) {
      if (st.destination.addr == r->prefix.addr && st.destination.len == r->prefix.len)
        lines.push_back("config: " + config::render_route(st));
    }
  } else if (s.stage == StageId::Ipsec && s.before.out_if < snap.interfaces.size()) {
    const ipsec::SpdMatch m =
        ipsec::spd_lookup(snap.interfaces[s.before.out_if].spd,
                          ipsec::Flow{s.before.proto, Ipv4{s.before.src}, Ipv4{s.before.dst},
                                      s.before.sport, s.before.dport});
    if (m.entry == nullptr) return lines;
    lines.push_back("config: acl number " + std::to_string(m.entry->acl));
    lines.push_back("config:  " + config::render_acl_rule(*m.rule));
  }
  return lines;
}

bool moved(const TraceStep& s) {
  return s.before.src != s.after.src || s.before.dst != s.after.dst ||
         s.before.sport != s.after.sport || s.before.dport != s.after.dport;
}

// Where the packet stopped, for the items it never reached.
std::string stopped_at(const Trace& t) {
  for (const auto& s : t.steps) {
    if (s.drop != DropReason::None)
      return "the packet is dropped before this stage, at stage " + std::to_string(s.number) + " " +
             std::string(stage_id(s.stage)) + " (" + std::string(drop_reason_id(s.drop)) +
             "): fix that first";
  }
  return "the packet did not reach this stage";
}

// The interface a host's packets arrive on: the one whose network holds it, else the one the
// route back to it leaves by.
std::string interface_towards(const Device& d, Ipv4 host) {
  for (const auto& [name, i] : d.config().interfaces) {
    if (i.address && !i.shutdown && i.address->length < 32 && i.address->network().contains(host))
      return name;
  }
  const Route* r = d.snapshot().fib.lookup(host);
  if (r != nullptr && r->out_if < d.snapshot().interfaces.size() && r->kind != RouteKind::Local &&
      r->kind != RouteKind::Blackhole)
    return d.snapshot().interfaces[r->out_if].name;
  return "";
}

std::string flow_words(const PacketSpec& p) {
  const std::string name = config::protocol_name(p.protocol);
  if (p.protocol == ipproto::kIcmp)
    return name + " " + to_string(p.src) + " -> " + to_string(p.dst);
  return name + " " + to_string(p.src) + ":" + std::to_string(p.src_port) + " -> " +
         to_string(p.dst) + ":" + std::to_string(p.dst_port);
}

PacketSpec reply_of(const PacketSpec& p) {
  PacketSpec r = p;
  std::swap(r.src, r.dst);
  if (p.protocol == ipproto::kIcmp) {
    r.icmp_type = 0;
  } else {
    std::swap(r.src_port, r.dst_port);
    if (p.protocol == ipproto::kTcp) r.tcp_flags = tcpflag::kSyn | tcpflag::kAck;
  }
  r.ip_id = static_cast<uint16_t>(p.ip_id + 0x4000);
  return r;
}

Expected<PacketSpec> flow_spec(const DiagnoseOptions& o) {
  const auto from = parse_ipv4(o.from);
  const auto to = parse_ipv4(o.to);
  if (!from) return fail("--from: \"" + o.from + "\" is not an IPv4 address");
  if (!to) return fail("--to: \"" + o.to + "\" is not an IPv4 address");
  PacketSpec spec;
  spec.src = *from;
  spec.dst = *to;
  if (o.protocol == "icmp") {
    spec.src_port = 1;
  } else if (o.protocol == "tcp" || o.protocol == "udp") {
    if (o.port < 1 || o.port > 65535) return fail("--port (1 to 65535) is needed for tcp and udp");
    spec.protocol = o.protocol == "tcp" ? ipproto::kTcp : ipproto::kUdp;
    spec.src_port = 49152;
    spec.dst_port = static_cast<uint16_t>(o.port);
    spec.tcp_flags = tcpflag::kSyn;
  } else {
    return fail("--protocol is icmp, tcp or udp");
  }
  return spec;
}

}  // namespace vfw::diagnose
