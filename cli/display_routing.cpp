// display ip routing-table: the VRP5 layout (shared/reference/display-samples/06).
#include <algorithm>

#include "cli/display_formats.hpp"

namespace vfw::cli {

std::string display_ip_routing_table(const Device& d) {
  const Snapshot& s = d.snapshot();
  struct Line {
    Prefix prefix;
    std::string proto, flags, next_hop, interface;
    uint32_t pref;
  };
  std::vector<Line> lines = {
      {Prefix::make(Ipv4{0x7f000000}, 8), "Direct", "D", "127.0.0.1", "InLoopBack0", 0},
      {Prefix::make(Ipv4{0x7f000001}, 32), "Direct", "D", "127.0.0.1", "InLoopBack0", 0},
  };
  for (const Route& r : s.fib.routes()) {
    Line l{r.prefix, route_protocol_name(r.kind), "D", "", "", r.preference};
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
  std::string o =
      "Route Flags: R - relay, D - download to fib\n"
      "------------------------------------------------------------------------------\n"
      "Routing Tables: Public\n";
  o += format("         Destinations : %-9zuRoutes : %-9zu\n\n", lines.size(), lines.size());
  o += "Destination/Mask    Proto   Pre  Cost      Flags NextHop         Interface\n\n";
  for (const Line& l : lines) {
    const std::string dest = to_string(l.prefix.addr) + "/" + std::to_string(l.prefix.len);
    o += format("%17s   %-8s%-5u%-4d%9s   %-16s%s\n", dest.c_str(), l.proto.c_str(), l.pref, 0,
                l.flags.c_str(), l.next_hop.c_str(), l.interface.c_str());
  }
  return o;
}

}  // namespace vfw::cli
