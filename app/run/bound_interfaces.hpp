// vfw run --bind: each device interface on a Linux interface (AF_PACKET, or a TAP device made for
// it with tap:NAME), its frames through the device's Ethernet front end. rtnetlink is followed:
// an interface deleted closes its socket and takes the device's interface down, one of the same
// name back is bound again, a carrier lost or found is the link down or up.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/run/daemon_log.hpp"
#include "base/expected.hpp"
#include "device/device.hpp"
#include "device/ethernet_front_end.hpp"
#include "netio/frame_port.hpp"
#include "netio/link_monitor.hpp"

namespace vfw {

class BoundInterfaces {
 public:
  BoundInterfaces(boost::asio::io_context& io, Device& device, DaemonLog& log);
  ~BoundInterfaces();
  BoundInterfaces(const BoundInterfaces&) = delete;
  BoundInterfaces& operator=(const BoundInterfaces&) = delete;

  // binds: (the device's interface as typed, the Linux interface or tap:NAME). The first that
  // cannot be bound is the error, and nothing is read.
  Status bind(const std::vector<std::pair<std::string, std::string>>& binds);
  bool holds(uint16_t interface) const { return bound_.count(interface) != 0; }
  // IKE's datagrams, the released packets and ARP's retries out, the queued frames sent.
  void run();
  // What the host dropped before vfw read it, onto display interface's counters.
  void count_host_drops();

 private:
  struct Bound {
    uint16_t index = 0;
    std::string name;  // the device's interface
    std::string linux_name;
    bool tap = false;
    std::unique_ptr<FramePort> socket;
    std::unique_ptr<boost::asio::posix::stream_descriptor> descriptor;
    std::vector<EthernetFrontEnd::Frame> frames;
  };
  void follow_links();
  void wait_links();
  void on_link(const LinkEvent& e);
  void link_changed(Bound& b, bool up, const std::string& why);
  void wait_frames(Bound& b);
  void read_frames(Bound& b);
  void flush_frames();

  boost::asio::io_context& io_;
  Device& device_;
  DaemonLog& log_;
  EthernetFrontEnd frames_;
  std::map<uint16_t, Bound> bound_;
  std::unique_ptr<LinkMonitor> links_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> links_descriptor_;
};

}  // namespace vfw
