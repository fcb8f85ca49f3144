#include "netio/segmentation.hpp"

#include <algorithm>
#include <vector>

#include "packet/ethernet.hpp"
#include "packet/packet.hpp"

namespace vfw {

bool segment_tcp_frame(std::span<const uint8_t> frame, uint16_t segment_size,
                       const std::function<void(std::span<const uint8_t>)>& segment) {
  constexpr size_t eth = kEthernetHeaderBytes;
  if (segment_size == 0 || frame.size() < eth + 40 || load16(&frame[12]) != kEtherTypeIpv4)
    return false;
  const uint8_t* ip = frame.data() + eth;
  const size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
  if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != ipproto::kTcp || frame.size() < eth + ihl + 20)
    return false;
  const uint8_t* tcp = ip + ihl;
  const size_t thl = static_cast<size_t>(tcp[12] >> 4) * 4;
  const size_t headers = eth + ihl + thl;
  // The IP length of a super-frame may say the whole or be left 0: the frame's length decides.
  if (thl < 20 || frame.size() < headers) return false;
  const size_t payload = frame.size() - headers;
  const uint16_t id = load16(ip + 4);
  const uint32_t seq = load32(tcp + 4);
  const uint8_t flags = tcp[13];
  constexpr uint8_t kFin = 0x01;
  constexpr uint8_t kPsh = 0x08;
  constexpr uint8_t kCwr = 0x80;
  std::vector<uint8_t> out;
  size_t n = 0;
  for (size_t offset = 0; offset < payload || (payload == 0 && n == 0);
       offset += segment_size, ++n) {
    const size_t length = std::min<size_t>(segment_size, payload - offset);
    const bool last = offset + length >= payload;
    out.assign(frame.begin(), frame.begin() + static_cast<long>(headers));
    out.insert(out.end(), frame.begin() + static_cast<long>(headers + offset),
               frame.begin() + static_cast<long>(headers + offset + length));
    uint8_t* oip = out.data() + eth;
    uint8_t* otcp = oip + ihl;
    store16(oip + 2, static_cast<uint16_t>(ihl + thl + length));
    store16(oip + 4, static_cast<uint16_t>(id + n));
    store16(oip + 10, 0);
    store16(oip + 10, internet_checksum({oip, ihl}));
    store32(otcp + 4, seq + static_cast<uint32_t>(offset));
    uint8_t f = flags;
    if (!last) f = static_cast<uint8_t>(f & ~(kFin | kPsh));
    if (n != 0) f = static_cast<uint8_t>(f & ~kCwr);
    otcp[13] = f;
    complete_transport_checksum({oip, out.size() - eth});
    segment(out);
    if (payload == 0) break;
  }
  return true;
}

}  // namespace vfw
