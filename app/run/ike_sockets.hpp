// vfw run without bound interfaces: IKE on the host's UDP sockets, 500 and 4500 on each address
// of the device's interfaces that this host holds. ESP in UDP arriving on 4500 goes through the
// data plane (decrypted and shown); a packet the device forwards into a UDP-encapsulated tunnel
// leaves through the 4500 socket of its source address, anything else is only shown (there is no
// interface to send it on). The kernel data plane uses it too: there the kernel forwards, and IKE
// is this.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "app/run/daemon_log.hpp"
#include "device/device.hpp"
#include "device/rate_limited_log.hpp"

namespace vfw {

class IkeSockets {
 public:
  // pump: after a datagram, what the device queued (its answers, its log) goes out.
  IkeSockets(boost::asio::io_context& io, Device& device, DaemonLog& log,
             std::function<void()> pump)
      : io_(io), device_(device), log_(log), pump_(std::move(pump)) {}

  // Listens where the host holds the device's addresses; logs each socket and each refusal.
  void open();
  bool empty() const { return sockets_.empty(); }
  // The device's IKE datagrams onto their sockets (a non-ESP marker on 4500).
  void send_datagrams();
  // The device's egress sink here: what it forwards.
  void egress(std::span<const uint8_t> packet, uint16_t out);

 private:
  struct Socket {
    Ipv4 address;
    uint16_t port;
    std::unique_ptr<boost::asio::ip::udp::socket> socket;
    std::array<uint8_t, 65536> buffer{};
    boost::asio::ip::udp::endpoint sender;
  };
  Socket* socket_for(Ipv4 address, uint16_t port);
  void receive(Socket& s);
  void datagram(Socket& s, size_t n);
  void esp_in_udp(const ike::Endpoint& local, const ike::Endpoint& remote,
                  std::span<const uint8_t> payload);

  boost::asio::io_context& io_;
  Device& device_;
  DaemonLog& log_;
  std::function<void()> pump_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::map<uint32_t, std::string> interface_of_;  // address -> the device's interface
  RateLimitedLog packet_log_{10};                 // the lines written per packet (ESP, egress)
};

}  // namespace vfw
