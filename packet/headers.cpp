#include "packet/headers.hpp"

#include "packet/packet.hpp"

namespace vfw {

void write_ipv4_header(uint8_t* ip, const Ipv4Header& h) {
  ip[0] = 0x45;  // version 4, five 32-bit words
  ip[1] = h.tos;
  store16(ip + 2, h.total_length);
  store16(ip + 4, h.id);
  store16(ip + 6, h.dont_fragment ? 0x4000 : 0);
  ip[8] = h.ttl;
  ip[9] = h.protocol;
  store16(ip + 10, 0);
  store32(ip + 12, h.src.v);
  store32(ip + 16, h.dst.v);
  store16(ip + 10, internet_checksum({ip, kIpv4HeaderBytes}));
}

void write_udp_header(uint8_t* udp, uint16_t src_port, uint16_t dst_port, uint16_t length) {
  store16(udp, src_port);
  store16(udp + 2, dst_port);
  store16(udp + 4, length);
  store16(udp + 6, 0);
}

}  // namespace vfw
