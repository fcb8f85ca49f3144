#include "stages/egress_stage.hpp"

#include <algorithm>

namespace vfw {
namespace {

// RFC 791 fragmentation: payload in multiples of 8 bytes; later fragments carry only the options
// whose copied flag is set.
std::vector<std::vector<uint8_t>> fragment(const uint8_t* ip, const PacketInfo& info,
                                           uint32_t mtu) {
  const size_t ihl = info.header_length;
  std::vector<uint8_t> later_header(ip, ip + 20);
  for (size_t i = 20; i < ihl;) {
    const uint8_t type = ip[i];
    if (type == 0) break;
    const size_t len = type == 1 ? 1 : ip[i + 1];
    if ((type & 0x80) != 0) later_header.insert(later_header.end(), ip + i, ip + i + len);
    i += len;
  }
  while (later_header.size() % 4 != 0) later_header.push_back(0);

  std::vector<std::vector<uint8_t>> out;
  const size_t payload = info.total_length - ihl;
  size_t offset = 0;
  while (offset < payload) {
    const size_t hdr = out.empty() ? ihl : later_header.size();
    const size_t room = (mtu - hdr) & ~size_t{7};
    const size_t chunk = std::min(room, payload - offset);
    const bool last = offset + chunk == payload;
    std::vector<uint8_t> f(hdr + chunk);
    std::copy_n(out.empty() ? ip : later_header.data(), hdr, f.begin());
    f[0] = static_cast<uint8_t>(0x40 | (hdr / 4));
    std::copy_n(ip + ihl + offset, chunk, f.begin() + static_cast<long>(hdr));
    store16(&f[2], static_cast<uint16_t>(f.size()));
    const size_t frag_offset = info.fragment_offset + offset;
    const bool more = !last || info.more_fragments;
    store16(&f[6], static_cast<uint16_t>((more ? 0x2000 : 0) | (frag_offset / 8)));
    store16(&f[10], 0);
    store16(&f[10], internet_checksum({f.data(), hdr}));
    out.push_back(std::move(f));
    offset += chunk;
  }
  return out;
}

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
  if (ctx.info.more_fragments)
    (void)rt.remember_fragment(ctx.original, ctx.info.ip_id, {index, false, ctx.now});
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
  step.matched([&] {
    return "interface " + out.name + " next-hop " + to_string(ctx.next_hop) + " mtu " +
           std::to_string(out.mtu);
  });
  bool fragmented = false;
  if (ctx.info.total_length > out.mtu) {
    if (ctx.info.dont_fragment) {
      if (ctx.emitted != nullptr)
        ctx.emitted->push_back({ctx.in_if, icmp_fragmentation_needed(ctx, out.mtu)});
      return step.drop(DropReason::FragmentNeeded, [&] {
        return std::to_string(ctx.info.total_length) + " bytes exceed the MTU " +
               std::to_string(out.mtu) + " of " + out.name +
               " with DF set: ICMP fragmentation-needed (next-hop MTU " + std::to_string(out.mtu) +
               ") sent to " + to_string(Ipv4{ctx.original.src});
      });
    }
    fragmented = true;
  }
  if (first_packet && ctx.info.more_fragments && !ctx.rt->fragment_room(ctx.now)) {
    return step.drop(DropReason::FragmentTableFull,
                     "the fragment table is full of datagrams waiting for their fragments");
  }
  if (first_packet && !create_session(ctx))
    return step.drop(DropReason::SessionTableFull, "the session table is full");
  if (!ctx.from_device) decrement_ttl(ctx.ip);  // the device's own packet leaves as it made it
  // The fragments are built only for someone who takes them (the caller's emitted list) or
  // reads about them (a trace): the untraced data path allocates nothing here.
  if (fragmented && (ctx.emitted != nullptr || step)) {
    auto pieces = fragment(ctx.ip, ctx.info, out.mtu);
    step.note([&] {
      return std::to_string(ctx.info.total_length) + " bytes exceed the MTU " +
             std::to_string(out.mtu) + ": sent as " + std::to_string(pieces.size()) + " fragments";
    });
    if (ctx.emitted != nullptr) {
      for (auto& p : pieces) ctx.emitted->push_back({ctx.out_if, std::move(p)});
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
