#include "stages/egress_stage.hpp"

#include <string>

#include "packet/fragmentation.hpp"

namespace vfw {
namespace {

bool create_session(PacketContext& ctx) {
  Runtime& rt = *ctx.rt;
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
      return false;
  }
  // The source as it arrived (before SNAT), the destination as translated (after DNAT): what
  // the traffic-policy stage counted against.
  rt.session_counts.charge(index, ctx.counted_slot, ctx.counted_kinds, ctx.original.src, s.rev.src);
  ctx.has_session = true;
  ctx.hit = SessionHit{index, false};
  // Room was checked before the session was made (EgressStage::process).
  if (ctx.first_fragment)
    (void)rt.remember_fragment(ctx.original, ctx.fragment_id, {index, false, ctx.now});
  return true;
}

}  // namespace

Verdict EgressStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Forward);
  const bool first_packet = !ctx.has_session;

  if (ctx.to_device) {
    if (first_packet && !create_session(ctx))
      return step.drop(DropReason::SessionTableFull, "the session table is full");
    step.result(Outcome::ToDevice);
    if (first_packet) step.note([&] { return "session created: " + flow_text(ctx.original); });
    return Verdict::ToDevice;
  }

  const InterfaceState& out = ctx.snap->interfaces[ctx.out_if];
  step.matched(MatchedKind::Interface, out.name, [&] {
    return "interface " + out.name + " next-hop " + to_string(ctx.next_hop) + " mtu " +
           std::to_string(out.mtu);
  });
  bool fragmented = false;
  if (ctx.info.total_length > out.mtu) {
    if (ctx.info.dont_fragment) {
      if (ctx.emitted != nullptr)
        ctx.emitted->push_back({ctx.in_if, icmp_fragmentation_needed(ctx, out.mtu), false});
      return step.drop(DropReason::FragmentNeeded, [&] {
        return std::to_string(ctx.info.total_length) + " bytes exceed the MTU " +
               std::to_string(out.mtu) + " of " + out.name +
               " with DF set: ICMP fragmentation-needed (next-hop MTU " + std::to_string(out.mtu) +
               ") sent to " + to_string(Ipv4{ctx.original.src});
      });
    }
    fragmented = true;
  }
  if (first_packet && ctx.first_fragment && !ctx.rt->fragment_room(ctx.now)) {
    return step.drop(DropReason::FragmentTableFull,
                     "the fragment table is full of datagrams waiting for their fragments");
  }
  if (first_packet && !create_session(ctx))
    return step.drop(DropReason::SessionTableFull, "the session table is full");
  if (!ctx.from_device) decrement_ttl(ctx.ip);  // the device's own packet leaves as it made it
  // The fragments are built only for someone who takes them (the caller's emitted list), and
  // then leave instead of the packet, or for someone who reads about them (a trace): the data
  // path with no emitted list (the daemon's raw sockets, whose kernel fragments) allocates
  // nothing here.
  if (fragmented && (ctx.emitted != nullptr || step)) {
    auto pieces = fragment_ipv4(ctx.ip, ctx.info, out.mtu);
    step.note([&] {
      return std::to_string(ctx.info.total_length) + " bytes exceed the MTU " +
             std::to_string(out.mtu) + ": sent as " + std::to_string(pieces.size()) + " fragments";
    });
    if (ctx.emitted != nullptr) {
      for (auto& p : pieces) ctx.emitted->push_back({ctx.out_if, std::move(p), true});
      ctx.sent_as_fragments = true;
    }
  }
  if (first_packet) {
    step.note([&] {
      return "session created: " + flow_text(ctx.original) + " reply expected as " +
             flow_text(ctx.rt->sessions.at(ctx.hit.index).rev);
    });
  }
  return Verdict::Continue;
}

}  // namespace vfw
