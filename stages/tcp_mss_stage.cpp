#include "stages/tcp_mss_stage.hpp"

#include "packet/tcp_mss.hpp"

namespace vfw {

Verdict TcpMssStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Skip);
  if (ctx.to_device) {
    step.note("addressed to the device");
    return Verdict::Continue;
  }
  const InterfaceState& out = ctx.snap->interfaces[ctx.out_if];
  const InterfaceState& in = ctx.snap->interfaces[ctx.in_if];
  const std::optional<uint16_t> limit = out.tcp_adjust_mss ? out.tcp_adjust_mss : in.tcp_adjust_mss;
  if (!limit) {
    step.note([&] { return "no tcp adjust-mss on " + in.name + " or " + out.name; });
    return Verdict::Continue;
  }
  if (const std::optional<uint16_t> before = clamp_tcp_mss(ctx.ip, ctx.info, *limit)) {
    step.result(Outcome::Clamped);
    step.change(
        "tcp-mss", [&] { return std::to_string(*before); }, [&] { return std::to_string(*limit); });
  } else {
    step.note([&] { return "no MSS option above " + std::to_string(*limit) + " to lower"; });
  }
  return Verdict::Continue;
}

}  // namespace vfw
