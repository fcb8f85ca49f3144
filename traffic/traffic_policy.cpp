#include "traffic/traffic_policy.hpp"

#include <algorithm>

namespace vfw {

SessionLimits session_limits(const config::TrafficProfile& profile) {
  SessionLimits out;
  auto lower = [](uint32_t& slot, uint32_t count) {
    slot = slot == 0 ? count : std::min(slot, count);
  };
  for (const auto& l : profile.limits) {
    if (!l.per_ip) {
      lower(out.whole, l.count);
    } else if (l.by_destination()) {
      lower(out.per_destination, l.count);
    } else {
      lower(out.per_source, l.count);
    }
  }
  return out;
}

void TrafficPolicyTable::add(TrafficRuleEntry entry) {
  ranges_.push_back(entry.match.ranges());
  limits_sessions_ = limits_sessions_ || entry.limits.any();
  rules_.push_back(std::move(entry));
}

void TrafficPolicyTable::finish() {
  // Without a limit no rule's match changes anything: the classifier is left empty.
  if (!limits_sessions_) {
    rules_.clear();
    ranges_.clear();
  }
  classifier_.build(ranges_);
  ranges_.clear();
}

int TrafficPolicyTable::match(const FlowFields& f, uint16_t out_if) const {
  if (rules_.empty()) return -1;
  return classifier_.first_match(CompiledMatch::values(f), [&](size_t i) {
    const TrafficRuleEntry& r = rules_[i];
    return (!r.egress_if || *r.egress_if == out_if) && r.match.matches(f);
  });
}

}  // namespace vfw
