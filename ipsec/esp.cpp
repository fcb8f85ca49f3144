#include "ipsec/esp.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>

#include "ipsec/transport_mode.hpp"
#include "packet/headers.hpp"
#include "packet/packet.hpp"

namespace vfw::ipsec {
namespace {

constexpr uint32_t kOuterHeader = kIpv4HeaderBytes;
constexpr uint32_t kUdpHeader = kUdpHeaderBytes;
constexpr uint32_t kEspHeader = 8;

uint32_t padded_length(const Sa& sa, uint32_t payload) {
  const uint32_t block = info(sa.crypto.encryption()).block_bytes;
  return (payload + 2 + block - 1) / block * block;  // payload, pad, pad length, next header
}

}  // namespace

uint32_t esp_overhead(const Sa& sa, uint32_t inner_length, uint32_t inner_header_length) {
  const uint32_t payload = sa.tunnel ? inner_length : inner_length - inner_header_length;
  const uint32_t outer = sa.tunnel ? kOuterHeader : 0;
  return outer + (sa.udp_encapsulation ? kUdpHeader : 0) + kEspHeader +
         static_cast<uint32_t>(sa.crypto.iv_bytes()) + (padded_length(sa, payload) - payload) +
         static_cast<uint32_t>(sa.crypto.icv_bytes());
}

uint32_t esp_spi(const uint8_t* esp) {
  return load32(esp);
}

DropReason esp_encapsulate(Sa& sa, uint8_t* ip, uint32_t& length, uint32_t capacity,
                           uint16_t ip_id) {
  const uint32_t inner_ihl = static_cast<uint32_t>(ip[0] & 0x0f) * 4;
  const uint8_t inner_protocol = ip[9];
  const uint8_t tos = ip[1];
  const uint32_t payload = sa.tunnel ? length : length - inner_ihl;
  const uint32_t padded = padded_length(sa, payload);
  const uint32_t iv = static_cast<uint32_t>(sa.crypto.iv_bytes());
  const uint32_t icv = static_cast<uint32_t>(sa.crypto.icv_bytes());
  const uint32_t ip_header = sa.tunnel ? kOuterHeader : inner_ihl;
  const uint32_t udp = sa.udp_encapsulation ? kUdpHeader : 0;
  const uint32_t esp_at = ip_header + udp;
  const uint32_t data_at = esp_at + kEspHeader + iv;
  const uint32_t total = data_at + padded + icv;
  if (total > capacity || total > 65535) return DropReason::IpsecEncapsulationFailed;

  // Move the payload into place (the inner packet, or the transport payload), then the trailer.
  std::memmove(ip + data_at, ip + (sa.tunnel ? 0 : inner_ihl), payload);
  uint8_t* trailer = ip + data_at + payload;
  const uint32_t pad = padded - payload - 2;
  for (uint32_t i = 0; i < pad; ++i) trailer[i] = static_cast<uint8_t>(i + 1);  // RFC 4303 2.4
  trailer[pad] = static_cast<uint8_t>(pad);
  trailer[pad + 1] = sa.tunnel ? 4 : inner_protocol;  // 4: IPv4 (IP-in-IP)

  uint8_t* esp = ip + esp_at;
  store32(esp, sa.spi);
  ++sa.sequence;  // 32-bit sequence numbers; rekeying before the wrap belongs to IKE
  store32(esp + 4, static_cast<uint32_t>(sa.sequence));
  uint8_t* ivp = esp + kEspHeader;
  const EncryptionInfo& ei = info(sa.crypto.encryption());
  if (ei.aead) {
    store32(ivp, static_cast<uint32_t>(sa.sequence >> 32));  // RFC 4106: a counter is a fine IV
    store32(ivp + 4, static_cast<uint32_t>(sa.sequence));
    if (!sa.crypto.gcm_seal(ip + data_at, padded, ivp, {esp, kEspHeader}, ip + data_at + padded)) {
      return DropReason::IpsecEncapsulationFailed;
    }
  } else {
    if (iv != 0 && !sa.crypto.next_iv(ivp)) return DropReason::IpsecEncapsulationFailed;
    if (!sa.crypto.cbc(ip + data_at, padded, ivp)) return DropReason::IpsecEncapsulationFailed;
    const std::array<std::span<const uint8_t>, 1> pieces = {
        std::span<const uint8_t>{esp, kEspHeader + iv + padded}};
    if (!sa.crypto.mac(pieces, ip + data_at + padded)) return DropReason::IpsecEncapsulationFailed;
  }

  const uint8_t protocol = sa.udp_encapsulation ? ipproto::kUdp : ipproto::kEsp;
  if (sa.tunnel) {
    // DF clear: the outer packet may be fragmented (RFC 4301 section 8.1).
    write_ipv4_header(
        ip, {tos, static_cast<uint16_t>(total), ip_id, false, 64, protocol, sa.local, sa.remote});
  } else {
    // Transport: the original header stays, now carrying ESP.
    store16(ip + 2, static_cast<uint16_t>(total));
    ip[9] = protocol;
    store16(ip + 10, 0);
    store16(ip + 10, internet_checksum({ip, inner_ihl}));
  }
  if (udp != 0) {
    write_udp_header(ip + ip_header, 4500, sa.remote_port,
                     static_cast<uint16_t>(total - ip_header));
  }
  length = total;
  sa.packets += 1;
  sa.bytes += payload;
  return DropReason::None;
}

DropReason esp_decapsulate(Sa& sa, uint8_t* ip, uint32_t& length, uint32_t esp_offset) {
  const uint32_t iv = static_cast<uint32_t>(sa.crypto.iv_bytes());
  const uint32_t icv = static_cast<uint32_t>(sa.crypto.icv_bytes());
  const EncryptionInfo& ei = info(sa.crypto.encryption());
  if (length < esp_offset + kEspHeader + iv + icv + ei.block_bytes)
    return DropReason::IpsecMalformed;
  const uint32_t data_at = esp_offset + kEspHeader + iv;
  const uint32_t data_len = length - data_at - icv;
  if (data_len % ei.block_bytes != 0 || data_len < 2) return DropReason::IpsecMalformed;
  uint8_t* esp = ip + esp_offset;
  const uint32_t seq = load32(esp + 4);
  if (!sa.replay.check(seq)) return DropReason::IpsecReplay;

  if (ei.aead) {
    if (!sa.crypto.gcm_open(ip + data_at, data_len, esp + kEspHeader, {esp, kEspHeader},
                            ip + data_at + data_len)) {
      return DropReason::IpsecIcvFailure;
    }
  } else {
    if (icv != 0) {
      uint8_t expected[64];
      const std::array<std::span<const uint8_t>, 1> pieces = {
          std::span<const uint8_t>{esp, kEspHeader + iv + data_len}};
      if (!sa.crypto.mac(pieces, expected) ||
          CRYPTO_memcmp(expected, ip + data_at + data_len, icv) != 0) {
        return DropReason::IpsecIcvFailure;
      }
    }
    if (!sa.crypto.cbc(ip + data_at, data_len, esp + kEspHeader))
      return DropReason::IpsecIcvFailure;
  }
  const uint8_t* trailer = ip + data_at + data_len - 2;
  const uint8_t pad = trailer[0];
  const uint8_t next = trailer[1];
  if (pad + 2U > data_len) return DropReason::IpsecBadPadding;
  const uint32_t payload = data_len - 2 - pad;
  for (uint32_t i = 0; i < pad; ++i) {
    if (ip[data_at + payload + i] != static_cast<uint8_t>(i + 1))
      return DropReason::IpsecBadPadding;
  }
  sa.replay.update(seq);  // only for packets that authenticated
  sa.packets += 1;
  sa.bytes += payload;

  if (sa.tunnel) {
    if (next != 4) return DropReason::IpsecMalformed;  // only IPv4 inside
    std::memmove(ip, ip + data_at, payload);
    length = payload;
    return DropReason::None;
  }
  const uint32_t ihl = static_cast<uint32_t>(ip[0] & 0x0f) * 4;
  restore_transport_packet(ip, ihl, ip + data_at, payload, next, length);
  return DropReason::None;
}

}  // namespace vfw::ipsec
