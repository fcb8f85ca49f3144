// Transport mode's last step on the way in, shared by ESP and AH: the payload moves back under the
// original IPv4 header, which carries the protocol again and a new length and checksum.
#pragma once

#include <cstdint>
#include <cstring>

#include "packet/packet.hpp"

namespace vfw::ipsec {

inline void restore_transport_packet(uint8_t* ip, uint32_t ihl, const uint8_t* payload,
                                     uint32_t payload_length, uint8_t protocol, uint32_t& length) {
  std::memmove(ip + ihl, payload, payload_length);
  length = ihl + payload_length;
  store16(ip + 2, static_cast<uint16_t>(length));
  ip[9] = protocol;
  store16(ip + 10, 0);
  store16(ip + 10, internet_checksum({ip, ihl}));
}

}  // namespace vfw::ipsec
