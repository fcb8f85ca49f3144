// IKEv1's algorithms and key derivation for pre-shared keys (RFC 2409 sections 5, 5.5, appendix B):
// the phase 1 cipher and hash as their attributes name them, SKEYID and its three children, the
// CBC IVs that chain across messages, the quick mode hashes' PRF and KEYMAT.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ike/ike_algorithms.hpp"
#include "ike/keys.hpp"
#include "packet/address.hpp"

namespace vfw::ike::v1 {

struct Cipher {
  std::string_view keyword;  // ike proposal's encryption-algorithm
  uint16_t attribute;        // the Encryption Algorithm attribute's value
  uint16_t key_bits;         // the Key Length attribute; 0 when the cipher has a fixed key
  uint8_t key_bytes;
  uint8_t block_bytes;
  std::string_view openssl;
  std::string_view display;
};

struct Hash {
  std::string_view keyword;  // ike proposal's authentication-algorithm
  uint16_t attribute;        // the Hash Algorithm attribute's value
  const PrfAlgorithm* prf;   // its HMAC: IKEv1's prf
  std::string_view display;
};

const std::vector<Cipher>& ciphers();
const std::vector<Hash>& hashes();
const Cipher* find_cipher(std::string_view keyword);
const Cipher* find_cipher(uint16_t attribute, uint16_t key_bits);
const Hash* find_hash(std::string_view keyword);
const Hash* find_hash(uint16_t attribute);

// Whether this OpenSSL can run the cipher (DES needs its legacy provider, which Debian's
// default configuration does not load).
bool available(const Cipher& cipher);

// The plain hash (not keyed) of data: the IVs and NAT-D use it.
Bytes digest(const Hash& hash, std::span<const uint8_t> data);

struct Phase1Keys {
  Bytes skeyid, d, a, e;
  Bytes encryption;  // SKEYID_e stretched or cut to the cipher's key (appendix B)
};

// SKEYID = prf(pre-shared key, Ni_b | Nr_b); SKEYID_d, _a, _e from it, g^xy and the cookies.
Phase1Keys derive_phase1(const Hash& hash, const Cipher& cipher, std::span<const uint8_t> psk,
                         std::span<const uint8_t> ni, std::span<const uint8_t> nr,
                         std::span<const uint8_t> shared, uint64_t cky_i, uint64_t cky_r);

// Phase 1's first IV: hash(g^xi | g^xr), cut to the block size.
Bytes phase1_iv(const Hash& hash, const Cipher& cipher, std::span<const uint8_t> gxi,
                std::span<const uint8_t> gxr);
// A phase 2 or informational exchange's first IV: hash(last phase 1 IV | M-ID).
Bytes exchange_iv(const Hash& hash, const Cipher& cipher, std::span<const uint8_t> phase1_last,
                  uint32_t message_id);

// KEYMAT for the SA whose receiver chose spi (RFC 2409 5.5): prf(SKEYID_d, [g(qm)^xy |] protocol
// | SPI | Ni_b | Nr_b), stretched with K(n+1) = prf(SKEYID_d, K(n) | ...).
Bytes keymat(const Hash& hash, std::span<const uint8_t> skeyid_d, std::span<const uint8_t> shared,
             uint8_t protocol, uint32_t spi, std::span<const uint8_t> ni,
             std::span<const uint8_t> nr, size_t length);

// CBC over whole blocks in place; false when OpenSSL cannot (a cipher its providers lack).
bool cbc(const Cipher& cipher, std::span<const uint8_t> key, std::span<const uint8_t> iv,
         std::span<uint8_t> data, bool encrypt);

// NAT-D (RFC 3947 3.2): hash(CKY-I | CKY-R | IP | port).
Bytes nat_d(const Hash& hash, uint64_t cky_i, uint64_t cky_r, Ipv4 address, uint16_t port);

}  // namespace vfw::ike::v1
