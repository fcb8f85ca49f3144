// nat-policy compiled: source-NAT rules (matched after routing and security policy, with the
// destination zone known) and destination-NAT rules (matched before routing), each first match,
// plus the address pools of `nat address-group`.
#pragma once

#include <string>
#include <vector>

#include "config/model.hpp"
#include "zones/rule_match.hpp"

namespace vfw {

inline constexpr uint16_t kAnyInterface = 0xffff;

struct AddressPool {
  std::string name;
  uint32_t id = 0;
  bool no_pat = false;
  std::vector<Ipv4Range> sections;
  uint64_t size = 0;  // addresses in all sections

  // The i-th address (0 <= i < size), sections in order: no list of addresses is built.
  Ipv4 at(uint64_t i) const {
    for (const auto& s : sections) {
      const uint64_t n = uint64_t{s.hi} - s.lo + 1;
      if (i < n) return Ipv4{static_cast<uint32_t>(s.lo + i)};
      i -= n;
    }
    return Ipv4{};
  }
};

struct NatRuleEntry {
  std::string name;
  config::NatAction action = config::NatAction::Unset;
  CompiledMatch match;
  uint16_t egress_if = kAnyInterface;
  int pool = -1;  // index into pools()
  Ipv4 dnat_address;
  std::optional<uint16_t> dnat_port;
};

class NatPolicyTable {
 public:
  template <typename InterfaceIndex>
  void build(const config::Config& cfg, const ZoneLookup& zones, InterfaceIndex&& interface_index);
  // Index into source_rules() / destination_rules(), or -1.
  int match_source(const FlowFields& f, uint16_t out_if) const;
  int match_destination(const FlowFields& f) const;
  const std::vector<NatRuleEntry>& source_rules() const { return source_; }
  const std::vector<NatRuleEntry>& destination_rules() const { return destination_; }
  const std::vector<AddressPool>& pools() const { return pools_; }

 private:
  std::vector<NatRuleEntry> source_;
  std::vector<NatRuleEntry> destination_;
  RuleClassifier source_classifier_;
  RuleClassifier destination_classifier_;
  std::vector<AddressPool> pools_;
};

template <typename InterfaceIndex>
void NatPolicyTable::build(const config::Config& cfg, const ZoneLookup& zones,
                           InterfaceIndex&& interface_index) {
  pools_.clear();
  for (const auto& g : cfg.address_groups) {
    AddressPool p{g.name, g.id, g.no_pat, {}};
    for (const auto& s : g.sections) {
      p.sections.push_back({s.start.v, s.end.v});
      p.size += uint64_t{s.end.v} - s.start.v + 1;
    }
    pools_.push_back(std::move(p));
  }
  source_.clear();
  destination_.clear();
  std::vector<RuleClassifier::RuleRanges> source_ranges;
  std::vector<RuleClassifier::RuleRanges> destination_ranges;
  for (const auto& r : cfg.nat_policy.rules) {
    if (r.disabled || r.action == config::NatAction::Unset) continue;
    NatRuleEntry e;
    e.name = r.name;
    e.action = r.action;
    const bool destination = r.action == config::NatAction::DestinationStatic ||
                             r.action == config::NatAction::DestinationGroup;
    // Destination NAT happens before routing: its rules cannot test the destination zone.
    e.match = compile_match(cfg, zones, r.source_zones,
                            destination ? std::vector<std::string>{} : r.destination_zones,
                            r.source_addresses, r.destination_addresses, r.services);
    if (!r.egress_interface.empty()) e.egress_if = interface_index(r.egress_interface);
    for (size_t i = 0; i < pools_.size(); ++i) {
      if (pools_[i].name == r.address_group) e.pool = static_cast<int>(i);
    }
    e.dnat_address = r.destination_address;
    e.dnat_port = r.destination_port;
    (destination ? destination_ranges : source_ranges).push_back(e.match.ranges());
    (destination ? destination_ : source_).push_back(std::move(e));
  }
  source_classifier_.build(source_ranges);
  destination_classifier_.build(destination_ranges);
}

}  // namespace vfw
