// Stage "ipsec": Placeholder with the real interface: on an egress interface with an ipsec policy
// applied it reports the policy. The security ACL, SA lookup and ESP/AH encapsulation come with the
// IPSec data plane.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

class IpsecStage final : public Stage {
 public:
  std::string_view name() const override { return "ipsec"; }
  bool on_fast_path() const override { return true; }
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
