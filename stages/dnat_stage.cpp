#include "stages/dnat_stage.hpp"

namespace vfw {

Verdict DnatStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Miss);
  const NatPolicyTable& nat = ctx.snap->nat;
  const int idx = nat.destination_rules().empty() ? -1 : nat.match_destination(ctx.fields());
  if (idx < 0) {
    step.note("no nat-policy destination-nat rule matched");
    return Verdict::Continue;
  }
  const NatRuleEntry& rule = nat.destination_rules()[static_cast<size_t>(idx)];
  FlowKey target = ctx.current;
  if (rule.action == config::NatAction::DestinationStatic) {
    target.dst = rule.dnat_address.v;
  } else {
    // An address group: the inside address chosen by the source, so that one client keeps one
    // server.
    const AddressPool& pool = nat.pools()[static_cast<size_t>(rule.pool)];
    if (pool.size != 0) target.dst = pool.at(target.src % pool.size).v;
  }
  if (rule.dnat_port && (target.proto == ipproto::kTcp || target.proto == ipproto::kUdp)) {
    target.dport = *rule.dnat_port;
  }
  step.result(Outcome::Translated);
  step.matched(MatchedKind::NatPolicyRule, rule.name,
               [&] { return "nat-policy rule " + rule.name + " (destination-nat)"; });
  translate_to(ctx, target, step.step());
  return Verdict::Continue;
}

}  // namespace vfw
