#include "lab/host.hpp"

#include <utility>

#include "packet/fragmentation.hpp"
#include "packet/packet.hpp"

namespace vfw::lab {

Host::Host(std::string name, Ipv4 address, uint8_t prefix_length, std::optional<Ipv4> gateway,
           uint32_t mtu)
    : name_(std::move(name)),
      address_(address),
      prefix_length_(prefix_length),
      gateway_(gateway),
      mtu_(mtu) {}

std::vector<uint8_t> Host::echo_request(Ipv4 destination, uint16_t id, uint16_t seq, uint32_t size,
                                        bool dont_fragment) const {
  PacketSpec spec;
  spec.src = address_;
  spec.dst = destination;
  spec.src_port = id;
  spec.total_length = static_cast<uint16_t>(size);
  spec.dont_fragment = dont_fragment;
  spec.ip_id = seq;
  std::vector<uint8_t> p = build_packet(spec);
  store16(&p[20 + 6], seq);
  icmp_checksum(&p[20], p.size() - 20);
  return p;
}

std::vector<std::vector<uint8_t>> Host::outgoing(std::vector<uint8_t> packet) const {
  PacketInfo info;
  if (parse_ipv4(packet, info) != DropReason::None || info.total_length <= mtu_ ||
      info.dont_fragment)
    return {std::move(packet)};
  return fragment_ipv4(packet.data(), info, mtu_);
}

std::vector<std::vector<uint8_t>> Host::receive(const std::vector<uint8_t>& arrived,
                                                uint64_t now_ms) {
  PacketInfo info;
  if (parse_ipv4(arrived, info) != DropReason::None || info.dst != address_) return {};
  std::vector<uint8_t> whole;
  if (info.is_fragment()) {
    auto r = reassembly_.add(arrived, info, static_cast<uint32_t>(now_ms / 1000), drops_);
    if (!r.complete()) return {};
    whole = std::move(r.datagram);
    if (parse_ipv4(whole, info) != DropReason::None) return {};
  }
  const std::vector<uint8_t>& packet = whole.empty() ? arrived : whole;
  // No one listens on a UDP port of the lab's hosts: a Linux host answers port unreachable
  // (what ends a tracert at its destination).
  if (info.protocol == ipproto::kUdp && should_answer_with_icmp_error(packet, info))
    return {icmp_error(packet, info, address_, 3, 3, 64)};
  if (info.protocol != ipproto::kIcmp) return {};
  const uint32_t at = info.header_length;
  if (packet.size() < at + 8) return {};
  const uint8_t type = packet[at];
  if (type == 0) {  // echo reply
    replies_.push_back({info.src, load16(&packet[at + 4]), load16(&packet[at + 6]), packet[8],
                        static_cast<uint32_t>(info.total_length - at), now_ms});
    return {};
  }
  if (type == 3) {
    const uint8_t code = packet[at + 1];
    errors_.push_back(
        code == 4
            ? "From " + to_string(info.src) + " icmp_seq=" +
                  std::to_string(packet.size() >= at + 8 + 28 ? load16(&packet[at + 8 + 20 + 6])
                                                              : 0) +
                  " Frag needed and DF set (mtu = " + std::to_string(load16(&packet[at + 6])) + ")"
            : "From " + to_string(info.src) + " Destination Unreachable");
    return {};
  }
  if (type != 8) return {};
  // A Linux host answers with a TTL of 64.
  return outgoing(echo_reply(packet, info, 64));
}

}  // namespace vfw::lab
