#include "device/pcap_writer.hpp"

#include <pcap/pcap.h>

namespace vfw {

Expected<std::unique_ptr<PcapWriter>> PcapWriter::open(const std::string& path, bool ethernet) {
  std::unique_ptr<PcapWriter> w(new PcapWriter());
  w->handle_ = pcap_open_dead(ethernet ? DLT_EN10MB : DLT_RAW, 65535);
  if (w->handle_ == nullptr) return fail("libpcap could not start a capture");
  w->dumper_ = pcap_dump_open(w->handle_, path.c_str());
  if (w->dumper_ == nullptr) return fail(pcap_geterr(w->handle_));
  return w;
}

PcapWriter::~PcapWriter() {
  if (dumper_ != nullptr) pcap_dump_close(dumper_);
  if (handle_ != nullptr) pcap_close(handle_);
}

void PcapWriter::write(std::span<const uint8_t> packet, uint32_t seconds, uint32_t microseconds) {
  pcap_pkthdr header{};
  header.ts.tv_sec = seconds;
  header.ts.tv_usec = microseconds;
  header.caplen = static_cast<bpf_u_int32>(packet.size());
  header.len = static_cast<bpf_u_int32>(packet.size());
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, packet.data());
}

}  // namespace vfw
