#include "zones/security_policy.hpp"

namespace vfw {

void SecurityPolicyTable::build(const config::Config& cfg, const ZoneLookup& zones) {
  rules_.clear();
  std::vector<RuleClassifier::RuleRanges> ranges;
  for (const auto& r : cfg.security_policy.rules) {
    if (r.disabled || r.action == config::PolicyAction::Unset) continue;
    SecurityRuleEntry e{r.name, r.action == config::PolicyAction::Permit,
                        compile_match(cfg, zones, r.source_zones, r.destination_zones,
                                      r.source_addresses, r.destination_addresses, r.services)};
    ranges.push_back(e.match.ranges());
    rules_.push_back(std::move(e));
  }
  classifier_.build(ranges);
  default_permit_ = cfg.security_policy.default_action == config::PolicyAction::Permit;
}

int SecurityPolicyTable::match(const FlowFields& f) const {
  return classifier_.first_match(CompiledMatch::values(f),
                                 [&](size_t rule) { return rules_[rule].match.matches(f); });
}

}  // namespace vfw
