#include "stages/ipsec_inbound_stage.hpp"

#include "ipsec/ah.hpp"
#include "ipsec/esp.hpp"

namespace vfw {
namespace {

using namespace ipsec;

enum class Inbound : uint8_t {
  NotIpsec,      // an ordinary packet: on to the stages
  Decapsulated,  // ctx now holds the inner packet: on to the stages
  Drop,          // ctx.drop says why
};

// The explanation is built only for a traced packet: a flood of bad ESP costs no strings.
template <typename Why>
Inbound drop(const StepRecorder& step, DropReason r, Why&& why) {
  step.drop(r, std::forward<Why>(why));
  return Inbound::Drop;
}

bool addressed_to_device(const PacketContext& ctx) {
  const Route* r = ctx.snap->fib.lookup(ctx.info.dst);
  return r != nullptr && r->kind == RouteKind::Local;
}

// Parses the packet again after decapsulation; the flow keys start over from the inner packet.
bool reparse(PacketContext& ctx) {
  if (DropReason r = parse_ipv4({ctx.ip, ctx.length}, ctx.info); r != DropReason::None) {
    ctx.drop = r;
    return false;
  }
  ctx.arrive(flow_key(ctx.info));
  return true;
}

Inbound process_inbound(PacketContext& ctx, const StepRecorder& step) {
  const InterfaceState& in = ctx.snap->interfaces[ctx.in_if];
  const PacketInfo& info = ctx.info;
  const bool ah = info.protocol == ipproto::kAh;
  bool esp = info.protocol == ipproto::kEsp || ah;
  uint32_t esp_offset = info.header_length;
  if (info.protocol == ipproto::kUdp && info.has_l4 && info.dst_port == 4500 &&
      !info.is_fragment()) {
    const uint32_t payload_at = info.header_length + 8;
    if (ctx.length >= payload_at + 4 && load32(ctx.ip + payload_at) == 0)
      return Inbound::NotIpsec;  // non-ESP marker: IKE
    esp = ctx.length >= payload_at + 8;
    esp_offset = payload_at;
  }
  if (!esp || info.is_fragment() || !addressed_to_device(ctx)) {
    // Pre-IPSec check: plain text on an interface whose policy says it must arrive protected.
    if (!in.spd.empty() && !info.is_later_fragment()) {
      const Flow flow{info.protocol, info.src, info.dst, info.src_port, info.dst_port};
      const SpdMatch m = spd_lookup_inbound(in.spd, flow);
      if (m.entry != nullptr) {
        step.matched(
            MatchedKind::IpsecPolicy, [&] { return policy_entry_name(*m.entry); },
            [&] {
              return "ipsec policy " + m.entry->policy + " " + std::to_string(m.entry->seq) +
                     ", acl " + std::to_string(m.entry->acl) + " rule " +
                     std::to_string(m.rule->id) + " (mirrored)";
            });
        return drop(step, DropReason::IpsecPlaintextProtected,
                    "pre-IPSec check: this flow must arrive protected by IPSec but arrived in "
                    "plain text");
      }
    }
    return Inbound::NotIpsec;
  }

  step.result(Outcome::Decapsulated);
  // The tunnel's own packets need a security policy from the arrival zone to the local zone.
  const FlowFields outer{ctx.in_zone,   ctx.snap->local_zone, info.src,     info.dst,
                         info.protocol, info.src_port,        info.dst_port};
  const int rule = ctx.snap->security.match(outer);
  if (rule < 0 ? !ctx.snap->security.default_permit()
               : !ctx.snap->security.rules()[static_cast<size_t>(rule)].permit) {
    return drop(step, rule < 0 ? DropReason::DefaultPolicyDeny : DropReason::PolicyDeny, [&] {
      return std::string("the tunnel's packets from " + to_string(info.src) +
                         " is not permitted into the local zone");
    });
  }
  if (ctx.length < esp_offset + 8)
    return drop(step, DropReason::IpsecMalformed,
                [&] { return std::string("shorter than an ESP header"); });
  const uint32_t spi = ah ? load32(ctx.ip + esp_offset + 4) : esp_spi(ctx.ip + esp_offset);
  Sa* sa = ctx.rt->sad.inbound(spi, info.dst, ah ? ipproto::kAh : ipproto::kEsp);
  if (sa == nullptr) {
    return drop(step, DropReason::IpsecUnknownSpi, [&] {
      return std::string("no inbound SA with SPI " + std::to_string(spi) + " for " +
                         to_string(info.dst));
    });
  }
  step.matched(
      MatchedKind::IpsecSa, [&] { return ipsec::hex_spi(sa->spi); }, [&] { return describe(*sa); });
  const Ipv4 peer = info.src;
  const DropReason result = ah ? ah_decapsulate(*sa, ctx.ip, ctx.length)
                               : esp_decapsulate(*sa, ctx.ip, ctx.length, esp_offset);
  if (DropReason r = result; r != DropReason::None) {
    return drop(step, r, [r] {
      return std::string(r == DropReason::IpsecReplay
                             ? "sequence number replayed or left of the anti-replay window"
                         : r == DropReason::IpsecIcvFailure
                             ? "the ICV does not verify (wrong key or altered packet)"
                         : r == DropReason::IpsecBadPadding
                             ? "the padding is not 1, 2, 3 ... after decryption"
                             : "the ESP packet is malformed");
    });
  }
  if (!reparse(ctx))
    return drop(step, ctx.drop,
                [&] { return std::string("the decrypted packet is not a valid IPv4 packet"); });
  // ah-esp: AH protected the ESP packet; what is left is that ESP packet, for the next round.
  if (ah && !sa->tunnel && ctx.info.protocol == ipproto::kEsp) {
    step.note("AH verified; the ESP packet inside follows");
    return process_inbound(ctx, step);
  }

  // Post-IPSec check: the inner packet must be one the SA's policy protects (mirrored ACL).
  const Flow flow{ctx.info.protocol, ctx.info.src, ctx.info.dst, ctx.info.src_port,
                  ctx.info.dst_port};
  const auto& entries = ctx.snap->spd_entries;
  const SpdEntry* entry = sa->policy_index < entries.size() ? entries[sa->policy_index] : nullptr;
  if (entry == nullptr || !entry_protects_inbound(*entry, flow)) {
    return drop(step, DropReason::IpsecSelectorMismatch, [&] {
      return std::string("post-IPSec check: " + to_string(ctx.info.src) + " -> " +
                         to_string(ctx.info.dst) + " is outside the flows of policy " + sa->policy +
                         " " + std::to_string(sa->policy_seq));
    });
  }
  step.note([&] {
    return "from " + to_string(peer) + ", sequence " + std::to_string(sa->replay.highest()) +
           "; inner packet " + flow_text(ctx.original) + " enters the pipeline from " + in.name;
  });
  return Inbound::Decapsulated;
}

}  // namespace

Verdict IpsecInboundStage::process(PacketContext& ctx) const {
  const StepRecorder step(ctx, id(), Outcome::Pass);
  switch (process_inbound(ctx, step)) {
    case Inbound::Drop:
      return Verdict::Drop;
    case Inbound::NotIpsec:
      step.note("not IPSec addressed to the device");
      return Verdict::Continue;
    case Inbound::Decapsulated:
      return Verdict::Continue;
  }
  return Verdict::Continue;
}

// In this file, where process() is seen: the loop calls it directly, inlined.
void IpsecInboundStage::process_batch(std::span<PacketContext> batch, uint8_t index) const {
  for (PacketContext& ctx : batch) {
    if (ctx.drop != DropReason::None) continue;
    ctx.stage_index = index;
    IpsecInboundStage::process(ctx);
  }
}

}  // namespace vfw
