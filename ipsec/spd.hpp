// The security policy database of one interface, compiled from the ipsec policy applied to it:
// its entries by sequence number, each with its security ACL. A packet is protected by the first
// entry whose ACL permits it (a deny rule leaves it to the next entry); none: plain text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace vfw::ipsec {

struct SpdEntry {
  std::string policy;
  uint32_t seq = 0;
  uint32_t index = 0;  // position in the configuration's ipsec policies: the SAD's key
  bool manual = false;
  uint32_t acl = 0;
  std::vector<config::AclRule> rules;
  std::optional<Ipv4> remote;
  std::string ike_peer;
};

// "map1 10": the policy and its sequence number, as `display ipsec policy` names an entry.
inline std::string policy_entry_name(const SpdEntry& e) {
  return e.policy + " " + std::to_string(e.seq);
}

struct Flow {
  uint8_t protocol;
  Ipv4 src;
  Ipv4 dst;
  uint16_t sport;
  uint16_t dport;
};

bool acl_rule_matches(const config::AclRule& r, const Flow& f);

struct SpdMatch {
  const SpdEntry* entry = nullptr;
  const config::AclRule* rule = nullptr;
};

// Outbound: the entry that protects the flow.
SpdMatch spd_lookup(const std::vector<SpdEntry>& spd, const Flow& f);
// Inbound: the entry whose ACL, mirrored (the peer's view of it), covers the flow that arrived.
SpdMatch spd_lookup_inbound(const std::vector<SpdEntry>& spd, const Flow& f);
// The post-IPSec check for one entry: does its mirrored ACL protect the flow?
bool entry_protects_inbound(const SpdEntry& e, const Flow& f);

std::vector<SpdEntry> compile_spd(const config::Config& cfg, const std::string& policy);

}  // namespace vfw::ipsec
