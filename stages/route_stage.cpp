#include "stages/route_stage.hpp"

namespace vfw {
namespace {

std::string describe(const Route& r, const Snapshot& snap) {
  std::string s = to_string(r.prefix.addr) + "/" + std::to_string(r.prefix.len) + " " +
                  route_protocol_name(r.kind) + " pre " + std::to_string(r.preference);
  if (r.kind == RouteKind::Blackhole) return s + " interface NULL0";
  if (r.next_hop.v != 0) s += " nexthop " + to_string(r.next_hop);
  return s + " interface " + snap.interfaces[r.out_if].name;
}

}  // namespace

Verdict RouteStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Forward);
  const Snapshot& snap = *ctx.snap;
  const Ipv4 dst{ctx.current.dst};
  const Route* r = snap.fib.lookup(dst);
  if (r == nullptr)
    return step.drop(DropReason::NoRoute, [&] { return "no route to " + to_string(dst); });
  step.matched(
      MatchedKind::Route,
      [&] { return to_string(r->prefix.addr) + "/" + std::to_string(r->prefix.len); },
      [&] { return describe(*r, snap); });
  switch (r->kind) {
    case RouteKind::Local:
      ctx.to_device = true;
      ctx.out_zone = snap.local_zone;
      ctx.out_if = ctx.in_if;
      step.result(Outcome::ToDevice);
      step.note([&] { return to_string(dst) + " is an address of this device (zone local)"; });
      return Verdict::Continue;
    case RouteKind::Blackhole:
      return step.drop(DropReason::BlackholeRoute, "the route points to NULL0");
    case RouteKind::Direct:
    case RouteKind::Static:
      break;
  }
  // Routes through a shut-down interface are not installed (pipeline/snapshot.cpp).
  const InterfaceState& out = snap.interfaces[r->out_if];
  // The device's own packet leaves with the TTL it was given (tracert's first probe has 1).
  if (ctx.info.ttl <= 1 && !ctx.from_device) {
    // As a router does, the device tells the source (tracert reads its hops from this).
    const InterfaceState& in = snap.interfaces[ctx.in_if];
    const bool answer = ctx.emitted != nullptr && !ctx.from_device && in.has_address &&
                        should_answer_with_icmp_error({ctx.ip, ctx.length}, ctx.info);
    if (answer)
      ctx.emitted->push_back(
          {ctx.in_if, icmp_error({ctx.ip, ctx.length}, ctx.info, in.address, 11, 0, 255), false});
    return step.drop(DropReason::TtlExpired, [&] {
      return std::string("TTL would reach 0 when forwarded") +
             (answer ? ": ICMP time exceeded sent to " + to_string(ctx.info.src) : "");
    });
  }
  ctx.out_if = r->out_if;
  ctx.out_zone = out.zone;
  ctx.next_hop = r->next_hop.v != 0 ? r->next_hop : dst;
  return Verdict::Continue;
}

}  // namespace vfw
