// The match conditions of a security-policy or nat-policy rule, compiled: zone indexes, address
// ranges with address-sets resolved, service items with predefined services resolved.
#pragma once

#include <string>
#include <vector>

#include "config/model.hpp"
#include "zones/rule_classifier.hpp"

namespace vfw {

// What a rule is matched against.
struct FlowFields {
  uint8_t in_zone = 0;
  uint8_t out_zone = 0;
  Ipv4 src;
  Ipv4 dst;
  uint8_t proto = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;  // ICMP: type << 8 | code
};

struct CompiledMatch {
  std::vector<uint8_t> src_zones;  // empty: any
  std::vector<uint8_t> dst_zones;
  std::vector<Ipv4Range> src;  // empty: any
  std::vector<Ipv4Range> dst;
  std::vector<config::ServiceItem> services;  // empty: any

  bool matches(const FlowFields& f) const;
  RuleClassifier::RuleRanges ranges() const;
  static std::array<uint32_t, RuleClassifier::kDimensions> values(const FlowFields& f);
};

struct ZoneLookup {
  std::vector<std::string> names;  // index = zone id
  uint8_t index(const std::string& name) const;
};

std::vector<Ipv4Range> compile_addresses(const config::Config& cfg,
                                         const std::vector<config::AddressItem>& items);
std::vector<config::ServiceItem> compile_services(const config::Config& cfg,
                                                  const std::vector<std::string>& services);
CompiledMatch compile_match(const config::Config& cfg, const ZoneLookup& zones,
                            const std::vector<std::string>& src_zones,
                            const std::vector<std::string>& dst_zones,
                            const std::vector<config::AddressItem>& src,
                            const std::vector<config::AddressItem>& dst,
                            const std::vector<std::string>& services);

bool service_matches(const config::ServiceItem& s, uint8_t proto, uint16_t sport, uint16_t dport);

}  // namespace vfw
