// The management protocols `service-manage` governs on an interface, in one list.
//
// The X-macro generates the enum, the keyword the CLI takes and the configuration prints (in the
// device's order), and how a packet to the device is recognised as that protocol (the security
// policy stage) or matched in an nftables export. Adding a protocol here adds it to the command,
// the configuration, the pipeline and the export.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace vfw::config {

// X(enum, keyword, IP protocol, destination port; for ICMP the message type)
#define VFW_MANAGE_SERVICES(X) \
  X(Http, "http", 6, 80)       \
  X(Https, "https", 6, 443)    \
  X(Ping, "ping", 1, 8)        \
  X(Ssh, "ssh", 6, 22)         \
  X(Snmp, "snmp", 17, 161)     \
  X(Telnet, "telnet", 6, 23)   \
  X(Netconf, "netconf", 6, 830)

enum class ManageService : uint8_t {
#define VFW_ENUM(e, keyword, protocol, port) e,
  VFW_MANAGE_SERVICES(VFW_ENUM)
#undef VFW_ENUM
};

struct ManageServiceColumns {
  ManageService service;
  std::string_view keyword;
  uint8_t protocol;
  uint16_t port;  // ICMP: the message type (8, echo request)
};

inline constexpr std::array kManageServices = {
#define VFW_ROW(e, keyword, protocol, port) \
  ManageServiceColumns{ManageService::e, keyword, protocol, port},
    VFW_MANAGE_SERVICES(VFW_ROW)
#undef VFW_ROW
};

constexpr std::string_view keyword_of(ManageService s) {
  return kManageServices[static_cast<size_t>(s)].keyword;
}

// A set of services, one bit each by the enum's value.
class ManageSet {
 public:
  constexpr ManageSet() = default;
  constexpr ManageSet(std::initializer_list<ManageService> services) {
    for (ManageService s : services) add(s);
  }
  constexpr bool has(ManageService s) const { return (bits_ & bit(s)) != 0; }
  constexpr void add(ManageService s) { bits_ = static_cast<uint8_t>(bits_ | bit(s)); }
  constexpr void remove(ManageService s) { bits_ = static_cast<uint8_t>(bits_ & ~bit(s)); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool operator==(const ManageSet&) const = default;

 private:
  static constexpr uint8_t bit(ManageService s) {
    return static_cast<uint8_t>(1U << static_cast<unsigned>(s));
  }
  uint8_t bits_ = 0;
};

// The service a packet to the device is: protocol, destination port (ICMP: type << 8 | code, as
// the session key holds it). None for any other traffic.
constexpr std::optional<ManageService> manage_service_of(uint8_t protocol, uint16_t port) {
  for (const auto& s : kManageServices) {
    if (s.protocol != protocol) continue;
    if (protocol == 1 ? port == uint16_t(s.port << 8) : port == s.port) return s.service;
  }
  return std::nullopt;
}

}  // namespace vfw::config
