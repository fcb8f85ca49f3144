// Ethernet frames of arbitrary bytes into a device's Ethernet front end
// (device/ethernet_front_end.hpp), as `vfw run --bind` reads them off a wire: ARP, IPv4, anything;
// in a batch of up to four, on either interface; and the same bytes cut as a TCP super-frame with
// an arbitrary segment size. Nothing crashes, nothing reads or writes outside its frame, whatever
// the device sends is a whole frame.
#include <cstdint>
#include <vector>

#include "device/ethernet_front_end.hpp"
#include "fuzz_common.hpp"
#include "netio/segmentation.hpp"

using namespace vfw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Device device(fuzz::example("fw1.cfg"));
  static EthernetFrontEnd frames(device, [](uint16_t, std::span<const uint8_t> frame, uint64_t) {
    if (frame.size() < 60) std::abort();  // every frame sent is a whole Ethernet frame
  });
  static const bool attached = [] {
    for (uint16_t i = 0; i < device.snapshot().interfaces.size(); ++i)
      frames.attach(i, {0x00, 0xe0, 0xfc, 0, 1, static_cast<uint8_t>(i)});
    return true;
  }();
  (void)attached;
  if (size < 3) return 0;
  const auto interface = static_cast<uint16_t>(data[0] % device.snapshot().interfaces.size());
  const size_t count = 1 + data[1] % 4;
  const uint16_t segment_size = static_cast<uint16_t>(data[2] * 7);
  std::span<const uint8_t> rest(data + 3, size - 3);
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<EthernetFrontEnd::Frame> batch;
  const size_t each = rest.size() / count;
  for (size_t i = 0; i < count; ++i) {
    const auto part = rest.subspan(i * each, i + 1 == count ? rest.size() - i * each : each);
    buffers.emplace_back(part.begin(), part.end());
    buffers.back().resize(part.size() + 256);
  }
  for (size_t i = 0; i < count; ++i) {
    const auto length = static_cast<uint32_t>(buffers[i].size() - 256);
    batch.push_back({buffers[i].data(), length, static_cast<uint32_t>(buffers[i].size())});
  }
  frames.receive(interface, batch);
  frames.run();
  segment_tcp_frame(rest, segment_size, [](std::span<const uint8_t> s) {
    if (s.size() < 54) std::abort();  // headers at least
  });
  return 0;
}
