// The device's interface addresses and static routes put on the Linux host through rtnetlink
// (libmnl), for `vfw run --dataplane kernel`, where the kernel routes: what the device would
// route, the host must, from the same configuration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "packet/packet.hpp"

namespace vfw::kernel {

struct HostAddress {
  std::string interface;  // the Linux name
  Ipv4 address;
  uint8_t prefix_length = 0;
  friend bool operator==(const HostAddress&, const HostAddress&) = default;
};

struct HostRoute {
  Ipv4 destination;
  uint8_t prefix_length = 0;
  Ipv4 next_hop;           // 0.0.0.0: none (on the interface, or a blackhole)
  std::string interface;   // the Linux name; "" lets the kernel find it from the next hop
  bool blackhole = false;  // NULL0
  uint32_t metric = 0;
  friend bool operator==(const HostRoute&, const HostRoute&) = default;
};

// Adds (or replaces) an address on an interface; the kernel's reason when it refuses.
Status add_address(const HostAddress& a);
Status remove_address(const HostAddress& a);
// Adds (or replaces) a route in the main table, marked as static.
Status add_route(const HostRoute& r);
Status remove_route(const HostRoute& r);
// net.ipv4.ip_forward = 1: the host forwards between its interfaces.
Status enable_forwarding();

}  // namespace vfw::kernel
