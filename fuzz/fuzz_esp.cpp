// ESP decapsulation past the integrity check. Whatever the fuzzer writes, the harness signs as the
// peer would (the SA's keys, a valid ICV, the next sequence number), so that the device's ESP path
// reaches what a random ESP packet never gets past the ICV to reach. The first byte picks what the
// fuzzer controls:
//   even: the inner packet; the harness pads it correctly, as a well-behaved peer does, so the
//         inner packet's parsing and stages run;
//   odd:  the whole plaintext, padding, pad length and next header included (cut to a whole
//         number of cipher blocks), so the trailer checks meet every wrong padding, pad length
//         and next header, each signed and encrypted as if the peer had meant it.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "ipsec/esp.hpp"

using namespace vfw;

namespace {

// Encrypts and signs, in place, a packet that esp_encapsulate built, after its plaintext was
// replaced: the same IV and ESP header, a new ciphertext and ICV.
bool reseal(ipsec::Sa& peer, uint8_t* ip, uint32_t esp_at, uint32_t plaintext_length) {
  const uint32_t iv = static_cast<uint32_t>(peer.crypto.iv_bytes());
  uint8_t* esp = ip + esp_at;
  uint8_t* data = esp + 8 + iv;
  if (ipsec::info(peer.crypto.encryption()).aead) {
    return peer.crypto.gcm_seal(data, plaintext_length, esp + 8, {esp, 8}, data + plaintext_length);
  }
  if (!peer.crypto.cbc(data, plaintext_length, esp + 8)) return false;
  const std::array<std::span<const uint8_t>, 1> signed_part = {
      std::span<const uint8_t>{esp, 8 + iv + plaintext_length}};
  return peer.crypto.mac(signed_part, data + plaintext_length);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Device device(fuzz::example("ipsec-manual-fw3.cfg"));
  static const uint16_t wan = device.snapshot().interface_index("GigabitEthernet0/0/2");
  if (size < 21 || size > 4000) return 0;
  ipsec::Sa* inbound = nullptr;
  for (const auto& sa : device.runtime().sad.all()) {
    if (sa->inbound && sa->protocol == ipproto::kEsp) inbound = sa.get();
  }
  if (inbound == nullptr) std::abort();
  auto made = ipsec::peer_of(*inbound);
  if (!made) std::abort();
  const std::unique_ptr<ipsec::Sa>& peer = *made;
  const bool whole_plaintext = (data[0] & 1) != 0;
  ++data;
  --size;

  std::vector<uint8_t> packet;
  uint32_t length = 0;
  if (!whole_plaintext) {
    packet.assign(data, data + size);
    length = static_cast<uint32_t>(size);
  } else {
    // An inner packet two bytes shorter than the plaintext pads to exactly the plaintext's length
    // (no padding, pad length, next header), so the encapsulation lays out the space to overwrite.
    const uint32_t block = ipsec::info(peer->crypto.encryption()).block_bytes;
    const auto plaintext_length = static_cast<uint32_t>(size / block * block);
    if (plaintext_length < 12) return 0;
    packet.assign(plaintext_length - 2, 0);
    packet[0] = 0x45;
    length = plaintext_length - 2;
  }
  packet.resize(packet.size() + 256);
  if (ipsec::esp_encapsulate(*peer, packet.data(), length, static_cast<uint32_t>(packet.size()),
                             1) != DropReason::None)
    return 0;
  if (whole_plaintext) {
    const uint32_t esp_at = 20 + (peer->udp_encapsulation ? 8 : 0);
    const uint32_t block = ipsec::info(peer->crypto.encryption()).block_bytes;
    const auto plaintext_length = static_cast<uint32_t>(size / block * block);
    std::memcpy(packet.data() + esp_at + 8 + peer->crypto.iv_bytes(), data, plaintext_length);
    if (!reseal(*peer, packet.data(), esp_at, plaintext_length)) return 0;
  }
  Trace trace;
  device.receive(packet.data(), length, static_cast<uint32_t>(packet.size()), wan, &trace);
  fuzz::show(trace);
  return 0;
}
