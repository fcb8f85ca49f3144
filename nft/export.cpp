#include "nft/export.hpp"

#include <algorithm>
#include <cctype>
#include <list>
#include <set>

#include "config/services.hpp"
#include "packet/packet.hpp"

namespace vfw::nft {
namespace {

using config::AddressItem;
using config::ServiceItem;
using K = Match::Kind;

// A name nft accepts for a set: letters, digits and underscores.
std::string set_name(const std::string& prefix, const std::string& name) {
  std::string out = prefix;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    out += (std::isalnum(u) != 0 || c == '_') ? c : '_';
  }
  return out.substr(0, 31);
}

// A comment nft keeps: no double quotes, at most 128 bytes.
std::string comment_of(const std::string& text) {
  std::string out = text;
  std::replace(out.begin(), out.end(), '"', '\'');
  return out.substr(0, 127);
}

AddressRange range_of(const config::AddressItem& item) {
  if (item.kind == AddressItem::Kind::Range) return {item.lo, item.hi};
  return {Ipv4{item.prefix.first()}, Ipv4{item.prefix.last()}};
}

class Exporter {
 public:
  Exporter(const config::Config& c, const ExportOptions& o) : cfg_(c), options_(o) {}

  Ruleset run() {
    out_.table = "vfw";
    zones();
    prerouting();
    filter_chains();
    postrouting();
    routes();
    unexpressed();
    return std::move(out_);
  }

 private:
  // At most 15 characters, as the kernel keeps an interface name (a longer one is noted).
  std::string linux_name(const std::string& interface) const {
    return full_linux_name(interface).substr(0, 15);
  }
  std::string full_linux_name(const std::string& interface) const {
    const auto it = options_.linux_names.find(interface);
    return it != options_.linux_names.end() ? it->second : default_linux_name(interface);
  }

  void note(const std::string& what, const std::string& why) {
    out_.not_expressed.push_back(what + ": " + why);
  }

  // A set's name, unique in the table: names that only differ in characters nft does not take
  // (GBK names become underscores) get a number.
  std::string unique_set_name(const std::string& prefix, const std::string& name) {
    std::string base = set_name(prefix, name);
    std::string candidate = base;
    for (int n = 2; !used_set_names_.insert(candidate).second; ++n)
      candidate = base.substr(0, 27) + "_" + std::to_string(n);
    return candidate;
  }

  void zones() {
    for (const auto& z : cfg_.zones) {
      if (z.name == "local") continue;
      Set s;
      s.name = unique_set_name("zone_", z.name);
      s.type = Set::Type::Interfaces;
      for (const auto& i : z.interfaces) s.members.push_back(linux_name(i));
      zone_sets_[z.name] = s.name;
      out_.sets.push_back(std::move(s));
    }
  }

  // The address set's members, groups flattened; nullopt for a set the configuration lacks.
  void collect(const std::string& name, std::vector<AddressRange>& into,
               std::set<std::string>& seen) const {
    if (!seen.insert(name).second) return;  // a group that contains itself
    for (const auto& s : cfg_.address_sets) {
      if (s.name != name) continue;
      for (const auto& [id, item] : s.items) {
        if (item.kind == AddressItem::Kind::Set) {
          collect(item.set, into, seen);
        } else {
          into.push_back(range_of(item));
        }
      }
    }
  }

  std::string address_set(const std::string& name) {
    if (const auto it = address_sets_.find(name); it != address_sets_.end()) return it->second;
    Set s;
    s.name = unique_set_name("addr_", name);
    std::set<std::string> seen;
    std::vector<AddressRange> ranges;
    collect(name, ranges, seen);
    s.addresses = merged(std::move(ranges));
    address_sets_[name] = s.name;
    out_.sets.push_back(std::move(s));
    return address_sets_[name];
  }

  // A service item an nftables set of (protocol, destination port) holds: TCP or UDP, any
  // source port.
  static bool in_service_set(const ServiceItem& item) {
    return (item.protocol == ipproto::kTcp || item.protocol == ipproto::kUdp) && item.src_lo == 0 &&
           item.src_hi == 65535;
  }

  std::string service_set(const std::string& name, std::vector<ServiceRange> ports) {
    if (const auto it = service_sets_.find(name); it != service_sets_.end()) return it->second;
    Set s;
    s.name = unique_set_name("svc_", name);
    s.type = Set::Type::Services;
    s.ports = merged(std::move(ports));
    service_sets_[name] = s.name;
    out_.sets.push_back(std::move(s));
    return service_sets_[name];
  }

