#include "kernel/host_network.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <array>

#include "kernel/netlink_request.hpp"

namespace vfw::kernel {
namespace {

bool interface_index(const std::string& name, unsigned& index, std::string& error) {
  index = if_nametoindex(name.c_str());
  if (index == 0) error = "no interface " + name + " on this host";
  return index != 0;
}

bool address_message(const HostAddress& a, uint16_t type, uint16_t flags, std::string& error) {
  unsigned index = 0;
  if (!interface_index(a.interface, index, error)) return false;
  std::array<char, 8192> storage{};
  char* buffer = storage.data();
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = a.prefix_length;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = index;
  const uint32_t address = htonl(a.address.v);
  mnl_attr_put_u32(nlh, IFA_LOCAL, address);
  mnl_attr_put_u32(nlh, IFA_ADDRESS, address);
  if (a.prefix_length < 31) {
    const uint32_t mask = a.prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - a.prefix_length);
    mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(a.address.v | ~mask));
  }
  std::string why;
  if (!netlink_request(NETLINK_ROUTE, nlh, false, why)) {
    error = to_string(a.address) + "/" + std::to_string(a.prefix_length) + " on " + a.interface +
            ": " + why;
    return false;
  }
  return true;
}

bool route_message(const HostRoute& r, uint16_t type, uint16_t flags, std::string& error) {
  std::array<char, 8192> storage{};
  char* buffer = storage.data();
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = r.prefix_length;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = r.blackhole || r.next_hop.v != 0 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm->rtm_type = r.blackhole ? RTN_BLACKHOLE : RTN_UNICAST;
  mnl_attr_put_u32(nlh, RTA_DST, htonl(r.destination.v));
  if (r.metric != 0) mnl_attr_put_u32(nlh, RTA_PRIORITY, r.metric);
  if (!r.blackhole) {
    if (r.next_hop.v != 0) mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(r.next_hop.v));
    if (!r.interface.empty()) {
      unsigned index = 0;
      if (!interface_index(r.interface, index, error)) return false;
      mnl_attr_put_u32(nlh, RTA_OIF, index);
    }
  }
  std::string why;
  if (!netlink_request(NETLINK_ROUTE, nlh, false, why)) {
    error = "route " + to_string(r.destination) + "/" + std::to_string(r.prefix_length) +
            (r.blackhole ? " blackhole" : " via " + to_string(r.next_hop)) + ": " + why;
    return false;
  }
  return true;
}

}  // namespace

bool add_address(const HostAddress& a, std::string& error) {
  return address_message(a, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, error);
}

bool remove_address(const HostAddress& a, std::string& error) {
  return address_message(a, RTM_DELADDR, 0, error);
}

bool add_route(const HostRoute& r, std::string& error) {
  return route_message(r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, error);
}

bool remove_route(const HostRoute& r, std::string& error) {
  return route_message(r, RTM_DELROUTE, 0, error);
}

bool enable_forwarding(std::string& error) {
  return set_sysctl("net.ipv4.ip_forward", "1", error);
}

}  // namespace vfw::kernel
