// Source-NAT resources: ports on a public address (PAT) and whole addresses (no-pat).
//
// A port is handed out only when no live session holds it for that address and protocol, and is
// returned when the session ages out. Ports come from 2048-65535, as on the USG, searched from a
// rotating cursor so that a port just released is not reused at once.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "nat/flat_map.hpp"
#include "packet/address.hpp"

namespace vfw {

class PortAllocator {
 public:
  static constexpr uint16_t kFirstPort = 2048;
  std::optional<uint16_t> allocate(Ipv4 addr, uint8_t proto);
  void release(Ipv4 addr, uint8_t proto, uint16_t port);
  bool in_use(Ipv4 addr, uint8_t proto, uint16_t port) const;
  size_t used(Ipv4 addr, uint8_t proto) const;

 private:
  struct Ports {
    std::vector<uint64_t> bits = std::vector<uint64_t>(1024, 0);
    uint32_t cursor = kFirstPort;
    uint32_t used = 0;
  };
  static uint64_t key(Ipv4 addr, uint8_t proto) { return (uint64_t{addr.v} << 8) | proto; }
  std::unordered_map<uint64_t, Ports> ports_;
};

// no-pat: one public address per private address while any of its sessions lives.
class AddressAllocator {
 public:
  // pool: the group's addresses; nullopt when every one is taken by another private address.
  std::optional<Ipv4> acquire(uint32_t group, const std::vector<Ipv4Range>& pool, Ipv4 inside);
  void release(uint32_t group, Ipv4 inside);

 private:
  struct Binding {
    Ipv4 global;
    uint32_t refs = 0;
  };
  static uint64_t key(uint32_t group, uint32_t address) {
    return (uint64_t{group} << 32) | address;
  }
  FlatMap<Binding> bindings_;  // (group, inside)
  FlatMap<uint32_t> taken_;    // (group, global) -> inside
};

}  // namespace vfw