  // The address alternatives of a rule's field: each one match (none: any address).
  std::vector<std::optional<Match>> addresses(const std::vector<AddressItem>& items, bool source) {
    std::vector<std::optional<Match>> out;
    for (const auto& item : items) {
      Match m;
      if (item.kind == AddressItem::Kind::Set) {
        m.kind = source ? K::SourceSet : K::DestinationSet;
        m.name = address_set(item.set);
      } else {
        m.kind = source ? K::Source : K::Destination;
        m.address = range_of(item);
        if (m.address.lo.v == 0 && m.address.hi.v == 0xffffffffu) {
          out.emplace_back();  // any
          continue;
        }
      }
      out.push_back(m);
    }
    if (out.empty()) out.emplace_back();
    return out;
  }

  // The (protocol, ports) alternatives of a rule's services, each as its matches.
  std::vector<std::vector<Match>> services(const std::vector<std::string>& names,
                                           const std::string& rule) {
    std::vector<ServiceItem> items;
    std::vector<std::vector<Match>> set_alternatives;
    bool any = names.empty();
    for (const auto& n : names) {
      if (n == "any") {
        any = true;
        continue;
      }
      if (auto p = config::predefined_service(n)) {
        items.insert(items.end(), p->begin(), p->end());
        continue;
      }
      bool found = false;
      for (const auto& s : cfg_.service_sets) {
        if (s.name != n) continue;
        found = true;
        // Its TCP and UDP items by destination port become one nftables set; the others (other
        // protocols, source ports) stay matches of their own.
        std::vector<ServiceRange> ports;
        for (const auto& [id, item] : s.items) {
          if (in_service_set(item)) {
            ports.push_back({item.protocol, item.dst_lo, item.dst_hi});
          } else {
            items.push_back(item);
          }
        }
        if (!ports.empty()) {
          Match m;
          m.kind = K::ServiceSet;
          m.name = service_set(n, std::move(ports));
          set_alternatives.push_back({m});
        }
      }
      if (!found) note(rule, "service " + n + " is not defined: the rule matches no service");
    }
    std::vector<std::vector<Match>> out = std::move(set_alternatives);
    if (any) {
      out.clear();
      out.emplace_back();
      return out;
    }
    for (const auto& it : items) {
      std::vector<Match> ms;
      const bool ports = it.protocol == ipproto::kTcp || it.protocol == ipproto::kUdp;
      const bool any_src = it.src_lo == 0 && it.src_hi == 65535;
      const bool any_dst = it.dst_lo == 0 && it.dst_hi == 65535;
      if (it.protocol == 0) {
        out.emplace_back();  // any protocol: the rule matches whatever the other items say
        continue;
      }
      if (!ports || (any_src && any_dst)) {
        Match m;
        m.kind = K::Protocol;
        m.protocol = it.protocol;
        ms.push_back(m);
      }
      if (ports && !any_src)
        ms.push_back(port_match(K::SourcePort, it.protocol, it.src_lo, it.src_hi));
      if (ports && !any_dst)
        ms.push_back(port_match(K::DestinationPort, it.protocol, it.dst_lo, it.dst_hi));
      out.push_back(std::move(ms));
    }
    return out;
  }

  // Zone alternatives: one iifname/oifname @zone match each (none: any zone).
  std::vector<std::optional<Match>> zone_matches(const std::vector<std::string>& zones, bool in) {
    std::vector<std::optional<Match>> out;
    for (const auto& z : zones) {
      const auto it = zone_sets_.find(z);
      if (it == zone_sets_.end()) continue;
      Match m;
      m.kind = in ? K::InZone : K::OutZone;
      m.name = it->second;
      out.push_back(m);
    }
    if (out.empty() && zones.empty()) out.emplace_back();
    return out;
  }

  // The cross product of the alternatives, one nft rule each, in the order nft prints matches.
  void expand(Chain& chain, const std::vector<std::optional<Match>>& in_zones,
              const std::vector<std::optional<Match>>& out_zones,
              const std::vector<Match>& interfaces,
              const std::vector<std::optional<Match>>& sources,
              const std::vector<std::optional<Match>>& destinations,
              const std::vector<std::vector<Match>>& service_matches, const Statement& statement,
              const std::string& comment) {
    for (const auto& iz : in_zones)
      for (const auto& oz : out_zones)
        for (const auto& s : sources)
          for (const auto& d : destinations)
            for (const auto& svc : service_matches) {
              Rule r;
              if (iz) r.matches.push_back(*iz);
              if (oz) r.matches.push_back(*oz);
              r.matches.insert(r.matches.end(), interfaces.begin(), interfaces.end());
              if (s) r.matches.push_back(*s);
              if (d) r.matches.push_back(*d);
              r.matches.insert(r.matches.end(), svc.begin(), svc.end());
              r.statement = statement;
              r.comment = comment_of(comment);
              chain.rules.push_back(std::move(r));
            }
  }

