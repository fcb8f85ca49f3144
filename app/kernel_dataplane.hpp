// vfw run --dataplane kernel: the Linux kernel forwards, with the configuration exported to
// nftables (nft/), the device's interface addresses and static routes on the bound Linux
// interfaces, and forwarding on; vfw keeps the CLI, the displays (the sessions are the kernel's
// conntrack entries, read through ctnetlink when a display asks) and IKE on the host's UDP
// sockets. A configuration change typed at the CLI reaches the kernel within the daemon's tick:
// the table is replaced in one batch, addresses and routes follow.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "device/device.hpp"
#include "kernel/host_network.hpp"

namespace vfw {

class KernelDataplane {
 public:
  using Log = std::function<void(const std::string&)>;

  // binds: device interface -> Linux interface, as vfw run --bind.
  KernelDataplane(Device& device, std::vector<std::pair<std::string, std::string>> binds, Log log);

  // Puts the configuration on the host. False (logged) when the kernel refused the table: the
  // daemon then stops, as a firewall that cannot load its policy must not forward.
  bool start();
  // The configuration changed: the table, addresses and routes again. A refused table leaves the
  // previous one in force (logged).
  void configuration_changed();
  // The kernel's connections into the device's session table, for a display.
  void refresh_sessions();
  // reset firewall session table: the kernel forgets the connection too.
  void remove_session(const Session& s);

 private:
  std::vector<kernel::HostAddress> wanted_addresses() const;
  std::vector<kernel::HostRoute> wanted_routes() const;
  bool apply_table();
  void apply_host();

  Device& device_;
  std::vector<std::pair<std::string, std::string>> binds_;
  Log log_;
  std::vector<kernel::HostAddress> addresses_;  // what vfw put on the host, to take back
  std::vector<kernel::HostRoute> routes_;
  std::set<std::string> reported_;  // what the kernel cannot do, logged once each
};

}  // namespace vfw
