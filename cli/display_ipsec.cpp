// display ipsec sa [brief]: the USG6000V1 layout of shared/reference/display-samples/02 (the
// brief form follows the older USG sample there, the only one found).
#include <algorithm>

#include "cli/display_formats.hpp"

namespace vfw::cli {
namespace {

std::string flow(const std::optional<Wildcard>& w, uint8_t protocol,
                 const std::optional<std::pair<uint16_t, uint16_t>>& ports) {
  const Ipv4 addr = w ? w->addr : Ipv4{};
  const Ipv4 mask = w ? Ipv4{~w->wild.v} : Ipv4{};
  const auto lo = ports ? ports->first : 0;
  const auto hi = ports ? ports->second : 65535;
  return to_string(addr) + "/" + to_string(mask) + " " + std::to_string(protocol) + "/" +
         std::to_string(lo) + "-" + std::to_string(hi);
}

std::string sa_block(const Device& d, const ipsec::Sa& sa, const char* direction) {
  const auto& ei = ipsec::info(sa.crypto.encryption());
  std::string proposal = std::string(ei.display);
  if (!ei.aead)
    proposal += " ESP-AUTH-" + std::string(ipsec::info(sa.crypto.authentication()).display);
  const uint32_t age = d.now() - sa.created;
  const uint64_t kb = sa.bytes / 1024;
  std::string o = format("    [%s ESP SAs] \n", direction);
  o += format("      SPI: %u (0x%x)\n", sa.spi, sa.spi);
  o += "      Proposal: " + proposal + "\n";
  o += format(
      "      SA remaining key duration (kilobytes/sec): %llu/%u\n",
      static_cast<unsigned long long>(sa.lifetime_kilobytes > kb ? sa.lifetime_kilobytes - kb : 0),
      sa.lifetime_seconds > age ? sa.lifetime_seconds - age : 0);
  if (sa.inbound) {
    o += format("      Max received sequence-number: %u\n", sa.replay.highest());
  } else {
    o += format("      Max sent sequence-number: %-10llu\n",
                static_cast<unsigned long long>(sa.sequence));
  }
  o += std::string("      UDP encapsulation used for NAT traversal: ") +
       (sa.udp_encapsulation ? "Y" : "N") + "\n";
  o += format("      SA %s packets (number/bytes): %llu/%llu\n",
              sa.inbound ? "decrypted" : "encrypted", static_cast<unsigned long long>(sa.packets),
              static_cast<unsigned long long>(sa.bytes));
  if (sa.inbound) {
    o += "      Anti-replay : Enable\n";
    o += format("      Anti-replay window size: %u\n", sa.replay.size());
  }
  return o;
}

}  // namespace

std::string display_ipsec_sa(const Device& d) {
  std::string o = d.timestamp() + "\n\nipsec sa information:\n";
  const auto& sas = d.runtime().sad.all();
  for (const InterfaceState& ifc : d.snapshot().interfaces) {
    if (ifc.spd.empty()) continue;
    bool header = false;
    uint32_t connection = 0;
    for (const auto& e : ifc.spd) {
      ++connection;
      const ipsec::Sa* out = nullptr;
      const ipsec::Sa* in = nullptr;
      for (const auto& sa : sas) {
        if (sa->policy != e.policy || sa->policy_seq != e.seq || sa->interface != ifc.name)
          continue;
        (sa->inbound ? in : out) = sa.get();
      }
      if (out == nullptr && in == nullptr) continue;
      if (!header) {
        o += "\n===============================\nInterface: " + ifc.name +
             "\n===============================\n";
        header = true;
      }
      const ipsec::Sa& any = out != nullptr ? *out : *in;
      const config::AclRule* rule = e.rules.empty() ? nullptr : &e.rules.front();
      o += "\n  -----------------------------\n";
      o += "  IPSec policy name: \"" + e.policy + "\"\n";
      o += format("  Sequence number  : %u\n", e.seq);
      o += format("  Acl group        : %u\n", e.acl);
      o += format("  Acl rule         : %u\n", rule != nullptr ? rule->id : 0);
      o += std::string("  Mode             : ") + (e.manual ? "Manual" : "ISAKMP") + "\n";
      o += "  -----------------------------\n";
      o += format("    Connection ID     : %u\n", connection);
      o += std::string("    Encapsulation mode: ") + (any.tunnel ? "Tunnel" : "Transport") + "\n";
      const uint32_t held = d.now() - any.created;
      o += format("    Holding time      : %ud %uh %um %us\n", held / 86400, held / 3600 % 24,
                  held / 60 % 60, held % 60);
      // The ports IKE (and ESP in UDP) use: 500 both ends, or after NAT-T's float 4500 here and
      // whatever port the peer's NAT gave it there.
      const std::string local_port = e.manual ? "" : any.udp_encapsulation ? ":4500" : ":500";
      const std::string remote_port = e.manual ? ""
                                      : any.udp_encapsulation
                                          ? ":" + std::to_string(any.remote_port)
                                          : ":500";
      o += "    Tunnel local      : " + to_string(any.local) + local_port + "\n";
      o += "    Tunnel remote     : " + to_string(any.remote) + remote_port + "\n";
      if (rule != nullptr) {
        o += "    Flow source       : " + flow(rule->source, rule->protocol, rule->src_port) + "\n";
        o += "    Flow destination  : " + flow(rule->destination, rule->protocol, rule->dst_port) +
             "\n";
      }
      if (out != nullptr) o += "\n" + sa_block(d, *out, "Outbound");
      if (in != nullptr) o += "\n" + sa_block(d, *in, "Inbound");
    }
  }
  return o;
}

std::string display_ipsec_sa_brief(const Device& d) {
  const auto& sas = d.runtime().sad.all();
  size_t tunnels = 0;
  for (const auto& sa : sas) tunnels += sa->inbound ? 0 : 1;
  std::string o = format("current ipsec sa number: %zu\ncurrent ipsec tunnel number: %zu\n",
                         sas.size(), tunnels);
  o += "---------------------------------------------------------------------\n";
  o += "Src Address     Dst Address     SPI        Protocol  Algorithm\n";
  o += "---------------------------------------------------------------------\n";
  for (const auto& sa : sas) {
    const auto& ei = ipsec::info(sa->crypto.encryption());
    std::string alg = "E:" + std::string(ei.display.substr(12)) + ";";
    if (!ei.aead)
      alg += "A:HMAC-" + std::string(ipsec::info(sa->crypto.authentication()).display) + ";";
    const Ipv4 src = sa->inbound ? sa->remote : sa->local;
    const Ipv4 dst = sa->inbound ? sa->local : sa->remote;
    o += format("%-16s%-16s%-11u%-10s%s\n", to_string(src).c_str(), to_string(dst).c_str(), sa->spi,
                sa->protocol == 50 ? "ESP" : "AH", alg.c_str());
  }
  return o;
}

// display ipsec statistics: the security packets of the SAs the device holds (in and out, with
// their bytes) and what the IPSec stages dropped, by the device's names for the reasons (the
// layout of docs/research/daily-displays.txt 9b, IPv4: vfw has no IPv6).
std::string display_ipsec_statistics(const Device& d) {
  uint64_t in_packets = 0, out_packets = 0, in_bytes = 0, out_bytes = 0;
  for (const auto& sa : d.runtime().sad.all()) {
    (sa->inbound ? in_packets : out_packets) += sa->packets;
    (sa->inbound ? in_bytes : out_bytes) += sa->bytes;
  }
  const DropCounters& drops = d.runtime().drops;
  const uint64_t no_sa = drops[DropReason::IpsecUnknownSpi];
  const uint64_t auth = drops[DropReason::IpsecIcvFailure];
  const uint64_t length = drops[DropReason::IpsecMalformed] + drops[DropReason::IpsecBadPadding];
  const uint64_t replay = drops[DropReason::IpsecReplay];
  const uint64_t deny =
      drops[DropReason::IpsecSelectorMismatch] + drops[DropReason::IpsecPlaintextProtected];
  const uint64_t in_dropped = no_sa + auth + length + replay + deny;
  const uint64_t out_dropped = drops[DropReason::IpsecEncapsulationFailed];
  auto n = [](uint64_t v) { return std::to_string(v); };
  std::string o = " IPv4 security packet statistics:\n";
  o += "     input/output security packets: " + n(in_packets) + "/" + n(out_packets) + "\n";
  o += "     input/output security bytes: " + n(in_bytes) + "/" + n(out_bytes) + "\n";
  o += "     input/output dropped security packets: " + n(in_dropped) + "/" + n(out_dropped) + "\n";
  o += "     dropped security packet detail:\n";
  o += "       memory process problem: 0\n";
  o += "       can't find SA: " + n(no_sa) + "\n";
  o += "       queue is full: 0\n";
  o += "       authentication is failed: " + n(auth) + "\n";
  o += "       wrong length: " + n(length) + "\n";
  o += "       replay packet: " + n(replay) + "\n";
  o += "       too long packet: " + n(out_dropped) + "\n";
  o += "       invalid SA: 0\n";
  o += "       policy deny: " + n(deny) + "\n";
  o += "   the normal packet statistics:\n";
  o += "       input/output dropped normal packets: 0/0\n";
  return o;
}

}  // namespace vfw::cli