  static Match port_match(K kind, uint8_t protocol, uint16_t lo, uint16_t hi) {
    Match m;
    m.kind = kind;
    m.protocol = protocol;
    m.port_lo = lo;
    m.port_hi = hi;
    return m;
  }

  // A nat server's protocol and port as one match: the port (with its protocol) when it has one,
  // the protocol alone otherwise, nothing for a server of every protocol.
  static std::optional<Match> server_port(uint8_t protocol, std::optional<uint16_t> port, K kind) {
    if (protocol == 0) return std::nullopt;
    if (port) return port_match(kind, protocol, *port, *port);
    Match m;
    m.kind = K::Protocol;
    m.protocol = protocol;
    return m;
  }

  void prerouting() {
    Chain c;
    c.name = "prerouting";
    c.nat = true;
    c.hook = "prerouting";
    c.priority = -100;
    for (const auto& s : cfg_.nat_servers) {
      Rule r;
      Match d;
      d.kind = K::Destination;
      d.address = {s.global, s.global};
      r.matches.push_back(d);
      if (const auto p = server_port(s.protocol, s.global_port, K::DestinationPort))
        r.matches.push_back(*p);
      r.statement.kind = Statement::Kind::Dnat;
      r.statement.to = {s.inside, s.inside};
      if (s.inside_port) r.statement.port = s.inside_port;
      r.comment = comment_of("nat server " + s.name);
      c.rules.push_back(std::move(r));
    }
    for (const auto& rule : cfg_.nat_policy.rules) {
      if (rule.disabled || (rule.action != config::NatAction::DestinationStatic &&
                            rule.action != config::NatAction::DestinationGroup))
        continue;
      Statement st;
      st.kind = Statement::Kind::Dnat;
      if (rule.action == config::NatAction::DestinationStatic) {
        st.to = {rule.destination_address, rule.destination_address};
      } else {
        const auto* g = group(rule.address_group, "nat-policy rule " + rule.name);
        if (g == nullptr) continue;
        st.to = *g;
      }
      st.port = rule.destination_port;
      const std::string name = "nat-policy rule " + rule.name;
      const auto zones = zone_matches(rule.source_zones, true);
      const auto sources = addresses(rule.source_addresses, true);
      const auto destinations = addresses(rule.destination_addresses, false);
      auto svc = services(rule.services, name);
      if (!st.port) {
        expand(c, zones, {std::nullopt}, {}, sources, destinations, svc, st, name);
        continue;
      }
      // A port is TCP's or UDP's: the device translates the address alone for other protocols
      // (an ICMP echo keeps its identifier), where the kernel would map the port onto the ICMP
      // identifier. So the port goes with TCP and UDP only.
      std::vector<std::vector<Match>> with_port, without_port;
      for (auto& alternative : svc) {
        const uint8_t protocol = protocol_of(alternative);
        if (alternative.empty()) {
          for (const uint8_t p : {ipproto::kTcp, ipproto::kUdp}) {
            Match m;
            m.kind = K::Protocol;
            m.protocol = p;
            with_port.push_back({m});
          }
          without_port.emplace_back();
        } else if (protocol == ipproto::kTcp || protocol == ipproto::kUdp) {
          with_port.push_back(std::move(alternative));
        } else {
          without_port.push_back(std::move(alternative));
        }
      }
      expand(c, zones, {std::nullopt}, {}, sources, destinations, with_port, st, name);
      Statement address_only = st;
      address_only.port.reset();
      expand(c, zones, {std::nullopt}, {}, sources, destinations, without_port, address_only, name);
    }
    out_.chains.push_back(std::move(c));
  }

  // The protocol a service alternative's matches name (0: none, any protocol).
  static uint8_t protocol_of(const std::vector<Match>& alternative) {
    for (const auto& m : alternative) {
      if (m.kind == K::Protocol || m.kind == K::SourcePort || m.kind == K::DestinationPort)
        return m.protocol;
      if (m.kind == K::ServiceSet) return ipproto::kTcp;  // its elements are TCP's and UDP's
    }
    return 0;
  }

  const AddressRange* group(const std::string& name, const std::string& rule) {
    for (const auto& g : cfg_.address_groups) {
      if (g.name != name) continue;
      if (g.sections.empty()) break;
      if (g.sections.size() > 1)
        note(rule, "nat address-group " + name +
                       " has several sections: the kernel translates to one range, the first");
      if (g.no_pat)
        note(rule, "nat address-group " + name +
                       " is mode no-pat: the kernel picks the address by hash and keeps the "
                       "port where it can, without the device's one-to-one reservation");
      group_ranges_.push_back({g.sections.front().start, g.sections.front().end});
      return &group_ranges_.back();
    }
    note(rule, "nat address-group " + name + " is not defined: the rule is not exported");
    return nullptr;
  }

