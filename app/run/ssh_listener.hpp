// SSH on the device's addresses this host holds, on interfaces not bound: with --bind, the
// management interface left to the host (GigabitEthernet0/0/0, as the USG's MGMT port); without,
// every interface whose address is here. Bound interfaces have no host stack to carry TCP. An
// address the host does not hold yet (a VM's network still coming up, a container's management
// link attached after the start, an address typed later) is tried again every few seconds. Each
// connection is admitted by the device as a SYN to it would be (manage/ssh_server.hpp).
//
// A management interface (Options::manage_interface, a container's eth0) is GigabitEthernet0/0/0
// whatever address the host gave it: SSH listens on its addresses too, and admits a connection to
// one of them as a SYN to GigabitEthernet0/0/0's own address, so that service-manage and the
// security policy decide as they would on the device.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "app/run/daemon_log.hpp"
#include "device/device.hpp"
#include "manage/ssh_server.hpp"

namespace vfw {

class SshListener {
 public:
  struct Options {
    uint16_t port = 22;
    std::string host_key_path;
    std::string save_path;
    std::string manage_interface;  // a Linux interface: GigabitEthernet0/0/0, whatever its address
  };
  // pump: after each command, what the device queued goes out. bound: whether an interface of
  // the device is bound (SSH keeps off it).
  SshListener(boost::asio::io_context& io, Device& device, DaemonLog& log,
              std::function<void()> pump, std::function<bool(uint16_t)> bound, Options options);

  void start();
  void stop();

 private:
  void listen();
  void listen_on(Ipv4 address, const std::string& interface);
  void listen_on_management_interface();
  std::string admission(Ipv4 client, uint16_t port, Ipv4 local, std::string& interface);

  Device& device_;
  DaemonLog& log_;
  std::function<bool(uint16_t)> bound_;
  Options options_;
  std::unique_ptr<manage::SshServer> server_;
  boost::asio::steady_timer retry_;
  bool key_loaded_ = false;
  std::map<uint32_t, std::string> interface_of_;  // address -> the interface SSH listens on
  // The management interface's addresses SSH listens on, and GigabitEthernet0/0/0's own
  // address, which the device sees their connections arrive for (refreshed every pass).
  std::set<uint32_t> management_addresses_;
  std::optional<Ipv4> management_address_;
  bool told_no_management_address_ = false;
  bool told_no_linux_address_ = false;
};

}  // namespace vfw
