#include "pipeline/pipeline.hpp"

#include <algorithm>

#include "packet/headers.hpp"

namespace vfw {

std::string_view action_name(Action a) {
  switch (a) {
    case Action::Forward:
      return "forward";
    case Action::Drop:
      return "drop";
    case Action::ToDevice:
      return "to-device";
  }
  return "";
}

std::string endpoint(uint32_t addr, uint16_t port) {
  return to_string(Ipv4{addr}) + ":" + std::to_string(port);
}

std::string flow_text(const FlowKey& k) {
  return endpoint(k.src, k.sport) + " --> " + endpoint(k.dst, k.dport);
}

void translate_to(PacketContext& ctx, const FlowKey& target, TraceStep* step) {
  FlowKey& cur = ctx.current;
  // ICMP queries carry one identifier for both directions (the key's source "port"): the trace
  // names it instead of showing it as a port of either side.
  const bool icmp = cur.proto == ipproto::kIcmp;
  auto side = [&](uint32_t addr, uint16_t port) {
    return icmp ? to_string(Ipv4{addr}) : endpoint(addr, port);
  };
  const bool src_changed = cur.src != target.src || (!icmp && cur.sport != target.sport);
  const bool dst_changed = cur.dst != target.dst || (!icmp && cur.dport != target.dport);
  if (src_changed || (icmp && cur.sport != target.sport)) {
    rewrite_source(ctx.ip, ctx.info, Ipv4{target.src}, target.sport);
  }
  if (dst_changed) rewrite_destination(ctx.ip, ctx.info, Ipv4{target.dst}, target.dport);
  if (step != nullptr) {
    if (src_changed)
      step->changes.push_back({"source", side(cur.src, cur.sport), side(target.src, target.sport)});
    if (dst_changed) {
      step->changes.push_back(
          {"destination", side(cur.dst, cur.dport), side(target.dst, target.dport)});
    }
    if (icmp && cur.sport != target.sport) {
      step->changes.push_back(
          {"icmp-identifier", std::to_string(cur.sport), std::to_string(target.sport)});
    }
  }
  cur.src = target.src;
  cur.dst = target.dst;
  cur.sport = target.sport;
  cur.dport = target.dport;
}

std::vector<uint8_t> icmp_fragmentation_needed(const PacketContext& ctx, uint32_t mtu) {
  std::vector<uint8_t> original(ctx.ip, ctx.ip + ctx.info.total_length);
  rewrite_source(original.data(), ctx.info, Ipv4{ctx.original.src}, ctx.original.sport);
  rewrite_destination(original.data(), ctx.info, Ipv4{ctx.original.dst}, ctx.original.dport);
  const size_t quoted = std::min<size_t>(original.size(), ctx.info.header_length + 8);
  const InterfaceState& in = ctx.snap->interfaces[ctx.in_if];

  std::vector<uint8_t> p(20 + 8 + quoted, 0);
  write_ipv4_header(p.data(), {0, static_cast<uint16_t>(p.size()), 0, false, 255, ipproto::kIcmp,
                               in.address, Ipv4{ctx.original.src}});
  uint8_t* icmp = &p[20];
  icmp[0] = 3;
  icmp[1] = 4;
  store16(icmp + 6, static_cast<uint16_t>(mtu));
  std::copy_n(original.begin(), quoted, icmp + 8);
  store16(icmp + 2, internet_checksum({icmp, 8 + quoted}));
  return p;
}

uint32_t Pipeline::idle_stages(const Snapshot& snap) const {
  uint32_t idle = 0;
  for (size_t i = 0; i < stages_.size() && i < 32; ++i) {
    if (stages_[i]->idle(snap)) idle |= 1U << i;
  }
  return idle;
}

Pipeline::Pipeline(std::vector<std::unique_ptr<Stage>> stages)
    : stages_(std::move(stages)), fast_next_(stages_.size(), stages_.size()) {
  for (size_t i = stages_.size(); i-- > 1;) {
    fast_next_[i - 1] = stages_[i]->on_fast_path() ? i : fast_next_[i];
  }
  while (batch_first_ < stages_.size() && stages_[batch_first_]->batch_first()) ++batch_first_;
}

std::vector<std::string_view> Pipeline::order() const {
  std::vector<std::string_view> names;
  for (const auto& s : stages_) names.push_back(s->name());
  return names;
}

namespace {

[[gnu::always_inline]] inline Action finish(PacketContext& ctx, Action action) {
  if (action == Action::Drop) {
    ctx.rt->drops.add(ctx.drop);
    // A NAT resource taken for a session that was never created goes back to its pool.
    if (!ctx.has_session) {
      if ((ctx.session_flags & kSessionSnatPort) != 0) {
        ctx.rt->ports.release(Ipv4{ctx.current.src}, ctx.current.proto, ctx.current.sport);
      }
      if ((ctx.session_flags & kSessionSnatAddress) != 0) {
        ctx.rt->addresses.release(ctx.pool, Ipv4{ctx.original.src});
      }
    }
  } else if (action == Action::Forward) {
    ++ctx.rt->forwarded;
  }
  if (ctx.trace != nullptr) {
    TraceResult& r = ctx.trace->result;
    r.action = action;
    r.drop = ctx.drop;
    if (ctx.in_if < ctx.snap->interfaces.size()) r.input = ctx.snap->interfaces[ctx.in_if].name;
    if (action == Action::ToDevice) {
      r.output = "local";
    } else if (ctx.out_if < ctx.snap->interfaces.size()) {
      r.output = ctx.snap->interfaces[ctx.out_if].name;
    }
  }
  return action;
}

}  // namespace

Action Pipeline::run_stages(PacketContext& ctx, size_t first) const {
  bool fast = false;  // a stage said FastPath: only the fast-path stages after it run
  const size_t end = stages_.size();
  const uint32_t idle = ctx.trace == nullptr ? ctx.snap->idle_stages : 0;
  for (size_t i = first; i < end; i = fast ? fast_next_[i] : i + 1) {
    if (i < 32 && ((idle >> i) & 1U) != 0) continue;
    ctx.stage_index = static_cast<uint8_t>(i);
    switch (stages_[i]->process(ctx)) {
      case Verdict::Continue:
        break;
      case Verdict::FastPath:
        fast = true;
        break;
      case Verdict::Drop:
        return finish(ctx, Action::Drop);
      case Verdict::ToDevice:
        return finish(ctx, Action::ToDevice);
    }
  }
  return finish(ctx, Action::Forward);
}

Action Pipeline::process(PacketContext& ctx) const {
  ctx.drop = DropReason::None;
  return run_stages(ctx, 0);
}

void Pipeline::process_batch(std::span<PacketContext> batch, Action* actions) const {
  // Software pipelining: while packet i runs the stages, the session entry of packet i + 8 and the
  // index slot of packet i + 16 are on their way from memory. Keeping a handful of misses in
  // flight, rather than issuing a whole batch of prefetches at once, stays within what the core can
  // track.
  constexpr size_t kEntryAhead = 8;
  constexpr size_t kSlotAhead = 16;
  const size_t n = batch.size();
  // The leading stages (ingress, ipsec-inbound) over the whole batch first, stage by stage: they
  // record the flows the prefetches need, the inner flow of a decapsulated packet included.
  for (PacketContext& ctx : batch) ctx.drop = DropReason::None;
  for (size_t s = 0; s < batch_first_; ++s) {
    stages_[s]->process_batch(batch, static_cast<uint8_t>(s));
  }
  auto valid = [&](size_t i) { return i < n && batch[i].drop == DropReason::None; };
  for (size_t i = 0; i < kSlotAhead && i < n; ++i) {
    if (valid(i)) batch[i].rt->sessions.prefetch_slot(batch[i].original_hash);
  }
  for (size_t i = 0; i < kEntryAhead && i < n; ++i) {
    if (valid(i)) batch[i].rt->sessions.prefetch_entry(batch[i].original_hash);
  }
  for (size_t i = 0; i < n; ++i) {
    if (valid(i + kSlotAhead))
      batch[i + kSlotAhead].rt->sessions.prefetch_slot(batch[i + kSlotAhead].original_hash);
    if (valid(i + kEntryAhead))
      batch[i + kEntryAhead].rt->sessions.prefetch_entry(batch[i + kEntryAhead].original_hash);
    PacketContext& ctx = batch[i];
    actions[i] =
        ctx.drop == DropReason::None ? run_stages(ctx, batch_first_) : finish(ctx, Action::Drop);
  }
}

}  // namespace vfw
