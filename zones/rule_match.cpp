#include "zones/rule_match.hpp"

#include <algorithm>

#include "config/services.hpp"

namespace vfw {

uint8_t ZoneLookup::index(const std::string& name) const {
  auto it = std::find(names.begin(), names.end(), name);
  return static_cast<uint8_t>(it - names.begin());
}

std::vector<Ipv4Range> compile_addresses(const config::Config& cfg,
                                         const std::vector<config::AddressItem>& items) {
  std::vector<Ipv4Range> out;
  for (const auto& item : items) {
    switch (item.kind) {
      case config::AddressItem::Kind::Prefix:
        out.push_back({item.prefix.first(), item.prefix.last()});
        break;
      case config::AddressItem::Kind::Range:
        out.push_back({item.lo.v, item.hi.v});
        break;
      case config::AddressItem::Kind::Set:
        if (const auto* set = cfg.find_address_set(item.set)) {
          std::vector<config::AddressItem> members;
          for (const auto& [id, member] : set->items) members.push_back(member);
          auto nested = compile_addresses(cfg, members);
          out.insert(out.end(), nested.begin(), nested.end());
        }
        break;
    }
  }
  return out;
}

std::vector<config::ServiceItem> compile_services(const config::Config& cfg,
                                                  const std::vector<std::string>& services) {
  std::vector<config::ServiceItem> out;
  for (const auto& name : services) {
    if (auto predefined = config::predefined_service(name)) {
      if (name == "any") return {};
      out.insert(out.end(), predefined->begin(), predefined->end());
    } else if (const auto* set = cfg.find_service_set(name)) {
      for (const auto& [id, item] : set->items) out.push_back(item);
    }
  }
  return out;
}

CompiledMatch compile_match(const config::Config& cfg, const ZoneLookup& zones,
                            const std::vector<std::string>& src_zones,
                            const std::vector<std::string>& dst_zones,
                            const std::vector<config::AddressItem>& src,
                            const std::vector<config::AddressItem>& dst,
                            const std::vector<std::string>& services) {
  CompiledMatch m;
  for (const auto& z : src_zones) m.src_zones.push_back(zones.index(z));
  for (const auto& z : dst_zones) m.dst_zones.push_back(zones.index(z));
  m.src = compile_addresses(cfg, src);
  m.dst = compile_addresses(cfg, dst);
  m.services = compile_services(cfg, services);
  return m;
}

bool service_matches(const config::ServiceItem& s, uint8_t proto, uint16_t sport, uint16_t dport) {
  if (s.protocol == 0) return true;
  if (s.protocol != proto) return false;
  if (proto != 6 && proto != 17) return true;
  return sport >= s.src_lo && sport <= s.src_hi && dport >= s.dst_lo && dport <= s.dst_hi;
}

bool CompiledMatch::matches(const FlowFields& f) const {
  auto in_zones = [](const std::vector<uint8_t>& zs, uint8_t z) {
    return zs.empty() || std::find(zs.begin(), zs.end(), z) != zs.end();
  };
  auto in_ranges = [](const std::vector<Ipv4Range>& rs, Ipv4 a) {
    return rs.empty() ||
           std::any_of(rs.begin(), rs.end(), [&](const Ipv4Range& r) { return r.contains(a); });
  };
  return in_zones(src_zones, f.in_zone) && in_zones(dst_zones, f.out_zone) &&
         in_ranges(src, f.src) && in_ranges(dst, f.dst) &&
         (services.empty() || std::any_of(services.begin(), services.end(), [&](const auto& s) {
            return service_matches(s, f.proto, f.sport, f.dport);
          }));
}

RuleClassifier::RuleRanges CompiledMatch::ranges() const {
  RuleClassifier::RuleRanges r;
  for (uint8_t z : src_zones) r[0].push_back({z, z});
  for (uint8_t z : dst_zones) r[1].push_back({z, z});
  for (const auto& a : src) r[2].push_back({a.lo, a.hi});
  for (const auto& a : dst) r[3].push_back({a.lo, a.hi});
  // Service: protocol << 16 | destination port; the source port is checked by matches().
  for (const auto& s : services) {
    if (s.protocol == 0) {
      r[4].clear();
      break;
    }
    const uint32_t base = uint32_t{s.protocol} << 16;
    if (s.protocol == 6 || s.protocol == 17) {
      r[4].push_back({base | s.dst_lo, base | s.dst_hi});
    } else {
      r[4].push_back({base, base | 0xffff});
    }
  }
  return r;
}

std::array<uint32_t, RuleClassifier::kDimensions> CompiledMatch::values(const FlowFields& f) {
  return {f.in_zone, f.out_zone, f.src.v, f.dst.v, (uint32_t{f.proto} << 16) | f.dport};
}

}  // namespace vfw
