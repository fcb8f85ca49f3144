#include "packet/tcp_mss.hpp"

namespace vfw {

std::optional<uint16_t> clamp_tcp_mss(uint8_t* ip, const PacketInfo& info, uint16_t limit) {
  if (info.protocol != ipproto::kTcp || !info.has_l4 || (info.tcp_flags & tcpflag::kSyn) == 0)
    return std::nullopt;
  uint8_t* tcp = ip + info.header_length;
  const size_t header = static_cast<size_t>(tcp[12] >> 4) * 4;
  for (size_t i = 20; i + 1 < header;) {
    const uint8_t kind = tcp[i];
    if (kind == 0) break;  // end of options
    if (kind == 1) {       // no-operation
      ++i;
      continue;
    }
    const uint8_t len = tcp[i + 1];
    if (len < 2 || i + len > header) break;  // malformed options: leave the packet alone
    if (kind == 2 && len == 4) {
      const uint16_t mss = load16(tcp + i + 2);
      if (mss <= limit) return std::nullopt;
      store16(tcp + i + 2, limit);
      store16(tcp + 16, checksum_adjust16(load16(tcp + 16), mss, limit));
      return mss;
    }
    i += len;
  }
  return std::nullopt;
}

}  // namespace vfw
