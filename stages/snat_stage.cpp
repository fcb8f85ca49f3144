#include "stages/snat_stage.hpp"

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
  TraceStep* step = ctx.trace != nullptr ? &ctx.trace->add(name(), "miss") : nullptr;
  // why() runs only for a traced packet.
  auto skip = [&](auto&& why) {
    if (step != nullptr) {
      step->result = "skip";
      step->info.push_back(why());
    }
    return Verdict::Continue;
  };
  if (ctx.to_device)
    return skip([&] { return std::string("addressed to the device: no source NAT"); });
  if (ctx.server_map_reverse)
    return skip(
        [&] { return std::string("the source was translated by a nat server reverse entry"); });

  const Snapshot& snap = *ctx.snap;
  const int idx =
      snap.nat.source_rules().empty() ? -1 : snap.nat.match_source(ctx.fields(), ctx.out_if);
  if (idx < 0) {
    if (step != nullptr) step->info.push_back("no nat-policy source-nat rule matched");
    return Verdict::Continue;
  }
  const NatRuleEntry& rule = snap.nat.source_rules()[static_cast<size_t>(idx)];
  if (step != nullptr) step->matched = "nat-policy rule " + rule.name;
  FlowKey target = ctx.current;
  auto exhausted = [&](auto&& why) {
    if (step != nullptr) {
      step->result = "drop";
      step->drop = DropReason::NatPoolExhausted;
      step->info.push_back(why());
    }
    return ctx.drop_with(DropReason::NatPoolExhausted);
  };

  switch (rule.action) {
    case config::NatAction::NoNat:
      if (step != nullptr) {
        step->result = "no-nat";
        step->info.push_back("action no-nat: the source is left as it is");
      }
      return Verdict::Continue;
    case config::NatAction::SourceEasyIp: {
      const InterfaceState& out = snap.interfaces[ctx.out_if];
      if (!out.has_address)
        return exhausted([&] { return std::string(out.name + " has no address for easy-ip"); });
      target.src = out.address.v;
      if (has_port(ctx)) {
        auto port = ctx.rt->ports.allocate(out.address, ctx.current.proto);
        if (!port)
          return exhausted(
              [&] { return std::string("no free port on " + to_string(out.address)); });
        target.sport = *port;
        ctx.session_flags |= kSessionSnatPort;
      }
      if (step != nullptr)
        step->info.push_back("action source-nat easy-ip: the address of " + out.name);
      break;
    }
    case config::NatAction::SourceAddressGroup: {
      const AddressPool& pool = snap.nat.pools()[static_cast<size_t>(rule.pool)];
      if (pool.no_pat) {
        auto global = ctx.rt->addresses.acquire(pool.id, pool.sections, Ipv4{ctx.original.src});
        if (!global)
          return exhausted([&] {
            return std::string("every address of group " + pool.name + " is in use (no-pat)");
          });
        target.src = global->v;
        ctx.session_flags |= kSessionSnatAddress;
        ctx.pool = static_cast<uint16_t>(pool.id);
      } else if (!allocate_from_pool(ctx, pool, target)) {
        return exhausted(
            [&] { return std::string("no free address and port in group " + pool.name); });
      }
      if (step != nullptr) {
        step->info.push_back("action source-nat address-group " + pool.name +
                             (pool.no_pat ? " (no-pat)" : " (pat)"));
      }
      break;
    }
    default:
      return Verdict::Continue;
  }
  if (step != nullptr) step->result = "translated";
  translate_to(ctx, target, step);
  return Verdict::Continue;
}

}  // namespace vfw
