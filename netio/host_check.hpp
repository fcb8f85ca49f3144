// Whether the host's own IP stack keeps off an interface vfw binds: with an IPv4 address there it
// answers ARP and ping beside vfw, and with forwarding on it may route what arrives there. vfw
// run warns; the cure is no address (`ip address flush dev eth1`, forwarding off) or a network
// namespace of vfw's own (docs/vm.md).
#pragma once

#include <string>
#include <vector>

namespace vfw {

std::vector<std::string> host_stack_warnings(const std::string& interface);

}  // namespace vfw
