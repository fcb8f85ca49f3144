// Stage "route": Longest-prefix match on the translated destination: the egress interface and next
// hop, the device itself (local zone), NULL0, or no route. The egress interface decides the
// destination zone.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

class RouteStage final : public Stage {
 public:
  StageId id() const override { return StageId::Route; }
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
