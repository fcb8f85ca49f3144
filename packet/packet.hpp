// IPv4 packets on the wire: validation, the fields the pipeline needs, checksums, and a builder.
//
// parse_ipv4() is the ingress check of RFC 791 / RFC 1812 section 5.2.2: version, IHL, total
// length, truncation, header checksum and option framing, each failure a named DropReason. It
// reads the transport header (TCP, UDP, ICMP) only on the first fragment; later fragments carry
// no ports and follow the first fragment's session.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "packet/address.hpp"
#include "packet/drop_reason.hpp"

namespace vfw {

namespace ipproto {
inline constexpr uint8_t kIcmp = 1;
inline constexpr uint8_t kTcp = 6;
inline constexpr uint8_t kUdp = 17;
inline constexpr uint8_t kGre = 47;
inline constexpr uint8_t kEsp = 50;
inline constexpr uint8_t kAh = 51;
}  // namespace ipproto

namespace tcpflag {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
}  // namespace tcpflag

inline uint16_t load16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t load32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store32(uint8_t* p, uint32_t v) {
  store16(p, static_cast<uint16_t>(v >> 16));
  store16(p + 2, static_cast<uint16_t>(v));
}

// What the pipeline reads from a packet. Offsets are from the start of the IP header.
struct PacketInfo {
  Ipv4 src;
  Ipv4 dst;
  uint16_t total_length = 0;
  uint16_t ip_id = 0;
  uint16_t fragment_offset = 0;  // in bytes
  uint8_t header_length = 0;     // bytes
  uint8_t protocol = 0;
  uint8_t ttl = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  bool has_l4 = false;    // transport header present and parsed (first fragment or whole packet)
  uint16_t src_port = 0;  // TCP/UDP port; ICMP query identifier
  uint16_t dst_port = 0;  // TCP/UDP port; ICMP type << 8 | code, as the device shows it
  uint8_t tcp_flags = 0;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;

