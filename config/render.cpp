#include "config/render.hpp"

#include <algorithm>
#include <sstream>

#include "config/secret.hpp"
#include "config/services.hpp"

namespace vfw::config {
namespace {

std::string mask_text(unsigned len) {
  return to_string(Ipv4{mask_of_length(len)});
}

std::string address_text(const AddressItem& a) {
  switch (a.kind) {
    case AddressItem::Kind::Prefix:
      return to_string(a.prefix.addr) + " mask " + mask_text(a.prefix.len);
    case AddressItem::Kind::Range:
      return "range " + to_string(a.lo) + " " + to_string(a.hi);
    case AddressItem::Kind::Set:
      return "address-set " + a.set;
  }
  return "";
}

std::string wildcard_text(const Wildcard& w) {
  return to_string(w.addr) + " " + (w.wild.v == 0 ? std::string("0") : to_string(w.wild));
}

// `eq www` as the device prints a well-known port; ranges stay numeric, as in its samples.
std::string ports_text(uint8_t protocol, const std::pair<uint16_t, uint16_t>& p) {
  if (p.first == p.second) return "eq " + port_text(protocol, p.first);
  return "range " + std::to_string(p.first) + " " + std::to_string(p.second);
}

// GigabitEthernet interfaces first, by slot/card/port numerically, then the others by name.
bool interface_order(const std::string& a, const std::string& b) {
  auto key = [](const std::string& n) {
    std::vector<long> numbers;
    std::string type;
    size_t i = 0;
    while (i < n.size() && (std::isdigit(static_cast<unsigned char>(n[i])) == 0)) type += n[i++];
    // slot/card/port then the subinterface number: "1/0/0.10" -> 1, 0, 0, 10. The CLI bounds
    // every number, so each fits.
    while (i < n.size()) {
      size_t next = n.find_first_of("/.", i);
      const std::string part =
          n.substr(i, next == std::string::npos ? std::string::npos : next - i);
      numbers.push_back(part.empty() ? 0 : std::stol(part));
      i = next == std::string::npos ? n.size() : next + 1;
    }
    return std::pair{type == "GigabitEthernet" ? std::string() : type, numbers};
  };
  return key(a) < key(b);
}

// What every policy's rule prints before its action, in the device's order: name, description,
// disable, the match conditions, the egress interface (nat-policy and traffic-policy rules), then
// the lines kept verbatim.
template <typename Rule>
void render_rule_head(std::ostream& o, const Rule& r) {
  o << " rule name " << r.name << "\n";
  if (!r.description.empty()) o << "  description " << r.description << "\n";
  if (r.disabled) o << "  disable\n";
  for (const auto& z : r.source_zones) o << "  source-zone " << z << "\n";
  for (const auto& z : r.destination_zones) o << "  destination-zone " << z << "\n";
  for (const auto& a : r.source_addresses) o << "  source-address " << address_text(a) << "\n";
  for (const auto& a : r.destination_addresses)
    o << "  destination-address " << address_text(a) << "\n";
  for (const auto& s : r.services) o << "  service " << s << "\n";
  if constexpr (requires { r.egress_interface; }) {
    if (!r.egress_interface.empty()) o << "  egress-interface " << r.egress_interface << "\n";
  }
  for (const auto& line : r.opaque) o << " " << line << "\n";
}

}  // namespace

std::string render_acl_rule(const AclRule& r) {
  std::ostringstream o;
  o << "rule " << r.id << (r.permit ? " permit " : " deny ") << protocol_name(r.protocol);
  // VRP's order (and what ntc-templates' parser expects): each address with its port.
  if (r.source) o << " source " << wildcard_text(*r.source);
  if (r.src_port) o << " source-port " << ports_text(r.protocol, *r.src_port);
  if (r.destination) o << " destination " << wildcard_text(*r.destination);
  if (r.dst_port) o << " destination-port " << ports_text(r.protocol, *r.dst_port);
  return o.str();
}

std::string render_basic_acl_rule(const AclRule& r) {
  std::ostringstream o;
  o << "rule " << r.id << (r.permit ? " permit" : " deny");
  if (r.source) o << " source " << wildcard_text(*r.source);
  return o.str();
}

std::string render_interface_body(const Interface& i) {
  std::ostringstream o;
  if (!i.description.empty()) o << " description " << i.description << "\n";
  if (i.dot1q) o << " vlan-type dot1q " << *i.dot1q << "\n";
  if (i.shutdown) o << " shutdown\n";
  if (!i.shutdown && i.undo_shutdown_shown) o << " undo shutdown\n";
  if (i.address) {
    o << " ip address " << to_string(i.address->host) << " " << mask_text(i.address->length)
      << "\n";
  }
  if (i.mtu != 1500) o << " mtu " << i.mtu << "\n";
  if (!i.service_manage.enabled) o << " undo service-manage enable\n";
  for (const auto& s : kManageServices) {
    if (i.service_manage.permitted.has(s.service))
      o << " service-manage " << s.keyword << " permit\n";
  }
  if (i.tcp_adjust_mss) o << " tcp adjust-mss " << *i.tcp_adjust_mss << "\n";
  if (!i.ipsec_policy.empty())
    o << " ipsec policy " << i.ipsec_policy << (i.ipsec_auto_neg ? " auto-neg" : "") << "\n";
  if (i.trunk) o << " eth-trunk " << *i.trunk << "\n";
  for (const auto& line : i.opaque) o << line << "\n";
  return o.str();
}

std::string render_security_rule(const SecurityRule& r) {
  std::ostringstream o;
  render_rule_head(o, r);
  if (r.action != PolicyAction::Unset) {
    o << "  action " << (r.action == PolicyAction::Permit ? "permit" : "deny") << "\n";
  }
  return o.str();
}

std::string nat_action_text(const NatRule& r) {
  switch (r.action) {
    case NatAction::Unset:
      return "";
    case NatAction::NoNat:
      return "no-nat";
    case NatAction::SourceEasyIp:
      return "source-nat easy-ip";
    case NatAction::SourceAddressGroup:
      return "source-nat address-group " + r.address_group;
    case NatAction::DestinationStatic: {
      std::string s =
          "destination-nat static address-to-address address " + to_string(r.destination_address);
      if (r.destination_port) s += " " + std::to_string(*r.destination_port);
      return s;
    }
    case NatAction::DestinationGroup: {
      std::string s = "destination-nat address-group " + r.address_group;
      if (r.destination_port) s += " " + std::to_string(*r.destination_port);
      return s;
    }
  }
  return "";
}

std::string render_nat_rule(const NatRule& r) {
  std::ostringstream o;
  render_rule_head(o, r);
  if (r.action != NatAction::Unset) o << "  action " << nat_action_text(r) << "\n";
  return o.str();
}

std::string render_traffic_profile(const TrafficProfile& p) {
  std::ostringstream o;
  o << " profile " << p.name << "\n";
  for (const auto& l : p.limits) {
    const char* scope = l.per_ip ? "per-ip" : "whole";
    if (l.direction_first) {
      o << "  bandwidth " << l.direction << " connection-limit " << scope << " " << l.count << "\n";
    } else {
      o << "  bandwidth connection-limit " << scope << " " << l.direction << " " << l.count << "\n";
    }
  }
  for (const auto& line : p.opaque) o << " " << line << "\n";
  return o.str();
}

std::string render_traffic_rule(const TrafficRule& r) {
  std::ostringstream o;
  render_rule_head(o, r);
  if (r.action == TrafficRule::Action::Qos) o << "  action qos profile " << r.profile << "\n";
  if (r.action == TrafficRule::Action::NoQos) o << "  action no-qos\n";
  return o.str();
}

std::string render_traffic_policy(const TrafficPolicy& p) {
  std::ostringstream o;
  o << "traffic-policy\n";
  for (const auto& line : p.opaque) o << line << "\n";
  for (const auto& profile : p.profiles) o << render_traffic_profile(profile);
  for (const auto& r : p.rules) o << render_traffic_rule(r);
  return o.str();
}

std::string render_route(const StaticRoute& r) {
  std::ostringstream o;
  o << "ip route-static " << to_string(r.destination.addr) << " " << mask_text(r.destination.len);
  if (!r.interface.empty()) o << " " << r.interface;
  if (r.next_hop) o << " " << to_string(*r.next_hop);
  if (r.preference != 60) o << " preference " << r.preference;
  if (!r.description.empty()) o << " description " << r.description;
  return o.str();
}

std::string render_nat_server(const NatServer& s) {
  std::ostringstream o;
  o << "nat server " << s.name;
  if (s.protocol != 0) o << " protocol " << protocol_name(s.protocol);
  o << " global " << to_string(s.global);
  if (s.global_port) o << " " << port_text(s.protocol, *s.global_port);
  o << " inside " << to_string(s.inside);
  if (s.inside_port) o << " " << port_text(s.protocol, *s.inside_port);
  if (s.no_reverse) o << " no-reverse";
  if (s.unr_route) o << " unr-route";
  return o.str();
}

std::string render_ipsec_proposal(const IpsecProposal& p) {
  std::ostringstream o;
  o << "ipsec proposal " << p.name << "\n";
  if (p.transform == IpsecProposal::Transform::Ah) o << " transform ah\n";
  if (p.transform == IpsecProposal::Transform::AhEsp) o << " transform ah-esp\n";
  o << " encapsulation-mode " << (p.auto_mode ? "auto" : p.tunnel ? "tunnel" : "transport") << "\n";
  if (p.transform != IpsecProposal::Transform::Esp)
    o << " ah authentication-algorithm " << p.ah_authentication << "\n";
  if (p.transform != IpsecProposal::Transform::Ah) {
    o << " esp authentication-algorithm " << p.esp_authentication << "\n";
    o << " esp encryption-algorithm " << p.esp_encryption << "\n";
  }
  for (const auto& line : p.opaque) o << line << "\n";
  return o.str();
}

std::string render_ipsec_policy(const IpsecPolicy& p) {
  std::ostringstream o;
  if (p.is_template) {
    o << "ipsec policy-template " << p.name << " " << p.seq << "\n";
  } else {
    o << "ipsec policy " << p.name << " " << p.seq << (p.manual ? " manual" : " isakmp");
    if (!p.template_name.empty()) o << " template " << p.template_name;
    o << "\n";
  }
  if (p.acl) o << " security acl " << *p.acl << "\n";
  if (!p.ike_peer.empty()) o << " ike-peer " << p.ike_peer << "\n";
  if (!p.proposal.empty()) o << " proposal " << p.proposal << "\n";
  if (!p.pfs.empty()) o << " pfs " << p.pfs << "\n";
  if (p.tunnel_local) o << " tunnel local " << to_string(*p.tunnel_local) << "\n";
  if (!p.local_applied_spelling.empty()) o << " " << p.local_applied_spelling << "\n";
  if (p.tunnel_remote) o << " tunnel remote " << to_string(*p.tunnel_remote) << "\n";
  if (p.duration_traffic) o << " sa duration traffic-based " << *p.duration_traffic << "\n";
  if (p.duration_time) o << " sa duration time-based " << *p.duration_time << "\n";
  auto manual = [&](const char* dir, const char* proto, const ManualSaKeys& k) {
    if (k.spi) o << " sa spi " << dir << " " << proto << " " << *k.spi << "\n";
    // Keys never print in clear: the device's cipher form (config/secret.hpp).
    if (!k.encryption_hex.empty()) {
      o << " sa encryption-hex " << dir << " " << proto << " cipher "
        << seal_secret(k.encryption_hex) << "\n";
    }
    if (!k.authentication_hex.empty()) {
      o << " sa authentication-hex " << dir << " " << proto << " cipher "
        << seal_secret(k.authentication_hex) << "\n";
    }
  };
  manual("inbound", "esp", p.esp_in);
  manual("outbound", "esp", p.esp_out);
  manual("inbound", "ah", p.ah_in);
  manual("outbound", "ah", p.ah_out);
  if (p.trigger_mode != TriggerMode::Unset)
    o << " sa trigger-mode " << keyword(p.trigger_mode) << "\n";
  for (const auto& line : p.opaque) o << line << "\n";
  return o.str();
}

namespace {

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

std::string render_ike_proposal(const IkeProposal& p) {
  std::ostringstream o;
  o << "ike proposal " << p.name << "\n";
  o << " encryption-algorithm " << joined(p.encryption) << "\n";
  o << " dh " << joined(p.dh) << "\n";
  o << " authentication-algorithm " << joined(p.authentication) << "\n";
  o << " authentication-method " << keyword(p.authentication_method) << "\n";
  o << " integrity-algorithm " << joined(p.integrity) << "\n";
  o << " prf " << joined(p.prf) << "\n";
  if (p.duration != 86400) o << " sa duration " << p.duration << "\n";
  for (const auto& line : p.opaque) o << line << "\n";
  return o.str();
}

std::string render_ike_peer(const IkePeer& p) {
  std::ostringstream o;
  o << "ike peer " << p.name << "\n";
  if (!p.version1) o << " undo version 1\n";
  if (!p.version2) o << " undo version 2\n";
  if (p.exchange_mode != ExchangeMode::Unset)
    o << " exchange-mode " << keyword(p.exchange_mode) << "\n";
  // The key never prints in clear: the device's cipher form (config/secret.hpp), or the cipher
  // text another device made, as it was loaded.
  if (!p.pre_shared_key.empty()) o << " pre-shared-key " << seal_secret(p.pre_shared_key) << "\n";
  if (!p.foreign_psk.empty()) o << " pre-shared-key " << p.foreign_psk << "\n";
  if (!p.ike_proposal.empty()) o << " ike-proposal " << p.ike_proposal << "\n";
  if (p.local_id_type != IdType::Unset) o << " local-id-type " << keyword(p.local_id_type) << "\n";
  if (p.remote_id_inline) {
    o << " remote-id-type ip " << p.remote_id << "\n";
  } else {
    if (p.remote_id_type != IdType::Unset)
      o << " remote-id-type " << keyword(p.remote_id_type) << "\n";
    if (!p.remote_id.empty()) o << " remote-id " << p.remote_id << "\n";
  }
  if (!p.local_id.empty()) o << " local-id " << p.local_id << "\n";
  for (const auto& line : p.opaque) o << line << "\n";
  if (p.nat_traversal) o << (*p.nat_traversal ? " nat traversal\n" : " undo nat traversal\n");
  if (p.remote_address) o << " remote-address " << to_string(*p.remote_address) << "\n";
  if (p.authentication_address)
    o << " remote-address authentication-address " << to_string(*p.authentication_address) << "\n";
  return o.str();
}

std::string render_current_configuration(const Config& c) {
  std::ostringstream o;
  o << "#\n sysname " << c.sysname << "\n";
  // Lines vfw keeps without emulating them, in the order given: the global commands the device
  // prints indented here, the blocks that start at the left margin (aaa, ike peer ...) after the
  // objects. Either way the text reads back into blocks that print the same, however the lines
  // were split into blocks when first kept.
  auto indented = [](const OpaqueBlock& b) {
    return !b.lines.empty() && !b.lines[0].empty() && b.lines[0][0] == ' ';
  };
  for (const auto& b : c.opaque) {
    if (!indented(b)) continue;
    for (const auto& line : b.lines) o << line << "\n";
  }
  o << "#\n";

  for (const auto& [num, acl] : c.acls) {
    o << "acl number " << num << "\n";
    if (!acl.description.empty()) o << " description " << acl.description << "\n";
    if (acl.step != 5) o << " step " << acl.step << "\n";
    for (const auto& r : acl.rules) {
      o << " " << (num < 3000 ? render_basic_acl_rule(r) : render_acl_rule(r)) << "\n";
    }
    for (const auto& line : acl.opaque) o << line << "\n";
    o << "#\n";
  }

  for (const auto& s : c.address_sets) {
    o << "ip address-set " << s.name << (s.group ? " type group" : " type object");
    if (s.id) o << " " << *s.id;
    o << "\n";
    if (!s.description.empty()) o << " description " << s.description << "\n";
    for (const auto& [id, a] : s.items) {
      o << " address " << id << " ";
      if (a.kind == AddressItem::Kind::Set) {
        o << "address-set " << a.set << "\n";
      } else if (a.kind == AddressItem::Kind::Range) {
        o << "range " << to_string(a.lo) << " " << to_string(a.hi) << "\n";
      } else {
        o << to_string(a.prefix.addr) << " mask " << unsigned{a.prefix.len} << "\n";
      }
    }
    for (const auto& line : s.opaque) o << line << "\n";
    o << "#\n";
  }
  for (const auto& s : c.service_sets) {
    o << "ip service-set " << s.name << " type object";
    if (s.id) o << " " << *s.id;
    o << "\n";
    if (!s.description.empty()) o << " description " << s.description << "\n";
    for (const auto& [id, item] : s.items) {
      o << " service " << id << " protocol " << protocol_name(item.protocol);
      if (item.protocol == 6 || item.protocol == 17) {
        if (item.source_port_given || item.src_lo != 0 || item.src_hi != 65535) {
          o << " source-port " << item.src_lo;
          if (item.src_hi != item.src_lo) o << " to " << item.src_hi;
        }
        o << " destination-port " << item.dst_lo;
        if (item.dst_hi != item.dst_lo) o << " to " << item.dst_hi;
      }
      o << "\n";
    }
    for (const auto& line : s.opaque) o << line << "\n";
    o << "#\n";
  }

  for (const auto& b : c.opaque) {
    if (indented(b)) continue;
    for (const auto& line : b.lines) o << line << "\n";
    o << "#\n";
  }
  if (c.ipsec_sha2_compatible) o << "ipsec sha2 compatible enable\n#\n";
  if (c.ipsec_anti_replay_window != 64)
    o << "ipsec anti-replay window " << c.ipsec_anti_replay_window << "\n#\n";
  for (const auto& p : c.ipsec_proposals) o << render_ipsec_proposal(p) << "#\n";
  if (!c.ike_local_name.empty()) o << "ike local-name " << c.ike_local_name << "\n#\n";
  for (const auto& p : c.ike_proposals) o << render_ike_proposal(p) << "#\n";
  for (const auto& p : c.ike_peers) o << render_ike_peer(p) << "#\n";
  for (const auto& p : c.ipsec_templates) o << render_ipsec_policy(p) << "#\n";
  for (const auto& p : c.ipsec_policies) o << render_ipsec_policy(p) << "#\n";

  std::vector<std::string> names;
  for (const auto& [name, i] : c.interfaces) names.push_back(name);
  std::sort(names.begin(), names.end(), interface_order);
  for (const auto& name : names) {
    o << "interface " << name << "\n" << render_interface_body(c.interfaces.at(name)) << "#\n";
  }

  for (const auto& z : c.zones) {
    o << (z.builtin ? "firewall zone " : "firewall zone name ") << z.name;
    if (z.id != 0) o << " id " << z.id;
    o << "\n";
    if (z.builtin || z.priority != 0) o << " set priority " << z.priority << "\n";
    for (const auto& i : z.interfaces) o << " add interface " << i << "\n";
    for (const auto& line : z.opaque) o << line << "\n";
    o << "#\n";
  }

  for (const auto& r : c.routes) o << render_route(r) << "\n";
  if (!c.routes.empty()) o << "#\n";
  for (const auto& s : c.nat_servers) o << render_nat_server(s) << "\n";
  if (!c.nat_servers.empty()) o << "#\n";

  for (const auto& g : c.address_groups) {
    o << "nat address-group " << g.name << " " << g.id << "\n";
    o << " mode " << (g.no_pat ? "no-pat local" : "pat") << "\n";
    for (const auto& line : g.opaque) o << line << "\n";
    for (const auto& s : g.sections) {
      o << " section " << s.id << " " << to_string(s.start) << " " << to_string(s.end) << "\n";
    }
    o << "#\n";
  }

  o << "security-policy\n";
  if (c.security_policy.default_action == PolicyAction::Permit) o << " default action permit\n";
  for (const auto& line : c.security_policy.opaque) o << line << "\n";
  for (const auto& r : c.security_policy.rules) o << render_security_rule(r);
  o << "#\n";
  // The device's order: security-policy, traffic-policy, nat-policy.
  const TrafficPolicy& t = c.traffic_policy;
  if (t.shown || !t.rules.empty() || !t.profiles.empty() || !t.opaque.empty())
    o << render_traffic_policy(t) << "#\n";
  if (c.nat_policy.shown || !c.nat_policy.rules.empty() || !c.nat_policy.opaque.empty()) {
    o << "nat-policy\n";
    for (const auto& line : c.nat_policy.opaque) o << line << "\n";
    for (const auto& r : c.nat_policy.rules) o << render_nat_rule(r);
    o << "#\n";
  }
  o << "return\n";
  for (const auto& line : c.vsys_sections) o << line << "\n";
  return o.str();
}

}  // namespace vfw::config
