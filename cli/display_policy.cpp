// display zone, display security-policy rule all, display nat-policy rule all, display acl:
// layouts from shared/reference/display-samples/05 and the ntc-templates `display acl all` sample.
#include <unordered_map>

#include "cli/display_formats.hpp"
#include "config/render.hpp"

namespace vfw::cli {

std::string display_zone(const Device& d) {
  std::string o = d.timestamp() + "\n";
  for (const auto& z : d.config().zones) {
    o += z.name + "\n";
    o += format(" priority is %u\n", z.priority);
    o += format(" interface of the zone is (%zu):\n", z.interfaces.size());
    for (const auto& i : z.interfaces) o += "    " + i + "\n";
  }
  return o;
}

namespace {

const char* kRuleHeader =
    "RULE ID  RULE NAME                         STATE      ACTION       HITS        \n"
    "------------------------------------------------------------------------------- \n";
const char* kRuleFooter =
    "-------------------------------------------------------------------------------\n";

std::string rule_row(size_t id, const std::string& name, bool disabled, const std::string& action,
                     uint64_t hits) {
  return format("%-9zu%-34s%-11s%-13s%-12llu\n", id, name.c_str(), disabled ? "disable" : "enable",
                action.c_str(), static_cast<unsigned long long>(hits));
}

}  // namespace

std::string display_security_policy_all(const Device& d) {
  const auto& rules = d.config().security_policy.rules;
  const auto& compiled = d.snapshot().security.rules();
  const auto& hits = d.runtime().security_hits;
  std::string o = format("Total:%zu \n", rules.size() + 1) + kRuleHeader;
  // Hits by rule name, in one pass: a scan per rule made 40,000 rules take seconds.
  std::unordered_map<std::string_view, uint64_t> hits_by_name;
  for (size_t c = 0; c < compiled.size() && c < hits.size(); ++c)
    hits_by_name[compiled[c].name] = hits[c];
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    const auto found = hits_by_name.find(r.name);
    const uint64_t h = found == hits_by_name.end() ? 0 : found->second;
    const std::string action = r.action == config::PolicyAction::Unset    ? "-"
                               : r.action == config::PolicyAction::Permit ? "permit"
                                                                          : "deny";
    o += rule_row(i + 1, r.name, r.disabled, action, h);
  }
  o += rule_row(
      0, "default", false,
      d.config().security_policy.default_action == config::PolicyAction::Permit ? "permit" : "deny",
      d.runtime().security_default_hits);
  return o + kRuleFooter;
}

std::string display_nat_policy_all(const Device& d) {
  const auto& rules = d.config().nat_policy.rules;
  std::string o = format("Total:%zu \n", rules.size() + 1) + kRuleHeader;
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    std::string action = "-";
    switch (r.action) {
      case config::NatAction::Unset:
        break;
      case config::NatAction::NoNat:
        action = "no-nat";
        break;
      case config::NatAction::SourceEasyIp:
      case config::NatAction::SourceAddressGroup:
        action = "src-nat";
        break;
      case config::NatAction::DestinationStatic:
      case config::NatAction::DestinationGroup:
        action = "dst-nat";
        break;
    }
    o += rule_row(i + 1, r.name, r.disabled, action, 0);
  }
  o += rule_row(0, "default", false, "no-nat", 0);
  return o + kRuleFooter;
}

std::string display_acl(const Device& d, int number) {
  const auto& acls = d.config().acls;
  std::string o;
  if (number < 0) {
    size_t nonempty = 0;
    for (const auto& [n, acl] : acls) nonempty += acl.rules.empty() ? 0 : 1;
    o += format(" Total quantity of nonempty ACL number is %zu \n", nonempty);
  }
  for (const auto& [n, acl] : acls) {
    if (number >= 0 && static_cast<uint32_t>(number) != n) continue;
    o += format("\n%s ACL %u, %zu rule%s\n", n < 3000 ? "Basic" : "Advanced", n, acl.rules.size(),
                acl.rules.size() == 1 ? "" : "s");
    o += format("Acl's step is %u\n", acl.step);
    for (const auto& r : acl.rules) {
      o += " " + (n < 3000 ? config::render_basic_acl_rule(r) : config::render_acl_rule(r)) + " \n";
    }
  }
  return o;
}

}  // namespace vfw::cli
