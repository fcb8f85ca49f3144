#include "packet/fragmentation.hpp"

#include <algorithm>

namespace vfw {

std::vector<std::vector<uint8_t>> fragment_ipv4(const uint8_t* ip, const PacketInfo& info,
                                                uint32_t mtu) {
  const size_t ihl = info.header_length;
  std::vector<uint8_t> later_header(ip, ip + 20);
  for (size_t i = 20; i < ihl;) {
    const uint8_t type = ip[i];
    if (type == 0) break;
    const size_t len = type == 1 ? 1 : ip[i + 1];
    if ((type & 0x80) != 0) later_header.insert(later_header.end(), ip + i, ip + i + len);
    i += len;
  }
  while (later_header.size() % 4 != 0) later_header.push_back(0);

  std::vector<std::vector<uint8_t>> out;
  const size_t payload = info.total_length - ihl;
  size_t offset = 0;
  while (offset < payload) {
    const size_t hdr = out.empty() ? ihl : later_header.size();
    const size_t room = (mtu - hdr) & ~size_t{7};
    const size_t chunk = std::min(room, payload - offset);
    const bool last = offset + chunk == payload;
    std::vector<uint8_t> f(hdr + chunk);
    std::copy_n(out.empty() ? ip : later_header.data(), hdr, f.begin());
    f[0] = static_cast<uint8_t>(0x40 | (hdr / 4));
    std::copy_n(ip + ihl + offset, chunk, f.begin() + static_cast<long>(hdr));
    store16(&f[2], static_cast<uint16_t>(f.size()));
    const size_t frag_offset = info.fragment_offset + offset;
    const bool more = !last || info.more_fragments;
    store16(&f[6], static_cast<uint16_t>((more ? 0x2000 : 0) | (frag_offset / 8)));
    store16(&f[10], 0);
    store16(&f[10], internet_checksum({f.data(), hdr}));
    out.push_back(std::move(f));
    offset += chunk;
  }
  return out;
}

}  // namespace vfw
