// The configuration model printed back as the device prints it (display current-configuration):
// the same commands, in the device's order, with dotted masks, normalised names, "#" separators
// and "return" at the end. Loading this text again gives the same text.
#pragma once

#include <string>

#include "config/model.hpp"

namespace vfw::config {

std::string render_current_configuration(const Config& config);

// Pieces that `display this` and the display commands print on their own.
std::string render_interface_body(const Interface& interface);
std::string render_security_rule(const SecurityRule& rule);
std::string render_nat_rule(const NatRule& rule);
std::string render_traffic_policy(const TrafficPolicy& policy);  // the block, without its "#"
std::string render_traffic_profile(const TrafficProfile& profile);
std::string render_traffic_rule(const TrafficRule& rule);
std::string render_acl_rule(const AclRule& rule);
std::string render_basic_acl_rule(const AclRule& rule);
std::string render_route(const StaticRoute& route);
std::string render_nat_server(const NatServer& server);
std::string nat_action_text(const NatRule& rule);
std::string render_ipsec_proposal(const IpsecProposal& proposal);
std::string render_ipsec_policy(const IpsecPolicy& policy);
std::string render_ike_proposal(const IkeProposal& proposal);
std::string render_ike_peer(const IkePeer& peer);

}  // namespace vfw::config
