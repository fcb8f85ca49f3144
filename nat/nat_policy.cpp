#include "nat/nat_policy.hpp"

namespace vfw {

int NatPolicyTable::match_source(const FlowFields& f, uint16_t out_if) const {
  return source_classifier_.first_match(CompiledMatch::values(f), [&](size_t i) {
    const NatRuleEntry& r = source_[i];
    return (r.egress_if == kAnyInterface || r.egress_if == out_if) && r.match.matches(f);
  });
}

int NatPolicyTable::match_destination(const FlowFields& f) const {
  // The destination zone is not known yet: every destination rule matches any zone.
  return destination_classifier_.first_match(
      CompiledMatch::values(f), [&](size_t i) { return destination_[i].match.matches(f); });
}

}  // namespace vfw
