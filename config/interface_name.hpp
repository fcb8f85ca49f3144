// Interface names as the device spells them, from however an engineer abbreviates them: the
// configuration model's vocabulary, below both the CLI that reads them and the device, the lab
// and `vfw run --bind` that name interfaces.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vfw::config {

// The canonical interface name for a typed one ("g1/0/1" -> "GigabitEthernet1/0/1"), or nothing
// when the type is unknown or ambiguous, or the number outside the device's ranges.
std::optional<std::string> normalize_interface(std::string_view type, std::string_view number);
std::optional<std::string> normalize_interface(std::string_view name);

}  // namespace vfw::config
