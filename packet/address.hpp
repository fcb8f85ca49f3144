// Strong types for IPv4 addresses, prefixes and ranges.
//
// Addresses are kept in host byte order inside the program; the wire helpers in packet.hpp convert.
// Parsing is strict (four decimal octets, no leading '+', no empty parts) because a configuration
// line with a bad address must be rejected with the device's "Wrong parameter" caret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vfw {

struct Ipv4 {
  uint32_t v = 0;
  friend constexpr bool operator==(Ipv4, Ipv4) = default;
  friend constexpr auto operator<=>(Ipv4, Ipv4) = default;
};

std::optional<Ipv4> parse_ipv4(std::string_view text);
std::string to_string(Ipv4 a);

constexpr uint32_t mask_of_length(unsigned len) {
  return len == 0 ? 0U : (len >= 32 ? 0xffffffffU : ~((1U << (32 - len)) - 1U));
}

// A dotted mask such as 255.255.255.0 -> 24; nullopt for a non-contiguous mask.
std::optional<unsigned> length_of_mask(Ipv4 mask);

// "24" or "255.255.255.0" -> 24, as the device accepts both after an address.
std::optional<unsigned> parse_mask_or_length(std::string_view text);

struct Prefix {
  Ipv4 addr;  // always the network address (host bits cleared)
  uint8_t len = 0;

  static Prefix make(Ipv4 a, unsigned len) {
    return Prefix{Ipv4{a.v & mask_of_length(len)}, static_cast<uint8_t>(len)};
  }
  Ipv4 mask() const { return Ipv4{mask_of_length(len)}; }
  bool contains(Ipv4 a) const { return (a.v & mask_of_length(len)) == addr.v; }
  uint32_t first() const { return addr.v; }
  uint32_t last() const { return addr.v | ~mask_of_length(len); }
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

// An inclusive range of addresses: the common form every address match compiles to.
struct Ipv4Range {
  uint32_t lo = 0;
  uint32_t hi = 0xffffffffU;
  bool contains(Ipv4 a) const { return a.v >= lo && a.v <= hi; }
  friend bool operator==(const Ipv4Range&, const Ipv4Range&) = default;
};

// ACL wildcard (inverse mask), e.g. 0.0.0.255. Any wildcard is legal on the device; only
// contiguous ones are ranges, the rest are matched bitwise.
struct Wildcard {
  Ipv4 addr;
  Ipv4 wild;
  bool matches(Ipv4 a) const { return (a.v & ~wild.v) == (addr.v & ~wild.v); }
};

std::optional<uint32_t> parse_uint(std::string_view text, uint32_t max);

}  // namespace vfw
