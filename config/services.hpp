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

}  // namespace vfw::config