  void filter_chains() {
    const auto& policy = cfg_.security_policy;
    const bool permit = policy.default_action == config::PolicyAction::Permit;
    Chain input, forward, output;
    input.name = "input";
    input.hook = "input";
    forward.name = "forward";
    forward.hook = "forward";
    output.name = "output";
    output.hook = "output";
    for (Chain* c : {&input, &forward, &output}) {
      c->accept = permit;
      Rule r;
      r.matches.push_back(Match{});  // ct state established,related
      r.statement.kind = Statement::Kind::Accept;
      c->rules.push_back(r);
    }
    service_manage(input);
    for (const auto& rule : policy.rules) {
      const std::string name = "rule " + rule.name;
      if (rule.disabled) {
        note("security-policy " + name, "disabled: not exported");
        continue;
      }
      if (rule.action == config::PolicyAction::Unset) {
        note("security-policy " + name, "no action: the device skips it, so does the export");
        continue;
      }
      Statement st;
      st.kind = rule.action == config::PolicyAction::Permit ? Statement::Kind::Accept
                                                            : Statement::Kind::Drop;
      std::vector<std::string> src_other, dst_other;
      bool src_local = false, dst_local = false;
      for (const auto& z : rule.source_zones) {
        if (z == "local") {
          src_local = true;
        } else {
          src_other.push_back(z);
        }
      }
      for (const auto& z : rule.destination_zones) {
        if (z == "local") {
          dst_local = true;
        } else {
          dst_other.push_back(z);
        }
      }
      const bool src_any = rule.source_zones.empty();
      const bool dst_any = rule.destination_zones.empty();
      const auto src = addresses(rule.source_addresses, true);
      const auto dst = addresses(rule.destination_addresses, false);
      const auto svc = services(rule.services, "security-policy " + name);
      // Between two interfaces: forward.
      if ((src_any || !src_other.empty()) && (dst_any || !dst_other.empty())) {
        expand(forward, zone_matches(src_other, true), zone_matches(dst_other, false), {}, src, dst,
               svc, st, name);
      }
      // To the device: input.
      if ((src_any || !src_other.empty()) && (dst_any || dst_local)) {
        expand(input, zone_matches(src_other, true), {std::nullopt}, {}, src, dst, svc, st, name);
      }
      // From the device: output.
      if ((src_any || src_local) && (dst_any || !dst_other.empty())) {
        expand(output, {std::nullopt}, zone_matches(dst_other, false), {}, src, dst, svc, st, name);
      }
    }
    out_.chains.push_back(std::move(input));
    out_.chains.push_back(std::move(forward));
    out_.chains.push_back(std::move(output));
  }

  // service-manage, per interface, before the policy: a management protocol to the device is
  // accepted or dropped by the interface's list when service-manage is enabled there.
  void service_manage(Chain& input) {
    for (const auto& [name, ifc] : cfg_.interfaces) {
      if (!ifc.address || !ifc.service_manage.enabled) continue;
      for (const auto& s : config::kManageServices) {
        const bool permitted = ifc.service_manage.permitted.has(s.service);
        Rule r;
        Match in;
        in.kind = K::InInterface;
        in.name = linux_name(name);
        r.matches.push_back(in);
        Match m;
        m.protocol = s.protocol;
        m.kind = s.protocol == ipproto::kIcmp ? K::IcmpType : K::DestinationPort;
        m.port_lo = m.port_hi = s.port;
        r.matches.push_back(m);
        r.statement.kind = permitted ? Statement::Kind::Accept : Statement::Kind::Drop;
        r.comment = comment_of("service-manage " + std::string(s.keyword) +
                               (permitted ? " permit" : " (not permitted)") + " on " + name);
        input.rules.push_back(std::move(r));
      }
    }
  }

