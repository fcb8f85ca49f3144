// The IPv4 and UDP headers vfw writes itself (ICMP errors, tunnels' outer headers, IKE's
// datagrams, the packets packet-trace builds): one writer each, so that a field's rule (DF on or
// off, the TTL, the checksum) is decided where the packet is made and written the same way
// everywhere.
#pragma once

#include <cstdint>

#include "packet/address.hpp"

namespace vfw {

struct Ipv4Header {
  uint8_t tos = 0;
  uint16_t total_length = 0;
  uint16_t id = 0;
  bool dont_fragment = false;
  uint8_t ttl = 64;
  uint8_t protocol = 0;
  Ipv4 src;
  Ipv4 dst;
};

inline constexpr uint32_t kIpv4HeaderBytes = 20;  // no options: vfw writes none
inline constexpr uint32_t kUdpHeaderBytes = 8;

// Writes the 20-byte header at ip, its checksum included.
void write_ipv4_header(uint8_t* ip, const Ipv4Header& h);

// Writes the 8-byte header at udp; length counts the header and its payload. The checksum is
// zero, which UDP over IPv4 allows (RFC 768) and ESP in UDP asks for (RFC 3948 section 2.1).
void write_udp_header(uint8_t* udp, uint16_t src_port, uint16_t dst_port, uint16_t length);

}  // namespace vfw
