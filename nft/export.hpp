// The configuration as an nftables ruleset (docs/nftables.md says what maps to what):
//   zones              sets of interface names (zone_NAME), the local zone the input and output
//                      chains
//   security-policy    the forward, input and output chains, first match, `ct state
//                      established,related accept` first (a session's later packets are not
//                      checked again), the default action as the chains' policy; service-manage
//                      before the policy in the input chain, as the device checks it first
//   ip address-set     interval sets (addr_NAME), groups flattened
//   ip service-set     its TCP and UDP destination ports as an interval set of concatenations
//                      (svc_NAME: inet_proto . inet_service), its other items and the predefined
//                      services one nft rule per (protocol, ports) item
//   nat-policy         the postrouting chain: no-nat `accept`, easy-ip `masquerade`, an address
//                      group `snat to` its range; destination-nat in the prerouting chain
//   nat server         prerouting `dnat to` the inside address (and port), and postrouting `snat
//                      to` the global one for the server's own connections unless no-reverse
//   ip route-static    `ip route` commands beside the table (routes stay the kernel's)
// Anything else that changes forwarding (IPSec, a disabled rule, a pool's second section, mode
// no-pat's one-to-one reservation ...) is listed in not_expressed with its reason.
#pragma once

#include <map>
#include <string>

#include "config/model.hpp"
#include "nft/ruleset.hpp"

namespace vfw::nft {

struct ExportOptions {
  // The Linux interface each device interface is (as vfw run --bind); unnamed ones get
  // default_linux_name's.
  std::map<std::string, std::string> linux_names;
};

// "GigabitEthernet0/0/1" -> "ge0-0-1": short, and legal as a Linux interface name.
std::string default_linux_name(const std::string& interface);

Ruleset export_ruleset(const config::Config& config, const ExportOptions& options);

}  // namespace vfw::nft
