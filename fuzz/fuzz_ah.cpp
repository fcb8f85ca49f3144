// AH decapsulation past the integrity check: the fuzzed bytes are the packet the peer protects,
// and the harness signs it with the SA's key as the peer would (a valid ICV, the next sequence
// number), so that the device's AH path reaches what follows the ICV check, which a random AH
// packet never does. The first byte picks the SA's mode:
//   even: tunnel mode; the fuzzed bytes are the inner packet, parsed and forwarded after AH;
//   odd:  transport mode; the fuzzed bytes are the packet itself, addressed by the harness from
//         the peer to the device, so its protocol byte becomes AH's next header and the
//         restored packet is whatever the fuzzer wrote after its header.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "ipsec/ah.hpp"
#include "packet/packet.hpp"

using namespace vfw;

namespace {

// The manual-SA example with AH in place of ESP, in the given mode; in transport mode the ACL
// protects the gateways' own traffic, as transport mode is used.
config::Config ah_device(const char* mode) {
  std::string text = fuzz::example_text("ipsec-manual-fw3.cfg");
  if (std::string(mode) == "transport") {
    fuzz::replace(text, "rule 5 permit ip source 10.2.1.0 0.0.0.255 destination 10.1.1.0 0.0.0.255",
                  "rule 5 permit ip source 2.1.1.1 0 destination 1.1.1.1 0");
  }
  fuzz::replace(text, " encapsulation-mode tunnel", std::string(" encapsulation-mode ") + mode);
  fuzz::replace(text, " esp authentication-algorithm sha2-256\n esp encryption-algorithm aes-256",
                " transform ah\n ah authentication-algorithm sha2-256");
  for (const char* direction : {"inbound", "outbound"}) {
    const std::string d(direction);
    fuzz::replace(text, "sa spi " + d + " esp", "sa spi " + d + " ah");
    fuzz::remove_line(text, "sa encryption-hex " + d + " esp");
    fuzz::replace(text, "sa authentication-hex " + d + " esp",
                  "sa authentication-hex " + d + " ah");
  }
  return fuzz::load(text, "fuzz_ah");
}

struct AhDevice {
  Device device;
  uint16_t wan;
  ipsec::Sa* inbound = nullptr;

  explicit AhDevice(const char* mode)
      : device(ah_device(mode)), wan(device.snapshot().interface_index("GigabitEthernet0/0/2")) {
    for (const auto& sa : device.runtime().sad.all()) {
      if (sa->inbound && sa->protocol == ipproto::kAh) inbound = sa.get();
    }
    if (inbound == nullptr) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static AhDevice tunnel("tunnel");
  static AhDevice transport("transport");
  if (size < 21 || size > 4000) return 0;
  const bool transport_mode = (data[0] & 1) != 0;
  AhDevice& d = transport_mode ? transport : tunnel;
  auto made = ipsec::peer_of(*d.inbound);
  if (!made) std::abort();
  const std::unique_ptr<ipsec::Sa>& peer = *made;

  std::vector<uint8_t> packet(data + 1, data + size);
  auto length = static_cast<uint32_t>(size - 1);
  if (transport_mode) {
    // The header the peer sends from: its own and the device's address, a sane header length.
    packet[0] = static_cast<uint8_t>(0x40 | std::max(5, packet[0] & 0x0f));
    if ((packet[0] & 0x0f) * 4U > length) packet[0] = 0x45;
    store16(packet.data() + 2, static_cast<uint16_t>(length));
    store32(packet.data() + 12, peer->local.v);
    store32(packet.data() + 16, peer->remote.v);
  }
  packet.resize(packet.size() + 256);
  if (ipsec::ah_encapsulate(*peer, packet.data(), length, static_cast<uint32_t>(packet.size()),
                            1) != DropReason::None)
    return 0;
  Trace trace;
  d.device.receive(packet.data(), length, static_cast<uint32_t>(packet.size()), d.wan, &trace);
  fuzz::show(trace);
  return 0;
}
