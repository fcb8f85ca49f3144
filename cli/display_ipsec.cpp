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
      o += "    Tunnel local      : " + to_string(any.local) + (e.manual ? "" : ":500") + "\n";
      o += "    Tunnel remote     : " + to_string(any.remote) + (e.manual ? "" : ":500") + "\n";
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

}  // namespace vfw::cli
