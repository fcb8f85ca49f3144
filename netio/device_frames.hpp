// A device on Ethernet, without I/O of its own: the frames that arrive on its interfaces go to
// ARP (answered and learnt, RFC 826) or through the pipeline in batches; what the device forwards
// or sends itself (IKE, echo replies, ICMP errors, the packets released when their tunnel came
// up) leaves in frames to the next hop's MAC address, resolved by ARP first, the packets waiting
// meanwhile. The decisions are device/own_traffic's, as in the lab. `vfw run --bind` gives it
// AF_PACKET sockets (netio/packet_socket.hpp); the tests give it each other.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "device/device.hpp"
#include "device/own_traffic.hpp"
#include "packet/ethernet.hpp"

namespace vfw {

class DeviceFrames {
 public:
  using SendFrame = std::function<void(uint16_t interface, std::span<const uint8_t> frame)>;
  // Takes over the device's egress sink until destroyed.
  DeviceFrames(Device& device, SendFrame send);
  ~DeviceFrames();
  DeviceFrames(const DeviceFrames&) = delete;
  DeviceFrames& operator=(const DeviceFrames&) = delete;

  // The device's interface is on Ethernet with this MAC address.
  void attach(uint16_t interface, const MacAddress& mac);
  bool attached(uint16_t interface) const {
    return interface < ports_.size() && ports_[interface].attached;
  }

  // Frames that arrived on one interface. Each buffer has room up to capacity (an ESP
  // encapsulation grows the packet in place); a frame's bytes are rewritten.
  struct Frame {
    uint8_t* data = nullptr;
    uint32_t length = 0;
    uint32_t capacity = 0;
  };
  void receive(uint16_t interface, std::span<Frame> frames);

  // A packet the device sends itself: routed, resolved, framed.
  void send_own(std::span<const uint8_t> packet);

  // IKE's datagrams, the packets released by a new SA, ARP's retries and aging: after receive()
  // and on a timer.
  void run();

  // Per interface, what only the Ethernet side sees (the frames and bytes that crossed it are
  // the device's own counters: Device::counters, display interface).
  struct Counters {
    uint64_t arp_in = 0;
    uint64_t arp_out = 0;
    uint64_t not_for_us = 0;  // frames to another station's MAC address
    uint64_t unresolved = 0;  // packets given up because their next hop never answered ARP
  };
  const Counters& counters(uint16_t interface) const { return ports_.at(interface).counters; }

  // How often and how many times an unanswered ARP request is sent again.
  static constexpr uint64_t kArpRetryMs = 1000;
  static constexpr int kArpTries = 3;

 private:
  void arp(uint16_t interface, std::span<const uint8_t> payload);
  void traced(uint16_t interface, uint8_t* packet, uint32_t length, uint32_t capacity);
  void forward(std::span<const uint8_t> packet, uint16_t out);
  void to_next_hop(uint16_t out, Ipv4 hop, std::span<const uint8_t> packet);
  void request(uint16_t out, Ipv4 hop);
  void emit(uint16_t out, const MacAddress& dst, uint16_t type, std::span<const uint8_t> payload);

  Device& device_;
  SendFrame send_;
  // By interface index, as the per-packet path reads them.
  struct Port {
    bool attached = false;
    MacAddress mac{};
    Counters counters;
  };
  std::vector<Port> ports_;
  struct Pending {
    uint64_t sent_ms = 0;
    int tries = 0;
  };
  std::map<ArpTable::Key, Pending> requests_;
  uint16_t ip_id_ = 1;
  // While a batch runs: the span of its frames' buffers, and the packet being forwarded from one
  // of them (its Ethernet header is rewritten in place).
  const uint8_t* batch_begin_ = nullptr;
  const uint8_t* batch_end_ = nullptr;
  const uint8_t* in_place_ = nullptr;
  // Scratch for one batch, kept to avoid allocating per batch.
  std::vector<uint8_t*> packets_;
  std::vector<uint32_t> lengths_;
  std::vector<uint32_t> capacities_;
  std::vector<Action> actions_;
  std::vector<EmittedPacket> emitted_;
};

}  // namespace vfw
