// One-line descriptions of keywords, shown by `?`, in the device's wording where known.
#include <map>
#include <string>

#include "cli/command_tree.hpp"

namespace vfw::cli {

std::string_view keyword_help(std::string_view keyword) {
  static const std::map<std::string, std::string, std::less<>> kHelp = {
      {"acl", "Specify ACL configuration information"},
      {"action", "Specify action"},
      {"add", "Add"},
      {"address", "Address"},
      {"address-group", "Specify address group"},
      {"address-set", "Address set"},
      {"current-configuration", "Current configuration"},
      {"default", "Default"},
      {"deny", "Specify deny"},
      {"description", "Specify description"},
      {"destination", "Specify destination"},
      {"destination-address", "Destination address"},
      {"destination-nat", "Destination NAT"},
      {"destination-port", "Specify destination port"},
      {"destination-zone", "Destination zone"},
      {"disable", "Disable"},
      {"display", "Display information"},
      {"easy-ip", "Easy IP"},
      {"enable", "Enable"},
      {"firewall", "Specify security configuration information"},
      {"global", "Global address"},
      {"inside", "Inside address"},
      {"interface", "Specify the interface configuration view"},
      {"ip", "Specify IP configurations for the system"},
      {"ipsec", "Specify IPSec (IP Security) configuration information"},
      {"mask", "Address mask"},
      {"mtu", "Specify maximum transmission unit"},
      {"nat", "Specify NAT (Network Address Translation) configuration information"},
      {"nat-policy", "NAT policy"},
      {"no-nat", "Do not perform NAT"},
      {"permit", "Specify permit"},
      {"quit", "Exit from current command view"},
      {"return", "Enter the privileged mode"},
      {"route-static", "Establish a static route"},
      {"rule", "Specify a rule"},
      {"security-policy", "Security policy"},
      {"service", "Service"},
      {"service-manage", "Service manage"},
      {"shutdown", "Shut down this interface"},
      {"source", "Specify source"},
      {"source-address", "Source address"},
      {"source-nat", "Source NAT"},
      {"source-port", "Specify source port"},
      {"source-zone", "Source zone"},
      {"sysname", "Specify the host name"},
      {"system-view", "Enter the System View"},
      {"undo", "Cancel current setting"},
      {"zone", "Security zone"},
  };
  auto it = kHelp.find(keyword);
  return it == kHelp.end() ? std::string_view{} : std::string_view{it->second};
}

}  // namespace vfw::cli
