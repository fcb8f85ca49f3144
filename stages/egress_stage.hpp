// Stage "egress": MTU and DF (a packet too big with DF set is dropped and answered with ICMP
// fragmentation-needed; otherwise fragmented), TTL, and the creation of the session for a first
// packet.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

class EgressStage final : public Stage {
 public:
  StageId id() const override { return StageId::Egress; }
  bool on_fast_path() const override { return true; }
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
