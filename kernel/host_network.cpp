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

Expected<unsigned> interface_index(const std::string& name) {
  const unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return fail("no interface " + name + " on this host");
  return index;
}

Status address_message(const HostAddress& a, uint16_t type, uint16_t flags) {
  const Expected<unsigned> index = interface_index(a.interface);
  if (!index) return Unexpected(index.error());
  std::array<char, 8192> storage{};
  char* buffer = storage.data();
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = a.prefix_length;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = *index;
  const uint32_t address = htonl(a.address.v);
  mnl_attr_put_u32(nlh, IFA_LOCAL, address);
  mnl_attr_put_u32(nlh, IFA_ADDRESS, address);
  if (a.prefix_length < 31) {
    const uint32_t mask = a.prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - a.prefix_length);
    mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(a.address.v | ~mask));
  }
  if (Status sent = netlink_request(NETLINK_ROUTE, nlh, false); !sent) {
    return fail(to_string(a.address) + "/" + std::to_string(a.prefix_length) + " on " +
                a.interface + ": " + sent.error().message);
  }
  return {};
}

Status route_message(const HostRoute& r, uint16_t type, uint16_t flags) {
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
      const Expected<unsigned> index = interface_index(r.interface);
      if (!index) return Unexpected(index.error());
      mnl_attr_put_u32(nlh, RTA_OIF, *index);
    }
  }
  if (Status sent = netlink_request(NETLINK_ROUTE, nlh, false); !sent) {
    return fail("route " + to_string(r.destination) + "/" + std::to_string(r.prefix_length) +
                (r.blackhole ? " blackhole" : " via " + to_string(r.next_hop)) + ": " +
                sent.error().message);
  }
  return {};
}

}  // namespace

Status add_address(const HostAddress& a) {
  return address_message(a, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
}

Status remove_address(const HostAddress& a) {
  return address_message(a, RTM_DELADDR, 0);
}

Status add_route(const HostRoute& r) {
  return route_message(r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
}

Status remove_route(const HostRoute& r) {
  return route_message(r, RTM_DELROUTE, 0);
}

Status enable_forwarding() {
  return set_sysctl("net.ipv4.ip_forward", "1");
}

}  // namespace vfw::kernel
