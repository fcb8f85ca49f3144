#include "ipsec/spd.hpp"

namespace vfw::ipsec {

bool acl_rule_matches(const config::AclRule& r, const Flow& f) {
  if (r.protocol != 0 && r.protocol != f.protocol) return false;
  if (r.source && !r.source->matches(f.src)) return false;
  if (r.destination && !r.destination->matches(f.dst)) return false;
  if (r.src_port && (f.sport < r.src_port->first || f.sport > r.src_port->second)) return false;
  if (r.dst_port && (f.dport < r.dst_port->first || f.dport > r.dst_port->second)) return false;
  return true;
}

namespace {

// The first rule of the entry's ACL that matches decides: permit protects, deny leaves it.
const config::AclRule* protecting_rule(const SpdEntry& e, const Flow& f) {
  for (const auto& r : e.rules) {
    if (acl_rule_matches(r, f)) return r.permit ? &r : nullptr;
  }
  return nullptr;
}

}  // namespace

SpdMatch spd_lookup(const std::vector<SpdEntry>& spd, const Flow& f) {
  for (const auto& e : spd) {
    if (const config::AclRule* r = protecting_rule(e, f)) return {&e, r};
  }
  return {};
}

bool entry_protects_inbound(const SpdEntry& e, const Flow& f) {
  return protecting_rule(e, Flow{f.protocol, f.dst, f.src, f.dport, f.sport}) != nullptr;
}

SpdMatch spd_lookup_inbound(const std::vector<SpdEntry>& spd, const Flow& f) {
  const Flow mirrored{f.protocol, f.dst, f.src, f.dport, f.sport};
  return spd_lookup(spd, mirrored);
}

std::vector<SpdEntry> compile_spd(const config::Config& cfg, const std::string& policy) {
  std::vector<SpdEntry> out;
  for (const auto& p : cfg.ipsec_policies) {
    if (p.name != policy) continue;
    SpdEntry e;
    e.policy = p.name;
    e.seq = p.seq;
    e.index = static_cast<uint32_t>(&p - cfg.ipsec_policies.data());
    e.manual = p.manual;
    e.acl = p.acl.value_or(0);
    if (p.acl) {
      auto it = cfg.acls.find(*p.acl);
      if (it != cfg.acls.end()) e.rules = it->second.rules;
    }
    e.remote = p.tunnel_remote;
    e.ike_peer = p.ike_peer;
    out.push_back(std::move(e));
  }
  return out;  // ipsec_policies are kept sorted by name and sequence number
}

}  // namespace vfw::ipsec
