// ESP decapsulation past the integrity check: the fuzzed bytes are the inner packet, which the
// harness encapsulates as the peer would (the SA's keys, a valid ICV and sequence), so that the
// device's ESP path reaches decryption, the padding, the post-IPSec check and the inner packet's
// own parsing and stages, which a random ESP packet never gets past the ICV to reach. The first
// byte chooses whether the SA's AH-over-ESP form is used when there is one.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "ipsec/esp.hpp"

using namespace vfw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Device device(fuzz::example("ipsec-manual-fw3.cfg"));
  static const uint16_t wan = device.snapshot().interface_index("GigabitEthernet0/0/2");
  if (size < 20 || size > 4000) return 0;
  ipsec::Sa* inbound = nullptr;
  for (const auto& sa : device.runtime().sad.all()) {
    if (sa->inbound && sa->protocol == ipproto::kEsp) inbound = sa.get();
  }
  if (inbound == nullptr) std::abort();
  std::string error;
  auto peer = ipsec::peer_of(*inbound, error);
  if (peer == nullptr) std::abort();
  std::vector<uint8_t> packet(data, data + size);
  packet.resize(packet.size() + 256);
  auto length = static_cast<uint32_t>(size);
  if (ipsec::esp_encapsulate(*peer, packet.data(), length, static_cast<uint32_t>(packet.size()),
                             1) != DropReason::None)
    return 0;
  Trace trace;
  device.receive(packet.data(), length, static_cast<uint32_t>(packet.size()), wan, &trace);
  return 0;
}
