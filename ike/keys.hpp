// IKEv2's key derivation (RFC 7296 2.13, 2.14, 2.17, 2.18): the negotiated PRF, prf+, the IKE SA's
// seven keys from SKEYSEED, and the keying material of CHILD SAs.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ike/ike_algorithms.hpp"

namespace vfw::ike {

using Bytes = std::vector<uint8_t>;

Bytes prf(const PrfAlgorithm& alg, std::span<const uint8_t> key, std::span<const uint8_t> data);
// prf+ (K, S) = T1 | T2 | ..., T1 = prf (K, S | 0x01), Tn = prf (K, Tn-1 | S | n); length bytes.
Bytes prf_plus(const PrfAlgorithm& alg, std::span<const uint8_t> key, std::span<const uint8_t> seed,
               size_t length);

struct IkeSaKeys {
  Bytes d, ai, ar, ei, er, pi, pr;
};

// What the IKE SA's keys need to be derived: its algorithms.
struct IkeSuite {
  const EncryptionAlgorithm* encryption = nullptr;
  const PrfAlgorithm* prf = nullptr;
  const IntegrityAlgorithm* integrity = nullptr;  // nullptr with an AEAD cipher
  const DhGroup* dh = nullptr;
};

// SKEYSEED = prf (Ni | Nr, g^ir), or for a rekeyed IKE SA prf (SK_d (old), g^ir (new) | Ni | Nr),
// then {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+ (SKEYSEED, Ni | Nr | SPIi |
// SPIr). old_sk_d: empty for an IKE_SA_INIT. old_prf: the old IKE SA's PRF when rekeying.
IkeSaKeys derive_ike_sa_keys(const IkeSuite& suite, std::span<const uint8_t> shared_secret,
                             std::span<const uint8_t> ni, std::span<const uint8_t> nr,
                             uint64_t spi_i, uint64_t spi_r, std::span<const uint8_t> old_sk_d = {},
                             const PrfAlgorithm* old_prf = nullptr);

// KEYMAT = prf+ (SK_d, [g^ir (new) |] Ni | Nr), length bytes.
Bytes child_keymat(const PrfAlgorithm& alg, std::span<const uint8_t> sk_d,
                   std::span<const uint8_t> shared_secret, std::span<const uint8_t> ni,
                   std::span<const uint8_t> nr, size_t length);

// Wipes key material that is no longer needed.
void wipe(Bytes& b);

}  // namespace vfw::ike
