#include "stages/ingress_stage.hpp"

namespace vfw {

Verdict IngressStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Valid);
  if (ctx.in_if >= ctx.snap->interfaces.size()) {
    return step.drop(DropReason::UnknownInterface, "the interface is not one of the device's");
  }
  const InterfaceState& in = ctx.snap->interfaces[ctx.in_if];
  if (DropReason r = parse_ipv4({ctx.ip, ctx.length}, ctx.info); r != DropReason::None) {
    return step.drop(r, [&] { return "not a valid IPv4 packet, received on " + in.name; });
  }
  ctx.in_zone = in.zone;
  ctx.arrive(flow_key(ctx.info));
  if (ctx.from_device) {
    ctx.in_zone = ctx.snap->local_zone;
    step.note([&] {
      return "IPv4, " + std::to_string(ctx.info.total_length) +
             " bytes, sent by this device (zone local), source " + to_string(Ipv4{ctx.info.src});
    });
    return Verdict::Continue;
  }
  step.note([&] {
    return "IPv4, " + std::to_string(ctx.info.total_length) + " bytes, on " + in.name +
           (in.zone == kNoZone ? " (in no zone)" : "");
  });
  return Verdict::Continue;
}

// In this file, where process() is seen: the loop calls it directly, inlined.
void IngressStage::process_batch(std::span<PacketContext> batch, uint8_t index) const {
  for (PacketContext& ctx : batch) {
    if (ctx.drop != DropReason::None) continue;
    ctx.stage_index = index;
    IngressStage::process(ctx);
  }
}

}  // namespace vfw
