#include "pipeline/snapshot.hpp"

#include <algorithm>

namespace vfw {
namespace {

std::vector<Route> collect_routes(const config::Config& cfg, const Snapshot& s) {
  std::vector<Route> direct;
  for (size_t n = 0; n < s.interfaces.size(); ++n) {
    const auto i = static_cast<uint16_t>(n);
    const InterfaceState& ifc = s.interfaces[n];
    if (!ifc.has_address || !ifc.up) continue;
    direct.push_back(
        Route{Prefix::make(ifc.address, ifc.prefix_length), RouteKind::Direct, i, Ipv4{}, 0, 0});
    direct.push_back(Route{Prefix::make(ifc.address, 32), RouteKind::Local, i, Ipv4{}, 0, 0});
  }
  std::vector<Route> all = direct;
  for (const auto& r : cfg.routes) {
    Route route;
    route.prefix = r.destination;
    route.preference = r.preference;
    if (r.interface == "NULL0") {
      route.kind = RouteKind::Blackhole;
      all.push_back(route);
      continue;
    }
    route.kind = RouteKind::Static;
    if (!r.interface.empty()) {
      route.out_if = s.interface_index(r.interface);
      if (route.out_if == kNoInterface || !s.interfaces[route.out_if].up) continue;
      route.next_hop = r.next_hop.value_or(Ipv4{});
      all.push_back(route);
      continue;
    }
    // A next hop alone resolves through a directly connected subnet; otherwise the route is
    // inactive, as on the device.
    const Ipv4 nh = *r.next_hop;
    auto connected = std::find_if(direct.begin(), direct.end(), [&](const Route& d) {
      return d.kind == RouteKind::Direct && d.prefix.contains(nh);
    });
    if (connected == direct.end()) continue;
    route.out_if = connected->out_if;
    route.next_hop = nh;
    all.push_back(route);
  }
  return all;
}

}  // namespace

uint16_t Snapshot::interface_index(const std::string& name) const {
  for (size_t i = 0; i < interfaces.size(); ++i) {
    if (interfaces[i].name == name) {
      // A member port of an Eth-Trunk is not an interface of its own at layer 3.
      for (const auto& [member, trunk] : trunk_members) {
        if (member == name) return trunk;
      }
      return static_cast<uint16_t>(i);
    }
  }
  return kNoInterface;
}

std::shared_ptr<Snapshot> compile(const config::Config& cfg,
                                  const std::set<std::string>& links_down) {
  auto s = std::make_shared<Snapshot>();
  s->sysname = cfg.sysname;
  for (const auto& z : cfg.zones) s->zones.names.push_back(z.name);
  s->local_zone = s->zones.index("local");
  for (const auto& [name, i] : cfg.interfaces) {
    InterfaceState st;
    st.name = name;
    const std::string zone = cfg.zone_of(name);
    st.zone = zone.empty() ? kNoZone : s->zones.index(zone);
    if (i.address) {
      st.has_address = true;
      st.address = i.address->host;
      st.prefix_length = i.address->length;
    }
    st.mtu = i.mtu;
    // A shutdown is said as one (*down) even when the link is also down.
    st.link_down = !i.shutdown && links_down.count(name) != 0;
    st.up = !i.shutdown && !st.link_down;
    st.service_manage = i.service_manage.enabled;
    st.manage_permitted = i.service_manage.permitted;
    st.tcp_adjust_mss = i.tcp_adjust_mss;
    st.ipsec_policy = i.ipsec_policy;
    if (!i.ipsec_policy.empty()) st.spd = ipsec::compile_spd(cfg, i.ipsec_policy);
    s->interfaces.push_back(std::move(st));
  }
  for (const auto& [name, i] : cfg.interfaces) {
    if (!i.trunk) continue;
    const uint16_t trunk = s->interface_index("Eth-Trunk" + std::to_string(*i.trunk));
    if (trunk != kNoInterface) s->trunk_members.emplace_back(name, trunk);
  }
  s->spd_entries.assign(cfg.ipsec_policies.size(), nullptr);
  for (const auto& ifc : s->interfaces) {
    for (const auto& e : ifc.spd) s->spd_entries[e.index] = &e;
  }
  s->fib.build(collect_routes(cfg, *s));
  s->security.build(cfg, s->zones);
  s->nat.build(cfg, s->zones, [&](const std::string& n) { return s->interface_index(n); });
  s->traffic.build(cfg, s->zones, [&](const std::string& n) { return s->interface_index(n); });
  s->server_map.build(cfg);
  return s;
}

}  // namespace vfw
