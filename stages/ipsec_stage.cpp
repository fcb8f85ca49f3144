#include "stages/ipsec_stage.hpp"

namespace vfw {

Verdict IpsecStage::process(PacketContext& ctx) const {
  if (ctx.trace == nullptr) return Verdict::Continue;
  TraceStep& step = ctx.trace->add(name(), "skip");
  if (ctx.to_device) {
    step.info.push_back("addressed to the device");
    return Verdict::Continue;
  }
  const InterfaceState& out = ctx.snap->interfaces[ctx.out_if];
  if (out.ipsec_policy.empty()) {
    step.info.push_back("no ipsec policy on " + out.name + ": sent in plain text");
    return Verdict::Continue;
  }
  step.result = "not-emulated";
  step.matched = "ipsec policy " + out.ipsec_policy + " on " + out.name;
  step.info.push_back("the security ACL is matched on the packet as SNAT left it: source " +
                      endpoint(ctx.current.src, ctx.current.sport));
  step.info.push_back(
      "the IPSec data plane (security ACL, SA, ESP/AH) is not emulated yet: sent in plain text");
  return Verdict::Continue;
}

}  // namespace vfw
