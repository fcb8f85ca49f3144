// vfw run's log: each record on standard error in the device's style, in the device's log buffer
// (display logbuffer), and with --log-host as syslog over UDP (app/log_host.hpp); IKE's records
// and its debugging lines (debugging ikev2 error), taken from the device after each event.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <memory>
#include <string>

#include "base/expected.hpp"
#include "device/device.hpp"

namespace vfw {

class DaemonLog {
 public:
  DaemonLog(boost::asio::io_context& io, Device& device) : io_(io), device_(device) {}

  // One record; whatever came from outside in it (a user name, an identity) stays one line.
  void line(const std::string& raw);
  // IKE's records and debugging lines since the last time.
  void flush();
  // --log-host ADDRESS[:PORT] (UDP 514 by default).
  Status open_host(const std::string& spec);

 private:
  void to_host(const std::string& line);

  boost::asio::io_context& io_;
  Device& device_;
  std::unique_ptr<boost::asio::ip::udp::socket> host_;
  boost::asio::ip::udp::endpoint host_at_;
};

}  // namespace vfw
