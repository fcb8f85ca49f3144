#include "packet/packet.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "packet/headers.hpp"

namespace vfw {

DropReason detail::ip_fields_only(const uint8_t* ip, PacketInfo& info, DropReason reason) {
  const uint16_t frag = load16(ip + 6);
  info = PacketInfo{};
  info.header_length = static_cast<uint8_t>((ip[0] & 0x0f) * 4);
  info.total_length = load16(ip + 2);
  info.ip_id = load16(ip + 4);
  info.dont_fragment = (frag & 0x4000) != 0;
  info.more_fragments = (frag & 0x2000) != 0;
  info.fragment_offset = static_cast<uint16_t>((frag & 0x1fff) * 8);
  info.ttl = ip[8];
  info.protocol = ip[9];
  info.src = Ipv4{load32(ip + 12)};
  info.dst = Ipv4{load32(ip + 16)};
  return reason;
}

DropReason detail::check_options(std::span<const uint8_t> options) {
  size_t i = 0;
  while (i < options.size()) {
    const uint8_t type = options[i];
    if (type == 0) return DropReason::None;  // end of option list
    if (type == 1) {                         // no-operation
      ++i;
      continue;
    }
    if (i + 1 >= options.size()) return DropReason::IpBadOptions;
    const uint8_t len = options[i + 1];
    if (len < 2 || i + len > options.size()) return DropReason::IpBadOptions;
    i += len;
  }
  return DropReason::None;
}

namespace {

// RFC 1071 section 2(B): the one's complement sum does not depend on byte order, so the words
// are added as the machine loads them, 32 bits at a time into a 64-bit accumulator, and the
// folded sum is put in network order once at the end. The caller's sum joins it folded to 32
// bits with its carry (2^32 is 1 modulo 0xffff): no carry is lost whatever the initial sum.
uint32_t sum_words(std::span<const uint8_t> bytes, uint32_t sum) {
  const uint8_t* p = bytes.data();
  const size_t n = bytes.size();
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t w;
    std::memcpy(&w, p + i, 4);
    acc += w;
  }
  if (i + 2 <= n) {
    uint16_t w;
    std::memcpy(&w, p + i, 2);
    acc += w;
    i += 2;
  }
  if (i < n) {
    // A last odd byte is the high byte of a word padded with zero (network order).
    const uint8_t last[2] = {p[i], 0};
    uint16_t w;
    std::memcpy(&w, last, 2);
    acc += w;
  }
  while (acc >> 16) acc = (acc & 0xffffU) + (acc >> 16);
  auto native = static_cast<uint16_t>(acc);
  if constexpr (std::endian::native == std::endian::little)
    native = static_cast<uint16_t>(native << 8 | native >> 8);
  uint64_t total = uint64_t{sum} + native;
  while (total >> 32) total = (total & 0xffffffffU) + (total >> 32);
  return static_cast<uint32_t>(total);
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffffU) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Where the transport checksum sits, or nullptr when the packet has none to update.
uint8_t* l4_checksum(uint8_t* l4, uint8_t protocol) {
  if (protocol == ipproto::kTcp) return l4 + 16;
  if (protocol == ipproto::kUdp) return load16(l4 + 6) == 0 ? nullptr : l4 + 6;
  return nullptr;
}

void rewrite(uint8_t* ip, const PacketInfo& info, size_t addr_offset, Ipv4 new_addr,
             uint16_t new_port, bool source) {
  const uint32_t old_addr = load32(ip + addr_offset);
  store32(ip + addr_offset, new_addr.v);
  store16(ip + 10, checksum_adjust32(load16(ip + 10), old_addr, new_addr.v));
  if (!info.has_l4) return;
  uint8_t* l4 = ip + info.header_length;
  if (info.protocol == ipproto::kIcmp) {
    // Only the query identifier is translated (the source "port"); ICMP has no pseudo-header.
    if (!source || !is_icmp_query(info.icmp_type)) return;
    const uint16_t old_id = load16(l4 + 4);
    store16(l4 + 4, new_port);
    store16(l4 + 2, checksum_adjust16(load16(l4 + 2), old_id, new_port));
    return;
  }
  if (info.protocol != ipproto::kTcp && info.protocol != ipproto::kUdp) return;
  uint8_t* port_field = l4 + (source ? 0 : 2);
  const uint16_t old_port = load16(port_field);
  store16(port_field, new_port);
  if (uint8_t* sum = l4_checksum(l4, info.protocol)) {
    uint16_t c = checksum_adjust32(load16(sum), old_addr, new_addr.v);
    c = checksum_adjust16(c, old_port, new_port);
    if (info.protocol == ipproto::kUdp && c == 0) c = 0xffff;  // RFC 768: 0 means "no checksum"
    store16(sum, c);
  }
}

}  // namespace

uint16_t internet_checksum(std::span<const uint8_t> bytes, uint32_t initial_sum) {
  return static_cast<uint16_t>(~fold(sum_words(bytes, initial_sum)));
}

void rewrite_source(uint8_t* ip, const PacketInfo& info, Ipv4 new_addr, uint16_t new_port) {
  rewrite(ip, info, 12, new_addr, new_port, true);
}

void rewrite_destination(uint8_t* ip, const PacketInfo& info, Ipv4 new_addr, uint16_t new_port) {
  rewrite(ip, info, 16, new_addr, new_port, false);
}

