// Stage "ipsec-inbound" (seed: "IPSec Working Principles", FW3): ESP or AH addressed to the device
// is authenticated, checked against replay, decrypted and checked against its SA's flows
// (post-IPSec check); the inner packet goes on to the session stage as if it had arrived in plain
// text on the same interface. Plain text that an applied policy says must arrive protected is
// dropped (pre-IPSec check). Other packets pass untouched.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

class IpsecInboundStage final : public Stage {
 public:
  StageId id() const override { return StageId::IpsecInbound; }
  Verdict process(PacketContext& ctx) const override;
  bool batch_first() const override { return true; }
  void process_batch(std::span<PacketContext> batch, uint8_t index) const override;
};

}  // namespace vfw
