// The match conditions the policies' rules share (security-policy, nat-policy, traffic-policy):
// zones, addresses, services, egress interface where the rule has one, description and
// enable/disable. Registered once for each rule view.
#pragma once

#include <functional>

#include "cli/command_helpers.hpp"

namespace vfw::cli {

template <typename Rule>
void register_rule_match_commands(CommandTree& t, std::function<Rule&(CommandContext&)> current) {
  auto zones = [current](bool source, bool undo) {
    return [current, source, undo](CommandContext& c, const Args& a) -> Result {
      Rule& r = current(c);
      auto& list = source ? r.source_zones : r.destination_zones;
      const auto names = a.all("zone");
      // A command applies whole or not at all: every name is checked before any is added.
      for (const auto& z : names) {
        if (auto err = check_zone(c.config(), z); !err && !undo) return err;
      }
      for (const auto& z : names) {
        if (undo) {
          remove_value(list, z);
        } else {
          add_unique(list, z);
        }
      }
      return kOk;
    };
  };
  const std::string zone_list = "{word:zone} [ {word:zone} [ {word:zone} [ {word:zone} ] ] ]";
  t.add("source-zone " + zone_list, zones(true, false));
  t.add("undo source-zone " + zone_list, zones(true, true));
  t.add("destination-zone " + zone_list, zones(false, false));
  t.add("undo destination-zone " + zone_list, zones(false, true));

  auto addresses = [current](bool source, bool undo) {
    return [current, source, undo](CommandContext& c, const Args& a) -> Result {
      Rule& r = current(c);
      auto& list = source ? r.source_addresses : r.destination_addresses;
      const config::AddressItem item = address_item(a);
      if (undo) {
        if (!remove_value(list, item))
          return fail("Error: The address does not exist in the rule.");
        return kOk;
      }
      if (auto err = check_address(c.config(), item); !err) return err;
      add_unique(list, item);
      return kOk;
    };
  };
  t.add(address_forms("source-address"), addresses(true, false));
  t.add("undo " + address_forms("source-address"), addresses(true, true));
  t.add(address_forms("destination-address"), addresses(false, false));
  t.add("undo " + address_forms("destination-address"), addresses(false, true));

  auto services = [current](bool undo) {
    return [current, undo](CommandContext& c, const Args& a) -> Result {
      Rule& r = current(c);
      const auto names = a.all("service");
      for (const auto& s : names) {
        if (auto err = check_service(c.config(), s); !err && !undo) return err;
      }
      for (const auto& s : names) {
        if (undo) {
          remove_value(r.services, s);
        } else {
          add_unique(r.services, s);
        }
      }
      return kOk;
    };
  };
  const std::string service_list = "{word:service} [ {word:service} [ {word:service} ] ]";
  t.add("service " + service_list, services(false));
  t.add("undo service " + service_list, services(true));

  // nat-policy and traffic-policy rules may also name the interface the packet leaves by.
  if constexpr (requires(Rule r) { r.egress_interface; }) {
    t.add("egress-interface {iface:ifname}", [current](CommandContext& c, const Args& a) -> Result {
      current(c).egress_interface = a.str("ifname");
      return kOk;
    });
    t.add("undo egress-interface [ {iface:ifname} ]",
          [current](CommandContext& c, const Args&) -> Result {
            current(c).egress_interface.clear();
            return kOk;
          });
  }

  t.add("description {text:d:1-127}", [current](CommandContext& c, const Args& a) -> Result {
    current(c).description = a.str("d");
    return kOk;
  });
  t.add("undo description", [current](CommandContext& c, const Args&) -> Result {
    current(c).description.clear();
    return kOk;
  });
  t.add("disable", [current](CommandContext& c, const Args&) -> Result {
    current(c).disabled = true;
    return kOk;
  });
  t.add("enable", [current](CommandContext& c, const Args&) -> Result {
    current(c).disabled = false;
    return kOk;
  });
}

// rule name X (enter, creating at the end), undo rule name X, rule move A before|after B | top |
// bottom. Policy is config::SecurityPolicy or config::NatPolicy: its rules and their NameIndex.
template <typename Policy>
void register_rule_list_commands(CommandTree& t, View rule_view, std::string prompt_prefix,
                                 std::function<Policy&(CommandContext&)> policy) {
  using Rule = typename decltype(Policy::rules)::value_type;
  t.add("rule name {word:name}", [=](CommandContext& c, const Args& a) -> Result {
    Policy& p = policy(c);
    if (p.index.find(p.rules, a.str("name")) == nullptr) {
      Rule r;
      r.name = a.str("name");
      p.rules.push_back(r);
      p.index.added(r.name, p.rules.size() - 1);
    }
    c.enter(rule_view, a.str("name"), prompt_prefix + a.str("name"));
    return kOk;
  });
  t.add("undo rule name {word:name}", [=](CommandContext& c, const Args& a) -> Result {
    Policy& p = policy(c);
    if (!erase_named(p.rules, a.str("name"))) return fail("Error: The rule does not exist.");
    p.index.clear();
    return kOk;
  });
  t.add("rule move {word:name} ( before | after ) {word:target}",
        [=](CommandContext& c, const Args& a) -> Result {
          Policy& p = policy(c);
          Rule* moving = p.index.find(p.rules, a.str("name"));
          if (moving == nullptr || p.index.find(p.rules, a.str("target")) == nullptr) {
            return fail("Error: The rule does not exist.");
          }
          Rule saved = *moving;
          erase_named(p.rules, a.str("name"));
          auto it = std::find_if(p.rules.begin(), p.rules.end(),
                                 [&](const Rule& r) { return r.name == a.str("target"); });
          if (a.has("after")) ++it;
          p.rules.insert(it, saved);
          p.index.clear();
          return kOk;
        });
  t.add("rule move {word:name} ( top | bottom )", [=](CommandContext& c, const Args& a) -> Result {
    Policy& p = policy(c);
    Rule* moving = p.index.find(p.rules, a.str("name"));
    if (moving == nullptr) return fail("Error: The rule does not exist.");
    Rule saved = *moving;
    erase_named(p.rules, a.str("name"));
    p.rules.insert(a.has("top") ? p.rules.begin() : p.rules.end(), saved);
    p.index.clear();
    return kOk;
  });
}

}  // namespace vfw::cli