std::vector<uint8_t> build_packet(const PacketSpec& spec) {
  size_t l4_header = 0;
  switch (spec.protocol) {
    case ipproto::kTcp:
      l4_header = spec.tcp_mss != 0 ? 24 : 20;
      break;
    case ipproto::kUdp:
      l4_header = 8;
      break;
    case ipproto::kIcmp:
      l4_header = 8;
      break;
    default:
      l4_header = 0;
      break;
  }
  // A 64-byte Ethernet frame carries 46 bytes of IP: the default is the smallest real packet.
  size_t total = spec.total_length != 0 ? spec.total_length : std::max<size_t>(46, 20 + l4_header);
  total = std::max(total, 20 + l4_header);
  std::vector<uint8_t> p(total, 0);
  uint8_t* ip = p.data();
  write_ipv4_header(ip, {0, static_cast<uint16_t>(total), spec.ip_id, spec.dont_fragment, spec.ttl,
                         spec.protocol, spec.src, spec.dst});
  for (size_t i = 20 + l4_header; i < total; ++i) p[i] = static_cast<uint8_t>(i);
  uint8_t* l4 = ip + 20;
  const size_t l4_len = total - 20;
  // Pseudo-header of RFC 793 / RFC 768: addresses, protocol, transport length.
  uint32_t pseudo = (spec.src.v >> 16) + (spec.src.v & 0xffff) + (spec.dst.v >> 16) +
                    (spec.dst.v & 0xffff) + spec.protocol + static_cast<uint32_t>(l4_len);
  switch (spec.protocol) {
    case ipproto::kTcp:
      store16(l4, spec.src_port);
      store16(l4 + 2, spec.dst_port);
      store32(l4 + 4, 0x1000);
      store32(l4 + 8, (spec.tcp_flags & tcpflag::kAck) ? 0x2000 : 0);
      l4[12] = static_cast<uint8_t>((l4_header / 4) << 4);
      l4[13] = spec.tcp_flags;
      store16(l4 + 14, 65535);
      if (spec.tcp_mss != 0) {
        l4[20] = 2;
        l4[21] = 4;
        store16(l4 + 22, spec.tcp_mss);
      }
      store16(l4 + 16, internet_checksum({l4, l4_len}, pseudo));
      break;
    case ipproto::kUdp: {
      store16(l4, spec.src_port);
      store16(l4 + 2, spec.dst_port);
      store16(l4 + 4, static_cast<uint16_t>(l4_len));
      uint16_t c = internet_checksum({l4, l4_len}, pseudo);
      store16(l4 + 6, c == 0 ? 0xffff : c);
      break;
    }
    case ipproto::kIcmp:
      l4[0] = spec.icmp_type;
      l4[1] = spec.icmp_code;
      store16(l4 + 4, spec.src_port);
      store16(l4 + 6, spec.icmp_sequence);
      store16(l4 + 2, internet_checksum({l4, l4_len}));
      break;
    default:
      break;
  }
  return p;
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (const uint8_t b : bytes) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

bool complete_transport_checksum(std::span<uint8_t> ip) {
  PacketInfo info;
  if (parse_ipv4(ip, info) != DropReason::None || info.is_fragment() || !info.has_l4) return false;
  const size_t field = info.protocol == ipproto::kTcp ? 16 : info.protocol == ipproto::kUdp ? 6 : 0;
  if (field == 0) return false;
  uint8_t* l4 = ip.data() + info.header_length;
  const size_t l4_len = info.total_length - info.header_length;
  if (l4_len < field + 2) return false;
  const uint32_t pseudo = (info.src.v >> 16) + (info.src.v & 0xffff) + (info.dst.v >> 16) +
                          (info.dst.v & 0xffff) + info.protocol + static_cast<uint32_t>(l4_len);
  store16(l4 + field, 0);
  uint16_t sum = internet_checksum({l4, l4_len}, pseudo);
  if (info.protocol == ipproto::kUdp && sum == 0) sum = 0xffff;  // 0 means "none" in UDP
  store16(l4 + field, sum);
  return true;
}

void icmp_checksum(uint8_t* icmp, size_t length) {
  store16(icmp + 2, 0);
  store16(icmp + 2, internet_checksum({icmp, length}));
}

std::vector<uint8_t> icmp_error(std::span<const uint8_t> offending, const PacketInfo& info,
                                Ipv4 from, uint8_t type, uint8_t code, uint8_t ttl) {
  const size_t quoted = std::min<size_t>(info.total_length, info.header_length + 8);
  std::vector<uint8_t> p(20 + 8 + quoted, 0);
  write_ipv4_header(p.data(), {0, static_cast<uint16_t>(p.size()), 0, false, ttl, ipproto::kIcmp,
                               from, info.src});
  uint8_t* icmp = &p[20];
  icmp[0] = type;
  icmp[1] = code;
  std::copy_n(offending.begin(), std::min(quoted, offending.size()), icmp + 8);
  store16(icmp + 2, internet_checksum({icmp, 8 + quoted}));
  return p;
}

bool should_answer_with_icmp_error(std::span<const uint8_t> packet, const PacketInfo& info) {
  if (info.is_later_fragment()) return false;
  const uint32_t dst = info.dst.v;
  if (dst == 0xffffffff || (dst >> 28) == 0xe) return false;
  if (info.protocol == ipproto::kIcmp) {
    if (packet.size() <= info.header_length) return false;
    return !is_icmp_error(packet[info.header_length]);
  }
  return true;
}

std::vector<uint8_t> echo_reply(std::span<const uint8_t> request, const PacketInfo& info,
                                uint8_t ttl) {
  const uint32_t at = info.header_length;
  std::vector<uint8_t> reply(request.begin(), request.begin() + info.total_length);
  store32(&reply[12], info.dst.v);
  store32(&reply[16], info.src.v);
  reply[8] = ttl;
  store16(&reply[10], 0);
  store16(&reply[10], internet_checksum({reply.data(), at}));
  reply[at] = 0;
  icmp_checksum(&reply[at], reply.size() - at);
  return reply;
}

}  // namespace vfw
