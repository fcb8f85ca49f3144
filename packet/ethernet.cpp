#include "packet/ethernet.hpp"

#include <algorithm>

#include "packet/packet.hpp"

namespace vfw {

std::vector<uint8_t> ethernet_frame(const MacAddress& dst, const MacAddress& src, uint16_t type,
                                    std::span<const uint8_t> payload) {
  std::vector<uint8_t> f(kEthernetHeaderBytes + std::max<size_t>(payload.size(), 46), 0);
  std::copy(dst.begin(), dst.end(), f.begin());
  std::copy(src.begin(), src.end(), f.begin() + 6);
  store16(&f[12], type);
  std::copy(payload.begin(), payload.end(), f.begin() + kEthernetHeaderBytes);
  return f;
}

std::vector<uint8_t> arp_bytes(const ArpMessage& m) {
  std::vector<uint8_t> a(28, 0);
  store16(&a[0], 1);  // hardware: Ethernet
  store16(&a[2], kEtherTypeIpv4);
  a[4] = 6;
  a[5] = 4;
  store16(&a[6], m.op);
  std::copy(m.sender_mac.begin(), m.sender_mac.end(), a.begin() + 8);
  store32(&a[14], m.sender.v);
  std::copy(m.target_mac.begin(), m.target_mac.end(), a.begin() + 18);
  store32(&a[24], m.target.v);
  return a;
}

std::optional<ArpMessage> parse_arp(std::span<const uint8_t> a) {
  if (a.size() < 28 || load16(&a[0]) != 1 || load16(&a[2]) != kEtherTypeIpv4 || a[4] != 6 ||
      a[5] != 4)
    return std::nullopt;
  ArpMessage m;
  m.op = load16(&a[6]);
  if (m.op != ArpMessage::kRequest && m.op != ArpMessage::kReply) return std::nullopt;
  std::copy_n(&a[8], 6, m.sender_mac.begin());
  m.sender = Ipv4{load32(&a[14])};
  std::copy_n(&a[18], 6, m.target_mac.begin());
  m.target = Ipv4{load32(&a[24])};
  return m;
}

}  // namespace vfw
