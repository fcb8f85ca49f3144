#include "packet/address.hpp"

#include <bit>

namespace vfw {

std::optional<uint32_t> parse_uint(std::string_view text, uint32_t max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > max) return std::nullopt;
  return static_cast<uint32_t>(value);
}

std::optional<Ipv4> parse_ipv4(std::string_view text) {
  uint32_t result = 0;
  for (int part = 0; part < 4; ++part) {
    size_t dot = text.find('.');
    std::string_view octet = part < 3 ? text.substr(0, dot) : text;
    if (part < 3 && dot == std::string_view::npos) return std::nullopt;
    if (octet.size() > 3) return std::nullopt;
    auto value = parse_uint(octet, 255);
    if (!value) return std::nullopt;
    result = (result << 8) | *value;
    if (part < 3) text.remove_prefix(dot + 1);
  }
  return Ipv4{result};
}

std::string to_string(Ipv4 a) {
  std::string out;
  out.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((a.v >> shift) & 0xffU);
    if (shift != 0) out += '.';
  }
  return out;
}

std::optional<unsigned> length_of_mask(Ipv4 mask) {
  const unsigned ones = static_cast<unsigned>(std::popcount(mask.v));
  if (mask_of_length(ones) != mask.v) return std::nullopt;
  return ones;
}

std::optional<unsigned> parse_mask_or_length(std::string_view text) {
  if (text.find('.') == std::string_view::npos) {
    auto len = parse_uint(text, 32);
    if (!len) return std::nullopt;
    return *len;
  }
  auto mask = parse_ipv4(text);
  if (!mask) return std::nullopt;
  return length_of_mask(*mask);
}

}  // namespace vfw
