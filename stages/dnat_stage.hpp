// Stage "dnat": nat-policy rules with action destination-nat, matched before routing (so they
// cannot test the destination zone): the destination is translated and routing uses the translated
// address.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

class DnatStage final : public Stage {
 public:
  StageId id() const override { return StageId::Dnat; }
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