  bool is_fragment() const { return more_fragments || fragment_offset != 0; }
  bool is_later_fragment() const { return fragment_offset != 0; }
};

// ICMP echo, timestamp, information and address-mask messages: the ones with an identifier.
inline bool is_icmp_query(uint8_t type) {
  switch (type) {
    case 0:
    case 8:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
      return true;
    default:
      return false;
  }
}

// A reply is keyed like its request (type 0 like 8, ...) so that the session of an echo request
// recognises the echo reply: the device shows both as "id --> dst:2048".
inline uint8_t icmp_request_type(uint8_t type) {
  switch (type) {
    case 0:
      return 8;
    case 14:
      return 13;
    case 16:
      return 15;
    case 18:
      return 17;
    default:
      return type;
  }
}

// RFC 1071 Internet checksum of a byte range (the one's complement of the one's complement sum).
uint16_t internet_checksum(std::span<const uint8_t> bytes, uint32_t initial_sum = 0);

namespace detail {
DropReason check_options(std::span<const uint8_t> options);  // RFC 791's option list

// parse_ipv4's answer to a transport header it refuses: info holds the IP header's fields (the
// transport's left zero), as callers that log the drop read them, and the reason is returned.
// Out of line: the error path only.
DropReason ip_fields_only(const uint8_t* ip, PacketInfo& info, DropReason reason);

// Whether an IPv4 header of 20 bytes (no options: nearly every packet) sums to 0xffff, its
// checksum correct. Five 32-bit words in a 64-bit sum, folded: RFC 1071 section 2(B)'s byte-order
// independence lets the words be added as the machine loads them.
inline bool header20_checksum_ok(const uint8_t* ip) {
  uint64_t sum = 0;
  for (int i = 0; i < 5; ++i) {
    uint32_t w;
    std::memcpy(&w, ip + 4 * i, 4);
    sum += w;
  }
  sum = (sum & 0xffffffffU) + (sum >> 32);
  sum = (sum & 0xffffU) + (sum >> 16);
  sum = (sum & 0xffffU) + (sum >> 16);
  sum = (sum & 0xffffU) + (sum >> 16);
  return sum == 0xffff;
}
}  // namespace detail

// Validates and reads an IPv4 packet. Returns DropReason::None when the packet may be forwarded.
// Inline: it is every packet's first step, and the flow key its caller builds next then comes
// from registers, not from fields just stored (a wide load of narrow stores stalls the core).
inline DropReason parse_ipv4(std::span<const uint8_t> packet, PacketInfo& info) {
  if (packet.size() < 20) return DropReason::IpTooShort;
  const uint8_t* ip = packet.data();
  if ((ip[0] >> 4) != 4) return DropReason::IpBadVersion;
  const auto ihl = static_cast<uint8_t>((ip[0] & 0x0f) * 4);
  if (ihl < 20) return DropReason::IpBadHeaderLength;
  if (ihl > packet.size()) return DropReason::IpTruncated;
  const uint16_t total = load16(ip + 2);
  if (total < ihl) return DropReason::IpBadTotalLength;
  if (total > packet.size()) return DropReason::IpTruncated;
  if (ihl == 20 ? !detail::header20_checksum_ok(ip) : internet_checksum(packet.first(ihl)) != 0)
    return DropReason::IpBadChecksum;
  if (ihl > 20) {
    if (DropReason r = detail::check_options(packet.subspan(20, ihl - 20)); r != DropReason::None)
      return r;
  }

  // Every field into a local first and the struct written once at the end: the caller's loads
  // of what was just stored then match the stores (see above).
  const uint16_t frag = load16(ip + 6);
  const auto fragment_offset = static_cast<uint16_t>((frag & 0x1fff) * 8);
  const uint8_t protocol = ip[9];
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t tcp_flags = 0;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  bool has_l4 = false;
  if (fragment_offset == 0) {  // a later fragment has no transport header
    const uint8_t* l4 = ip + ihl;
    const size_t l4_len = total - ihl;
    switch (protocol) {
      case ipproto::kTcp: {
        if (l4_len < 20) return detail::ip_fields_only(ip, info, DropReason::L4Truncated);
        const size_t data_offset = static_cast<size_t>(l4[12] >> 4) * 4;
        if (data_offset < 20 || data_offset > l4_len)
          return detail::ip_fields_only(ip, info, DropReason::TcpBadHeaderLength);
        src_port = load16(l4);
        dst_port = load16(l4 + 2);
        tcp_flags = l4[13];
        has_l4 = true;
        break;
      }
      case ipproto::kUdp:
        if (l4_len < 8) return detail::ip_fields_only(ip, info, DropReason::L4Truncated);
        src_port = load16(l4);
        dst_port = load16(l4 + 2);
        has_l4 = true;
        break;
      case ipproto::kIcmp:
        if (l4_len < 8) return detail::ip_fields_only(ip, info, DropReason::L4Truncated);
        icmp_type = l4[0];
        icmp_code = l4[1];
        src_port = is_icmp_query(l4[0]) ? load16(l4 + 4) : 0;
        dst_port = static_cast<uint16_t>((icmp_request_type(l4[0]) << 8) | l4[1]);
        has_l4 = true;
        break;
      default:
        break;  // ESP, AH, GRE and the rest are keyed by addresses and protocol alone
    }
  }
  info = PacketInfo{.src = Ipv4{load32(ip + 12)},
                    .dst = Ipv4{load32(ip + 16)},
                    .total_length = total,
                    .ip_id = load16(ip + 4),
                    .fragment_offset = fragment_offset,
                    .header_length = ihl,
                    .protocol = protocol,
                    .ttl = ip[8],
                    .dont_fragment = (frag & 0x4000) != 0,
                    .more_fragments = (frag & 0x2000) != 0,
                    .has_l4 = has_l4,
                    .src_port = src_port,
                    .dst_port = dst_port,
                    .tcp_flags = tcp_flags,
                    .icmp_type = icmp_type,
                    .icmp_code = icmp_code};
  return DropReason::None;
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for rewriting one 16-bit word under a checksum.
// Inline: every forwarded packet's TTL and every translation goes through them.
inline uint16_t checksum_adjust16(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = static_cast<uint16_t>(~checksum);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  sum = (sum & 0xffffU) + (sum >> 16);  // three 16-bit terms: two folds always suffice
  sum = (sum & 0xffffU) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
inline uint16_t checksum_adjust32(uint16_t checksum, uint32_t old_value, uint32_t new_value) {
  checksum = checksum_adjust16(checksum, static_cast<uint16_t>(old_value >> 16),
                               static_cast<uint16_t>(new_value >> 16));
  return checksum_adjust16(checksum, static_cast<uint16_t>(old_value),
                           static_cast<uint16_t>(new_value));
}

// Rewrites addresses and ports in place, updating the IP header checksum and, when the transport
// header is present, the TCP/UDP checksum (pseudo-header) or the ICMP identifier's checksum.
// A zero UDP checksum means "none" (RFC 768) and stays zero.
void rewrite_source(uint8_t* ip, const PacketInfo& info, Ipv4 new_addr, uint16_t new_port);
void rewrite_destination(uint8_t* ip, const PacketInfo& info, Ipv4 new_addr, uint16_t new_port);

// Decrements TTL with the incremental checksum update of RFC 1624.
inline void decrement_ttl(uint8_t* ip) {
  const uint16_t old_word = load16(ip + 8);
  ip[8] = static_cast<uint8_t>(ip[8] - 1);
  store16(ip + 10, checksum_adjust16(load16(ip + 10), old_word, load16(ip + 8)));
}

// Bytes as lower-case hex digits (keys for captures and logs, SPIs).
std::string to_hex(std::span<const uint8_t> bytes);

// What packet-trace and the tests send: a well-formed packet with valid checksums.
struct PacketSpec {
  uint8_t protocol = ipproto::kIcmp;
  Ipv4 src;
  Ipv4 dst;
  uint16_t src_port = 0;  // ICMP: identifier
  uint16_t dst_port = 0;
  uint16_t icmp_sequence = 1;
  uint8_t icmp_type = 8;
  uint8_t icmp_code = 0;
  uint8_t tcp_flags = tcpflag::kSyn;
  uint16_t total_length = 0;  // 0: the smallest packet for the protocol (with a 64-byte frame)
  uint8_t ttl = 64;
  bool dont_fragment = false;
  uint16_t ip_id = 1;
  uint16_t tcp_mss = 0;  // nonzero: a SYN carries the MSS option
};

std::vector<uint8_t> build_packet(const PacketSpec& spec);

// Computes the TCP or UDP checksum of an unfragmented IPv4 packet whole, pseudo-header included
// (RFC 793, RFC 768): for a packet whose sender left it to a checksum offload that never ran
// (a veth's frames read from AF_PACKET). false when it is neither or cannot be parsed.
bool complete_transport_checksum(std::span<uint8_t> ip);

// Rewrites an ICMP message's checksum over its whole length (RFC 792).
void icmp_checksum(uint8_t* icmp, size_t length);

// The echo reply (RFC 792) to an echo request whose header info has parsed: addresses swapped,
// type 0, the answerer's TTL, both checksums again. Hosts and firewalls answer alike.
std::vector<uint8_t> echo_reply(std::span<const uint8_t> request, const PacketInfo& info,
                                uint8_t ttl);

// ICMP's errors (RFC 792: destination unreachable 3, time exceeded 11, ...).
inline bool is_icmp_error(uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}
// An ICMP error from `from` about the packet, to its source, quoting its IP header and first 8
// bytes (RFC 792). No error is ever sent about an ICMP error, nor about a later fragment: the
// caller checks (should_answer_with_icmp_error).
std::vector<uint8_t> icmp_error(std::span<const uint8_t> offending, const PacketInfo& info,
                                Ipv4 from, uint8_t type, uint8_t code, uint8_t ttl);
// RFC 1122 3.2.2: not about an ICMP error, a later fragment, or a broadcast or multicast.
bool should_answer_with_icmp_error(std::span<const uint8_t> packet, const PacketInfo& info);

}  // namespace vfw
