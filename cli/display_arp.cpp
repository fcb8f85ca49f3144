// display arp [all|dynamic|interface IF]: the USG's layout (its command reference's examples):
// the interfaces' own entries (type I), then the neighbours learnt (type D-0, the minutes left),
// and the totals. The interface column abbreviates as the device does: GE0/0/1.
#include "cli/display_formats.hpp"

namespace vfw::cli {
namespace {

std::string short_interface(const std::string& name) {
  const std::string ge = "GigabitEthernet";
  if (name.rfind(ge, 0) == 0) return "GE" + name.substr(ge.size());
  return name;
}

}  // namespace

std::string display_arp(const Device& d, const ArpFilter& filter) {
  const Snapshot& snap = d.snapshot();
  const ArpTable& arp = d.arp();
  const uint32_t now = d.now();
  std::string o =
      "IP ADDRESS      MAC ADDRESS     EXPIRE(M) TYPE        INTERFACE   VPN-INSTANCE\n"
      "                                          VLAN/CEVLAN(SIP/DIP)\n"
      "------------------------------------------------------------------------------\n";
  int interfaces = 0;
  int dynamic = 0;
  auto wanted = [&](uint16_t i) {
    return filter.interface == kNoInterface || filter.interface == i;
  };
  if (!filter.dynamic_only) {
    for (const auto& [i, mac] : arp.interface_macs()) {
      if (i >= snap.interfaces.size() || !snap.interfaces[i].has_address || !wanted(i)) continue;
      o += format("%-16s%-16s%-10s%-12s%s\n", to_string(snap.interfaces[i].address).c_str(),
                  mac_text(mac).c_str(), "", "I -",
                  short_interface(snap.interfaces[i].name).c_str());
      ++interfaces;
    }
  }
  for (const auto& [key, entry] : arp.entries()) {
    if (key.interface >= snap.interfaces.size() || !wanted(key.interface)) continue;
    const uint32_t age = now - entry.learned;
    if (age >= ArpTable::kAgeSeconds) continue;
    // The minutes left, rounded up as the device counts them down (20 for a fresh entry).
    const uint32_t left = (ArpTable::kAgeSeconds - age + 59) / 60;
    o += format("%-16s%-16s%-10u%-12s%s\n", to_string(Ipv4{key.address}).c_str(),
                mac_text(entry.mac).c_str(), left, "D-0",
                short_interface(snap.interfaces[key.interface].name).c_str());
    ++dynamic;
  }
  o += "------------------------------------------------------------------------------\n";
  o += format("%-16s%-16s%-13s%s\n", ("Total:" + std::to_string(interfaces + dynamic)).c_str(),
              ("Dynamic:" + std::to_string(dynamic)).c_str(), "Static:0",
              ("Interface:" + std::to_string(interfaces)).c_str());
  return o;
}

}  // namespace vfw::cli
