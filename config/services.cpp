#include "config/services.hpp"

#include <array>
#include <span>
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
    Predefined{"http", 6, 80},      Predefined{"https", 6, 443},   Predefined{"ftp", 6, 21},
    Predefined{"ssh", 6, 22},       Predefined{"telnet", 6, 23},   Predefined{"smtp", 6, 25},
    Predefined{"pop3", 6, 110},     Predefined{"imap", 6, 143},    Predefined{"snmp", 17, 161},
    Predefined{"ntp", 17, 123},     Predefined{"tftp", 17, 69},    Predefined{"syslog", 17, 514},
    Predefined{"rdp", 6, 3389},     Predefined{"bgp", 6, 179},     Predefined{"icmp", 1, 0},
    Predefined{"gre", 47, 0},       Predefined{"esp", 50, 0},      Predefined{"ah", 51, 0},
    Predefined{"ospf", 89, 0},      Predefined{"l2tp", 17, 1701},  Predefined{"pptp", 6, 1723},
    Predefined{"rtsp", 6, 554},     Predefined{"sip", 17, 5060},   Predefined{"ldap", 6, 389},
    Predefined{"radius", 17, 1812}, Predefined{"sqlnet", 6, 1521}, Predefined{"mysql", 6, 3306},
};

struct PortName {
  std::string_view name;
  uint16_t port;
};

// The names of the device's command reference for TCP and for UDP ports (IANA numbers).
constexpr std::array kTcpPorts = {
    PortName{"bgp", 179},      PortName{"chargen", 19},  PortName{"cmd", 514},
    PortName{"daytime", 13},   PortName{"discard", 9},   PortName{"domain", 53},
    PortName{"echo", 7},       PortName{"exec", 512},    PortName{"finger", 79},
    PortName{"ftp", 21},       PortName{"ftp-data", 20}, PortName{"gopher", 70},
    PortName{"hostname", 101}, PortName{"irc", 194},     PortName{"klogin", 543},
    PortName{"kshell", 544},   PortName{"login", 513},   PortName{"lpd", 515},
    PortName{"nntp", 119},     PortName{"pop2", 109},    PortName{"pop3", 110},
    PortName{"smtp", 25},      PortName{"sunrpc", 111},  PortName{"tacacs", 49},
    PortName{"talk", 517},     PortName{"telnet", 23},   PortName{"time", 37},
    PortName{"uucp", 540},     PortName{"whois", 43},    PortName{"www", 80},
};
constexpr std::array kUdpPorts = {
    PortName{"biff", 512},        PortName{"bootpc", 68},       PortName{"bootps", 67},
    PortName{"discard", 9},       PortName{"dns", 53},          PortName{"dnsix", 195},
    PortName{"echo", 7},          PortName{"mobilip-ag", 434},  PortName{"mobilip-mn", 435},
    PortName{"nameserver", 42},   PortName{"netbios-dgm", 138}, PortName{"netbios-ns", 137},
    PortName{"netbios-ssn", 139}, PortName{"ntp", 123},         PortName{"rip", 520},
    PortName{"snmp", 161},        PortName{"snmptrap", 162},    PortName{"sunrpc", 111},
    PortName{"syslog", 514},      PortName{"tacacs-ds", 65},    PortName{"talk", 517},
    PortName{"tftp", 69},         PortName{"time", 37},         PortName{"who", 513},
    PortName{"xdmcp", 177},
};

// The names of one protocol's ports; empty for a protocol without ports.
std::span<const PortName> port_names(uint8_t protocol) {
  if (protocol == 6) return kTcpPorts;
  if (protocol == 17) return kUdpPorts;
  return {};
}

std::optional<uint16_t> find_port(uint8_t protocol, std::string_view name) {
  for (const auto& p : port_names(protocol)) {
    if (p.name == name) return p.port;
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint16_t> port_number(uint8_t protocol, std::string_view text) {
  if (auto number = parse_uint(text, 65535)) return static_cast<uint16_t>(*number);
  if (protocol == 0) {
    if (auto p = find_port(6, text)) return p;
    return find_port(17, text);
  }
  return find_port(protocol, text);
}

std::string port_text(uint8_t protocol, uint16_t port) {
  for (const auto& p : port_names(protocol)) {
    if (p.port == port) return std::string(p.name);
  }
  return std::to_string(port);
}

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
