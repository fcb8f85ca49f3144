#include "stages/session_creation.hpp"

namespace vfw {

DropReason create_session(PacketContext& ctx) {
  Runtime& rt = *ctx.rt;
  // Room for the later fragments is checked before the session is made.
  if (ctx.first_fragment && !rt.fragment_room(ctx.now)) return DropReason::FragmentTableFull;
  Session s;
  s.fwd = ctx.original;
  s.rev = reverse_of(ctx.current);
  s.last_seen = ctx.now;
  s.in_if = ctx.in_if;
  s.out_if = ctx.out_if;
  s.in_zone = ctx.in_zone;
  s.out_zone = ctx.out_zone;
  s.rule = ctx.rule;
  s.flags = static_cast<uint8_t>(ctx.session_flags | (ctx.to_device ? kSessionToDevice : 0) |
                                 (ctx.from_device ? kSessionFromDevice : 0));
  s.reserved = ctx.pool;
  s.next_hop = ctx.next_hop.v;
  const Route* back = ctx.snap->fib.lookup(Ipv4{ctx.original.src});
  s.reply_next_hop = back != nullptr && back->next_hop.v != 0 ? back->next_hop.v : ctx.original.src;
  if (s.fwd.proto == ipproto::kTcp) s.tcp = TcpState::SynSent;
  s.packets[0] = 1;
  s.bytes[0] = ctx.counted_length;  // not the encapsulated length egress sees now
  uint32_t index = 0;
  if (!rt.sessions.insert(s, index)) {
    // A full table gives back its aged sessions before it refuses a new flow.
    if (rt.sessions.size() < rt.sessions.capacity() || rt.reclaim(ctx.now) == 0 ||
        !rt.sessions.insert(s, index))
      return DropReason::SessionTableFull;
  }
  // The source as it arrived (before SNAT), the destination as translated (after DNAT): what
  // the traffic-policy stage counted against.
  rt.session_counts.charge(index, ctx.counted_slot, ctx.counted_kinds, ctx.original.src, s.rev.src);
  ctx.has_session = true;
  ctx.hit = SessionHit{index, false};
  if (ctx.first_fragment)
    (void)rt.remember_fragment(ctx.original, ctx.fragment_id, {index, false, ctx.now});
  return DropReason::None;
}

}  // namespace vfw