  void postrouting() {
    Chain c;
    c.name = "postrouting";
    c.nat = true;
    c.hook = "postrouting";
    c.priority = 100;
    // A nat server's own connections leave from its global address (unless no-reverse).
    for (const auto& s : cfg_.nat_servers) {
      if (s.no_reverse) continue;
      Rule r;
      Match src;
      src.kind = K::Source;
      src.address = {s.inside, s.inside};
      r.matches.push_back(src);
      if (const auto p = server_port(s.protocol, s.inside_port, K::SourcePort))
        r.matches.push_back(*p);
      r.statement.kind = Statement::Kind::Snat;
      r.statement.to = {s.global, s.global};
      if (s.global_port) r.statement.port = s.global_port;
      r.comment = comment_of("nat server " + s.name + " (reverse)");
      c.rules.push_back(std::move(r));
    }
    for (const auto& rule : cfg_.nat_policy.rules) {
      const std::string name = "nat-policy rule " + rule.name;
      if (rule.disabled) {
        note(name, "disabled: not exported");
        continue;
      }
      Statement st;
      switch (rule.action) {
        case config::NatAction::NoNat:
          st.kind = Statement::Kind::Accept;
          break;
        case config::NatAction::SourceEasyIp:
          st.kind = Statement::Kind::Masquerade;
          break;
        case config::NatAction::SourceAddressGroup: {
          const auto* g = group(rule.address_group, name);
          if (g == nullptr) continue;
          st.kind = Statement::Kind::Snat;
          st.to = *g;
          break;
        }
        case config::NatAction::DestinationStatic:
        case config::NatAction::DestinationGroup:
          continue;  // in prerouting
        case config::NatAction::Unset:
          note(name, "no action: not exported");
          continue;
      }
      std::vector<Match> egress;
      if (!rule.egress_interface.empty()) {
        Match m;
        m.kind = K::OutInterface;
        m.name = linux_name(rule.egress_interface);
        egress.push_back(m);
      }
      expand(c, zone_matches(rule.source_zones, true), zone_matches(rule.destination_zones, false),
             egress, addresses(rule.source_addresses, true),
             addresses(rule.destination_addresses, false), services(rule.services, name), st, name);
    }
    out_.chains.push_back(std::move(c));
  }

  void routes() {
    for (const auto& r : cfg_.routes) {
      const std::string destination =
          to_string(r.destination.addr) + "/" + std::to_string(r.destination.len);
      std::string line = "ip route add " + destination;
      if (r.interface == "NULL0") {
        out_.routes.push_back("ip route add blackhole " + destination);
        continue;
      }
      if (r.next_hop) line += " via " + to_string(*r.next_hop);
      if (!r.interface.empty()) line += " dev " + linux_name(r.interface);
      if (r.preference != 60) line += " metric " + std::to_string(r.preference);
      out_.routes.push_back(line);
    }
  }

  void unexpressed() {
    for (const auto& [name, ifc] : cfg_.interfaces) {
      if (!ifc.ipsec_policy.empty())
        note("interface " + name + " ipsec policy " + ifc.ipsec_policy,
             "IPSec stays vfw's: this kernel has no ESP, and nftables does not negotiate IKE");
      if (ifc.tcp_adjust_mss)
        note("interface " + name + " tcp adjust-mss",
             "not exported (nftables could clamp it with `tcp option maxseg size set`)");
      const std::string linux = full_linux_name(name);
      if (linux.size() > 15)
        note("interface " + name, "the Linux name " + linux +
                                      " is longer than 15 characters: cut to " +
                                      linux.substr(0, 15));
    }
    for (const auto& r : cfg_.traffic_policy.rules) {
      if (r.disabled || r.action != config::TrafficRule::Action::Qos) continue;
      note("traffic-policy rule " + r.name,
           "its connection limits are not exported (nftables could count them with `ct count`)");
    }
  }

  const config::Config& cfg_;
  const ExportOptions& options_;
  Ruleset out_;
  std::map<std::string, std::string> zone_sets_;
  std::map<std::string, std::string> address_sets_;
  std::map<std::string, std::string> service_sets_;  // service-set name -> nft set name
  std::set<std::string> used_set_names_;
  std::list<AddressRange> group_ranges_;
};

}  // namespace

std::string default_linux_name(const std::string& interface) {
  static const std::pair<const char*, const char*> kShort[] = {
      {"GigabitEthernet", "ge"}, {"Ethernet", "eth"},       {"LoopBack", "lo"},
      {"Eth-Trunk", "trunk"},    {"Vlanif", "vlanif"},      {"Tunnel", "tun"},
      {"Virtual-if", "vif"},     {"Virtual-Template", "vt"}};
  std::string rest = interface;
  std::string out;
  for (const auto& [full, brief] : kShort) {
    if (rest.rfind(full, 0) == 0) {
      out = brief;
      rest = rest.substr(std::string(full).size());
      break;
    }
  }
  for (const char c : rest)
    out += (c == '/' || c == '.') ? '-'
                                  : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Ruleset export_ruleset(const config::Config& config, const ExportOptions& options) {
  return Exporter(config, options).run();
}

}  // namespace vfw::nft
