#include "config/interface_name.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "config/words.hpp"
#include "packet/address.hpp"

namespace vfw::config {
namespace {

struct InterfaceType {
  std::string_view name;
  bool slotted;       // numbered slot/card/port (1/0/1) rather than a plain number
  bool subinterface;  // may carry a ".N" subinterface number (GigabitEthernet1/0/0.10)
};
constexpr std::array kInterfaceTypes = {
    InterfaceType{"GigabitEthernet", true, true}, InterfaceType{"LoopBack", false, false},
    InterfaceType{"NULL", false, false},          InterfaceType{"Tunnel", false, false},
    InterfaceType{"Vlanif", false, false},        InterfaceType{"Eth-Trunk", false, true},
    InterfaceType{"Virtual-if", false, false},    InterfaceType{"Virtual-Template", false, false},
};

// Each number of an interface name within the device's ranges: slot, card and port of at most
// four digits, a plain number up to 65535, a subinterface from 1 to 4094.
bool valid_number(std::string_view number, const InterfaceType& type) {
  if (const size_t dot = number.find('.'); dot != std::string_view::npos) {
    if (!type.subinterface) return false;
    const auto sub = parse_uint(number.substr(dot + 1), 4094);
    if (!sub || *sub == 0 || number.size() - dot - 1 > 4) return false;
    number = number.substr(0, dot);
  }
  if (number.empty()) return false;
  int parts = 0;
  size_t start = 0;
  while (true) {
    const size_t slash = number.find('/', start);
    const std::string_view part = number.substr(start, slash - start);
    if (part.empty() || part.size() > (type.slotted ? 4 : 5)) return false;
    if (!std::all_of(part.begin(), part.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
      return false;
    if (!type.slotted && !parse_uint(part, 65535)) return false;
    ++parts;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return type.slotted ? (parts == 3 || parts == 2) : parts == 1;
}

// Splits "g1/0/1" into type "g" and number "1/0/1".
std::pair<std::string_view, std::string_view> split_interface(std::string_view name) {
  size_t i = 0;
  while (i < name.size() && !std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
  return {name.substr(0, i), name.substr(i)};
}

}  // namespace

std::optional<std::string> normalize_interface(std::string_view type, std::string_view number) {
  if (type.empty()) return std::nullopt;
  const InterfaceType* found = nullptr;
  for (const auto& t : kInterfaceTypes) {
    if (iprefix(type, t.name)) {
      if (found != nullptr && !iequals(type, t.name)) return std::nullopt;  // ambiguous prefix
      found = &t;
      if (iequals(type, t.name)) break;
    }
  }
  if (found == nullptr || !valid_number(number, *found)) return std::nullopt;
  return std::string(found->name) + std::string(number);
}

std::optional<std::string> normalize_interface(std::string_view name) {
  auto [type, number] = split_interface(name);
  return normalize_interface(type, number);
}

}  // namespace vfw::config
