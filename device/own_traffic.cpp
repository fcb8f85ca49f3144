#include "device/own_traffic.hpp"

#include <algorithm>

#include "packet/headers.hpp"
#include "packet/packet.hpp"

namespace vfw {

bool answers_arp_for(const Device& d, uint16_t interface, Ipv4 address) {
  const Snapshot& snap = d.snapshot();
  if (interface >= snap.interfaces.size() || !snap.interfaces[interface].has_address) return false;
  const InterfaceState& st = snap.interfaces[interface];
  if (st.address == address) return true;
  if (!Prefix::make(st.address, st.prefix_length).contains(address)) return false;
  for (const auto& server : d.config().nat_servers) {
    if (server.global == address) return true;
  }
  for (const auto& pool : snap.nat.pools()) {
    for (const auto& section : pool.sections) {
      if (section.contains(address)) return true;
    }
  }
  return false;
}

bool is_fragment_for_device(const Device& d, std::span<const uint8_t> packet, PacketInfo& info) {
  if (packet.size() < 20 || (load16(packet.data() + 6) & 0x3fff) == 0) return false;
  if (parse_ipv4(packet, info) != DropReason::None) return false;  // the pipeline's to drop
  const Route* r = d.snapshot().fib.lookup(info.dst);
  return r != nullptr && r->kind == RouteKind::Local;
}

std::optional<NextHop> next_hop_for(const Device& d, Ipv4 destination) {
  const Route* r = d.snapshot().fib.lookup(destination);
  if (r == nullptr || r->kind == RouteKind::Local || r->kind == RouteKind::Blackhole)
    return std::nullopt;
  return NextHop{r->out_if, r->next_hop.v != 0 ? r->next_hop : destination};
}

std::optional<std::vector<uint8_t>> deliver_to_device(Device& d, std::span<const uint8_t> packet) {
  PacketInfo info;
  if (parse_ipv4(packet, info) != DropReason::None || info.is_fragment()) return std::nullopt;
  const uint32_t at = info.header_length;
  if (info.protocol == ipproto::kUdp && info.has_l4 &&
      (info.dst_port == ike::kIkePort || info.dst_port == ike::kNatTraversalPort)) {
    std::span<const uint8_t> payload = packet.subspan(at + 8, info.total_length - at - 8);
    if (info.dst_port == ike::kNatTraversalPort) {
      if (payload.size() == 1 && payload[0] == 0xff) return std::nullopt;  // NAT keepalive
      if (payload.size() < 4 || load32(payload.data()) != 0) return std::nullopt;
      payload = payload.subspan(4);
    }
    d.ike_receive({info.dst, info.dst_port}, {info.src, info.src_port}, payload);
    return std::nullopt;
  }
  if (info.protocol == ipproto::kIcmp && packet.size() >= at + 8 && packet[at] == 8)
    return echo_reply(packet, info, 255);
  // UDP to a port the device does not serve: port unreachable, as a host answers (what ends a
  // tracert at the firewall), within the device's budget of ICMP errors.
  if (info.protocol == ipproto::kUdp && should_answer_with_icmp_error(packet, info) &&
      d.may_send_icmp_error())
    return icmp_error(packet, info, info.dst, 3, 3, 255);
  // An echo reply or an ICMP error for the device's own ping or tracert.
  if (info.protocol == ipproto::kIcmp) d.probes().answer(packet, d.now_ms());
  return std::nullopt;
}

std::vector<uint8_t> ike_udp_packet(const ike::Datagram& d, uint16_t ip_id) {
  const bool marker = d.local.port == ike::kNatTraversalPort && !d.keepalive;
  const size_t length = 20 + 8 + (marker ? 4 : 0) + d.bytes.size();
  std::vector<uint8_t> p(length, 0);
  write_ipv4_header(p.data(), {0, static_cast<uint16_t>(length), ip_id, false, 64, ipproto::kUdp,
                               d.local.address, d.remote.address});
  write_udp_header(&p[20], d.local.port, d.remote.port, static_cast<uint16_t>(length - 20));
  std::copy(d.bytes.begin(), d.bytes.end(), p.begin() + 28 + (marker ? 4 : 0));
  return p;
}

}  // namespace vfw
