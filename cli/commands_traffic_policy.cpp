// traffic-policy view, its profiles and rules: bandwidth management as far as vfw emulates it,
// the connection limits (docs/research/session-limit.txt has the forms and their sources). A
// profile's other lines (maximum bandwidth, per-IP CAR ...) are kept verbatim from a file.
#include "cli/rule_match_commands.hpp"

namespace vfw::cli {
namespace {

config::TrafficPolicy& policy(CommandContext& c) {
  return c.config().traffic_policy;
}

config::TrafficRule& current_rule(CommandContext& c) {
  auto& p = policy(c);
  return *p.index.find(p.rules, c.frame().object);
}

config::TrafficProfile& current_profile(CommandContext& c) {
  return *find_named(policy(c).profiles, c.frame().object);
}

std::string direction_of(const Args& a) {
  for (const char* d : {"upstream", "downstream", "both", "total"}) {
    if (a.has(d)) return d;
  }
  return "";
}

// A limit replaces the one of the same scope and direction.
Result set_limit(CommandContext& c, const Args& a, bool direction_first) {
  config::ConnectionLimit l;
  l.per_ip = a.has("per-ip");
  l.direction = direction_of(a);
  l.direction_first = direction_first;
  l.count = a.uint("count");
  auto& limits = current_profile(c).limits;
  for (auto& existing : limits) {
    if (existing.per_ip == l.per_ip && existing.direction == l.direction) {
      existing = l;
      return kOk;
    }
  }
  limits.push_back(l);
  return kOk;
}

Result undo_limit(CommandContext& c, const Args& a) {
  const bool per_ip = a.has("per-ip");
  const std::string direction = direction_of(a);
  if (std::erase_if(current_profile(c).limits, [&](const config::ConnectionLimit& l) {
        return l.per_ip == per_ip && l.direction == direction;
      }) == 0)
    return fail("Error: The connection limit is not configured.");
  return kOk;
}

}  // namespace

void register_traffic_policy_commands(CommandEngine& e) {
  e.tree(View::System).add("traffic-policy", [](CommandContext& c, const Args&) -> Result {
    policy(c).shown = true;
    c.enter(View::PolicyTraffic, "", "policy-traffic");
    return kOk;
  });

  CommandTree& view = e.tree(View::PolicyTraffic);
  view.add("profile {word:name}", [](CommandContext& c, const Args& a) -> Result {
    auto& profiles = policy(c).profiles;
    if (find_named(profiles, a.str("name")) == nullptr) {
      config::TrafficProfile p;
      p.name = a.str("name");
      profiles.push_back(p);
    }
    c.enter(View::TrafficProfile, a.str("name"), "policy-traffic-profile-" + a.str("name"));
    return kOk;
  });
  view.add("undo profile {word:name}", [](CommandContext& c, const Args& a) -> Result {
    for (const auto& r : policy(c).rules) {
      if (r.action == config::TrafficRule::Action::Qos && r.profile == a.str("name"))
        return fail("Error: The profile is referenced by traffic-policy rule " + r.name + ".");
    }
    if (!erase_named(policy(c).profiles, a.str("name")))
      return fail("Error: The profile " + a.str("name") + " does not exist.");
    return kOk;
  });
  register_rule_list_commands<config::TrafficPolicy>(
      view, View::TrafficRule, "policy-traffic-rule-",
      [](CommandContext& c) -> config::TrafficPolicy& { return policy(c); });

  // The V600 reference's order: scope, then direction.
  CommandTree& profile = e.tree(View::TrafficProfile);
  profile.add(
      "bandwidth connection-limit ( whole | per-ip ) ( upstream | downstream | both ) "
      "{uint:count:1-4294967295}",
      [](CommandContext& c, const Args& a) { return set_limit(c, a, false); });
  profile.add(
      "undo bandwidth connection-limit ( whole | per-ip ) ( upstream | downstream | both ) "
      "[ {uint:count:1-4294967295} ]",
      undo_limit);
  // V500 R001's, as its saved configurations print it: direction, then scope.
  profile.add(
      "bandwidth ( upstream | downstream | total ) connection-limit ( per-ip | whole ) "
      "{uint:count:1-4294967295}",
      [](CommandContext& c, const Args& a) { return set_limit(c, a, true); });
  profile.add(
      "undo bandwidth ( upstream | downstream | total ) connection-limit ( per-ip | whole ) "
      "[ {uint:count:1-4294967295} ]",
      undo_limit);

  CommandTree& rule = e.tree(View::TrafficRule);
  register_rule_match_commands<config::TrafficRule>(rule, current_rule);
  rule.add("action qos profile {word:profile}", [](CommandContext& c, const Args& a) -> Result {
    if (find_named(policy(c).profiles, a.str("profile")) == nullptr)
      return fail("Error: The profile " + a.str("profile") + " does not exist.");
    config::TrafficRule& r = current_rule(c);
    r.action = config::TrafficRule::Action::Qos;
    r.profile = a.str("profile");
    return kOk;
  });
  rule.add("action no-qos", [](CommandContext& c, const Args&) -> Result {
    config::TrafficRule& r = current_rule(c);
    r.action = config::TrafficRule::Action::NoQos;
    r.profile.clear();
    return kOk;
  });
  rule.add("undo action", [](CommandContext& c, const Args&) -> Result {
    config::TrafficRule& r = current_rule(c);
    r.action = config::TrafficRule::Action::Unset;
    r.profile.clear();
    return kOk;
  });
}

}  // namespace vfw::cli
