#include "stages/snat_stage.hpp"

#include "stages/server_map_stage.hpp"

namespace vfw {
namespace {

bool has_port(const PacketContext& ctx) {
  const uint8_t p = ctx.current.proto;
  return p == ipproto::kTcp || p == ipproto::kUdp ||
         (p == ipproto::kIcmp && ctx.current.sport != 0);
}

// PAT on one of the pool's addresses: the source picks where to start, so that a client keeps
// one address while ports last.
bool allocate_from_pool(PacketContext& ctx, const AddressPool& pool, FlowKey& target) {
  if (pool.size == 0) return false;
  const uint64_t start = ctx.original.src % pool.size;
  for (uint64_t i = 0; i < pool.size; ++i) {
    const Ipv4 addr = pool.at((start + i) % pool.size);
    if (!has_port(ctx)) {
      target.src = addr.v;
      return true;
    }
    if (auto port = ctx.rt->ports.allocate(addr, ctx.current.proto)) {
      target.src = addr.v;
      target.sport = *port;
      ctx.session_flags |= kSessionSnatPort;
      return true;
    }
  }
  return false;
}

}  // namespace

Verdict SnatStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Miss);
  auto skip = [&](const char* why) {
    step.result(Outcome::Skip);
    step.note(why);
    return Verdict::Continue;
  };
  if (ctx.to_device) return skip("addressed to the device: no source NAT");
  if (const ServerMapEntry* e = ctx.server_map_reverse) {
    // The reverse server-map entry the server-map stage found: the nat server's own source NAT.
    FlowKey target = ctx.current;
    target.src = e->global.v;
    if (e->global_port) target.sport = *e->global_port;
    step.result(Outcome::Translated);
    step.matched(MatchedKind::NatServer, e->name, [&] { return reverse_entry_text(*e); });
    translate_to(ctx, target, step.step());
    return Verdict::Continue;
  }

  const Snapshot& snap = *ctx.snap;
  const int idx =
      snap.nat.source_rules().empty() ? -1 : snap.nat.match_source(ctx.fields(), ctx.out_if);
  if (idx < 0) {
    step.note("no nat-policy source-nat rule matched");
    return Verdict::Continue;
  }
  const NatRuleEntry& rule = snap.nat.source_rules()[static_cast<size_t>(idx)];
  step.matched(MatchedKind::NatPolicyRule, rule.name,
               [&] { return "nat-policy rule " + rule.name; });
  FlowKey target = ctx.current;
  auto exhausted = [&](auto&& why) { return step.drop(DropReason::NatPoolExhausted, why); };

  switch (rule.action) {
    case config::NatAction::NoNat:
      step.result(Outcome::NoNat);
      step.note("action no-nat: the source is left as it is");
      return Verdict::Continue;
    case config::NatAction::SourceEasyIp: {
      const InterfaceState& out = snap.interfaces[ctx.out_if];
      if (!out.has_address)
        return exhausted([&] { return out.name + " has no address for easy-ip"; });
      target.src = out.address.v;
      if (has_port(ctx)) {
        auto port = ctx.rt->ports.allocate(out.address, ctx.current.proto);
        if (!port) return exhausted([&] { return "no free port on " + to_string(out.address); });
        target.sport = *port;
        ctx.session_flags |= kSessionSnatPort;
      }
      step.note([&] { return "action source-nat easy-ip: the address of " + out.name; });
      break;
    }
    case config::NatAction::SourceAddressGroup: {
      const AddressPool& pool = snap.nat.pools()[static_cast<size_t>(rule.pool)];
      if (pool.no_pat) {
        auto global = ctx.rt->addresses.acquire(pool.id, pool.sections, Ipv4{ctx.original.src});
        if (!global)
          return exhausted(
              [&] { return "every address of group " + pool.name + " is in use (no-pat)"; });
        target.src = global->v;
        ctx.session_flags |= kSessionSnatAddress;
        ctx.pool = static_cast<uint16_t>(pool.id);
      } else if (!allocate_from_pool(ctx, pool, target)) {
        return exhausted([&] { return "no free address and port in group " + pool.name; });
      }
      step.note([&] {
        return "action source-nat address-group " + pool.name +
               (pool.no_pat ? " (no-pat)" : " (pat)");
      });
      break;
    }
    default:
      return Verdict::Continue;
  }
  step.result(Outcome::Translated);
  translate_to(ctx, target, step.step());
  return Verdict::Continue;
}

}  // namespace vfw
