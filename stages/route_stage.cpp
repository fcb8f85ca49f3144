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
  const StepRecorder step(ctx, name(), "forward");
  const Snapshot& snap = *ctx.snap;
  const Ipv4 dst{ctx.current.dst};
  const Route* r = snap.fib.lookup(dst);
  if (r == nullptr)
    return step.drop(DropReason::NoRoute, [&] { return "no route to " + to_string(dst); });
  step.matched([&] { return describe(*r, snap); });
  switch (r->kind) {
    case RouteKind::Local:
      ctx.to_device = true;
      ctx.out_zone = snap.local_zone;
      ctx.out_if = ctx.in_if;
      step.result("to-device");
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
  if (ctx.info.ttl <= 1)
    return step.drop(DropReason::TtlExpired, "TTL would reach 0 when forwarded");
  ctx.out_if = r->out_if;
  ctx.out_zone = out.zone;
  ctx.next_hop = r->next_hop.v != 0 ? r->next_hop : dst;
  return Verdict::Continue;
}

}  // namespace vfw
