#include "stages/ingress_stage.hpp"

namespace vfw {

Verdict IngressStage::process(PacketContext& ctx) const {
  TraceStep* step = ctx.trace != nullptr ? &ctx.trace->add(name(), "valid") : nullptr;
  if (ctx.in_if >= ctx.snap->interfaces.size()) {
    if (step != nullptr) {
      step->result = "drop";
      step->drop = DropReason::UnknownInterface;
    }
    return ctx.drop_with(DropReason::UnknownInterface);
  }
  const InterfaceState& in = ctx.snap->interfaces[ctx.in_if];
  if (DropReason r = parse_ipv4({ctx.ip, ctx.length}, ctx.info); r != DropReason::None) {
    if (step != nullptr) {
      step->result = "drop";
      step->drop = r;
      step->info.push_back("not a valid IPv4 packet, received on " + in.name);
    }
    return ctx.drop_with(r);
  }
  ctx.in_zone = in.zone;
  ctx.original = flow_key(ctx.info);
  ctx.current = ctx.original;
  if (step != nullptr) {
    step->info.push_back("IPv4, " + std::to_string(ctx.info.total_length) + " bytes, on " +
                         in.name + (in.zone == kNoZone ? " (in no zone)" : ""));
  }
  return Verdict::Continue;
}

}  // namespace vfw
