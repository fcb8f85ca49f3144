// The interzone security policy, compiled: rules in order, first match wins, the default action
// when none matches. Disabled rules and rules without an action take no part.
#pragma once

#include <string>
#include <vector>

#include "config/model.hpp"
#include "zones/rule_match.hpp"

namespace vfw {

struct SecurityRuleEntry {
  std::string name;
  bool permit = false;
  CompiledMatch match;
};

class SecurityPolicyTable {
 public:
  void build(const config::Config& cfg, const ZoneLookup& zones);
  // Index into rules(), or -1 for the default action.
  int match(const FlowFields& f) const;
  const std::vector<SecurityRuleEntry>& rules() const { return rules_; }
  bool default_permit() const { return default_permit_; }

 private:
  std::vector<SecurityRuleEntry> rules_;
  RuleClassifier classifier_;
  bool default_permit_ = false;
};

}  // namespace vfw
