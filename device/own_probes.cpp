#include "device/own_probes.hpp"

#include <algorithm>

#include "packet/packet.hpp"

namespace vfw {

uint16_t OwnProbes::open() {
  if (open_.size() >= kMaxOpen) open_.erase(open_.begin());
  uint16_t id = 0;
  do {
    id = next_++;
  } while (id == 0 || std::find(open_.begin(), open_.end(), id) != open_.end());
  open_.push_back(id);
  return id;
}

void OwnProbes::close(uint16_t id) {
  open_.erase(std::remove(open_.begin(), open_.end(), id), open_.end());
  answers_.erase(std::remove_if(answers_.begin(), answers_.end(),
                                [id](const ProbeAnswer& a) { return a.id == id; }),
                 answers_.end());
}

bool OwnProbes::answer(std::span<const uint8_t> packet, uint64_t now_ms) {
  PacketInfo info;
  if (parse_ipv4(packet, info) != DropReason::None || info.protocol != ipproto::kIcmp ||
      info.is_fragment())
    return false;
  const size_t at = info.header_length;
  if (info.total_length < at + 8) return false;
  const uint8_t* icmp = packet.data() + at;
  ProbeAnswer a;
  a.icmp_type = icmp[0];
  a.icmp_code = icmp[1];
  a.from = info.src;
  a.ttl = info.ttl;
  a.at_ms = now_ms;
  if (a.icmp_type == 0) {  // echo reply
    a.id = load16(icmp + 4);
    a.seq = load16(icmp + 6);
    a.bytes = info.total_length - static_cast<uint32_t>(at) - 8;
  } else if (a.icmp_type == 3 || a.icmp_type == 11) {
    // An error quotes the probe's IP header and its first 8 bytes (RFC 792).
    const std::span<const uint8_t> quoted = packet.subspan(at + 8, info.total_length - at - 8);
    if (quoted.size() < 20) return false;
    const size_t ihl = size_t{quoted[0] & 0x0fu} * 4;
    if (ihl < 20 || quoted.size() < ihl + 8) return false;
    const uint8_t proto = quoted[9];
    const uint8_t* l4 = quoted.data() + ihl;
    if (proto == ipproto::kUdp) {
      a.id = load16(l4);
      a.seq = load16(l4 + 2);
    } else if (proto == ipproto::kIcmp && l4[0] == 8) {
      a.id = load16(l4 + 4);
      a.seq = load16(l4 + 6);
    } else {
      return false;
    }
  } else {
    return false;
  }
  if (std::find(open_.begin(), open_.end(), a.id) == open_.end()) return false;
  if (answers_.size() >= kMaxAnswers) return true;  // ours, but no room: counted as lost
  answers_.push_back(a);
  return true;
}

std::vector<ProbeAnswer> OwnProbes::take(uint16_t id) {
  std::vector<ProbeAnswer> out;
  auto keep = std::stable_partition(answers_.begin(), answers_.end(),
                                    [id](const ProbeAnswer& a) { return a.id != id; });
  out.assign(keep, answers_.end());
  answers_.erase(keep, answers_.end());
  return out;
}

}  // namespace vfw
