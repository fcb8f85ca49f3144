// Ethernet II frames and ARP for IPv4 over Ethernet (RFC 826): what the lab's links and the
// daemon's bound interfaces carry around the device's IP packets.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "packet/address.hpp"

namespace vfw {

using MacAddress = std::array<uint8_t, 6>;

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr size_t kEthernetHeaderBytes = 14;
inline constexpr MacAddress kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// A frame: destination, source, type, then the payload, padded to the 60-byte minimum.
std::vector<uint8_t> ethernet_frame(const MacAddress& dst, const MacAddress& src, uint16_t type,
                                    std::span<const uint8_t> payload);

struct ArpMessage {
  static constexpr uint16_t kRequest = 1;
  static constexpr uint16_t kReply = 2;
  uint16_t op = kRequest;
  MacAddress sender_mac{};
  Ipv4 sender;
  MacAddress target_mac{};
  Ipv4 target;
};

// The 28 bytes of an ARP message for IPv4 over Ethernet.
std::vector<uint8_t> arp_bytes(const ArpMessage& m);
// nullopt unless it is one (hardware Ethernet, protocol IPv4, lengths 6 and 4, request or reply).
std::optional<ArpMessage> parse_arp(std::span<const uint8_t> payload);

}  // namespace vfw
