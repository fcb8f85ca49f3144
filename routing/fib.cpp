#include "routing/fib.hpp"

#include <algorithm>

namespace vfw {

uint32_t Fib::child_of(std::vector<uint32_t>& table, size_t index) {
  const uint32_t entry = table[index];
  if ((entry & kChild) != 0) return entry & ~kChild;
  // A new chunk inherits the shorter route that covered the whole range before. (table may be
  // chunks_ itself, which the resize moves: index it again afterwards.)
  const auto chunk = static_cast<uint32_t>(chunks_.size() / 256);
  chunks_.resize(chunks_.size() + 256, entry);
  table[index] = kChild | chunk;
  return chunk;
}

void Fib::build(std::vector<Route> routes) {
  // One route per prefix: the lowest preference, then the first configured (stable sort).
  std::stable_sort(routes.begin(), routes.end(), [](const Route& a, const Route& b) {
    if (a.prefix.len != b.prefix.len) return a.prefix.len < b.prefix.len;
    if (a.prefix.addr != b.prefix.addr) return a.prefix.addr < b.prefix.addr;
    return a.preference < b.preference;
  });
  routes_.clear();
  for (const Route& r : routes) {
    if (!routes_.empty() && routes_.back().prefix == r.prefix) continue;
    routes_.push_back(r);
  }
  std::fill(level1_.begin(), level1_.end(), 0);
  chunks_.clear();
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Prefix& p = routes_[i].prefix;
    const auto value = static_cast<uint32_t>(i + 1);
    const uint32_t first = p.first();
    const uint32_t last = p.last();
    if (p.len <= 16) {
      std::fill(level1_.begin() + (first >> 16), level1_.begin() + (last >> 16) + 1, value);
      continue;
    }
    const uint32_t c2 = child_of(level1_, first >> 16);
    if (p.len <= 24) {
      for (uint32_t b = (first >> 8) & 0xff; b <= ((last >> 8) & 0xff); ++b)
        chunks_[c2 * 256 + b] = value;
      continue;
    }
    const uint32_t c3 = child_of(chunks_, c2 * 256 + ((first >> 8) & 0xff));
    for (uint32_t b = first & 0xff; b <= (last & 0xff); ++b) chunks_[c3 * 256 + b] = value;
  }
}

std::string route_protocol_name(RouteKind kind) {
  switch (kind) {
    case RouteKind::Direct:
    case RouteKind::Local:
      return "Direct";
    case RouteKind::Static:
    case RouteKind::Blackhole:
      return "Static";
  }
  return "";
}

}  // namespace vfw
