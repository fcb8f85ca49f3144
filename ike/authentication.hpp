// How each side of an IKE SA proves who it is, in both versions: the module certificate
// authentication (RFC 7296 2.15 signatures, RFC 2409 5.1) will extend, so that neither engine's
// exchange code computes or compares a proof itself. Today: pre-shared keys.
#pragma once

#include <cstdint>
#include <span>

#include "ike/ike_algorithms.hpp"
#include "ike/message.hpp"

namespace vfw::ike {

// IKEv2 (RFC 7296 2.15): prf (prf (Shared Secret, "Key Pad for IKEv2"), <RealMessage> | <Nonce
// of the other side> | prf (SK_p, <ID payload body>)), sent as AUTH with Shared Key MIC.
Bytes psk_auth(const PrfAlgorithm& alg, std::span<const uint8_t> psk,
               std::span<const uint8_t> real_message, std::span<const uint8_t> peer_nonce,
               std::span<const uint8_t> sk_p, std::span<const uint8_t> id_body);

// Whether the peer's AUTH is the one computed for it: the Shared Key MIC method and the same
// bytes, compared in constant time.
bool psk_auth_matches(const Authentication& received, std::span<const uint8_t> expected);

// IKEv1 (RFC 2409 5): HASH_I = prf (SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b), and
// HASH_R the same with the two public values and the two cookies swapped: "own" is the side whose
// proof it is.
Bytes phase1_hash(const PrfAlgorithm& alg, std::span<const uint8_t> skeyid,
                  std::span<const uint8_t> own_public, std::span<const uint8_t> peer_public,
                  uint64_t own_cookie, uint64_t peer_cookie, std::span<const uint8_t> sa_i_body,
                  std::span<const uint8_t> id_body);

// A proof received against the one computed, in constant time.
bool proof_matches(std::span<const uint8_t> received, std::span<const uint8_t> expected);

}  // namespace vfw::ike
