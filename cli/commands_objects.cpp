// Objects that policies refer to: ACLs (2000-3999), address sets and service sets.
#include <algorithm>
#include <variant>

#include "cli/command_helpers.hpp"
#include "config/services.hpp"

namespace vfw::cli {
namespace {

config::Acl& current_acl(CommandContext& c) {
  return c.config().acls[static_cast<uint32_t>(std::stoul(c.frame().object))];
}

// "source any" leaves the address unset; "source 10.1.1.1 0" is a host.
std::optional<Wildcard> wildcard_arg(const Args& a, const std::string& addr,
                                     const std::string& wild) {
  if (!a.has(addr)) return std::nullopt;
  Wildcard w{a.ip(addr), a.has(wild) ? a.ip(wild) : Ipv4{0}};
  w.addr.v &= ~w.wild.v;
  return w;
}

// A port by number or by the name the device gives it for this protocol; nullopt when absent,
// and an error when the name is not one of this protocol's.
std::variant<std::optional<std::pair<uint16_t, uint16_t>>, std::string> port_arg(
    const Args& a, const std::string& prefix, uint8_t protocol) {
  auto number = [&](const std::string& key) -> std::optional<uint16_t> {
    return config::port_number(protocol, a.str(key));
  };
  const std::string bad = "Error: The port name is not valid for this protocol.";
  if (a.has(prefix + "eq")) {
    const auto p = number(prefix + "eq");
    if (!p) return bad;
    return std::optional{std::pair{*p, *p}};
  }
  if (a.has(prefix + "lo")) {
    const auto lo = number(prefix + "lo");
    const auto hi = number(prefix + "hi");
    if (!lo || !hi) return bad;
    return std::optional{std::pair{std::min(*lo, *hi), std::max(*lo, *hi)}};
  }
  return std::optional<std::pair<uint16_t, uint16_t>>{};
}

Result add_acl_rule(CommandContext& c, const Args& a) {
  config::Acl& acl = current_acl(c);
  config::AclRule rule;
  rule.permit = a.has("permit");
  if (a.has("proto")) {
    rule.protocol = static_cast<uint8_t>(a.uint("proto"));
  } else {
    for (const char* name : {"icmp", "tcp", "udp", "gre", "esp", "ah", "ospf"}) {
      if (a.has(name)) rule.protocol = *config::protocol_number(name);
    }
  }
  rule.source = wildcard_arg(a, "src", "swild");
  rule.destination = wildcard_arg(a, "dst", "dwild");
  auto src_port = port_arg(a, "sp-", rule.protocol);
  auto dst_port = port_arg(a, "dp-", rule.protocol);
  if ((a.has("sp-eq") || a.has("sp-lo") || a.has("dp-eq") || a.has("dp-lo")) &&
      rule.protocol != 6 && rule.protocol != 17) {
    return fail("Error: Port can be specified only for TCP or UDP.");
  }
  if (auto* err = std::get_if<std::string>(&src_port)) return fail(*err);
  if (auto* err = std::get_if<std::string>(&dst_port)) return fail(*err);
  rule.src_port = std::get<0>(src_port);
  rule.dst_port = std::get<0>(dst_port);
  if ((rule.src_port || rule.dst_port) && rule.protocol != 6 && rule.protocol != 17) {
    return fail("Error: Port can be specified only for TCP or UDP.");
  }
  if (a.has("id")) {
    rule.id = a.uint("id");
  } else {
    // The device numbers a rule typed without an ID at the next multiple of the step.
    uint32_t highest = acl.rules.empty() ? 0 : acl.rules.back().id;
    rule.id = (highest / acl.step + 1) * acl.step;
  }
  auto it = std::find_if(acl.rules.begin(), acl.rules.end(),
                         [&](const config::AclRule& r) { return r.id >= rule.id; });
  if (it != acl.rules.end() && it->id == rule.id) {
    *it = rule;
  } else {
    acl.rules.insert(it, rule);
  }
  return kOk;
}

}  // namespace

void register_object_commands(CommandEngine& e) {
  CommandTree& sys = e.tree(View::System);
  sys.add("acl [ number ] {uint:num:2000-3999}", [](CommandContext& c, const Args& a) -> Result {
    const uint32_t num = a.uint("num");
    config::Acl& acl = c.config().acls[num];
    acl.number = num;
    const bool basic = num < 3000;
    c.enter(basic ? View::AclBasic : View::AclAdvanced, std::to_string(num),
            std::string(basic ? "acl-basic-" : "acl-adv-") + std::to_string(num));
    return kOk;
  });
  sys.add("undo acl [ number ] {uint:num:2000-3999}",
          [](CommandContext& c, const Args& a) -> Result {
            if (c.config().acls.erase(a.uint("num")) == 0)
              return fail("Error: The ACL does not exist.");
            return kOk;
          });

  const std::string src_port =
      "[ source-port ( eq {port:sp-eq} | range {port:sp-lo} {port:sp-hi} ) "
      "]";
  const std::string dst_port =
      "[ destination-port ( eq {port:dp-eq} | range {port:dp-lo} "
      "{port:dp-hi} ) ]";
  const std::string src = "[ source ( any | {ip:src} ( {ip:swild} | 0 ) ) ]";
  const std::string dst = "[ destination ( any | {ip:dst} ( {ip:dwild} | 0 ) ) ]";
  for (View v : {View::AclBasic, View::AclAdvanced}) {
    CommandTree& t = e.tree(v);
    if (v == View::AclBasic) {
      t.add("rule [ {uint:id:0-4294967294} ] ( permit | deny ) " + src, add_acl_rule);
    } else {
      t.add(
          "rule [ {uint:id:0-4294967294} ] ( permit | deny ) ( ip | icmp | gre | esp | ah | ospf | "
          "{uint:proto:1-255} ) " +
              src + " " + dst,
          add_acl_rule);
      // The device prints each address with its port (source, source-port, destination,
      // destination-port) and takes the ports after both addresses too.
      t.add("rule [ {uint:id:0-4294967294} ] ( permit | deny ) ( tcp | udp ) " + src + " " +
                src_port + " " + dst + " " + dst_port,
            add_acl_rule);
      t.add("rule [ {uint:id:0-4294967294} ] ( permit | deny ) ( tcp | udp ) " + src + " " + dst +
                " " + src_port + " " + dst_port,
            add_acl_rule);
    }
    t.add("undo rule {uint:id:0-4294967294}", [](CommandContext& c, const Args& a) -> Result {
      auto& rules = current_acl(c).rules;
      if (std::erase_if(rules, [&](const config::AclRule& r) { return r.id == a.uint("id"); }) ==
          0) {
        return fail("Error: The rule does not exist.");
      }
      return kOk;
    });
    t.add("step {uint:step:1-20}", [](CommandContext& c, const Args& a) -> Result {
      current_acl(c).step = a.uint("step");
      return kOk;
    });
    t.add("description {text:d:1-242}", [](CommandContext& c, const Args& a) -> Result {
      current_acl(c).description = a.str("d");
      return kOk;
    });
  }

  // ip address-set NAME [type object|group [ID]]: a group's members may be other sets.
  sys.add("ip address-set {word:name} [ type ( object | group ) [ {uint:id:0-4294967294} ] ]",
          [](CommandContext& c, const Args& a) -> Result {
            auto& sets = c.config().address_sets;
            config::AddressSet* set = find_named(sets, a.str("name"));
            if (set == nullptr) {
              sets.push_back({a.str("name"), "", {}, {}, false, {}});
              set = &sets.back();
              set->group = a.has("group");
              if (a.has("id")) set->id = a.uint("id");
            } else if (a.has("type") && set->group != a.has("group")) {
              return fail("Error: The address set " + set->name + " exists with another type.");
            }
            c.enter(View::AddressSet, a.str("name"), "object-address-set-" + a.str("name"));
            return kOk;
          });
  sys.add("undo ip address-set {word:name}", [](CommandContext& c, const Args& a) -> Result {
    if (!erase_named(c.config().address_sets, a.str("name"))) {
      return fail("Error: The address set " + a.str("name") + " does not exist.");
    }
    return kOk;
  });
  CommandTree& as = e.tree(View::AddressSet);
  as.add("address [ {uint:id:0-4294967294} ] address-set {word:member}",
         [](CommandContext& c, const Args& a) -> Result {
           auto& sets = c.config().address_sets;
           auto* set = find_named(sets, c.frame().object);
           const auto* member = c.config().find_address_set(a.str("member"));
           if (member == nullptr)
             return fail("Error: The address set " + a.str("member") + " does not exist.");
           // A set may not contain itself, directly or through others.
           std::vector<const config::AddressSet*> pending{member};
           while (!pending.empty()) {
             const auto* s = pending.back();
             pending.pop_back();
             if (s->name == set->name)
               return fail("Error: The address sets would contain each other.");
             for (const auto& [id, item] : s->items) {
               if (item.kind != config::AddressItem::Kind::Set) continue;
               if (const auto* next = c.config().find_address_set(item.set))
                 pending.push_back(next);
             }
           }
           const uint32_t id = a.has("id")          ? a.uint("id")
                               : set->items.empty() ? 0
                                                    : set->items.rbegin()->first + 1;
           config::AddressItem item;
           item.kind = config::AddressItem::Kind::Set;
           item.set = a.str("member");
           set->items[id] = item;
           return kOk;
         });
  as.add(
      "address [ {uint:id:0-4294967294} ] ( {ip:a} ( {mask:m} | mask {mask:m} ) | range {ip:lo} "
      "{ip:hi} )",
      [](CommandContext& c, const Args& a) -> Result {
        auto* set = find_named(c.config().address_sets, c.frame().object);
        const uint32_t id = a.has("id")          ? a.uint("id")
                            : set->items.empty() ? 0
                                                 : set->items.rbegin()->first + 1;
        set->items[id] = address_item(a);
        return kOk;
      });
  as.add("undo address {uint:id:0-4294967294}", [](CommandContext& c, const Args& a) -> Result {
    auto* set = find_named(c.config().address_sets, c.frame().object);
    if (set->items.erase(a.uint("id")) == 0) return fail("Error: The address does not exist.");
    return kOk;
  });
  as.add("description {text:d:1-242}", [](CommandContext& c, const Args& a) -> Result {
    find_named(c.config().address_sets, c.frame().object)->description = a.str("d");
    return kOk;
  });

  sys.add("ip service-set {word:name} [ type object [ {uint:id:0-4294967294} ] ]",
          [](CommandContext& c, const Args& a) -> Result {
            if (config::predefined_service(a.str("name"))) {
              return fail("Error: The name conflicts with a predefined service.");
            }
            auto& sets = c.config().service_sets;
            if (find_named(sets, a.str("name")) == nullptr) {
              sets.push_back({a.str("name"), "", {}, {}, {}});
              if (a.has("id")) sets.back().id = a.uint("id");
            }
            c.enter(View::ServiceSet, a.str("name"), "object-service-set-" + a.str("name"));
            return kOk;
          });
  sys.add("undo ip service-set {word:name}", [](CommandContext& c, const Args& a) -> Result {
    if (!erase_named(c.config().service_sets, a.str("name"))) {
      return fail("Error: The service set " + a.str("name") + " does not exist.");
    }
    return kOk;
  });
  CommandTree& ss = e.tree(View::ServiceSet);
  auto add_service = [](CommandContext& c, const Args& a) -> Result {
    auto* set = find_named(c.config().service_sets, c.frame().object);
    config::ServiceItem item;
    if (a.has("proto")) {
      item.protocol = static_cast<uint8_t>(a.uint("proto"));
    } else {
      for (const char* name : {"icmp", "tcp", "udp"}) {
        if (a.has(name)) item.protocol = *config::protocol_number(name);
      }
    }
    if (a.has("slo")) {
      item.src_lo = static_cast<uint16_t>(a.uint("slo"));
      item.src_hi = a.has("shi") ? static_cast<uint16_t>(a.uint("shi")) : item.src_lo;
      item.source_port_given = true;
    }
    if (a.has("dlo")) {
      item.dst_lo = static_cast<uint16_t>(a.uint("dlo"));
      item.dst_hi = a.has("dhi") ? static_cast<uint16_t>(a.uint("dhi")) : item.dst_lo;
    }
    if (item.src_lo > item.src_hi || item.dst_lo > item.dst_hi) {
      return fail("Error: The start port must not be greater than the end port.");
    }
    const uint32_t id = a.has("id")          ? a.uint("id")
                        : set->items.empty() ? 0
                                             : set->items.rbegin()->first + 1;
    set->items[id] = item;
    return kOk;
  };
  ss.add(
      "service [ {uint:id:0-4294967294} ] protocol ( tcp | udp ) "
      "[ source-port {uint:slo:0-65535} [ to {uint:shi:0-65535} ] ] "
      "[ destination-port {uint:dlo:0-65535} [ to {uint:dhi:0-65535} ] ]",
      add_service);
  ss.add("service [ {uint:id:0-4294967294} ] protocol ( icmp | {uint:proto:0-255} )", add_service);
  ss.add("undo service {uint:id:0-4294967294}", [](CommandContext& c, const Args& a) -> Result {
    if (find_named(c.config().service_sets, c.frame().object)->items.erase(a.uint("id")) == 0) {
      return fail("Error: The service does not exist.");
    }
    return kOk;
  });
  ss.add("description {text:d:1-242}", [](CommandContext& c, const Args& a) -> Result {
    find_named(c.config().service_sets, c.frame().object)->description = a.str("d");
    return kOk;
  });
}

}  // namespace vfw::cli
