#include "stages/ipsec_inbound_stage.hpp"

#include "ipsec/inbound.hpp"

namespace vfw {

Verdict IpsecInboundStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, name(), "pass");
  switch (ipsec::process_inbound(ctx, step)) {
    case ipsec::Inbound::Drop:
      return Verdict::Drop;
    case ipsec::Inbound::ToDevice:
      return Verdict::ToDevice;
    case ipsec::Inbound::NotIpsec:
      step.note("not IPSec addressed to the device");
      return Verdict::Continue;
    case ipsec::Inbound::Decapsulated:
      return Verdict::Continue;
  }
  return Verdict::Continue;
}

}  // namespace vfw
