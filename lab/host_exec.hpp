// A containerlab `linux` node's `exec` lines, read as what they make of a lab host: the commands
// an engineer writes to give an Alpine or Debian container its address, default route and MTU
// (`ip addr add 10.1.1.2/24 dev eth1`, `ip route add default via 10.1.1.1`, `ip link set eth1 mtu
// 1400`), with iproute2's abbreviations (`ip a add`, `ip r replace`, `ip -4 ...`).
//
// A lab host has one interface and one default gateway. A line that would make it something else
// (a route to one network, a second address) is an error: ignoring it would change where its
// packets go. A line that only sets up the container (ethtool, sysctl, a package, a sleep) is
// noted and ignored: the lab's host answers ping and traceroute and needs none of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "packet/address.hpp"

namespace vfw::lab {

struct HostExec {
  std::optional<Ipv4> address;
  uint8_t prefix_length = 24;
  std::string interface;  // the one `dev` the address is on
  std::optional<Ipv4> gateway;
  std::optional<uint32_t> mtu;
};

struct ExecNote {
  size_t line = 0;  // index into the exec lines
  bool error = false;
  std::string message;
};

HostExec read_host_exec(const std::vector<std::string>& lines, std::vector<ExecNote>& notes);

}  // namespace vfw::lab
