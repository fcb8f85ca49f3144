#include "stages/server_map_stage.hpp"

namespace vfw {

Verdict ServerMapStage::process(PacketContext& ctx) const {
  TraceStep* step = ctx.trace != nullptr ? &ctx.trace->add(name(), "miss") : nullptr;
  const ServerMap& map = ctx.snap->server_map;
  FlowKey target = ctx.current;
  if (const ServerMapEntry* e = map.forward(Ipv4{target.dst}, target.proto, target.dport)) {
    target.dst = e->inside.v;
    if (e->inside_port) target.dport = *e->inside_port;
    if (step != nullptr) {
      step->result = "hit";
      step->matched = "Nat Server " + e->name + ", ANY -> " + to_string(e->global) + "[" +
                      to_string(e->inside) + "]";
    }
    translate_to(ctx, target, step);
    return Verdict::Continue;
  }
  if (const ServerMapEntry* e = map.reverse(Ipv4{target.src}, target.proto, target.sport)) {
    target.src = e->global.v;
    if (e->global_port) target.sport = *e->global_port;
    ctx.server_map_reverse = true;
    if (step != nullptr) {
      step->result = "hit";
      step->matched = "Nat Server Reverse " + e->name + ", " + to_string(e->inside) + "[" +
                      to_string(e->global) + "] -> ANY";
    }
    translate_to(ctx, target, step);
    return Verdict::Continue;
  }
  if (step != nullptr) step->info.push_back("no server-map entry for " + flow_text(ctx.current));
  return Verdict::Continue;
}

}  // namespace vfw
