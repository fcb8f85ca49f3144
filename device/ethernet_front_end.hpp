// A device on Ethernet, without I/O of its own: the frames that arrive on its interfaces go to
// ARP (answered and learnt, RFC 826) or through the pipeline in batches; what the device forwards
// or sends itself (IKE, echo replies, ICMP errors, the packets released when their tunnel came
// up) leaves in frames to the next hop's MAC address, resolved by ARP first, the packets waiting
// meanwhile and the request sent again until it is given up. Every host of a device carries its
// frames through this one front end: `vfw run --bind` gives it AF_PACKET sockets or TAP devices
// (app/daemon), the lab gives it its links (lab/lab), the tests give it each other. The kernel data
// plane has no front end: there the kernel carries the frames and vfw only IKE's datagrams.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "device/device.hpp"
#include "device/own_traffic.hpp"
#include "packet/ethernet.hpp"
#include "packet/reassembly.hpp"

namespace vfw {

class EthernetFrontEnd {
 public:
  // What a host marks a frame with to follow what it makes leave (`lab trace` follows one packet
  // across a lab); 0 marks nothing. A tag is handed back, never looked into.
  using Tag = uint64_t;
  // A frame to send out of an interface; tag: the traced frame it came from, or 0.
  using SendFrame =
      std::function<void(uint16_t interface, std::span<const uint8_t> frame, Tag tag)>;
  // Takes over the device's egress sink until destroyed.
  EthernetFrontEnd(Device& device, SendFrame send);
  ~EthernetFrontEnd();
  EthernetFrontEnd(const EthernetFrontEnd&) = delete;
  EthernetFrontEnd& operator=(const EthernetFrontEnd&) = delete;

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
  // One frame followed: its way through the pipeline into trace, what it makes the device forward
  // sent with tag (and kept with it while its next hop's ARP is out). The pipeline's action, or
  // nothing when the frame was not an IPv4 packet for the device (ARP, another station's).
  std::optional<Action> receive_traced(uint16_t interface, Frame frame, Trace& trace, Tag tag);

  // A packet the device sends itself: routed, resolved, framed. False when no route leads to its
  // destination (counted: unrouted()).
  bool send_own(std::span<const uint8_t> packet);

  // IKE's datagrams, the packets released by a new SA, ARP's retries and aging: after receive()
  // and on a timer.
  void run();

  // Per interface, what only the Ethernet side sees (the frames and bytes that crossed it are
  // the device's own counters: Device::counters, display interface).
  struct Counters {
    uint64_t arp_in = 0;
    uint64_t arp_out = 0;
    uint64_t not_for_us = 0;  // frames to another station's MAC address
    uint64_t unresolved = 0;  // packets given up: their next hop never answered, or too many waited
  };
  const Counters& counters(uint16_t interface) const { return ports_.at(interface).counters; }
  // The device's own packets that had no route.
  uint64_t unrouted() const { return unrouted_; }
  // The datagrams addressed to the device whose fragments are still coming.
  const Reassembler& reassembly() const { return reassembly_; }

  // A tagged packet now waits for its next hop's MAC address (out, hop): for a host that follows
  // it to say where it stands.
  using WaitObserver = std::function<void(Tag tag, uint16_t out, Ipv4 hop)>;
  void set_wait_observer(WaitObserver observer) { wait_observer_ = std::move(observer); }

  // How often and how many times an unanswered ARP request is sent again.
  static constexpr uint64_t kArpRetryMs = 1000;
  static constexpr int kArpTries = 3;

 private:
  // The IPv4 packet a frame carries for the device, after its counters, the MAC filter and ARP.
  std::optional<std::span<uint8_t>> ipv4_for_us(uint16_t interface, const Frame& f);
  void arp(uint16_t interface, std::span<const uint8_t> payload);
  Action one(uint16_t interface, uint8_t* packet, uint32_t length, uint32_t capacity, Trace* trace,
             Tag tag);
  // A fragment for the device itself: held until its datagram is whole (RFC 791), which then
  // goes through the pipeline as one packet; the pipeline's action then, else nothing.
  std::optional<Action> reassemble(uint16_t interface, std::span<const uint8_t> fragment,
                                   const PacketInfo& info, Trace* trace, Tag tag);
  // The device forwards a packet, or a fragment of one (its egress sink).
  void forward(std::span<const uint8_t> packet, uint16_t out);
  // The device's own packets the pipeline emitted (ICMP errors); its fragments went to forward.
  void send_emitted(const std::vector<EmittedPacket>& emitted);
  void to_next_hop(uint16_t out, Ipv4 hop, std::span<const uint8_t> packet, Tag tag);
  void request(uint16_t out, Ipv4 hop);
  void emit(uint16_t out, const MacAddress& dst, uint16_t type, std::span<const uint8_t> payload,
            Tag tag);

  Device& device_;
  SendFrame send_;
  WaitObserver wait_observer_;
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
  uint64_t unrouted_ = 0;
  // While a batch runs: the span of its frames' buffers, the packet being forwarded from one of
  // them (its Ethernet header is rewritten in place), and the tag of the frame followed.
  const uint8_t* batch_begin_ = nullptr;
  const uint8_t* batch_end_ = nullptr;
  const uint8_t* in_place_ = nullptr;
  Tag tag_ = 0;
  // Scratch for one batch, kept to avoid allocating per batch.
  std::vector<uint8_t*> packets_;
  std::vector<uint32_t> lengths_;
  std::vector<uint32_t> capacities_;
  std::vector<Action> actions_;
  std::vector<EmittedPacket> emitted_;
  Reassembler reassembly_;
};

}  // namespace vfw
