// The compiled configuration the data plane reads: immutable, swapped whole when the
// configuration changes (sessions live in the runtime state and survive the swap).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "ipsec/spd.hpp"
#include "nat/nat_policy.hpp"
#include "nat/server_map.hpp"
#include "routing/fib.hpp"
#include "traffic/traffic_policy.hpp"
#include "zones/rule_match.hpp"
#include "zones/security_policy.hpp"

namespace vfw {

inline constexpr uint8_t kNoZone = 0xff;
inline constexpr uint16_t kNoInterface = 0xffff;

struct InterfaceState {
  std::string name;
  uint8_t zone = kNoZone;
  bool has_address = false;
  Ipv4 address;
  uint8_t prefix_length = 0;
  uint32_t mtu = 1500;
  bool up = true;          // forwards: not shut down, and its link (if the host said) is up
  bool link_down = false;  // the host's interface under it is gone or has no carrier
  bool service_manage = true;
  config::ManageSet manage_permitted;
  std::optional<uint16_t> tcp_adjust_mss;
  std::string ipsec_policy;
  std::vector<ipsec::SpdEntry> spd;  // the applied ipsec policy, compiled
};

struct Snapshot {
  std::string sysname;
  std::vector<InterfaceState> interfaces;  // index = interface id
  ZoneLookup zones;
  uint8_t local_zone = 0;
  Fib fib;
  SecurityPolicyTable security;
  NatPolicyTable nat;
  TrafficPolicyTable traffic;
  ServerMap server_map;
  // Every applied ipsec policy entry by its index (SpdEntry::index), for the post-IPSec check of
  // an SA; nullptr where the policy is not applied to an interface.
  std::vector<const ipsec::SpdEntry*> spd_entries;
  // Eth-Trunk member ports by name, with the trunk's interface index: they receive for it.
  std::vector<std::pair<std::string, uint16_t>> trunk_members;
  // Bit i: stage i of the pipeline does nothing to an untraced packet under this configuration
  // (Pipeline::idle_stages), so the pipeline does not call it. A traced packet runs every stage:
  // its trace still says why each one had nothing to do.
  uint32_t idle_stages = 0;

  uint16_t interface_index(const std::string& name) const;  // kNoInterface when unknown
};

// links_down: the interfaces whose link the host reports down (vfw run follows rtnetlink); they
// forward nothing and their routes are out of the FIB until the link returns.
std::shared_ptr<Snapshot> compile(const config::Config& cfg,
                                  const std::set<std::string>& links_down = {});

}  // namespace vfw
