// Does one policy rule match every packet another matches? The question behind "a rule that sits
// below a broader one never matches": answered only when provable from the rules' compiled
// conditions, so that a doubt gives no warning rather than a wrong one.
#pragma once

#include "nat/nat_policy.hpp"
#include "zones/rule_match.hpp"

namespace vfw::explain {

// True when every flow narrow matches, broad matches too.
bool covers(const CompiledMatch& broad, const CompiledMatch& narrow);

// True when the union of broad (empty: any address) holds every address of narrow.
bool covers(const std::vector<Ipv4Range>& broad, const Ipv4Range& narrow);

// The addresses an ACL rule's source or destination spans (any: every address).
Ipv4Range span_of(const std::optional<Wildcard>& w);

// The same for nat-policy rules, whose egress-interface is a condition as well.
bool covers(const NatRuleEntry& broad, const NatRuleEntry& narrow);

}  // namespace vfw::explain
