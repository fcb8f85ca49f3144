// User view and system view: sysname, views that edit an object, zones and static routes.
#include <algorithm>

#include "cli/command_helpers.hpp"
#include "config/services.hpp"

namespace vfw::cli {

Result check_zone(const config::Config& cfg, const std::string& zone) {
  if (cfg.find_zone(zone) == nullptr)
    return fail("Error: The security zone " + zone + " does not exist.");
  return kOk;
}

Result check_address(const config::Config& cfg, const config::AddressItem& item) {
  if (item.kind == config::AddressItem::Kind::Set && cfg.find_address_set(item.set) == nullptr) {
    return fail("Error: The address set " + item.set + " does not exist.");
  }
  return kOk;
}

Result check_service(const config::Config& cfg, const std::string& service) {
  if (!config::predefined_service(service) && cfg.find_service_set(service) == nullptr) {
    return fail("Error: The service " + service + " does not exist.");
  }
  return kOk;
}

void register_system_commands(CommandEngine& e) {
  e.tree(View::User).add("system-view", [](CommandContext& c, const Args&) -> Result {
    c.out() += "Enter system view, return user view with Ctrl+Z.\n";
    c.enter_system();
    return kOk;
  });
  e.tree(View::Global).add("quit", [](CommandContext& c, const Args&) -> Result {
    c.quit();
    return kOk;
  });
  e.tree(View::Global).add("return", [](CommandContext& c, const Args&) -> Result {
    c.to_user();
    return kOk;
  });

  CommandTree& sys = e.tree(View::System);
  sys.add("sysname {word:name}", [](CommandContext& c, const Args& a) -> Result {
    c.config().sysname = a.str("name");
    return kOk;
  });
  sys.add("undo sysname", [](CommandContext& c, const Args&) -> Result {
    c.config().sysname = config::Config{}.sysname;
    return kOk;
  });

  sys.add("interface {iface:ifname}", [](CommandContext& c, const Args& a) -> Result {
    const std::string& name = a.str("ifname");
    c.config().interface(name);
    c.enter(View::Interface, name, name);
    return kOk;
  });

  // Zones: the four built-in ones by name, user zones with `firewall zone name`.
  sys.add("firewall zone {word:zone}", [](CommandContext& c, const Args& a) -> Result {
    const std::string& zone = a.str("zone");
    if (auto err = check_zone(c.config(), zone); !err) return err;
    c.enter(View::Zone, zone, "zone-" + zone);
    return kOk;
  });
  sys.add("firewall zone name {word:zone} [ id {uint:id:4-255} ]",
          [](CommandContext& c, const Args& a) -> Result {
            const std::string& zone = a.str("zone");
            if (c.config().find_zone(zone) == nullptr) {
              c.config().zones.push_back(config::Zone{zone, 0, 0, {}, false, {}});
            }
            if (a.has("id")) c.config().find_zone(zone)->id = a.uint("id");
            c.enter(View::Zone, zone, "zone-" + zone);
            return kOk;
          });
  sys.add("undo firewall zone name {word:zone}", [](CommandContext& c, const Args& a) -> Result {
    config::Zone* z = c.config().find_zone(a.str("zone"));
    if (z == nullptr) return fail("Error: The security zone " + a.str("zone") + " does not exist.");
    if (z->builtin) return fail("Error: The default security zone cannot be deleted.");
    erase_named(c.config().zones, a.str("zone"));
    return kOk;
  });

  CommandTree& zone = e.tree(View::Zone);
  zone.add("set priority {uint:priority:1-100}", [](CommandContext& c, const Args& a) -> Result {
    config::Zone* z = c.config().find_zone(c.frame().object);
    if (z->builtin && z->priority != a.uint("priority")) {
      return fail("Error: The priority of a default security zone cannot be modified.");
    }
    for (const auto& other : c.config().zones) {
      if (other.name != z->name && other.priority == a.uint("priority")) {
        return fail("Error: The priority has been used by another security zone.");
      }
    }
    z->priority = a.uint("priority");
    return kOk;
  });
  zone.add("add interface {iface:ifname}", [](CommandContext& c, const Args& a) -> Result {
    const std::string& name = a.str("ifname");
    const std::string current = c.config().zone_of(name);
    if (!current.empty() && current != c.frame().object) {
      return fail("Error: The interface has been added to security zone " + current + ".");
    }
    c.config().interface(name);
    add_unique(c.config().find_zone(c.frame().object)->interfaces, name);
    return kOk;
  });
  zone.add("undo add interface {iface:ifname}", [](CommandContext& c, const Args& a) -> Result {
    if (!remove_value(c.config().find_zone(c.frame().object)->interfaces, a.str("ifname"))) {
      return fail("Error: The interface is not in this security zone.");
    }
    return kOk;
  });

  // ip route-static DEST MASK|LEN { NEXTHOP | IFACE [NEXTHOP] } [preference N] [description T]
  const std::string route_target =
      "{ip:dest} {mask:mask} ( {ip:nexthop} | {iface:ifname} [ {ip:nexthop} ] )";
  sys.add("ip route-static " + route_target +
              " [ preference {uint:preference:1-255} ] [ description {text:description:1-80} ]",
          [](CommandContext& c, const Args& a) -> Result {
            config::StaticRoute r;
            r.destination = Prefix::make(a.ip("dest"), a.mask("mask"));
            if (a.has("nexthop")) r.next_hop = a.ip("nexthop");
            r.interface = a.str("ifname");
            if (a.has("preference")) r.preference = a.uint("preference");
            r.description = a.str("description");
            if (!r.interface.empty() && r.interface != "NULL0") c.config().interface(r.interface);
            auto& routes = c.config().routes;
            // The same destination and next hop is one route: a new line updates it. The key set
            // finds it without a scan, so 100,000 routes typed one by one stay linear.
            auto& index = c.config().route_index();
            if (index.insert(config::Config::route_key(r)).second) {
              routes.push_back(r);
              return kOk;
            }
            auto same = [&](const config::StaticRoute& x) {
              return x.destination == r.destination && x.next_hop == r.next_hop &&
                     x.interface == r.interface;
            };
            *find_if_ptr(routes, same) = r;
            return kOk;
          });
  sys.add(
      "undo ip route-static {ip:dest} {mask:mask} [ {ip:nexthop} | {iface:ifname} [ {ip:nexthop} ] "
      "]",
      [](CommandContext& c, const Args& a) -> Result {
        const Prefix dest = Prefix::make(a.ip("dest"), a.mask("mask"));
        auto& routes = c.config().routes;
        const auto before = routes.size();
        std::erase_if(routes, [&](const config::StaticRoute& r) {
          if (!(r.destination == dest)) return false;
          if (a.has("nexthop") && r.next_hop != a.ip("nexthop")) return false;
          if (a.has("ifname") && r.interface != a.str("ifname")) return false;
          return true;
        });
        if (routes.size() == before) return fail("Error: The static route does not exist.");
        c.config().route_keys.clear();  // rebuilt on next use
        return kOk;
      });
}

}  // namespace vfw::cli
