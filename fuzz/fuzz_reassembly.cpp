// Reassembly (packet/reassembly) on fragments an attacker chooses: any offsets, lengths, flags,
// identifications and order, overlapping or not, against small limits. Every whole datagram it
// returns is a valid IPv4 packet of the length it says; the table never passes its bounds.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "packet/reassembly.hpp"

using namespace vfw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr ReassemblyLimits kLimits{8, 32 * 1024, 30};
  Reassembler r(kLimits);
  DropCounters drops;
  uint32_t now = 0;
  // Records of 4 bytes: flags (MF, a clock step of 7 s, the identification's low bits, bytes to
  // cut from the length), the offset in 8-byte units (13 bits), the length in 8-byte units.
  for (size_t at = 0; at + 4 <= size; at += 4) {
    const uint8_t flags = data[at];
    const auto offset_units = static_cast<uint16_t>(((data[at + 1] << 8) | data[at + 2]) & 0x1fff);
    const size_t units = data[at + 3];
    if (units * 8 < (flags & 0x07u)) continue;
    const size_t length = units * 8 - (flags & 0x07u);
    if ((flags & 0x40) != 0) now += 7;
    std::vector<uint8_t> p(20 + length);
    p[0] = 0x45;
    store16(&p[2], static_cast<uint16_t>(p.size()));
    store16(&p[4], static_cast<uint16_t>((flags >> 3) & 0x03));
    store16(&p[6], static_cast<uint16_t>(((flags & 0x80) != 0 ? 0x2000 : 0) | offset_units));
    p[8] = 64;
    p[9] = 50;
    store32(&p[12], 0x02010101);
    store32(&p[16], 0x01010101);
    for (size_t i = 20; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i ^ flags);
    store16(&p[10], internet_checksum({p.data(), 20}));
    PacketInfo info;
    if (parse_ipv4(p, info) != DropReason::None || !info.is_fragment()) continue;
    const auto out = r.add(p, info, now, drops);
    if (out.complete()) {
      PacketInfo whole;
      if (parse_ipv4(out.datagram, whole) != DropReason::None || whole.is_fragment() ||
          whole.total_length != out.datagram.size())
        std::abort();
    }
    if (r.pending() > kLimits.datagrams || r.bytes_held() > kLimits.bytes) std::abort();
  }
  return 0;
}
