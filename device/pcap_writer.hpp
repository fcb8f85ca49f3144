// Writes packets as they leave the device to a pcap file (libpcap, link type RAW: IPv4 with no
// link-layer header), for Wireshark and tshark.
#pragma once

#include <cstdint>
#include <span>
#include <string>

struct pcap;
struct pcap_dumper;

namespace vfw {

class PcapWriter {
 public:
  // Link type RAW (IP packets), or Ethernet frames when ethernet. Check ok() / error().
  explicit PcapWriter(const std::string& path, bool ethernet = false);
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  ~PcapWriter();
  bool ok() const { return dumper_ != nullptr; }
  const std::string& error() const { return error_; }
  void write(std::span<const uint8_t> packet, uint32_t seconds, uint32_t microseconds = 0);

 private:
  pcap* handle_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  std::string error_;
};

}  // namespace vfw
