// display ip routing-table and its forms (a destination, verbose, protocol static): the VRP5
// layouts (shared/reference/display-samples/06, docs/research/daily-displays.txt section 6; the
// verbose form as ntc-templates' huawei_vrp_display_ip_routing-table_verbose reads it).
#include <algorithm>
#include <optional>

#include "cli/display_formats.hpp"

namespace vfw::cli {
namespace {

constexpr const char* kLegend =
    "Route Flags: R - relay, D - download to fib\n"
    "------------------------------------------------------------------------------\n";
constexpr const char* kColumns =
    "Destination/Mask    Proto   Pre  Cost      Flags NextHop         Interface\n";

// One route as the displays show it.
struct Line {
  Prefix prefix;
  RouteKind kind = RouteKind::Direct;
  std::string proto, flags, next_hop, interface;
  uint32_t pref = 0;
  bool loopback = false;  // InLoopBack0's two routes, which every VRP table has
};

std::vector<Line> table_lines(const Snapshot& s) {
  std::vector<Line> lines = {
      {Prefix::make(Ipv4{0x7f000000}, 8), RouteKind::Direct, "Direct", "D", "127.0.0.1",
       "InLoopBack0", 0, true},
      {Prefix::make(Ipv4{0x7f000001}, 32), RouteKind::Direct, "Direct", "D", "127.0.0.1",
       "InLoopBack0", 0, true},
  };
  for (const Route& r : s.fib.routes()) {
    Line l{r.prefix, r.kind, route_protocol_name(r.kind), "D", "", "", r.preference, false};
    switch (r.kind) {
      case RouteKind::Direct:
        l.next_hop = to_string(s.interfaces[r.out_if].address);
        l.interface = s.interfaces[r.out_if].name;
        break;
      case RouteKind::Local:
        l.next_hop = "127.0.0.1";
        l.interface = s.interfaces[r.out_if].name;
        break;
      case RouteKind::Static:
        // A route through a next hop is relayed (R): it was resolved through a direct route.
        l.flags = r.next_hop.v != 0 ? "RD" : "D";
        l.next_hop = to_string(r.next_hop.v != 0 ? r.next_hop : s.interfaces[r.out_if].address);
        l.interface = s.interfaces[r.out_if].name;
        break;
      case RouteKind::Blackhole:
        l.next_hop = "0.0.0.0";
        l.interface = "NULL0";
        break;
    }
    lines.push_back(l);
  }
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return a.prefix.addr != b.prefix.addr ? a.prefix.addr < b.prefix.addr
                                          : a.prefix.len < b.prefix.len;
  });
  return lines;
}

std::string row(const Line& l) {
  const std::string dest = to_string(l.prefix.addr) + "/" + std::to_string(l.prefix.len);
  return format("%17s   %-8s%-5u%-4d%9s   %-16s%s\n", dest.c_str(), l.proto.c_str(), l.pref, 0,
                l.flags.c_str(), l.next_hop.c_str(), l.interface.c_str());
}

// How long the route has been there, as VRP prints an age: 00h05m12s, 1d01h58m07s. vfw's routes
// are as old as the device's configuration.
std::string age(uint64_t seconds) {
  const uint64_t days = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60,
                 s = seconds % 60;
  if (days > 0)
    return format("%llud%02lluh%02llum%02llus", static_cast<unsigned long long>(days),
                  static_cast<unsigned long long>(h), static_cast<unsigned long long>(m),
                  static_cast<unsigned long long>(s));
  return format("%02lluh%02llum%02llus", static_cast<unsigned long long>(h),
                static_cast<unsigned long long>(m), static_cast<unsigned long long>(s));
}

std::string pair(const char* left, const std::string& value, const char* right,
                 const std::string& second) {
  return format("%13s: %-17s%10s: %s\n", left, value.c_str(), right, second.c_str());
}

std::string verbose_block(const Line& l, uint64_t seconds) {
  const bool local = l.loopback || l.kind == RouteKind::Local;
  std::string o =
      "Destination: " + to_string(l.prefix.addr) + "/" + std::to_string(l.prefix.len) + "\n";
  o += pair("Protocol", l.proto, "Process ID", "0");
  o += pair("Preference", std::to_string(l.pref), "Cost", "0");
  o += pair("NextHop", l.next_hop, "Neighbour", "0.0.0.0");
  o += pair("State", local ? "Active NoAdv" : "Active Adv", "Age", age(seconds));
  o += pair("Tag", "0", "Priority", l.kind == RouteKind::Static ? "medium" : "high");
  o += pair("Label", "NULL", "QoSInfo", "0x0");
  o += format("%13s: %-17s\n", "IndirectID", "0x0");
  o += pair("RelayNextHop", "0.0.0.0", "Interface", l.interface);
  o += format("%13s: %-17s%10s: %2s\n", "TunnelID", "0x0", "Flags", l.flags.c_str());
  return o;
}

std::optional<Line> longest_match(const Snapshot& s, Ipv4 destination) {
  std::optional<Line> best;
  for (const Line& l : table_lines(s)) {
    if (l.prefix.contains(destination) && (!best || l.prefix.len >= best->prefix.len)) best = l;
  }
  return best;
}

}  // namespace

std::string display_ip_routing_table(const Device& d) {
  const auto lines = table_lines(d.snapshot());
  std::string o = std::string(kLegend) + "Routing Tables: Public\n";
  o += format("         Destinations : %-9zuRoutes : %-9zu\n\n", lines.size(), lines.size());
  o += std::string(kColumns) + "\n";
  for (const Line& l : lines) o += row(l);
  return o;
}

std::string display_ip_routing_table_verbose(const Device& d) {
  const auto lines = table_lines(d.snapshot());
  std::string o = std::string(kLegend) + "Routing Tables: Public\n";
  o += format("         Destinations : %-9zuRoutes : %-9zu\n\n\n", lines.size(), lines.size());
  for (const Line& l : lines) o += verbose_block(l, d.now_ms() / 1000) + "\n";
  return o;
}

std::string display_ip_routing_table_for(const Device& d, Ipv4 destination, bool verbose) {
  const auto best = longest_match(d.snapshot(), destination);
  std::string o = std::string(kLegend) + "Routing Table : Public\n";
  o += "Summary Count : " + std::to_string(best ? 1 : 0) + "\n";
  if (!best) return o;
  if (verbose) return o + "\n" + verbose_block(*best, d.now_ms() / 1000) + "\n";
  return o + kColumns + "\n" + row(*best);
}

std::string display_ip_routing_table_static(const Device& d) {
  std::vector<Line> statics;
  for (const Line& l : table_lines(d.snapshot())) {
    if (l.kind == RouteKind::Static || l.kind == RouteKind::Blackhole) statics.push_back(l);
  }
  // Every configured route vfw installs is active (a route through an interface that is down is
  // not installed, and is counted among the configured ones only).
  const size_t configured = d.config().routes.size();
  std::string o = std::string(kLegend) + "Public routing table : Static\n";
  o += format("         Destinations : %-9zuRoutes : %-9zuConfigured Routes : %zu\n\n",
              statics.size(), statics.size(), configured);
  o += "Static routing table status : <Active>\n";
  o += format("         Destinations : %-9zuRoutes : %-9zu\n\n", statics.size(), statics.size());
  o += std::string(kColumns) + "\n";
  for (const Line& l : statics) o += row(l);
  o += "\nStatic routing table status : <Inactive>\n";
  o += format("         Destinations : %-9dRoutes : %-9d\n\n", 0, 0);
  return o;
}

}  // namespace vfw::cli
