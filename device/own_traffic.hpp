// What the device itself answers and sends, whoever carries its packets: the lab's in-memory
// links and `vfw run` on bound interfaces call the same functions, so that a behaviour seen in
// the lab is the behaviour on real interfaces.
//
// - ARP: the device answers for its interface addresses and, as the USG does, for its nat
//   servers' and address pools' global addresses in that interface's network (proxy ARP, so that
//   the router in front delivers them).
// - Next hop: the route's next hop, or the destination itself on a connected network.
// - Packets the pipeline delivered to the device: IKE (UDP 500, and 4500 behind the non-ESP
//   marker) goes to the engines; an echo request that the policy and service-manage let in is
//   answered, with the USG's TTL of 255.
// - IKE's datagrams become UDP packets from the device's address.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "device/device.hpp"
#include "ike/engine_io.hpp"

namespace vfw {

bool answers_arp_for(const Device& d, uint16_t interface, Ipv4 address);

struct NextHop {
  uint16_t interface = kNoInterface;
  Ipv4 address;
};
// nullopt when no route leaves the device for it (none, or local, or a blackhole).
std::optional<NextHop> next_hop_for(const Device& d, Ipv4 destination);

// A fragment addressed to the device itself (one of its addresses is the destination), which
// waits for the rest of its datagram before the pipeline sees it (info filled).
bool is_fragment_for_device(const Device& d, std::span<const uint8_t> packet, PacketInfo& info);

// A packet the pipeline delivered to the device (Action::ToDevice). Returns the device's answer
// to send, if any (an echo reply); IKE's answers come out of ike_take_datagrams().
std::optional<std::vector<uint8_t>> deliver_to_device(Device& d, std::span<const uint8_t> packet);

// The UDP packet that carries an IKE datagram: on port 4500 behind the non-ESP marker (RFC
// 3948), a NAT keepalive as its single byte. The UDP checksum is left 0, as IPv4 allows.
std::vector<uint8_t> ike_udp_packet(const ike::Datagram& d, uint16_t ip_id);

}  // namespace vfw
