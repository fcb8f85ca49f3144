// The forwarding table: longest-prefix match over direct, local and static routes.
//
// A DIR-16-8-8 multibit trie built once per configuration snapshot: the first 16 bits of the
// destination index a table of 65,536 entries, the next 8 and the last 8 bits index 256-entry
// chunks created only where a longer prefix needs them. A lookup is at most three dependent loads,
// whatever the number of routes. Routes are inserted shortest prefix first, so a longer prefix
// overwrites the entries it covers; for one prefix the route with the lowest preference wins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "packet/address.hpp"

namespace vfw {

enum class RouteKind : uint8_t { Direct, Local, Static, Blackhole };

struct Route {
  Prefix prefix;
  RouteKind kind = RouteKind::Static;
  uint16_t out_if = 0;  // interface index in the snapshot; unused for Local and Blackhole
  Ipv4 next_hop;        // 0.0.0.0: the destination is on-link
  uint32_t preference = 0;
  uint32_t cost = 0;
};

class Fib {
 public:
  // Builds the table from candidate routes; for equal prefixes the lowest preference is
  // installed and the others are kept as inactive (display shows only the active ones).
  void build(std::vector<Route> routes);
  // nullptr when no route matches.
  const Route* lookup(Ipv4 dst) const {
    uint32_t e = level1_[dst.v >> 16];
    if ((e & kChild) != 0) {
      e = chunks_[((e & ~kChild) << 8) | ((dst.v >> 8) & 0xff)];
      if ((e & kChild) != 0) e = chunks_[((e & ~kChild) << 8) | (dst.v & 0xff)];
    }
    return e == 0 ? nullptr : &routes_[e - 1];
  }
  const std::vector<Route>& routes() const { return routes_; }  // the active routes, sorted
  size_t memory_bytes() const { return level1_.size() * 4 + chunks_.size() * 4; }

 private:
  static constexpr uint32_t kChild = 0x80000000U;
  uint32_t child_of(std::vector<uint32_t>& table, size_t index);
  std::vector<uint32_t> level1_ = std::vector<uint32_t>(65536, 0);
  std::vector<uint32_t> chunks_;  // 256-entry chunks, referenced as kChild | chunk number
  std::vector<Route> routes_;
};

std::string route_protocol_name(RouteKind kind);

}  // namespace vfw
