#include "explain/rule_cover.hpp"

#include <algorithm>

namespace vfw::explain {
namespace {

// Every zone of narrow is one of broad's; an empty list is any zone.
bool zones_cover(const std::vector<uint8_t>& broad, const std::vector<uint8_t>& narrow) {
  if (broad.empty()) return true;
  if (narrow.empty()) return false;
  return std::all_of(narrow.begin(), narrow.end(), [&](uint8_t z) {
    return std::find(broad.begin(), broad.end(), z) != broad.end();
  });
}

// Every address of narrow's ranges lies in the union of broad's.
bool addresses_cover(std::vector<Ipv4Range> broad, const std::vector<Ipv4Range>& narrow) {
  if (broad.empty()) return true;
  if (narrow.empty()) return false;
  std::sort(broad.begin(), broad.end(),
            [](const Ipv4Range& a, const Ipv4Range& b) { return a.lo < b.lo; });
  for (const Ipv4Range& want : narrow) {
    uint64_t next = want.lo;  // the first address of want not yet seen covered
    for (const Ipv4Range& have : broad) {
      if (have.lo > next) break;
      if (have.hi >= next) next = uint64_t{have.hi} + 1;
      if (next > want.hi) break;
    }
    if (next <= want.hi) return false;
  }
  return true;
}

bool service_covers(const config::ServiceItem& broad, const config::ServiceItem& narrow) {
  if (broad.protocol != 0 && broad.protocol != narrow.protocol) return false;
  return broad.src_lo <= narrow.src_lo && broad.src_hi >= narrow.src_hi &&
         broad.dst_lo <= narrow.dst_lo && broad.dst_hi >= narrow.dst_hi;
}

bool services_cover(const std::vector<config::ServiceItem>& broad,
                    const std::vector<config::ServiceItem>& narrow) {
  if (broad.empty()) return true;
  if (narrow.empty()) return false;
  return std::all_of(narrow.begin(), narrow.end(), [&](const config::ServiceItem& n) {
    return std::any_of(broad.begin(), broad.end(),
                       [&](const config::ServiceItem& b) { return service_covers(b, n); });
  });
}

}  // namespace

bool covers(const std::vector<Ipv4Range>& broad, const Ipv4Range& narrow) {
  return addresses_cover(broad, {narrow});
}

Ipv4Range span_of(const std::optional<Wildcard>& w) {
  if (!w) return Ipv4Range{};
  return Ipv4Range{w->addr.v & ~w->wild.v, w->addr.v | w->wild.v};
}

bool covers(const CompiledMatch& broad, const CompiledMatch& narrow) {
  return zones_cover(broad.src_zones, narrow.src_zones) &&
         zones_cover(broad.dst_zones, narrow.dst_zones) && addresses_cover(broad.src, narrow.src) &&
         addresses_cover(broad.dst, narrow.dst) && services_cover(broad.services, narrow.services);
}

bool covers(const NatRuleEntry& broad, const NatRuleEntry& narrow) {
  return (broad.egress_if == kAnyInterface || broad.egress_if == narrow.egress_if) &&
         covers(broad.match, narrow.match);
}

}  // namespace vfw::explain
