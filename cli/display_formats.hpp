// The display commands' output, in the device's formats (docs/display-formats.md says where each
// layout comes from). Pure functions of the device's state, so tests compare them with text.
#pragma once

#include <string>

#include "device/device.hpp"

namespace vfw::cli {

std::string display_interface_brief(const Device& d);
std::string display_interface(const Device& d, uint16_t only);  // kNoInterface: all
struct ArpFilter {
  bool dynamic_only = false;
  uint16_t interface = kNoInterface;  // display arp interface IF
};
std::string display_arp(const Device& d, const ArpFilter& filter);
std::string display_ip_interface_brief(const Device& d);
std::string display_ip_routing_table(const Device& d);
std::string display_ip_routing_table_verbose(const Device& d);
// display ip routing-table ADDRESS [verbose]: the route the address matches longest.
std::string display_ip_routing_table_for(const Device& d, Ipv4 destination, bool verbose);
std::string display_ip_routing_table_static(const Device& d);
std::string display_zone(const Device& d);
std::string display_version(const Device& d);
// vfw's own version (the project's), as `vfw --version` and `display version` print it.
std::string vfw_version();
std::string display_nat_server(const Device& d);
// The vfw process's own CPU and memory (cli/display_usage.cpp); sample_process_usage() keeps the
// CPU windows' samples (each display, and each tick of `vfw run`).
std::string display_cpu_usage();
std::string display_memory_usage();
void sample_process_usage();
std::string display_security_policy_all(const Device& d);
std::string display_nat_policy_all(const Device& d);
std::string display_acl(const Device& d, int number);  // -1: all
std::string display_session_table(Device& d, bool verbose);
std::string display_server_map(const Device& d);
std::string display_discard(const Device& d);
std::string display_ipsec_sa(const Device& d);
std::string display_ipsec_sa_brief(const Device& d);
std::string display_ipsec_statistics(const Device& d);
std::string display_ike_sa(const Device& d);
std::string display_ike_sa_verbose(const Device& d);
std::string display_ike_peer(const Device& d, const std::string& name);
std::string display_ike_proposal(const Device& d, const std::string& only);  // "": all
std::string display_ike_peer_brief(const Device& d);
std::string display_ike_error_info(const Device& d);
std::string display_ikev2_statistics_error(const Device& d);
std::string display_ipsec_proposal(const Device& d, const std::string& only);  // "": all
std::string display_ipsec_policy(const Device& d, const std::string& only);    // "": all
std::string display_ipsec_policy_brief(const Device& d);

// A "printf" into a std::string, for the fixed-width columns of these tables.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace vfw::cli
