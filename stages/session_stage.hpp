// Stage "session": Looks the flow up in the session table. A hit is an established flow: its
// translations and egress, recorded when the session was created, are applied and the packet takes
// the fast path. A miss is a first packet: TCP must open with a SYN (the link-state check); a later
// fragment follows the session its first fragment found.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

class SessionStage final : public Stage {
 public:
  StageId id() const override { return StageId::Session; }
  bool on_fast_path() const override { return true; }
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
