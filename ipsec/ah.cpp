#include "ipsec/ah.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cstring>

#include "ipsec/transport_mode.hpp"
#include "packet/headers.hpp"
#include "packet/packet.hpp"

namespace vfw::ipsec {
namespace {

constexpr uint32_t kAhFixed = 12;  // next header, length, reserved, SPI, sequence

uint32_t ah_length(const Sa& sa) {
  return kAhFixed + info(sa.crypto.authentication()).icv_bytes;
}

// The ICV over header (mutable fields zeroed), AH (ICV zeroed) and the rest of the packet.
bool compute_icv(Sa& sa, const uint8_t* ip, uint32_t length, uint32_t ihl, uint8_t* icv) {
  uint8_t header[60];
  std::memcpy(header, ip, ihl);
  header[1] = 0;            // TOS
  store16(header + 6, 0);   // flags, fragment offset
  header[8] = 0;            // TTL
  store16(header + 10, 0);  // checksum
  const uint32_t ah = ah_length(sa);
  uint8_t ah_header[kAhFixed + 64];
  std::memcpy(ah_header, ip + ihl, ah);
  std::memset(ah_header + kAhFixed, 0, ah - kAhFixed);
  const std::array<std::span<const uint8_t>, 3> pieces = {
      std::span<const uint8_t>{header, ihl}, std::span<const uint8_t>{ah_header, ah},
      std::span<const uint8_t>{ip + ihl + ah, length - ihl - ah}};
  return sa.crypto.mac(pieces, icv);
}

}  // namespace

uint32_t ah_overhead(const Sa& sa) {
  return (sa.tunnel ? 20 : 0) + ah_length(sa);
}

DropReason ah_encapsulate(Sa& sa, uint8_t* ip, uint32_t& length, uint32_t capacity,
                          uint16_t ip_id) {
  const uint32_t inner_ihl = static_cast<uint32_t>(ip[0] & 0x0f) * 4;
  const uint32_t ah = ah_length(sa);
  const uint32_t ihl = sa.tunnel ? 20 : inner_ihl;
  const uint32_t total = length + ah + (sa.tunnel ? 20 : 0);
  if (total > capacity || total > 65535) return DropReason::IpsecEncapsulationFailed;
  const uint8_t next = sa.tunnel ? 4 : ip[9];
  if (sa.tunnel) {
    std::memmove(ip + 20 + ah, ip, length);
    const uint8_t tos = ip[20 + ah + 1];
    // The checksum is written again below, once the ICV (which treats it as mutable) is in.
    write_ipv4_header(ip, {tos, static_cast<uint16_t>(total), ip_id, false, 64, ipproto::kAh,
                           sa.local, sa.remote});
  } else {
    std::memmove(ip + ihl + ah, ip + ihl, length - ihl);
  }
  store16(ip + 2, static_cast<uint16_t>(total));
  ip[9] = ipproto::kAh;
  uint8_t* h = ip + ihl;
  h[0] = next;
  h[1] = static_cast<uint8_t>(ah / 4 - 2);  // length in 32-bit words, minus 2 (RFC 4302 2.2)
  store16(h + 2, 0);
  store32(h + 4, sa.spi);
  ++sa.sequence;
  store32(h + 8, static_cast<uint32_t>(sa.sequence));
  std::memset(h + kAhFixed, 0, ah - kAhFixed);
  if (!compute_icv(sa, ip, total, ihl, h + kAhFixed)) return DropReason::IpsecEncapsulationFailed;
  store16(ip + 10, 0);
  store16(ip + 10, internet_checksum({ip, ihl}));
  length = total;
  sa.packets += 1;
  sa.bytes += total - ihl - ah;
  return DropReason::None;
}

DropReason ah_decapsulate(Sa& sa, uint8_t* ip, uint32_t& length) {
  const uint32_t ihl = static_cast<uint32_t>(ip[0] & 0x0f) * 4;
  const uint32_t ah = ah_length(sa);
  if (length < ihl + ah || ip[ihl + 1] != ah / 4 - 2) return DropReason::IpsecMalformed;
  const uint8_t* h = ip + ihl;
  const uint32_t seq = load32(h + 8);
  if (!sa.replay.check(seq)) return DropReason::IpsecReplay;
  uint8_t expected[64];
  if (!compute_icv(sa, ip, length, ihl, expected) ||
      CRYPTO_memcmp(expected, h + kAhFixed, ah - kAhFixed) != 0) {
    return DropReason::IpsecIcvFailure;
  }
  sa.replay.update(seq);
  const uint8_t next = h[0];
  sa.packets += 1;
  sa.bytes += length - ihl - ah;
  if (sa.tunnel) {
    if (next != 4) return DropReason::IpsecMalformed;
    std::memmove(ip, ip + ihl + ah, length - ihl - ah);
    length -= ihl + ah;
    return DropReason::None;
  }
  restore_transport_packet(ip, ihl, ip + ihl + ah, length - ihl - ah, next, length);
  return DropReason::None;
}

}  // namespace vfw::ipsec
