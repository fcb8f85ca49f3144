#include "stages/tcp_mss_stage.hpp"

#include <algorithm>

#include "packet/tcp_mss.hpp"

namespace vfw {

bool TcpMssStage::idle(const Snapshot& snap) const {
  return std::none_of(snap.interfaces.begin(), snap.interfaces.end(),
                      [](const InterfaceState& i) { return i.tcp_adjust_mss.has_value(); });
}

Verdict TcpMssStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Skip);
  // Only a SYN carries the option: an untraced packet of any other kind has nothing to look up
  // (a traced one goes on, for the step's note).
  if (!step && (ctx.info.protocol != ipproto::kTcp || (ctx.info.tcp_flags & tcpflag::kSyn) == 0))
    return Verdict::Continue;
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
