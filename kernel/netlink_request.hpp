// What conntrack and rtnetlink requests share: one message sent on a netlink bus and its
// acknowledgement awaited (libmnl), and a sysctl set through /proc/sys.
#pragma once

#include <linux/netlink.h>

#include <string>

#include "base/expected.hpp"

namespace vfw::kernel {

// Sends request (its type, payload and attributes filled in; flags may be) on bus
// (NETLINK_ROUTE, NETLINK_NETFILTER), asking for an acknowledgement. The kernel's reason when it
// refuses; with absent_is_done, an ENOENT answer (the object is already gone) counts as done.
Status netlink_request(int bus, nlmsghdr* request, bool absent_is_done);

// Writes value to /proc/sys/<key with dots as slashes>: net.ipv4.ip_forward.
Status set_sysctl(const std::string& key, const std::string& value);

}  // namespace vfw::kernel
