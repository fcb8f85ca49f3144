// traffic-policy compiled: the rules in order, first match wins, each with the connection limits
// of its profile. A rule whose action is no-qos matches too, and limits nothing: the traffic it
// matches is exempt from the rules below it, as on the device.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "zones/rule_match.hpp"

namespace vfw {

// How many sessions a rule admits; 0: no limit of that kind.
struct SessionLimits {
  uint32_t per_source = 0;       // per-ip upstream, both or total: sessions each source opens
  uint32_t per_destination = 0;  // per-ip downstream: sessions each destination receives
  uint32_t whole = 0;            // all the sessions the rule admits together
  bool any() const { return per_source != 0 || per_destination != 0 || whole != 0; }
};

struct TrafficRuleEntry {
  std::string name;
  std::string profile;  // empty for no-qos
  CompiledMatch match;
  std::optional<uint16_t> egress_if;  // egress-interface; none: any
  SessionLimits limits;
};

class TrafficPolicyTable {
 public:
  template <typename InterfaceIndex>
  void build(const config::Config& cfg, const ZoneLookup& zones, InterfaceIndex&& interface_index);
  // Index into rules(), or -1.
  int match(const FlowFields& f, uint16_t out_if) const;
  const std::vector<TrafficRuleEntry>& rules() const { return rules_; }
  // Whether any rule limits sessions: the stage does nothing more for a device without one.
  bool limits_sessions() const { return limits_sessions_; }

 private:
  void add(TrafficRuleEntry entry);
  void finish();
  std::vector<TrafficRuleEntry> rules_;
  std::vector<RuleClassifier::RuleRanges> ranges_;
  RuleClassifier classifier_;
  bool limits_sessions_ = false;
};

// A profile's limits as the rule applies them: the lowest of those given for each kind.
SessionLimits session_limits(const config::TrafficProfile& profile);

template <typename InterfaceIndex>
void TrafficPolicyTable::build(const config::Config& cfg, const ZoneLookup& zones,
                               InterfaceIndex&& interface_index) {
  rules_.clear();
  ranges_.clear();
  limits_sessions_ = false;
  for (const auto& r : cfg.traffic_policy.rules) {
    if (r.disabled || r.action == config::TrafficRule::Action::Unset) continue;
    TrafficRuleEntry e;
    e.name = r.name;
    e.match = compile_match(cfg, zones, r.source_zones, r.destination_zones, r.source_addresses,
                            r.destination_addresses, r.services);
    if (!r.egress_interface.empty()) {
      e.egress_if = interface_index(r.egress_interface);
      // An interface the device does not have: the rule can match no packet.
      if (*e.egress_if == 0xffff) continue;
    }
    if (r.action == config::TrafficRule::Action::Qos) {
      e.profile = r.profile;
      for (const auto& p : cfg.traffic_policy.profiles) {
        if (p.name == r.profile) e.limits = session_limits(p);
      }
    }
    add(std::move(e));
  }
  finish();
}

}  // namespace vfw
