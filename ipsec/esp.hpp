// ESP (RFC 4303) in tunnel and transport mode, with UDP encapsulation (RFC 3948) for NAT-T,
// done in place in the packet buffer: the packet grows into the buffer's capacity.
#pragma once

#include <cstdint>

#include "ipsec/sad.hpp"
#include "packet/drop_reason.hpp"

namespace vfw::ipsec {

// Bytes an ESP SA adds to a packet of inner_length bytes (outer header, UDP, ESP header, IV,
// padding, trailer, ICV): what the trace shows and what the MTU check needs.
uint32_t esp_overhead(const Sa& sa, uint32_t inner_length, uint32_t inner_header_length);

// ip: the IP packet (length bytes, capacity available). On success length is the new length.
DropReason esp_encapsulate(Sa& sa, uint8_t* ip, uint32_t& length, uint32_t capacity,
                           uint16_t ip_id);

// The SPI of an ESP packet whose ESP header starts at esp (after the outer IP and any UDP header).
uint32_t esp_spi(const uint8_t* esp);

// Authenticates, checks replay, decrypts and removes the encapsulation: the inner packet (tunnel)
// or the restored packet (transport) ends up at ip, length updated.
DropReason esp_decapsulate(Sa& sa, uint8_t* ip, uint32_t& length, uint32_t esp_offset);

}  // namespace vfw::ipsec
