#include "device/pcap_writer.hpp"

#include <pcap/pcap.h>

namespace vfw {

PcapWriter::PcapWriter(const std::string& path, bool ethernet) {
  handle_ = pcap_open_dead(ethernet ? DLT_EN10MB : DLT_RAW, 65535);
  if (handle_ == nullptr) {
    error_ = "libpcap could not start a capture";
    return;
  }
  dumper_ = pcap_dump_open(handle_, path.c_str());
  if (dumper_ == nullptr) error_ = pcap_geterr(handle_);
}

PcapWriter::~PcapWriter() {
  if (dumper_ != nullptr) pcap_dump_close(dumper_);
  if (handle_ != nullptr) pcap_close(handle_);
}

void PcapWriter::write(std::span<const uint8_t> packet, uint32_t seconds, uint32_t microseconds) {
  if (dumper_ == nullptr) return;
  pcap_pkthdr header{};
  header.ts.tv_sec = seconds;
  header.ts.tv_usec = microseconds;
  header.caplen = static_cast<bpf_u_int32>(packet.size());
  header.len = static_cast<bpf_u_int32>(packet.size());
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, packet.data());
}

}  // namespace vfw
