// display firewall session table [verbose], display firewall server-map,
// display firewall statistics system discard: layouts from shared/reference/display-samples/03-04.
#include "cli/display_formats.hpp"
#include "config/services.hpp"

namespace vfw::cli {
namespace {

// The session table names a flow by its application where the port says which.
std::string application(const FlowKey& k) {
  if (k.proto == ipproto::kTcp) {
    switch (k.dport) {
      case 21:
        return "ftp";
      case 22:
        return "ssh";
      case 23:
        return "telnet";
      case 25:
        return "smtp";
      case 80:
        return "http";
      case 443:
        return "https";
      default:
        return "tcp";
    }
  }
  if (k.proto == ipproto::kUdp) {
    switch (k.dport) {
      case 53:
        return "dns";
      case 123:
        return "ntp";
      case 161:
        return "snmp";
      case 500:
        return "ike";
      case 4500:
        return "ike-nat";
      default:
        return "udp";
    }
  }
  return config::protocol_name(k.proto);
}

std::string side(uint32_t addr, uint16_t port, uint32_t xaddr, uint16_t xport) {
  std::string s = to_string(Ipv4{addr}) + ":" + std::to_string(port);
  if (addr != xaddr || port != xport)
    s += "[" + to_string(Ipv4{xaddr}) + ":" + std::to_string(xport) + "]";
  return s;
}

std::string flow_line(const Session& s) {
  // The forward flow as it arrived, with the translated address after it in brackets. The
  // translated source is where the reply goes (rev.dst), the translated destination where the
  // reply comes from (rev.src).
  const bool icmp = s.fwd.proto == ipproto::kIcmp;
  const uint16_t xsport = icmp ? s.rev.sport : s.rev.dport;
  const uint16_t xdport = icmp ? s.rev.dport : s.rev.sport;
  return side(s.fwd.src, s.fwd.sport, s.rev.dst, xsport) + " --> " +
         side(s.fwd.dst, s.fwd.dport, s.rev.src, xdport);
}

std::string hms(uint32_t seconds) {
  return format("%02u:%02u:%02u", seconds / 3600, seconds / 60 % 60, seconds % 60);
}

}  // namespace

std::string display_session_table(Device& d, bool verbose) {
  d.refresh_sessions();
  Runtime& rt = d.runtime();
  rt.sweep(d.now());
  const Snapshot& snap = d.snapshot();
  std::string o = d.timestamp() + "\n";
  o += format(" Current Total Sessions : %u\n", rt.sessions.size());
  auto zone = [&](uint8_t z) {
    return z < snap.zones.names.size() ? snap.zones.names[z] : std::string("---");
  };
  auto iface = [&](uint16_t i) {
    return i < snap.interfaces.size() ? snap.interfaces[i].name : std::string("---");
  };
  rt.sessions.for_each([&](uint32_t index, const Session& s) {
    const std::string app = application(s.fwd);
    if (!verbose) {
      o += " " + app + "  VPN: public --> public  " + flow_line(s) + "\n";
      return;
    }
    const uint32_t ttl = rt.aging.for_session(s);
    const uint32_t idle = d.now() - s.last_seen;
    const bool local = (s.flags & kSessionToDevice) != 0;
    std::string policy = "default";
    if (s.rule != kDefaultRule && s.rule < snap.security.rules().size())
      policy = snap.security.rules()[s.rule].name;
    if (local && s.rule == kDefaultRule) policy = "--";
    o += format(" %s  VPN: public --> public  ID: a58f%023x\n", app.c_str(), index);
    o += " Zone: " + zone(s.in_zone) + " --> " + zone(s.out_zone) + "  TTL: " + hms(ttl) +
         "  Left: " + hms(ttl > idle ? ttl - idle : 0) + "\n";
    o += " Recv Interface: " + iface(s.in_if) + "\n";
    o += " Interface: " + (local ? std::string("InLoopBack0") : iface(s.out_if)) +
         "  NextHop: " + to_string(Ipv4{local ? s.fwd.dst : s.next_hop}) +
         "  MAC: 0000-0000-0000\n";
    o += format(" <--packets: %u bytes: %llu --> packets: %u bytes: %llu\n", s.packets[1],
                static_cast<unsigned long long>(s.bytes[1]), s.packets[0],
                static_cast<unsigned long long>(s.bytes[0]));
    o += " " + flow_line(s) + " PolicyName: " + policy + "\n\n";
  });
  return o;
}

std::string display_server_map(const Device& d) {
  const auto& entries = d.snapshot().server_map.entries();
  size_t total = 0;
  for (const auto& e : entries) total += e.no_reverse ? 1 : 2;
  std::string o = d.timestamp() + "\n";
  o += format(" Current Total Server-map : %zu\n", total);
  for (const auto& e : entries) {
    auto addr = [](Ipv4 a, const std::optional<uint16_t>& port) {
      return to_string(a) + (port ? ":" + std::to_string(*port) : std::string());
    };
    const std::string proto = e.protocol == 0 ? "---" : config::protocol_name(e.protocol);
    o += " Type: Nat Server,  ANY -> " + addr(e.global, e.global_port) + "[" +
         addr(e.inside, e.inside_port) + "],  Zone:---,  protocol:" + proto +
         "\n Vpn: public -> public\n\n";
    if (!e.no_reverse) {
      o += " Type: Nat Server Reverse,  " + addr(e.inside, e.inside_port) + "[" +
           addr(e.global, e.global_port) + "] -> ANY,  Zone:---,  protocol:" + proto +
           "\n Vpn: public -> public\n\n";
    }
  }
  return o;
}

std::string display_discard(const Device& d) {
  std::string o = "Discard statistic information:\n";
  const DropCounters& drops = d.runtime().drops;
  for (size_t i = 1; i < kDropReasonCount; ++i) {
    if (drops.count[i] == 0) continue;
    const std::string label = "  " + std::string(kDropReasonLabels[i]) + " packets discarded:";
    o += format("%-60s%llu\n", label.c_str(), static_cast<unsigned long long>(drops.count[i]));
  }
  return o;
}

}  // namespace vfw::cli
