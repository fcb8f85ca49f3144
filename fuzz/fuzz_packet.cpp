// The IPv4 parser, then the whole pipeline, on one packet of arbitrary bytes: untraced (the data
// path) and traced (every explanation built), arriving on either interface of a device with
// NAT, policies and manual IPSec SAs. Every packet is forwarded, sent to the device, or dropped
// with a named reason; nothing crashes.
#include <cstdint>
#include <vector>

#include "fuzz_common.hpp"

using namespace vfw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Device device(fuzz::example("ipsec-manual-fw3.cfg"));
  if (size < 1) return 0;
  PacketInfo info;
  parse_ipv4({data + 1, size - 1}, info);
  const uint16_t interface = data[0] % device.snapshot().interfaces.size();
  for (const bool traced : {false, true}) {
    std::vector<uint8_t> packet(data + 1, data + size);
    packet.resize(packet.size() + 256);
    auto length = static_cast<uint32_t>(size - 1);
    Trace trace;
    std::vector<EmittedPacket> emitted;
    const Action a = device.receive(packet.data(), length, static_cast<uint32_t>(packet.size()),
                                    interface, traced ? &trace : nullptr, &emitted);
    if (a == Action::Drop && traced && trace.result.drop == DropReason::None) std::abort();
    if (traced) (void)format_trace_json(trace);
  }
  return 0;
}
