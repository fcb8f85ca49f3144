#include "device/ethernet_front_end.hpp"

#include <algorithm>

#include "packet/packet.hpp"

namespace vfw {

EthernetFrontEnd::EthernetFrontEnd(Device& device, SendFrame send)
    : device_(device), send_(std::move(send)) {
  device_.set_egress_sink(
      [this](std::span<const uint8_t> packet, uint16_t out) { forward(packet, out); });
}

EthernetFrontEnd::~EthernetFrontEnd() {
  device_.set_egress_sink({});
}

void EthernetFrontEnd::attach(uint16_t interface, const MacAddress& mac) {
  if (interface >= ports_.size()) ports_.resize(size_t{interface} + 1);
  ports_[interface].attached = true;
  ports_[interface].mac = mac;
  device_.arp().set_interface_mac(interface, mac);
}

void EthernetFrontEnd::emit(uint16_t out, const MacAddress& dst, uint16_t type,
                            std::span<const uint8_t> payload, Tag tag) {
  if (!attached(out)) return;
  Port& port = ports_[out];
  // A packet forwarded from a frame of the batch running now still has that frame's Ethernet
  // header in front of it: the header is rewritten there and the frame sent from where it lies,
  // with no copy. Anything else (the device's own packets, the released ones) gets a new frame.
  std::vector<uint8_t> made;
  std::span<const uint8_t> frame;
  if (in_place_ == payload.data() && payload.size() + kEthernetHeaderBytes >= 60) {
    uint8_t* header = const_cast<uint8_t*>(payload.data()) - kEthernetHeaderBytes;
    std::copy(dst.begin(), dst.end(), header);
    std::copy(port.mac.begin(), port.mac.end(), header + 6);
    store16(header + 12, type);
    frame = {header, payload.size() + kEthernetHeaderBytes};
  } else {
    made = ethernet_frame(dst, port.mac, type, payload);
    frame = made;
  }
  Device::InterfaceCounters& d = device_.counters(out);
  ++d.out_packets;
  d.out_bytes += frame.size();
  if (type == kEtherTypeArp) ++port.counters.arp_out;
  send_(out, frame, tag);
}

std::optional<std::span<uint8_t>> EthernetFrontEnd::ipv4_for_us(uint16_t interface,
                                                                const Frame& f) {
  if (!attached(interface)) return std::nullopt;
  Port& port = ports_[interface];
  Device::InterfaceCounters& d = device_.counters(interface);
  ++d.in_packets;
  d.in_bytes += f.length;
  if (f.length < kEthernetHeaderBytes) return std::nullopt;
  if (!std::equal(port.mac.begin(), port.mac.end(), f.data) &&
      !std::equal(kBroadcastMac.begin(), kBroadcastMac.end(), f.data)) {
    ++port.counters.not_for_us;
    return std::nullopt;
  }
  const uint16_t type = load16(f.data + 12);
  const std::span<uint8_t> payload(f.data + kEthernetHeaderBytes, f.length - kEthernetHeaderBytes);
  if (type == kEtherTypeArp) {
    ++port.counters.arp_in;
    arp(interface, payload);
    return std::nullopt;
  }
  if (type != kEtherTypeIpv4) return std::nullopt;
  // The IP packet without the padding a short frame was given; anything malformed is the
  // pipeline's to drop and count.
  uint32_t length = static_cast<uint32_t>(payload.size());
  if (payload.size() >= 4) length = std::min<uint32_t>(length, load16(payload.data() + 2));
  return payload.first(length);
}

void EthernetFrontEnd::receive(uint16_t interface, std::span<Frame> frames) {
  packets_.clear();
  lengths_.clear();
  capacities_.clear();
  for (Frame& f : frames) {
    const auto packet = ipv4_for_us(interface, f);
    if (!packet) continue;
    if (PacketInfo info; is_fragment_for_device(device_, *packet, info)) {
      (void)reassemble(interface, *packet, info, nullptr, 0);
      continue;
    }
    const auto length = static_cast<uint32_t>(packet->size());
    const uint32_t capacity = f.capacity - static_cast<uint32_t>(kEthernetHeaderBytes);
    // packet-trace next: a packet that matches goes alone, traced, its trace kept on the device.
    if (device_.live_trace_armed() && device_.take_live_trace(interface, *packet)) {
      Trace trace;
      one(interface, packet->data(), length, capacity, &trace, 0);
      device_.keep_live_trace(format_trace_text(trace));
      continue;
    }
    packets_.push_back(packet->data());
    lengths_.push_back(length);
    capacities_.push_back(capacity);
  }
  if (packets_.size() <= 1) {
    // A batch of one takes the pipeline's single-packet path: the batch's prefetching would only
    // cost it (the lab's hops, a quiet interface).
    if (!packets_.empty()) one(interface, packets_[0], lengths_[0], capacities_[0], nullptr, 0);
    run();
    return;
  }
  actions_.resize(packets_.size());
  // The frames' buffers, for emit() to know a packet that still sits in one.
  batch_begin_ = nullptr;
  batch_end_ = nullptr;
  for (const Frame& f : frames) {
    if (batch_begin_ == nullptr || f.data < batch_begin_) batch_begin_ = f.data;
    if (f.data + f.capacity > batch_end_) batch_end_ = f.data + f.capacity;
  }
  emitted_.clear();
  // Forwarded packets leave through the egress sink (forward) while the batch runs.
  device_.receive_batch(packets_.data(), lengths_.data(), capacities_.data(), packets_.size(),
                        interface, actions_.data(), &emitted_);
  batch_begin_ = nullptr;
  batch_end_ = nullptr;
  for (size_t i = 0; i < packets_.size(); ++i) {
    if (actions_[i] != Action::ToDevice) continue;
    if (auto reply = deliver_to_device(device_, {packets_[i], lengths_[i]})) send_own(*reply);
  }
  send_emitted(emitted_);
  run();
}

std::optional<Action> EthernetFrontEnd::receive_traced(uint16_t interface, Frame frame,
                                                       Trace& trace, Tag tag) {
  const auto packet = ipv4_for_us(interface, frame);
  if (!packet) return std::nullopt;
  if (PacketInfo info; is_fragment_for_device(device_, *packet, info)) {
    const auto a = reassemble(interface, *packet, info, &trace, tag);
    run();
    return a;
  }
  const Action a = one(interface, packet->data(), static_cast<uint32_t>(packet->size()),
                       frame.capacity - static_cast<uint32_t>(kEthernetHeaderBytes), &trace, tag);
  run();
  return a;
}

// One packet alone through the pipeline, traced; what it makes the device forward carries its tag,
// the device's answers and ICMP errors do not (they are the device's own packets).
Action EthernetFrontEnd::one(uint16_t interface, uint8_t* packet, uint32_t length,
                             uint32_t capacity, Trace* trace, Tag tag) {
  std::vector<EmittedPacket> emitted;
  batch_begin_ = packet;
  batch_end_ = packet + capacity;
  tag_ = tag;
  const Action a = device_.receive(packet, length, capacity, interface, trace, &emitted);
  tag_ = 0;
  batch_begin_ = nullptr;
  batch_end_ = nullptr;
  if (a == Action::ToDevice) {
    if (auto reply = deliver_to_device(device_, {packet, length})) send_own(*reply);
  }
  send_emitted(emitted);
  return a;
}

std::optional<Action> EthernetFrontEnd::reassemble(uint16_t interface,
                                                   std::span<const uint8_t> fragment,
                                                   const PacketInfo& info, Trace* trace, Tag tag) {
  auto whole = reassembly_.add(fragment, info, device_.now(), device_.runtime().drops);
  if (!whole.complete()) return std::nullopt;
  // A buffer of its own, with room for the frame's header in front (a forwarded packet's header
  // is written where it lies: emit) and for an encapsulation behind.
  constexpr size_t kTailroom = 128;
  const auto length = static_cast<uint32_t>(whole.datagram.size());
  std::vector<uint8_t> buffer(kEthernetHeaderBytes + length + kTailroom);
  std::copy(whole.datagram.begin(), whole.datagram.end(), buffer.begin() + kEthernetHeaderBytes);
  uint8_t* packet = buffer.data() + kEthernetHeaderBytes;
  const auto capacity = static_cast<uint32_t>(buffer.size() - kEthernetHeaderBytes);
  if (trace == nullptr && device_.live_trace_armed() &&
      device_.take_live_trace(interface, {packet, length})) {
    Trace live;
    const Action a = one(interface, packet, length, capacity, &live, 0);
    device_.keep_live_trace(format_trace_text(live));
    return a;
  }
  if (trace != nullptr) {
    trace->packet += "; the last of " + std::to_string(whole.fragments) +
                     " fragments: reassembled into " + std::to_string(length) + " bytes";
  }
  return one(interface, packet, length, capacity, trace, tag);
}

void EthernetFrontEnd::send_emitted(const std::vector<EmittedPacket>& emitted) {
  for (const auto& e : emitted) {
    if (!e.forwarded) send_own(e.bytes);  // fragments left through the egress sink (forward)
  }
}

void EthernetFrontEnd::arp(uint16_t interface, std::span<const uint8_t> payload) {
  const auto m = parse_arp(payload);
  if (!m) return;
  // RFC 826: the sender is learnt by whoever the request is for, and from every reply.
  const bool for_us = answers_arp_for(device_, interface, m->target);
  if (m->op == ArpMessage::kReply || for_us) {
    device_.arp().learn(interface, m->sender, m->sender_mac, device_.now());
    requests_.erase({interface, m->sender.v});
    for (const auto& p : device_.arp().release(interface, m->sender))
      emit(interface, m->sender_mac, kEtherTypeIpv4, p.packet, p.tag);
  }
  if (m->op == ArpMessage::kRequest && for_us) {
    const ArpMessage reply{ArpMessage::kReply, ports_[interface].mac, m->target, m->sender_mac,
                           m->sender};
    emit(interface, m->sender_mac, kEtherTypeArp, arp_bytes(reply), 0);
  }
}

void EthernetFrontEnd::forward(std::span<const uint8_t> packet, uint16_t out) {
  PacketInfo info;
  if (parse_ipv4(packet, info) != DropReason::None) return;
  // The route's next hop for the packet as it leaves (after an ESP encapsulation, the peer's).
  const auto hop = next_hop_for(device_, info.dst);
  // Forwarded from a frame of this batch: it may leave from where it lies (emit). A fragment of
  // it lies in a buffer of its own, and carries its tag all the same.
  const bool from_batch = batch_begin_ <= packet.data() && packet.data() < batch_end_;
  in_place_ = from_batch ? packet.data() : nullptr;
  to_next_hop(out, hop && hop->interface == out ? hop->address : info.dst, packet, tag_);
  in_place_ = nullptr;
}

bool EthernetFrontEnd::send_own(std::span<const uint8_t> packet) {
  PacketInfo info;
  if (parse_ipv4(packet, info) != DropReason::None) return false;
  const auto hop = next_hop_for(device_, info.dst);
  if (!hop) {
    ++unrouted_;
    return false;
  }
  to_next_hop(hop->interface, hop->address, packet, 0);
  return true;
}

void EthernetFrontEnd::to_next_hop(uint16_t out, Ipv4 hop, std::span<const uint8_t> packet,
                                   Tag tag) {
  if (!attached(out)) return;
  if (const MacAddress* mac = device_.arp().find(out, hop, device_.now())) {
    emit(out, *mac, kEtherTypeIpv4, packet, tag);
    return;
  }
  const auto wait =
      device_.arp().wait(out, hop, std::vector<uint8_t>(packet.begin(), packet.end()), tag);
  if (wait == ArpTable::Wait::Full) {
    ++ports_[out].counters.unresolved;
    return;
  }
  if (tag != 0 && wait_observer_) wait_observer_(tag, out, hop);
  if (wait == ArpTable::Wait::Request) {
    requests_[{out, hop.v}] = Pending{device_.now_ms(), 1};
    request(out, hop);
  }
}

void EthernetFrontEnd::request(uint16_t out, Ipv4 hop) {
  const InterfaceState& st = device_.snapshot().interfaces[out];
  const ArpMessage m{ArpMessage::kRequest, ports_[out].mac, st.has_address ? st.address : Ipv4{},
                     MacAddress{}, hop};
  emit(out, kBroadcastMac, kEtherTypeArp, arp_bytes(m), 0);
}

void EthernetFrontEnd::run() {
  for (;;) {
    auto datagrams = device_.ike_take_datagrams();
    auto released = device_.take_released();
    for (const auto& d : datagrams) send_own(ike_udp_packet(d, ip_id_++));
    for (const auto& p : released) forward(p.bytes, p.interface);
    if (datagrams.empty() && released.empty()) break;
  }
  const uint64_t now = device_.now_ms();
  for (auto it = requests_.begin(); it != requests_.end();) {
    auto& [key, pending] = *it;
    if (now - pending.sent_ms < kArpRetryMs) {
      ++it;
      continue;
    }
    if (pending.tries >= kArpTries) {
      const Ipv4 hop{key.address};
      ports_[key.interface].counters.unresolved += device_.arp().release(key.interface, hop).size();
      it = requests_.erase(it);
      continue;
    }
    ++pending.tries;
    pending.sent_ms = now;
    request(key.interface, Ipv4{key.address});
    ++it;
  }
  device_.arp().expire(device_.now());
}

}  // namespace vfw
