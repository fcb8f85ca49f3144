#include "stages/ipsec_stage.hpp"

#include "stages/session_creation.hpp"

#include "ipsec/ah.hpp"
#include "ipsec/esp.hpp"

#include <algorithm>

namespace vfw {

uint32_t ipsec_overhead(const ipsec::Sa* esp, const ipsec::Sa* ah, uint32_t inner,
                        uint32_t header) {
  return (esp != nullptr ? ipsec::esp_overhead(*esp, inner, header) : 0) +
         (ah != nullptr ? ipsec::ah_overhead(*ah) : 0);
}

// The largest inner packet that still fits the egress MTU once encapsulated. An inner length
// plus its overhead only grows with the length (the padding rounds up to the block), so the
// packets that fit are exactly those up to this bound: reported as the next-hop MTU it is the
// same whatever packet asked. Searched down from just above the bound: a few cipher blocks of
// steps, on the drop path only.
uint32_t largest_inner_packet(const ipsec::Sa* esp, const ipsec::Sa* ah, uint32_t mtu,
                              uint32_t header) {
  const uint32_t at_mtu = ipsec_overhead(esp, ah, mtu, header);
  uint32_t inner = mtu > at_mtu ? mtu - at_mtu + 32 : header + 8;
  while (inner > header + 8 && inner + ipsec_overhead(esp, ah, inner, header) > mtu) --inner;
  return inner;
}

DropReason protect_outbound(ipsec::Sa* esp, ipsec::Sa* ah, uint8_t* ip, uint32_t& length,
                            uint32_t capacity, uint16_t ip_id, bool forwarded) {
  if (forwarded) decrement_ttl(ip);  // the inner packet is forwarded; the outer one is new
  for (ipsec::Sa* sa : {esp, ah}) {
    if (sa == nullptr) continue;
    const DropReason r = sa == ah ? ipsec::ah_encapsulate(*sa, ip, length, capacity, ip_id)
                                  : ipsec::esp_encapsulate(*sa, ip, length, capacity, ip_id);
    if (r != DropReason::None) return r;
  }
  return DropReason::None;
}

bool IpsecStage::idle(const Snapshot& snap) const {
  return std::all_of(snap.interfaces.begin(), snap.interfaces.end(),
                     [](const InterfaceState& i) { return i.spd.empty(); });
}

Verdict IpsecStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Skip);
  if (ctx.to_device) {
    step.note("addressed to the device");
    return Verdict::Continue;
  }
  const InterfaceState& out = ctx.snap->interfaces[ctx.out_if];
  if (out.spd.empty()) {
    step.note([&] { return "no ipsec policy on " + out.name + ": sent in plain text"; });
    return Verdict::Continue;
  }
  // The security ACL sees the packet as SNAT left it.
  const ipsec::Flow flow{ctx.current.proto, Ipv4{ctx.current.src}, Ipv4{ctx.current.dst},
                         ctx.current.sport, ctx.current.dport};
  const ipsec::SpdMatch m = ipsec::spd_lookup(out.spd, flow);
  if (m.entry == nullptr) {
    step.result(Outcome::Bypass);
    step.matched(MatchedKind::IpsecPolicy, out.ipsec_policy,
                 [&] { return "ipsec policy " + out.ipsec_policy + " on " + out.name; });
    step.note([&] {
      return "no security ACL rule of policy " + out.ipsec_policy + " permits " +
             endpoint(ctx.current.src, ctx.current.sport) + " -> " +
             endpoint(ctx.current.dst, ctx.current.dport) +
             " (the source as SNAT left it): sent in plain text";
    });
    return Verdict::Continue;
  }
  step.matched(
      MatchedKind::IpsecPolicy, [&] { return ipsec::policy_entry_name(*m.entry); },
      [&] {
        return "ipsec policy " + m.entry->policy + " " + std::to_string(m.entry->seq) + ", acl " +
               std::to_string(m.entry->acl) + " rule " + std::to_string(m.rule->id);
      });
  // transform esp, ah, or ah-esp: ESP first, then AH over the ESP packet.
  ipsec::Sa* esp = ctx.rt->sad.outbound(m.entry->index, ipproto::kEsp);
  ipsec::Sa* ah = ctx.rt->sad.outbound(m.entry->index, ipproto::kAh);
  if (esp == nullptr && ah == nullptr) {
    bool held = false;
    if (!m.entry->manual) {
      // The first packet of a flow without an SA starts IKE (the device's traffic-based trigger)
      // and waits for the tunnel, a few per entry; it leaves through the new SA once it is up.
      auto& acquires = ctx.rt->ike_acquires;
      if (std::find(acquires.begin(), acquires.end(), m.entry->index) == acquires.end())
        acquires.push_back(m.entry->index);
      auto& queue = ctx.rt->held;
      const auto waiting = std::count_if(queue.begin(), queue.end(), [&](const auto& h) {
        return h.policy_index == m.entry->index;
      });
      if (queue.size() < Runtime::kMaxHeld &&
          static_cast<size_t>(waiting) < Runtime::kMaxHeldPerEntry) {
        // The flow's session opens now, as the packet will leave: the flow's next packets and
        // later fragments find it (and are held too), and the reply that comes back through
        // the tunnel is the reply of this flow, not a new one from the other side. No room for
        // it: the packet is dropped as egress would have dropped it.
        if (!ctx.has_session) {
          if (const DropReason r = create_session(ctx); r != DropReason::None) {
            return step.drop(r, r == DropReason::FragmentTableFull
                                    ? "the fragment table is full of datagrams waiting for "
                                      "their fragments"
                                    : "the session table is full");
          }
          step.note([&] {
            return "session created: " + flow_text(ctx.original) + " reply expected as " +
                   flow_text(ctx.rt->sessions.at(ctx.hit.index).rev);
          });
        }
        queue.push_back({m.entry->index, ctx.out_if,
                         std::vector<uint8_t>(ctx.ip, ctx.ip + ctx.length), ctx.now,
                         !ctx.from_device, ctx.hit.index, ctx.original});
        held = true;
        if (ctx.trace != nullptr) ctx.trace->result.held = true;
      }
    }
    return step.drop(DropReason::IpsecNoSa, [&] {
      if (m.entry->manual)
        return std::string("the manual policy has no complete outbound SA (spi and keys)");
      return "no SA yet: negotiation with ike-peer " + m.entry->ike_peer +
             " starts (display ike sa); " +
             (held ? "this packet is held and leaves through the tunnel once it is up"
                   : "this packet is dropped: " + std::to_string(Runtime::kMaxHeldPerEntry) +
                         " are already waiting for it");
    });
  }
  if (ctx.info.dont_fragment &&
      ctx.info.total_length + ipsec_overhead(esp, ah, ctx.length, ctx.info.header_length) >
          out.mtu) {
    const uint32_t mtu = largest_inner_packet(esp, ah, out.mtu, ctx.info.header_length);
    if (ctx.emitted != nullptr)
      ctx.emitted->push_back({ctx.in_if, icmp_fragmentation_needed(ctx, mtu), false});
    return step.drop(DropReason::FragmentNeeded, [&] {
      return std::to_string(ctx.info.total_length) + " bytes with DF set exceed " +
             std::to_string(mtu) + ", the largest packet that fits the MTU " +
             std::to_string(out.mtu) + " of " + out.name +
             " once encapsulated: ICMP fragmentation-needed (next-hop MTU " + std::to_string(mtu) +
             ")";
    });
  }
  const uint32_t inner_length = ctx.length;
  const uint16_t id = ctx.rt->next_ip_id++;
  if (const DropReason r =
          protect_outbound(esp, ah, ctx.ip, ctx.length, ctx.capacity, id, !ctx.from_device);
      r != DropReason::None)
    return step.drop(r);
  for (ipsec::Sa* sa : {esp, ah}) {
    if (sa == nullptr) continue;
    step.note([&] { return ipsec::describe(*sa); });
    step.note([&] {
      return "outer header " + to_string(sa->local) + " -> " + to_string(sa->remote) +
             (sa == ah                ? " AH"
              : sa->udp_encapsulation ? " UDP 4500"
                                      : " ESP") +
             ", sequence " + std::to_string(sa->sequence);
    });
  }
  parse_ipv4({ctx.ip, ctx.length}, ctx.info);
  step.result(Outcome::Encapsulated);
  step.note([&] {
    return std::to_string(inner_length) + " bytes -> " + std::to_string(ctx.length) + " bytes (" +
           std::to_string(ctx.length - inner_length) + " bytes of overhead)";
  });
  return Verdict::Continue;
}

}  // namespace vfw
