// Stage "server-map": nat server entries. The forward entry translates a packet to the global
// address to the server's inside address; the reverse entry gives a connection the server opens its
// global address, applied at the snat stage (after the security policy, as source NAT is). A hit
// creates the session at egress, like any first packet.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

// "Nat Server Reverse NAME, INSIDE[GLOBAL] -> ANY", as display firewall server-map names it.
std::string reverse_entry_text(const ServerMapEntry& e);
// The snat step of a trace that applied a reverse entry (found at server-map): what the
// explanations and `vfw diagnose` attribute to the nat server, not to the nat-policy.
bool applies_reverse_entry(const TraceStep& step);

class ServerMapStage final : public Stage {
 public:
  StageId id() const override { return StageId::ServerMap; }
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
