#include "stages/egress_stage.hpp"

#include <string>

#include "packet/fragmentation.hpp"
#include "stages/session_creation.hpp"

namespace vfw {

Verdict EgressStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Forward);
  const bool first_packet = !ctx.has_session;

  if (ctx.to_device) {
    if (first_packet) {
      if (const DropReason r = create_session(ctx); r != DropReason::None)
        return step.drop(r, r == DropReason::FragmentTableFull
                                ? "the fragment table is full of datagrams waiting for their "
                                  "fragments"
                                : "the session table is full");
    }
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
  if (first_packet) {
    if (const DropReason r = create_session(ctx); r != DropReason::None) {
      return step.drop(r, r == DropReason::FragmentTableFull
                              ? "the fragment table is full of datagrams waiting for their "
                                "fragments"
                              : "the session table is full");
    }
  }
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
