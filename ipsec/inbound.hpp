// Inbound IPSec at ingress (seed: "IPSec Working Principles", FW3): ESP addressed to the device
// is looked up in the SAD by SPI, destination and protocol, authenticated, checked against
// replay, decrypted, and the inner packet must fall inside the SA's traffic selectors
// (post-IPSec check) before it enters the pipeline from the interface the tunnel arrived on.
// Plain text that a policy on the interface says must arrive protected is dropped (pre-IPSec
// check). UDP 4500 with the non-ESP marker is IKE, for the device itself.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw::ipsec {

enum class Inbound : uint8_t {
  NotIpsec,      // an ordinary packet: on to the stages
  Decapsulated,  // ctx now holds the inner packet: on to the stages
  Drop,          // ctx.drop says why
  ToDevice,      // IKE
};

// Records into step (the ipsec-inbound stage's): its result, the SA, why it dropped.
Inbound process_inbound(PacketContext& ctx, const StepRecorder& step);

}  // namespace vfw::ipsec
