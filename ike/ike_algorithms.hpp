// The algorithms of `ike proposal`: each device keyword with its IKEv2 transform (IANA) and what
// OpenSSL calls it. The DH groups are the RFC 2409/3526 MODP groups and the RFC 5903 ECP groups.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vfw::ike {

struct EncryptionAlgorithm {
  std::string_view keyword;  // encryption-algorithm aes-256
  uint16_t transform_id;
  uint16_t key_bits;  // the Key Length attribute; 0 when the transform has none (3DES)
  uint8_t key_bytes;  // without the salt
  uint8_t block_bytes;
  uint8_t iv_bytes;
  bool aead;                   // AES-GCM (RFC 5282): a 4-byte salt after the key, a 16-byte ICV
  std::string_view cipher;     // OpenSSL's name
  std::string_view display;    // display ike proposal: "AES-256"
  std::string_view wireshark;  // its name in Wireshark's ikev2_decryption_table
};

struct PrfAlgorithm {
  std::string_view keyword;  // prf hmac-sha2-256
  uint16_t transform_id;
  std::string_view digest;
  uint8_t output_bytes;  // also its preferred key length (RFC 7296 2.13)
  std::string_view display;
};

struct IntegrityAlgorithm {
  std::string_view keyword;  // integrity-algorithm hmac-sha2-256
  uint16_t transform_id;
  std::string_view digest;
  uint8_t key_bytes;
  uint8_t icv_bytes;
  std::string_view display;
  std::string_view wireshark;  // its name in Wireshark's ikev2_decryption_table
};

struct DhGroup {
  std::string_view keyword;  // dh group14
  uint16_t number;
  bool ecp;
  uint16_t public_bytes;     // KE data: the MODP prime's length, or x | y of the point
  std::string_view display;  // "MODP-2048"
};

const std::vector<EncryptionAlgorithm>& encryption_algorithms();
const std::vector<PrfAlgorithm>& prf_algorithms();
const std::vector<IntegrityAlgorithm>& integrity_algorithms();
const std::vector<DhGroup>& dh_groups();

const EncryptionAlgorithm* find_encryption(std::string_view keyword);
const EncryptionAlgorithm* find_encryption(uint16_t id, uint16_t key_bits);
const PrfAlgorithm* find_prf(std::string_view keyword);
const PrfAlgorithm* find_prf(uint16_t id);
const IntegrityAlgorithm* find_integrity(std::string_view keyword);
const IntegrityAlgorithm* find_integrity(uint16_t id);
const DhGroup* find_dh_group(std::string_view keyword);
const DhGroup* find_dh_group(uint16_t number);

// "aes-128 | aes-192 | ..." for the command patterns.
std::string encryption_keywords();
std::string prf_keywords();
std::string integrity_keywords();
std::string dh_keywords();

}  // namespace vfw::ike
