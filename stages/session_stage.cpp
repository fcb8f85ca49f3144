#include "stages/session_stage.hpp"

namespace vfw {
namespace {

void update_tcp_state(Session& s, uint8_t flags, bool reply) {
  if ((flags & tcpflag::kRst) != 0) {
    s.tcp = TcpState::Closed;
  } else if ((flags & tcpflag::kFin) != 0) {
    s.tcp = s.tcp == TcpState::Closing ? TcpState::Closed : TcpState::Closing;
  } else if (s.tcp == TcpState::SynSent && reply && (flags & tcpflag::kSyn) != 0 &&
             (flags & tcpflag::kAck) != 0) {
    s.tcp = TcpState::SynReceived;
  } else if (s.tcp == TcpState::SynReceived && !reply && (flags & tcpflag::kAck) != 0) {
    s.tcp = TcpState::Established;
  }
}

// The flow of the packet an ICMP error quotes (its IP header and first 8 bytes), keyed as the
// session table keys it; nullopt when the quote is too short or of another protocol.
std::optional<FlowKey> quoted_flow(const PacketContext& ctx) {
  const uint32_t at = ctx.info.header_length + 8;
  if (ctx.info.total_length < at + 28) return std::nullopt;
  const uint8_t* q = ctx.ip + at;
  const size_t ihl = size_t{q[0] & 0x0fu} * 4;
  if (ihl < 20 || ctx.info.total_length < at + ihl + 8) return std::nullopt;
  const uint8_t* l4 = q + ihl;
  FlowKey k{load32(q + 12), load32(q + 16), 0, 0, q[9], {0, 0, 0}};
  if (k.proto == ipproto::kUdp || k.proto == ipproto::kTcp) {
    k.sport = load16(l4);
    k.dport = load16(l4 + 2);
  } else if (k.proto == ipproto::kIcmp && l4[0] == 8) {
    k.sport = load16(l4 + 4);
    k.dport = static_cast<uint16_t>(8 << 8 | l4[1]);
  } else {
    return std::nullopt;
  }
  return k;
}

}  // namespace

Verdict SessionStage::process(PacketContext& ctx) const {
  Runtime& rt = *ctx.rt;
  const StepRecorder step(ctx, id(), Outcome::Miss);
  SessionHit hit;
  bool found = false;
  ctx.counted_length = ctx.info.total_length;
  ctx.first_fragment = ctx.info.more_fragments && !ctx.info.is_later_fragment();
  ctx.fragment_id = ctx.info.ip_id;
  if (ctx.info.is_later_fragment()) {
    const auto* frag = rt.find_fragment(ctx.original.src, ctx.original.dst, ctx.original.proto,
                                        ctx.info.ip_id, ctx.now);
    if (frag == nullptr) {
      return step.drop(DropReason::FragmentNoSession,
                       "a later fragment whose first fragment created no session");
    }
    hit = SessionHit{frag->session, frag->reply};
    found = true;
    // A later fragment has no ports: it carries those of its first fragment's flow.
    const Session& s = rt.sessions.at(hit.index);
    const FlowKey& k = hit.reply ? s.rev : s.fwd;
    ctx.original.sport = ctx.current.sport = k.sport;
    ctx.original.dport = ctx.current.dport = k.dport;
  } else {
    found = rt.sessions.find(ctx.original, ctx.original_hash, hit);
  }
  if (found && rt.expired(rt.sessions.at(hit.index), ctx.now)) {
    rt.remove_session(hit.index);
    found = false;
    step.note("the session of this flow had aged out and was removed");
  }

  // An ICMP error about a packet the device sent itself (its tracert's probes meet time exceeded
  // and port unreachable) belongs to that packet's session, and is for the device.
  if (!found && ctx.original.proto == ipproto::kIcmp && ctx.info.has_l4 &&
      is_icmp_error(ctx.ip[ctx.info.header_length])) {
    SessionHit related;
    if (const auto k = quoted_flow(ctx);
        k && rt.sessions.find(reverse_of(*k), related) && related.reply &&
        (rt.sessions.at(related.index).flags & kSessionFromDevice) != 0) {
      Session& s = rt.sessions.at(related.index);
      s.last_seen = ctx.now;
      ctx.has_session = true;
      ctx.hit = related;
      ctx.in_zone = s.out_zone;
      ctx.out_zone = s.in_zone;
      ctx.to_device = true;
      ctx.rule = s.rule;
      step.result(Outcome::Hit);
      step.matched(
          MatchedKind::Session, [&] { return flow_text(s.fwd); },
          [&] { return "session " + flow_text(s.fwd) + " (an ICMP error about it)"; });
      step.note("an ICMP error about the device's own packet: it goes to the device");
      return Verdict::FastPath;
    }
  }

  if (!found) {
    const bool tcp = ctx.original.proto == ipproto::kTcp && ctx.info.has_l4;
    const uint8_t flags = ctx.info.tcp_flags;
    if (tcp && ((flags & tcpflag::kSyn) == 0 || (flags & (tcpflag::kAck | tcpflag::kRst)) != 0)) {
      return step.drop(DropReason::TcpFirstNotSyn,
                       "no session, and the first packet of a TCP flow must be a SYN");
    }
    step.note([&] {
      return "no session for " + flow_text(ctx.original) + ": first packet, full stage traversal";
    });
    return Verdict::Continue;
  }

  Session& s = rt.sessions.at(hit.index);
  ctx.has_session = true;
  ctx.hit = hit;
  const int dir = hit.reply ? 1 : 0;
  s.last_seen = ctx.now;
  ++s.packets[dir];
  s.bytes[dir] += ctx.counted_length;
  if (ctx.original.proto == ipproto::kTcp && ctx.info.has_l4)
    update_tcp_state(s, ctx.info.tcp_flags, hit.reply);

  step.result(Outcome::Hit);
  step.matched(
      MatchedKind::Session, [&] { return flow_text(s.fwd); },
      [&] {
        return "session " + flow_text(s.fwd) +
               (hit.reply ? " (reply direction)" : " (forward direction)");
      });
  step.note("fast path: translations, egress interface and next hop recorded at session creation");
  // The translated flow is the one whose reply key the session holds (and vice versa).
  // Most sessions translate nothing: a compare spares them the rewrite's checks.
  const FlowKey& other = hit.reply ? s.fwd : s.rev;
  if (!reverses(other, ctx.current)) translate_to(ctx, reverse_of(other), step.step());
  ctx.in_zone = hit.reply ? s.out_zone : s.in_zone;
  ctx.out_zone = hit.reply ? s.in_zone : s.out_zone;
  ctx.out_if = hit.reply ? s.in_if : s.out_if;
  ctx.next_hop = Ipv4{hit.reply ? s.reply_next_hop : s.next_hop};
  // A reply to the device's own packet (its ping) is for the device, whatever its address.
  ctx.to_device =
      hit.reply ? (s.flags & kSessionFromDevice) != 0 : (s.flags & kSessionToDevice) != 0;
  ctx.rule = s.rule;
  if (ctx.first_fragment &&
      !rt.remember_fragment(ctx.original, ctx.fragment_id, {hit.index, hit.reply, ctx.now})) {
    return step.drop(DropReason::FragmentTableFull,
                     "the fragment table is full of datagrams waiting for their fragments");
  }
  return Verdict::FastPath;
}

}  // namespace vfw
