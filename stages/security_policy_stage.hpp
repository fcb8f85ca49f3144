// Stage "security-policy": Interzone filtering from the zone of the ingress interface to the zone
// of the egress interface (local for the device itself): first matching rule, else the default
// action. Management protocols to the device are decided by service-manage on the ingress interface
// when it is enabled.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

class SecurityPolicyStage final : public Stage {
 public:
  StageId id() const override { return StageId::SecurityPolicy; }
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
