// Stage "traffic-policy": bandwidth management's connection limits, after the security policy
// has admitted a new flow and before source NAT (the device counts a host by its own address).
// The first matching traffic-policy rule applies its profile's `bandwidth ... connection-limit`:
// per source address, per destination address (downstream) and for the rule as a whole. A flow
// over a limit is dropped as connection-limit; one within it is counted when its session is
// created (egress), and no longer once the session goes.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

class TrafficPolicyStage final : public Stage {
 public:
  StageId id() const override { return StageId::TrafficPolicy; }
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
