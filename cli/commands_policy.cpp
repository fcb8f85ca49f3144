// security-policy view and its rules.
#include "cli/rule_match_commands.hpp"

namespace vfw::cli {
namespace {

config::SecurityRule& current_rule(CommandContext& c) {
  auto& p = c.config().security_policy;
  return *p.index.find(p.rules, c.frame().object);
}

}  // namespace

void register_policy_commands(CommandEngine& e) {
  e.tree(View::System).add("security-policy", [](CommandContext& c, const Args&) -> Result {
    c.enter(View::PolicySecurity, "", "policy-security");
    return kOk;
  });

  CommandTree& policy = e.tree(View::PolicySecurity);
  register_rule_list_commands<config::SecurityPolicy>(
      policy, View::SecurityRule, "policy-security-rule-",
      [](CommandContext& c) -> config::SecurityPolicy& { return c.config().security_policy; });
  policy.add("default action ( permit | deny )", [](CommandContext& c, const Args& a) -> Result {
    c.config().security_policy.default_action =
        a.has("permit") ? config::PolicyAction::Permit : config::PolicyAction::Deny;
    return kOk;
  });
  policy.add("undo default action", [](CommandContext& c, const Args&) -> Result {
    c.config().security_policy.default_action = config::PolicyAction::Deny;
    return kOk;
  });

  CommandTree& rule = e.tree(View::SecurityRule);
  register_rule_match_commands<config::SecurityRule>(rule, current_rule);
  rule.add("action ( permit | deny )", [](CommandContext& c, const Args& a) -> Result {
    current_rule(c).action =
        a.has("permit") ? config::PolicyAction::Permit : config::PolicyAction::Deny;
    return kOk;
  });
  rule.add("undo action", [](CommandContext& c, const Args&) -> Result {
    current_rule(c).action = config::PolicyAction::Unset;
    return kOk;
  });
}

}  // namespace vfw::cli
