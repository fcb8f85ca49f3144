// Stage "ipsec": on an egress interface with an ipsec policy applied, the security ACL of each
// policy entry (by sequence number) is matched on the packet as SNAT left it. A match with an SA
// is encapsulated in ESP (tunnel or transport, UDP 4500 under NAT-T); a match without one would
// start IKE and is dropped meanwhile; no match leaves in plain text. Inner DF with an encapsulated
// size above the MTU is answered with ICMP fragmentation-needed carrying the reduced MTU.
#pragma once

#include "ipsec/sad.hpp"
#include "pipeline/stage.hpp"

namespace vfw {

// ESP then AH (ah-esp), in place, with the TTL of the inner packet decremented first: what the
// stage does to a packet it protects, and what the device does to a packet held while IKE
// negotiated. Returns the first failure.
DropReason protect_outbound(ipsec::Sa* esp, ipsec::Sa* ah, uint8_t* ip, uint32_t& length,
                            uint32_t capacity, uint16_t ip_id, bool forwarded = true);

// The bytes ESP and AH add to an inner packet of inner bytes whose IP header is header bytes.
uint32_t ipsec_overhead(const ipsec::Sa* esp, const ipsec::Sa* ah, uint32_t inner, uint32_t header);

// The largest inner packet that still fits mtu once encapsulated (the next-hop MTU the stage
// reports in ICMP fragmentation-needed).
uint32_t largest_inner_packet(const ipsec::Sa* esp, const ipsec::Sa* ah, uint32_t mtu,
                              uint32_t header);

class IpsecStage final : public Stage {
 public:
  StageId id() const override { return StageId::Ipsec; }
  bool on_fast_path() const override { return true; }
  bool idle(const Snapshot& snap) const override;
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
