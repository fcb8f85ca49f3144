// What the IKEv1 engine's files share and no one else needs: cookies, SPIs and message IDs,
// the IPsec DOI's transform numbers for an ipsec proposal, lifetimes, identities. Declared here,
// defined in ike/v1/engine.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ike/v1/engine.hpp"

namespace vfw::ike::v1::engine_detail {

// The lifetimes a run of attributes states: each Life Type followed by its Life Duration
// (phase 1's and the IPsec DOI's attributes have their own numbers for the two).
struct Lifetimes {
  std::optional<uint32_t> seconds;
  std::optional<uint32_t> kilobytes;
};

uint64_t random64(RandomSource& random);
// An IPsec SPI: 0-255 are reserved (RFC 4303 2.1).
uint32_t random_spi(RandomSource& random);
uint32_t random_message_id(RandomSource& random);
Bytes be32(uint32_t v);
Bytes cookies(uint64_t cky_i, uint64_t cky_r);
void append(Bytes& out, std::span<const uint8_t> b);
bool equal_bytes(std::span<const uint8_t> a, std::span<const uint8_t> b);
Lifetimes lifetimes_of(const std::vector<Attribute>& attributes, uint16_t type_attribute,
                       uint16_t duration_attribute);
// The shorter of this side's lifetime and the peer's (0: this side sets none).
uint32_t shorter(uint32_t own, std::optional<uint32_t> peer);
// Whether the peer's ESP or AH transform is this side's own (the draft's UDP encapsulation
// values read as RFC 3947's); lifetimes are not compared: the shorter wins.
bool same_transform(const Transform& t, const Transform& own);
// The integrity algorithm the SA runs: the configured one, but SHA-256 cut to 96 bits under
// `ipsec sha2 compatible enable` (the attribute on the wire is the same).
ipsec::Authentication wire_to_sa(const ChildConfig& c);
// What a quick mode for this policy entry installs, before the lifetimes are agreed.
ChildChoice choice_for(const ChildConfig& c, bool udp);
std::string hex_id(const Id& id);
bool within(const TrafficSelector& inner, const TrafficSelector& outer);
Identification identification(const Id& id);
std::string transform_text(const Transform& t);

}  // namespace vfw::ike::v1::engine_detail
