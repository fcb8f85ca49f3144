// Reads the IPv4 packets of a capture file, as tshark, tcpdump or Wireshark write them: pcap and
// pcapng through libpcap; Ethernet (VLAN tags skipped), Linux cooked (SLL, SLL2), raw IP and BSD
// loopback link types. A frame that holds no IPv4 packet (ARP, IPv6, cut by the snapshot length)
// comes back with why, so that a replay says so and goes on.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"

struct pcap;

namespace vfw {

class PcapReader {
 public:
  // libpcap's reason when the file is not a capture it reads; a link type it has no IPv4 in.
  static Expected<std::unique_ptr<PcapReader>> open(const std::string& path);
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;
  ~PcapReader();

  struct Packet {
    uint64_t number = 0;  // from 1, as Wireshark numbers frames
    uint32_t seconds = 0;
    uint32_t microseconds = 0;
    std::vector<uint8_t> ip;  // the IPv4 packet, when there is one
    std::string skipped;      // else why not
  };
  // The next frame; nullopt at the end of the file (or when libpcap cannot read on: error()).
  std::optional<Packet> next();
  const std::string& error() const { return error_; }

 private:
  PcapReader() = default;
  pcap* handle_ = nullptr;
  int link_type_ = 0;
  uint64_t number_ = 0;
  std::string error_;
};

}  // namespace vfw
