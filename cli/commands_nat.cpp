// nat-policy view and its rules, nat address-group, nat server.
#include "cli/rule_match_commands.hpp"
#include "config/services.hpp"

namespace vfw::cli {
namespace {

config::NatRule& current_rule(CommandContext& c) {
  auto& p = c.config().nat_policy;
  return *p.index.find(p.rules, c.frame().object);
}

config::AddressGroup& current_group(CommandContext& c) {
  return *find_named(c.config().address_groups, c.frame().object);
}

Result set_action(CommandContext& c, const Args& a) {
  config::NatRule& r = current_rule(c);
  r.address_group.clear();
  r.destination_port.reset();
  if (a.has("no-nat")) {
    r.action = config::NatAction::NoNat;
  } else if (a.has("easy-ip")) {
    r.action = config::NatAction::SourceEasyIp;
  } else if (a.has("source-nat")) {
    r.action = config::NatAction::SourceAddressGroup;
  } else if (a.has("address-to-address")) {
    r.action = config::NatAction::DestinationStatic;
    r.destination_address = a.ip("addr");
  } else {
    r.action = config::NatAction::DestinationGroup;
  }
  if (a.has("group")) {
    const config::AddressGroup* g = c.config().find_address_group(a.str("group"));
    if (g == nullptr)
      return fail("Error: The address group " + a.str("group") + " does not exist.");
    r.address_group = a.str("group");
  }
  if (a.has("port")) r.destination_port = static_cast<uint16_t>(a.uint("port"));
  return kOk;
}

}  // namespace

void register_nat_commands(CommandEngine& e) {
  CommandTree& sys = e.tree(View::System);
  sys.add("nat-policy", [](CommandContext& c, const Args&) -> Result {
    c.config().nat_policy.shown = true;
    c.enter(View::PolicyNat, "", "policy-nat");
    return kOk;
  });
  register_rule_list_commands<config::NatPolicy>(
      e.tree(View::PolicyNat), View::NatRule, "policy-nat-rule-",
      [](CommandContext& c) -> config::NatPolicy& { return c.config().nat_policy; });

  CommandTree& rule = e.tree(View::NatRule);
  register_rule_match_commands<config::NatRule>(rule, current_rule);
  rule.add("action ( no-nat | source-nat ( easy-ip | address-group {word:group} ) )", set_action);
  rule.add(
      "action destination-nat ( static address-to-address address {ip:addr} | address-group "
      "{word:group} ) [ {uint:port:1-65535} ]",
      set_action);
  rule.add("undo action", [](CommandContext& c, const Args&) -> Result {
    current_rule(c).action = config::NatAction::Unset;
    return kOk;
  });

  // nat address-group NAME [ID]
  sys.add("nat address-group {word:name} [ {uint:id:0-255} ]",
          [](CommandContext& c, const Args& a) -> Result {
            auto& groups = c.config().address_groups;
            config::AddressGroup* g = find_named(groups, a.str("name"));
            if (g == nullptr) {
              config::AddressGroup fresh;
              fresh.name = a.str("name");
              fresh.id = a.has("id") ? a.uint("id") : static_cast<uint32_t>(groups.size());
              groups.push_back(fresh);
            }
            c.enter(View::AddressGroup, a.str("name"), "address-group-" + a.str("name"));
            return kOk;
          });
  sys.add("undo nat address-group {word:name}", [](CommandContext& c, const Args& a) -> Result {
    for (const auto& r : c.config().nat_policy.rules) {
      if (r.address_group == a.str("name")) {
        return fail("Error: The address group is referenced by nat-policy rule " + r.name + ".");
      }
    }
    if (!erase_named(c.config().address_groups, a.str("name"))) {
      return fail("Error: The address group " + a.str("name") + " does not exist.");
    }
    return kOk;
  });
  CommandTree& group = e.tree(View::AddressGroup);
  group.add("mode ( pat | no-pat ( local | global ) )",
            [](CommandContext& c, const Args& a) -> Result {
              current_group(c).no_pat = a.has("no-pat");
              return kOk;
            });
  group.add("section [ {uint:id:0-255} ] {ip:start} [ {ip:end} ]",
            [](CommandContext& c, const Args& a) -> Result {
              config::AddressGroup& g = current_group(c);
              config::AddressGroupSection s;
              s.start = a.ip("start");
              s.end = a.has("end") ? a.ip("end") : s.start;
              if (s.end < s.start)
                return fail("Error: The start address must not be greater than the end address.");
              s.id = a.has("id") ? a.uint("id") : static_cast<uint32_t>(g.sections.size());
              std::erase_if(g.sections,
                            [&](const config::AddressGroupSection& x) { return x.id == s.id; });
              g.sections.push_back(s);
              std::sort(g.sections.begin(), g.sections.end(),
                        [](const auto& x, const auto& y) { return x.id < y.id; });
              return kOk;
            });
  group.add("undo section {uint:id:0-255}", [](CommandContext& c, const Args& a) -> Result {
    auto& sections = current_group(c).sections;
    if (std::erase_if(sections, [&](const auto& s) { return s.id == a.uint("id"); }) == 0) {
      return fail("Error: The section does not exist.");
    }
    return kOk;
  });

  // nat server [NAME] [protocol P] global IP [PORT] inside IP [PORT] [no-reverse]
  sys.add(
      "nat server [ {word:name} ] [ protocol ( tcp | udp | icmp | {uint:proto:1-255} ) ] "
      "global {ip:global} [ {port:gport} ] inside {ip:inside} [ {port:iport} ] "
      "[ no-reverse ] [ unr-route ]",
      [](CommandContext& c, const Args& a) -> Result {
        config::NatServer s;
        auto& servers = c.config().nat_servers;
        s.name = a.str("name");
        if (s.name.empty()) s.name = "policy_nat_server_" + std::to_string(servers.size());
        if (a.has("proto")) s.protocol = static_cast<uint8_t>(a.uint("proto"));
        if (a.has("tcp")) s.protocol = 6;
        if (a.has("udp")) s.protocol = 17;
        if (a.has("icmp")) s.protocol = 1;
        s.global = a.ip("global");
        s.inside = a.ip("inside");
        if (a.has("gport") != a.has("iport")) {
          return fail("Error: The global port and the inside port must be configured together.");
        }
        if (a.has("gport") && s.protocol != 6 && s.protocol != 17) {
          return fail("Error: Ports can be specified only for TCP or UDP.");
        }
        if (a.has("gport")) {
          s.global_port = config::port_number(s.protocol, a.str("gport"));
          s.inside_port = config::port_number(s.protocol, a.str("iport"));
          if (!s.global_port || !s.inside_port)
            return fail("Error: The port name is not valid for this protocol.");
        }
        // unr-route: the device adds a blackhole route for the global address (kept as written).
        s.unr_route = a.has("unr-route");
        s.no_reverse = a.has("no-reverse");
        for (const auto& other : servers) {
          if (other.name == s.name)
            return fail("Error: The NAT server " + s.name + " already exists.");
          if (other.global == s.global && other.protocol == s.protocol &&
              other.global_port == s.global_port) {
            return fail("Error: The global address and port conflict with NAT server " +
                        other.name + ".");
          }
        }
        s.id = servers.empty() ? 0 : servers.back().id + 1;
        servers.push_back(s);
        return kOk;
      });
  sys.add("undo nat server name {word:name}", [](CommandContext& c, const Args& a) -> Result {
    if (!erase_named(c.config().nat_servers, a.str("name"))) {
      return fail("Error: The NAT server " + a.str("name") + " does not exist.");
    }
    return kOk;
  });
}

}  // namespace vfw::cli
