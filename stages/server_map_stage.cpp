#include "stages/server_map_stage.hpp"

namespace vfw {

Verdict ServerMapStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, name(), "miss");
  const ServerMap& map = ctx.snap->server_map;
  FlowKey target = ctx.current;
  if (const ServerMapEntry* e = map.forward(Ipv4{target.dst}, target.proto, target.dport)) {
    target.dst = e->inside.v;
    if (e->inside_port) target.dport = *e->inside_port;
    step.result("hit");
    step.matched([&] {
      return "Nat Server " + e->name + ", ANY -> " + to_string(e->global) + "[" +
             to_string(e->inside) + "]";
    });
    translate_to(ctx, target, step.step());
    return Verdict::Continue;
  }
  if (const ServerMapEntry* e = map.reverse(Ipv4{target.src}, target.proto, target.sport)) {
    target.src = e->global.v;
    if (e->global_port) target.sport = *e->global_port;
    ctx.server_map_reverse = true;
    step.result("hit");
    step.matched([&] {
      return "Nat Server Reverse " + e->name + ", " + to_string(e->inside) + "[" +
             to_string(e->global) + "] -> ANY";
    });
    translate_to(ctx, target, step.step());
    return Verdict::Continue;
  }
  step.note([&] { return "no server-map entry for " + flow_text(ctx.current); });
  return Verdict::Continue;
}

}  // namespace vfw
