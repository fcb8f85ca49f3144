// Stage "ipsec": on an egress interface with an ipsec policy applied, the security ACL of each
// policy entry (by sequence number) is matched on the packet as SNAT left it. A match with an SA
// is encapsulated in ESP (tunnel or transport, UDP 4500 under NAT-T); a match without one would
// start IKE and is dropped meanwhile; no match leaves in plain text. Inner DF with an encapsulated
// size above the MTU is answered with ICMP fragmentation-needed carrying the reduced MTU.
#pragma once

#include "ipsec/sad.hpp"
#include "pipeline/stage.hpp"

namespace vfw {

class IpsecStage final : public Stage {
 public:
  std::string_view name() const override { return "ipsec"; }
  bool on_fast_path() const override { return true; }
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
