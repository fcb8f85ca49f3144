// display interface brief, display ip interface brief: VRP layouts (ntc-templates sample for the
// first; the VRP5 family's layout for the second). display interface [IF]: the USG's layout as
// Huawei's FAQ on firewall interface statistics shows it, with the lines vfw knows: state, zone,
// description, MTU, address, MAC address, and what crossed the interface (counted by the lab's
// links or by `vfw run --bind`); the media and queue lines of a physical port are left out.
#include <cstdarg>
#include <cstdio>

#include "cli/display_formats.hpp"

namespace vfw::cli {

std::string format(const char* fmt, ...) {
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  return buffer;
}

namespace {

struct Row {
  std::string name;
  std::string phy;
  std::string protocol;
  std::string address;
};

std::vector<Row> rows(const Device& d) {
  std::vector<Row> out;
  for (const InterfaceState& i : d.snapshot().interfaces) {
    Row r;
    r.name = i.name;
    // *down is a shutdown; a link the host reports down is plain down, as a pulled cable is.
    r.phy = i.up ? "up" : i.link_down ? "down" : "*down";
    r.protocol = i.up && i.has_address ? "up" : "down";
    r.address =
        i.has_address ? to_string(i.address) + "/" + std::to_string(i.prefix_length) : "unassigned";
    out.push_back(r);
  }
  out.push_back(Row{"NULL0", "up", "up(s)", "unassigned"});
  return out;
}

}  // namespace

std::string display_interface_brief(const Device& d) {
  std::string o =
      "PHY: Physical\n*down: administratively down\n^down: standby\n(l): loopback\n(s): spoofing\n"
      "(b): BFD down\n(e): ETHOAM down\n(d): Dampening Suppressed\n"
      "InUti/OutUti: input utility/output utility\n"
      "Interface                   PHY   Protocol  InUti OutUti   inErrors  outErrors\n";
  for (const Row& r : rows(d)) {
    o += format("%-28s%-6s%-9s%6s%7s%11d%11d\n", r.name.c_str(), r.phy.c_str(),
                r.protocol == "up(s)" ? "up(s)" : r.protocol.c_str(), "0%", "0%", 0, 0);
  }
  return o;
}

std::string display_ip_interface_brief(const Device& d) {
  const auto all = rows(d);
  int phy_up = 0;
  int proto_up = 0;
  for (const Row& r : all) {
    phy_up += r.phy == "up" ? 1 : 0;
    proto_up += r.protocol.rfind("up", 0) == 0 ? 1 : 0;
  }
  const int n = static_cast<int>(all.size());
  std::string o = "*down: administratively down\n^down: standby\n(l): loopback\n(s): spoofing\n";
  o += format("The number of interface that is UP in Physical is %d\n", phy_up);
  o += format("The number of interface that is DOWN in Physical is %d\n", n - phy_up);
  o += format("The number of interface that is UP in Protocol is %d\n", proto_up);
  o += format("The number of interface that is DOWN in Protocol is %d\n\n", n - proto_up);
  o += "Interface                         IP Address/Mask      Physical   Protocol  \n";
  for (const Row& r : all) {
    o += format("%-34s%-21s%-11s%-10s\n", r.name.c_str(), r.address.c_str(), r.phy.c_str(),
                r.protocol.c_str());
  }
  return o;
}

std::string display_interface(const Device& d, uint16_t only) {
  const Snapshot& snap = d.snapshot();
  std::string o;
  for (size_t index = 0; index < snap.interfaces.size(); ++index) {
    const auto i = static_cast<uint16_t>(index);
    if (only != kNoInterface && i != only) continue;
    const InterfaceState& st = snap.interfaces[i];
    const std::string state = st.up ? "UP" : st.link_down ? "DOWN" : "Administratively DOWN";
    o += st.name + " current state : " + state + "\n";
    o += std::string("Line protocol current state : ") + (st.up && st.has_address ? "UP" : "DOWN") +
         "\n";
    if (st.zone != kNoZone && st.zone < snap.zones.names.size())
      o += st.name + " current firewall zone : " + snap.zones.names[st.zone] + "\n";
    const auto cfg = d.config().interfaces.find(st.name);
    const std::string description =
        cfg != d.config().interfaces.end() && !cfg->second.description.empty()
            ? cfg->second.description
            : "USG Series, " + st.name + " Interface";
    o += "Description : " + description + "\n";
    o += format("The Maximum Transmit Unit is %u bytes, Hold timer is 10(sec)\n", st.mtu);
    o += "Internet Address is " +
         (st.has_address ? to_string(st.address) + "/" + std::to_string(st.prefix_length)
                         : std::string()) +
         "\n";
    if (const MacAddress* mac = d.arp().interface_mac(i)) {
      o += "IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is " + mac_text(*mac) +
           "\n";
    }
    const Device::InterfaceCounters counted = d.counted(i);
    o += format("    Input: %llu packets, %llu bytes\n",
                static_cast<unsigned long long>(counted.in_packets),
                static_cast<unsigned long long>(counted.in_bytes));
    o += format("    Output: %llu packets, %llu bytes\n",
                static_cast<unsigned long long>(counted.out_packets),
                static_cast<unsigned long long>(counted.out_bytes));
    // vfw run --bind: frames the host's socket dropped before vfw read them (PACKET_STATISTICS).
    if (counted.host_drops != 0)
      o += format("    Host drops: %llu frames (the receive queue was full before vfw read them)\n",
                  static_cast<unsigned long long>(counted.host_drops));
    if (only == kNoInterface && index + 1 < snap.interfaces.size()) o += "\n";
  }
  return o;
}

}  // namespace vfw::cli
