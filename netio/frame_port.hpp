// Where a bound interface's frames come from and go to: an AF_PACKET socket on an existing Linux
// interface (netio/packet_socket.hpp), or a TAP device vfw makes (netio/tap_device.hpp). The
// daemon waits on fd(), reads what is there in a batch and queues what leaves, flushing once per
// batch.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "packet/ethernet.hpp"

namespace vfw {

class FramePort {
 public:
  virtual ~FramePort() = default;
  virtual int fd() const = 0;
  virtual const std::string& name() const = 0;
  // The device interface's MAC address on this port.
  virtual const MacAddress& mac() const = 0;
  virtual uint32_t mtu() const = 0;
  // The frames waiting now, without blocking: frame(i), length(i), capacity(i) (the room it may
  // grow to in place) for i below the count returned, valid until the next call.
  virtual size_t receive() = 0;
  virtual uint8_t* frame(size_t i) = 0;
  virtual uint32_t length(size_t i) const = 0;
  virtual uint32_t capacity(size_t i) const = 0;
  virtual void queue(std::span<const uint8_t> frame) = 0;
  virtual void flush() = 0;
  // Frames the host dropped before they were read (a receive queue full), since last asked.
  virtual uint64_t take_host_drops() { return 0; }
  // The Linux interface index the port is on (0 when it is not a host interface's).
  virtual int ifindex() const { return 0; }
};

}  // namespace vfw
