// The predefined services of the USG (`service http`, `service icmp` ...), as protocol and ports.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "config/model.hpp"

namespace vfw::config {

// nullopt when the name is not a predefined service.
std::optional<std::vector<ServiceItem>> predefined_service(std::string_view name);

// The protocol keywords the configuration accepts (tcp, udp, icmp, gre, esp, ah, ...).
std::optional<uint8_t> protocol_number(std::string_view name);
std::string protocol_name(uint8_t number);  // "tcp", or the number for unnamed ones

// The port names VRP accepts in place of a TCP or UDP port number (`destination-port eq www`,
// `nat server ... global 1.1.1.10 www inside 10.3.1.20 www`), per protocol as the device lists
// them; protocol 0 accepts a name of either.
std::optional<uint16_t> port_number(uint8_t protocol, std::string_view text);
// A port as the device prints it: its name where it has one for this protocol, else the number.
std::string port_text(uint8_t protocol, uint16_t port);

}  // namespace vfw::config
