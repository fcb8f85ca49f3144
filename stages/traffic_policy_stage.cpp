#include "stages/traffic_policy_stage.hpp"

namespace vfw {

Verdict TrafficPolicyStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Miss);
  const TrafficPolicyTable& table = ctx.snap->traffic;
  if (!table.limits_sessions()) {
    step.result(Outcome::Skip);
    step.note("no traffic-policy rule limits connections");
    return Verdict::Continue;
  }
  const int idx = table.match(ctx.fields(), ctx.out_if);
  if (idx < 0) {
    step.note("no traffic-policy rule matched");
    return Verdict::Continue;
  }
  const TrafficRuleEntry& rule = table.rules()[static_cast<size_t>(idx)];
  if (!rule.limits.any()) {
    step.result(Outcome::Pass);
    step.matched(MatchedKind::TrafficPolicyRule, rule.name, [&] {
      return "rule " + rule.name +
             (rule.profile.empty() ? std::string(" (no-qos)")
                                   : " profile " + rule.profile + ": no connection limit");
    });
    return Verdict::Continue;
  }
  const uint16_t slot = static_cast<size_t>(idx) < ctx.rt->traffic_slots.size()
                            ? ctx.rt->traffic_slots[static_cast<size_t>(idx)]
                            : uint16_t{0};
  const SessionCounts& counts = ctx.rt->session_counts;
  step.result(Outcome::Pass);
  step.matched(MatchedKind::TrafficPolicyRule, rule.name,
               [&] { return "rule " + rule.name + " profile " + rule.profile; });
  // Each limit that is set: the count now, against it.
  struct Check {
    SessionCounts::Kind kind;
    uint32_t limit;
    uint32_t address;
    const char* what;
  };
  const Check checks[] = {
      {SessionCounts::kBySource, rule.limits.per_source, ctx.current.src, "per-ip (source)"},
      {SessionCounts::kByDestination, rule.limits.per_destination, ctx.current.dst,
       "per-ip downstream (destination)"},
      {SessionCounts::kWhole, rule.limits.whole, 0, "whole"},
  };
  uint8_t kinds = 0;
  for (const Check& c : checks) {
    if (c.limit == 0) continue;
    const uint32_t now = counts.count(slot, c.kind, c.address);
    if (now >= c.limit) {
      return step.drop(DropReason::ConnectionLimit, [&] {
        std::string who = c.kind == SessionCounts::kWhole
                              ? std::string("the rule's sessions")
                              : to_string(Ipv4{c.address}) + "'s sessions";
        return who + " have reached the " + c.what + " connection limit " +
               std::to_string(c.limit) + " of profile " + rule.profile + " (" +
               std::to_string(now) + " live)";
      });
    }
    kinds = static_cast<uint8_t>(kinds | c.kind);
    step.note([&] {
      return std::string(c.what) + " connection limit " + std::to_string(c.limit) + ": " +
             std::to_string(now) + " live before this one";
    });
  }
  ctx.counted_kinds = kinds;
  ctx.counted_slot = slot;
  return Verdict::Continue;
}

}  // namespace vfw
