// Stage "snat": nat-policy source-NAT after routing and security policy: easy-ip (the egress
// interface address), address-group with PAT (ports from the pool, never one in use) or no-pat (one
// address per inside address), or no-nat. The IPSec stage sees the translated source.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

class SnatStage final : public Stage {
 public:
  StageId id() const override { return StageId::Snat; }
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
