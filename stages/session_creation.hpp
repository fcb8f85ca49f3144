// The session a first packet leaves behind: made at egress as the packet leaves, or at the ipsec
// stage for a packet held while IKE negotiates (it will leave through the tunnel, and the flow's
// next packets, its later fragments and the reply must find the session it opened).
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

// DropReason::None when the session is made (ctx.has_session, ctx.hit set); else why not
// (session-table-full, or fragment-table-full for a first fragment whose later fragments could
// not be remembered).
DropReason create_session(PacketContext& ctx);

}  // namespace vfw
