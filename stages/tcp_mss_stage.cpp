#include "stages/tcp_mss_stage.hpp"

#include "packet/tcp_mss.hpp"

namespace vfw {

Verdict TcpMssStage::process(PacketContext& ctx) const {
  if (ctx.to_device) return Verdict::Continue;
  const InterfaceState& out = ctx.snap->interfaces[ctx.out_if];
  const InterfaceState& in = ctx.snap->interfaces[ctx.in_if];
  const std::optional<uint16_t> limit = out.tcp_adjust_mss ? out.tcp_adjust_mss : in.tcp_adjust_mss;
  TraceStep* step = ctx.trace != nullptr ? &ctx.trace->add(name(), "skip") : nullptr;
  if (!limit) {
    if (step != nullptr)
      step->info.push_back("no tcp adjust-mss on " + in.name + " or " + out.name);
    return Verdict::Continue;
  }
  const std::optional<uint16_t> before = clamp_tcp_mss(ctx.ip, ctx.info, *limit);
  if (step != nullptr) {
    if (before) {
      step->result = "clamped";
      step->changes.push_back({"tcp-mss", std::to_string(*before), std::to_string(*limit)});
    } else {
      step->info.push_back("no MSS option above " + std::to_string(*limit) + " to lower");
    }
  }
  return Verdict::Continue;
}

}  // namespace vfw
