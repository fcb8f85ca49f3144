#include "config/services.hpp"

#include <array>
#include <string>

namespace vfw::config {
namespace {

struct Predefined {
  std::string_view name;
  uint8_t protocol;
  uint16_t port;  // destination port; 0 with protocol != tcp/udp: the whole protocol
};

// Well-known ports (IANA) of the services the USG predefines under the same names.
constexpr std::array kPredefined = {
    Predefined{"http", 6, 80},  Predefined{"https", 6, 443}, Predefined{"ftp", 6, 21},
    Predefined{"ssh", 6, 22},   Predefined{"telnet", 6, 23}, Predefined{"smtp", 6, 25},
    Predefined{"pop3", 6, 110}, Predefined{"imap", 6, 143},  Predefined{"snmp", 17, 161},
    Predefined{"ntp", 17, 123}, Predefined{"tftp", 17, 69},  Predefined{"syslog", 17, 514},
    Predefined{"rdp", 6, 3389}, Predefined{"bgp", 6, 179},   Predefined{"icmp", 1, 0},
    Predefined{"gre", 47, 0},   Predefined{"esp", 50, 0},    Predefined{"ah", 51, 0},
    Predefined{"ospf", 89, 0},
};

}  // namespace

std::optional<std::vector<ServiceItem>> predefined_service(std::string_view name) {
  if (name == "any") return std::vector<ServiceItem>{ServiceItem{}};
  if (name == "dns") {
    return std::vector<ServiceItem>{ServiceItem{6, 0, 65535, 53, 53},
                                    ServiceItem{17, 0, 65535, 53, 53}};
  }
  for (const auto& p : kPredefined) {
    if (p.name != name) continue;
    ServiceItem item{p.protocol, 0, 65535, 0, 65535};
    if (p.port != 0) item.dst_lo = item.dst_hi = p.port;
    return std::vector<ServiceItem>{item};
  }
  return std::nullopt;
}

std::optional<uint8_t> protocol_number(std::string_view name) {
  if (name == "ip") return 0;
  if (name == "icmp") return 1;
  if (name == "tcp") return 6;
  if (name == "udp") return 17;
  if (name == "gre") return 47;
  if (name == "esp") return 50;
  if (name == "ah") return 51;
  if (name == "ospf") return 89;
  return std::nullopt;
}

std::string protocol_name(uint8_t number) {
  switch (number) {
    case 0:
      return "ip";
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 47:
      return "gre";
    case 50:
      return "esp";
    case 51:
      return "ah";
    case 89:
      return "ospf";
    default:
      return std::to_string(number);
  }
}

}  // namespace vfw::config
