#include "stages/ipsec_stage.hpp"

#include "ipsec/ah.hpp"
#include "ipsec/esp.hpp"

namespace vfw {
namespace {

std::string hex_spi(uint32_t spi) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%x", spi);
  return text;
}

}  // namespace

std::string describe_sa(const ipsec::Sa& sa) {
  const auto& ei = ipsec::info(sa.crypto.encryption());
  std::string text = std::string(sa.protocol == ipproto::kAh ? "AH" : "ESP") + " SA spi " +
                     std::to_string(sa.spi) + " (" + hex_spi(sa.spi) + ") " + to_string(sa.local) +
                     " -> " + to_string(sa.remote) + ", " + (sa.tunnel ? "tunnel" : "transport") +
                     " mode, ";
  if (sa.protocol == ipproto::kAh) {
    text += "AH-" + std::string(ipsec::info(sa.crypto.authentication()).display);
  } else {
    text += std::string(ei.display);
    if (!ei.aead)
      text += " ESP-AUTH-" + std::string(ipsec::info(sa.crypto.authentication()).display);
  }
  if (sa.udp_encapsulation)
    text += ", UDP-encapsulated (NAT-T) port " + std::to_string(sa.remote_port);
  return text;
}

Verdict IpsecStage::process(PacketContext& ctx) const {
  if (ctx.to_device) {
    if (ctx.trace != nullptr)
      ctx.trace->add(name(), "skip").info.push_back("addressed to the device");
    return Verdict::Continue;
  }
  const InterfaceState& out = ctx.snap->interfaces[ctx.out_if];
  TraceStep* step = ctx.trace != nullptr ? &ctx.trace->add(name(), "skip") : nullptr;
  if (out.spd.empty()) {
    if (step != nullptr)
      step->info.push_back("no ipsec policy on " + out.name + ": sent in plain text");
    return Verdict::Continue;
  }
  // The security ACL sees the packet as SNAT left it.
  const ipsec::Flow flow{ctx.current.proto, Ipv4{ctx.current.src}, Ipv4{ctx.current.dst},
                         ctx.current.sport, ctx.current.dport};
  const ipsec::SpdMatch m = ipsec::spd_lookup(out.spd, flow);
  if (m.entry == nullptr) {
    if (step != nullptr) {
      step->result = "bypass";
      step->matched = "ipsec policy " + out.ipsec_policy + " on " + out.name;
      step->info.push_back("no security ACL rule of policy " + out.ipsec_policy + " permits " +
                           endpoint(ctx.current.src, ctx.current.sport) + " -> " +
                           endpoint(ctx.current.dst, ctx.current.dport) +
                           " (the source as SNAT left it): sent in plain text");
    }
    return Verdict::Continue;
  }
  if (step != nullptr) {
    step->matched = "ipsec policy " + m.entry->policy + " " + std::to_string(m.entry->seq) +
                    ", acl " + std::to_string(m.entry->acl) + " rule " + std::to_string(m.rule->id);
  }
  // transform esp, ah, or ah-esp: ESP first, then AH over the ESP packet.
  ipsec::Sa* esp = ctx.rt->sad.outbound(m.entry->index, ipproto::kEsp);
  ipsec::Sa* ah = ctx.rt->sad.outbound(m.entry->index, ipproto::kAh);
  if (esp == nullptr && ah == nullptr) {
    if (step != nullptr) {
      step->result = "drop";
      step->drop = DropReason::IpsecNoSa;
      step->info.push_back(m.entry->manual
                               ? "the manual policy has no complete outbound SA (spi and keys)"
                               : "no SA yet: the packet triggers IKE negotiation with ike-peer " +
                                     m.entry->ike_peer + " and is dropped meanwhile");
    }
    return ctx.drop_with(DropReason::IpsecNoSa);
  }
  const uint32_t overhead =
      (esp != nullptr ? ipsec::esp_overhead(*esp, ctx.length, ctx.info.header_length) : 0) +
      (ah != nullptr ? ipsec::ah_overhead(*ah) : 0);
  if (ctx.info.dont_fragment && ctx.info.total_length + overhead > out.mtu) {
    const uint32_t mtu = out.mtu - overhead;
    if (ctx.emitted != nullptr)
      ctx.emitted->push_back({ctx.in_if, icmp_fragmentation_needed(ctx, mtu)});
    if (step != nullptr) {
      step->result = "drop";
      step->drop = DropReason::FragmentNeeded;
      step->info.push_back(
          std::to_string(ctx.info.total_length) + " bytes + " + std::to_string(overhead) +
          " bytes of IPSec overhead exceed the MTU " + std::to_string(out.mtu) +
          " with DF set: ICMP fragmentation-needed (next-hop MTU " + std::to_string(mtu) + ")");
    }
    return ctx.drop_with(DropReason::FragmentNeeded);
  }
  decrement_ttl(ctx.ip);  // the inner packet is forwarded; the outer one is new
  const uint32_t inner_length = ctx.length;
  const uint16_t id = ctx.rt->next_ip_id++;
  for (ipsec::Sa* sa : {esp, ah}) {
    if (sa == nullptr) continue;
    const DropReason r = sa == ah
                             ? ipsec::ah_encapsulate(*sa, ctx.ip, ctx.length, ctx.capacity, id)
                             : ipsec::esp_encapsulate(*sa, ctx.ip, ctx.length, ctx.capacity, id);
    if (r != DropReason::None) {
      if (step != nullptr) {
        step->result = "drop";
        step->drop = r;
      }
      return ctx.drop_with(r);
    }
    if (step != nullptr) {
      step->info.push_back(describe_sa(*sa));
      step->info.push_back("outer header " + to_string(sa->local) + " -> " + to_string(sa->remote) +
                           (sa == ah                ? " AH"
                            : sa->udp_encapsulation ? " UDP 4500"
                                                    : " ESP") +
                           ", sequence " + std::to_string(sa->sequence));
    }
  }
  parse_ipv4({ctx.ip, ctx.length}, ctx.info);
  if (step != nullptr) {
    step->result = "encapsulated";
    step->info.push_back(std::to_string(inner_length) + " bytes -> " + std::to_string(ctx.length) +
                         " bytes (" + std::to_string(ctx.length - inner_length) +
                         " bytes of overhead)");
  }
  return Verdict::Continue;
}

}  // namespace vfw
