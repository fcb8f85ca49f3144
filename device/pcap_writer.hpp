// Writes packets as they leave the device to a pcap file (libpcap, link type RAW: IPv4 with no
// link-layer header), for Wireshark and tshark.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/expected.hpp"

struct pcap;
struct pcap_dumper;

namespace vfw {

class PcapWriter {
 public:
  // Link type RAW (IP packets), or Ethernet frames when ethernet; libpcap's reason when the file
  // cannot be made.
  static Expected<std::unique_ptr<PcapWriter>> open(const std::string& path, bool ethernet = false);
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  ~PcapWriter();
  void write(std::span<const uint8_t> packet, uint32_t seconds, uint32_t microseconds = 0);

 private:
  PcapWriter() = default;
  pcap* handle_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
};

}  // namespace vfw
