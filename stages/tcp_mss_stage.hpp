// Stage "tcp-mss": `tcp adjust-mss` on either interface a TCP flow crosses lowers the MSS option
// of its SYN and SYN-ACK to the limit (packet/tcp_mss.hpp), before IPSec encapsulation hides
// them. On the fast path too: the SYN-ACK is the reply of an established session.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

class TcpMssStage final : public Stage {
 public:
  StageId id() const override { return StageId::TcpMss; }
  bool on_fast_path() const override { return true; }
  bool idle(const Snapshot& snap) const override;
  Verdict process(PacketContext& ctx) const override;
};

}  // namespace vfw
