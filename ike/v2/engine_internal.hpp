// What the IKEv2 engine's files share and no one else needs: the SPI and nonce makers, the
// NAT-detection hash, the digests. Declared here, defined in ike/v2/engine.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "ike/engine_config.hpp"
#include "ike/engine_io.hpp"
#include "ike/random_source.hpp"

namespace vfw::ike::engine_detail {

inline constexpr size_t kNonceBytes = 32;
// A responder's half-open IKE SA that sees no IKE_AUTH within this long is forgotten.
inline constexpr uint64_t kHalfOpenLifetimeMs = 30'000;

uint64_t random_spi64(RandomSource& random);
// CHILD SA SPIs: never below 256 (RFC 4303 2.1 reserves 1-255).
uint32_t random_spi32(RandomSource& random);
// RFC 7296 2.23: SHA-1 of the SPIs as in the header, the address and the port.
Bytes nat_hash(uint64_t spi_i, uint64_t spi_r, const Endpoint& e);
Bytes sha256(std::span<const uint8_t> message);
Bytes psk_bytes(const PeerConfig& peer);
Bytes spi_bytes32(uint32_t spi);
Bytes spi_bytes64(uint64_t spi);
uint64_t load_spi64(const Bytes& b);

}  // namespace vfw::ike::engine_detail
