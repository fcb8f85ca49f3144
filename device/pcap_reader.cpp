#include "device/pcap_reader.hpp"

#include <pcap/pcap.h>

#include <cstdio>

namespace vfw {
namespace {

uint16_t be16(const u_char* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

std::string ethertype_text(uint16_t type) {
  if (type == 0x0806) return "ARP";
  if (type == 0x86dd) return "IPv6 (not emulated yet)";
  char text[32];
  std::snprintf(text, sizeof text, "ethertype 0x%04x", type);
  return text;
}

}  // namespace

Expected<std::unique_ptr<PcapReader>> PcapReader::open(const std::string& path) {
  std::unique_ptr<PcapReader> r(new PcapReader());
  char error[PCAP_ERRBUF_SIZE] = {};
  r->handle_ = pcap_open_offline(path.c_str(), error);
  if (r->handle_ == nullptr) return fail(std::string(error));
  r->link_type_ = pcap_datalink(r->handle_);
  switch (r->link_type_) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_NULL:
    case DLT_LOOP:
      return r;
    default: {
      const char* name = pcap_datalink_val_to_name(r->link_type_);
      return fail("link type " + std::string(name != nullptr ? name : "unknown") + " (" +
                  std::to_string(r->link_type_) +
                  ") is not read: Ethernet, Linux cooked and raw IP captures are");
    }
  }
}

PcapReader::~PcapReader() {
  if (handle_ != nullptr) pcap_close(handle_);
}

std::optional<PcapReader::Packet> PcapReader::next() {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int got = pcap_next_ex(handle_, &header, &data);
  if (got == PCAP_ERROR) error_ = pcap_geterr(handle_);
  if (got != 1) return std::nullopt;
  Packet p;
  p.number = ++number_;
  p.seconds = static_cast<uint32_t>(header->ts.tv_sec);
  p.microseconds = static_cast<uint32_t>(header->ts.tv_usec);
  if (header->caplen < header->len) {
    p.skipped = "cut to " + std::to_string(header->caplen) + " of its " +
                std::to_string(header->len) + " bytes by the capture's snapshot length";
    return p;
  }
  size_t at = 0;
  uint16_t type = 0x0800;
  const size_t size = header->caplen;
  switch (link_type_) {
    case DLT_EN10MB:
      at = 12;
      if (size < at + 2) break;
      type = be16(data + at);
      at += 2;
      while ((type == 0x8100 || type == 0x88a8) && size >= at + 4) {  // 802.1Q, 802.1ad tags
        type = be16(data + at + 2);
        at += 4;
      }
      break;
    case DLT_LINUX_SLL:
      if (size >= 16) type = be16(data + 14);
      at = 16;
      break;
    case DLT_LINUX_SLL2:
      if (size >= 20) type = be16(data);
      at = 20;
      break;
    case DLT_NULL:
    case DLT_LOOP: {
      at = 4;
      if (size < 4) break;
      // The address family: host order for NULL, network order for LOOP; AF_INET is 2.
      const bool v4 = data[0] == 2 || data[3] == 2;
      type = v4 ? 0x0800 : 0;
      break;
    }
    default:  // raw IP
      if (size >= 1 && (data[0] >> 4) == 6) type = 0x86dd;
      break;
  }
  if (size < at) {
    p.skipped = "shorter than its link-layer header";
  } else if (type != 0x0800) {
    p.skipped = ethertype_text(type);
  } else {
    p.ip.assign(data + at, data + size);
  }
  return p;
}

}  // namespace vfw
