#include "stages/server_map_stage.hpp"

namespace vfw {

namespace {
constexpr std::string_view kReverse = "Nat Server Reverse ";
}  // namespace

std::string reverse_entry_text(const ServerMapEntry& e) {
  return std::string(kReverse) + e.name + ", " + to_string(e.inside) + "[" + to_string(e.global) +
         "] -> ANY";
}

bool applies_reverse_entry(const TraceStep& step) {
  return step.stage == StageId::Snat && step.matched_kind == MatchedKind::NatServer;
}

Verdict ServerMapStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Miss);
  const ServerMap& map = ctx.snap->server_map;
  FlowKey target = ctx.current;
  if (const ServerMapEntry* e = map.forward(Ipv4{target.dst}, target.proto, target.dport)) {
    target.dst = e->inside.v;
    if (e->inside_port) target.dport = *e->inside_port;
    step.result(Outcome::Hit);
    step.matched(MatchedKind::NatServer, e->name, [&] {
      return "Nat Server " + e->name + ", ANY -> " + to_string(e->global) + "[" +
             to_string(e->inside) + "]";
    });
    translate_to(ctx, target, step.step());
    return Verdict::Continue;
  }
  if (const ServerMapEntry* e = map.reverse(Ipv4{target.src}, target.proto, target.sport)) {
    // Found here, applied at the snat stage: the security policy must see the server's own
    // address, as it sees any flow's source before its source NAT.
    ctx.server_map_reverse = e;
    step.result(Outcome::Hit);
    step.matched(MatchedKind::NatServer, e->name, [&] { return reverse_entry_text(*e); });
    step.note([&] {
      return "the source becomes " + to_string(e->global) +
             " at the snat stage, after the security policy";
    });
    return Verdict::Continue;
  }
  step.note([&] { return "no server-map entry for " + flow_text(ctx.current); });
  return Verdict::Continue;
}

}  // namespace vfw
