// SSH on the device's addresses this host holds, on interfaces not bound: with --bind, the
// management interface left to the host (GigabitEthernet0/0/0, as the USG's MGMT port); without,
// every interface whose address is here. Bound interfaces have no host stack to carry TCP. An
// address the host does not hold yet (a VM's network still coming up, a container's management
// link attached after the start, an address typed later) is tried again every few seconds. Each
// connection is admitted by the device as a SYN to it would be (manage/ssh_server.hpp).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
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
  };
  // pump: after each command, what the device queued goes out. bound: whether an interface of
  // the device is bound (SSH keeps off it).
  SshListener(boost::asio::io_context& io, Device& device, DaemonLog& log,
              std::function<void()> pump, std::function<bool(uint16_t)> bound, Options options);

  void start();
  void stop();

 private:
  void listen();
  std::string admission(Ipv4 client, uint16_t port, Ipv4 local, std::string& interface);

  Device& device_;
  DaemonLog& log_;
  std::function<bool(uint16_t)> bound_;
  Options options_;
  std::unique_ptr<manage::SshServer> server_;
  boost::asio::steady_timer retry_;
  bool key_loaded_ = false;
  std::map<uint32_t, std::string> interface_of_;  // address -> the interface SSH listens on
};

}  // namespace vfw
