#include "stages/security_policy_stage.hpp"

namespace vfw {
namespace {

std::string zone_name(const Snapshot& snap, uint8_t zone) {
  return zone < snap.zones.names.size() ? snap.zones.names[zone] : std::string("(none)");
}

}  // namespace

Verdict SecurityPolicyStage::process(PacketContext& ctx) const {
  const Snapshot& snap = *ctx.snap;
  const StepRecorder step(ctx, id(), Outcome::Permit);
  auto drop = [&](DropReason reason, auto&& why) { return step.drop(reason, why, Outcome::Deny); };
  if (ctx.in_zone == kNoZone) {
    return drop(DropReason::InterfaceNoZone, [&] {
      return std::string(snap.interfaces[ctx.in_if].name + " is not in a security zone");
    });
  }
  if (ctx.out_zone == kNoZone) {
    return drop(DropReason::InterfaceNoZone, [&] {
      return std::string(snap.interfaces[ctx.out_if].name + " is not in a security zone");
    });
  }
  auto zones = [&] {
    return " (" + zone_name(snap, ctx.in_zone) + " -> " + zone_name(snap, ctx.out_zone) + ")";
  };

  if (ctx.to_device) {
    const InterfaceState& in = snap.interfaces[ctx.in_if];
    if (const auto service = config::manage_service_of(ctx.current.proto, ctx.current.dport);
        service && in.service_manage) {
      if (!in.manage_permitted.has(*service)) {
        return drop(DropReason::ServiceManageDeny, [&] {
          return std::string("service-manage on " + in.name +
                             " does not permit this management protocol");
        });
      }
      step.matched(MatchedKind::ServiceManage, in.name,
                   [&] { return "service-manage on " + in.name + zones(); });
      return Verdict::Continue;
    }
  }

  const int idx = snap.security.match(ctx.fields());
  if (idx >= 0) {
    const auto& rule = snap.security.rules()[static_cast<size_t>(idx)];
    if (static_cast<size_t>(idx) < ctx.rt->security_hits.size())
      ++ctx.rt->security_hits[static_cast<size_t>(idx)];
    ctx.rule = static_cast<uint16_t>(idx);
    step.matched(MatchedKind::SecurityPolicyRule, rule.name,
                 [&] { return "rule " + rule.name + zones(); });
    if (!rule.permit)
      return drop(DropReason::PolicyDeny,
                  [&] { return std::string("rule " + rule.name + " action deny"); });
    return Verdict::Continue;
  }
  ++ctx.rt->security_default_hits;
  ctx.rule = kDefaultRule;
  step.matched(MatchedKind::SecurityPolicyDefault, "default", [&] { return "default" + zones(); });
  if (!snap.security.default_permit()) {
    return drop(DropReason::DefaultPolicyDeny, "no rule matched; default action deny");
  }
  return Verdict::Continue;
}

}  // namespace vfw
