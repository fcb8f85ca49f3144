#include "netio/host_check.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <fstream>

namespace vfw {

std::vector<std::string> host_stack_warnings(const std::string& interface) {
  std::vector<std::string> warnings;
  ifaddrs* all = nullptr;
  if (getifaddrs(&all) == 0) {
    for (const ifaddrs* a = all; a != nullptr; a = a->ifa_next) {
      if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET || interface != a->ifa_name)
        continue;
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, text,
                sizeof text);
      warnings.push_back(interface + " holds " + text +
                         " in this host's own stack, which answers ARP and ping there beside "
                         "vfw: remove it (ip address flush dev " +
                         interface + ") or give vfw a network namespace of its own");
    }
    freeifaddrs(all);
  }
  std::ifstream forwarding("/proc/sys/net/ipv4/conf/" + interface + "/forwarding");
  int on = 0;
  if (forwarding >> on && on != 0) {
    warnings.push_back("this host forwards IPv4 that arrives on " + interface + " (net.ipv4.conf." +
                       interface +
                       ".forwarding=1), beside vfw: set it to 0 or give vfw a network "
                       "namespace of its own");
  }
  return warnings;
}

}  // namespace vfw
