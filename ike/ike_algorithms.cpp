#include "ike/ike_algorithms.hpp"

#include "ike/ikev2_constants.hpp"

namespace vfw::ike {
namespace {

template <typename T>
std::string keywords(const std::vector<T>& table) {
  std::string out;
  for (const auto& a : table) out += (out.empty() ? "" : " | ") + std::string(a.keyword);
  return out;
}

template <typename T>
const T* by_keyword(const std::vector<T>& table, std::string_view keyword) {
  for (const auto& a : table) {
    if (a.keyword == keyword) return &a;
  }
  return nullptr;
}

}  // namespace

const std::vector<EncryptionAlgorithm>& encryption_algorithms() {
  static const std::vector<EncryptionAlgorithm> table = {
      {"3des", encr::k3Des, 0, 24, 8, 8, false, "DES-EDE3-CBC", "3DES", "3DES [RFC2451]"},
      {"aes-128", encr::kAesCbc, 128, 16, 16, 16, false, "AES-128-CBC", "AES-128",
       "AES-CBC-128 [RFC3602]"},
      {"aes-192", encr::kAesCbc, 192, 24, 16, 16, false, "AES-192-CBC", "AES-192",
       "AES-CBC-192 [RFC3602]"},
      {"aes-256", encr::kAesCbc, 256, 32, 16, 16, false, "AES-256-CBC", "AES-256",
       "AES-CBC-256 [RFC3602]"},
      {"aes-gcm-128", encr::kAesGcm16, 128, 16, 1, 8, true, "AES-128-GCM", "AES-GCM-128",
       "AES-GCM-128 with 16 octet ICV [RFC5282]"},
      {"aes-gcm-256", encr::kAesGcm16, 256, 32, 1, 8, true, "AES-256-GCM", "AES-GCM-256",
       "AES-GCM-256 with 16 octet ICV [RFC5282]"},
  };
  return table;
}

const std::vector<PrfAlgorithm>& prf_algorithms() {
  static const std::vector<PrfAlgorithm> table = {
      {"hmac-md5", prf_id::kHmacMd5, "MD5", 16, "HMAC-MD5"},
      {"hmac-sha1", prf_id::kHmacSha1, "SHA1", 20, "HMAC-SHA1"},
      {"hmac-sha2-256", prf_id::kHmacSha256, "SHA256", 32, "HMAC-SHA2-256"},
      {"hmac-sha2-384", prf_id::kHmacSha384, "SHA384", 48, "HMAC-SHA2-384"},
      {"hmac-sha2-512", prf_id::kHmacSha512, "SHA512", 64, "HMAC-SHA2-512"},
  };
  return table;
}

const std::vector<IntegrityAlgorithm>& integrity_algorithms() {
  static const std::vector<IntegrityAlgorithm> table = {
      {"hmac-md5-96", integ::kHmacMd5_96, "MD5", 16, 12, "HMAC-MD5-96", "HMAC_MD5_96 [RFC2403]"},
      {"hmac-sha1-96", integ::kHmacSha1_96, "SHA1", 20, 12, "HMAC-SHA1-96",
       "HMAC_SHA1_96 [RFC2404]"},
      {"hmac-sha2-256", integ::kHmacSha256_128, "SHA256", 32, 16, "HMAC-SHA2-256",
       "HMAC_SHA2_256_128 [RFC4868]"},
      {"hmac-sha2-384", integ::kHmacSha384_192, "SHA384", 48, 24, "HMAC-SHA2-384",
       "HMAC_SHA2_384_192 [RFC4868]"},
      {"hmac-sha2-512", integ::kHmacSha512_256, "SHA512", 64, 32, "HMAC-SHA2-512",
       "HMAC_SHA2_512_256 [RFC4868]"},
  };
  return table;
}

const std::vector<DhGroup>& dh_groups() {
  static const std::vector<DhGroup> table = {
      {"group1", 1, false, 96, "MODP-768"},     {"group2", 2, false, 128, "MODP-1024"},
      {"group5", 5, false, 192, "MODP-1536"},   {"group14", 14, false, 256, "MODP-2048"},
      {"group15", 15, false, 384, "MODP-3072"}, {"group16", 16, false, 512, "MODP-4096"},
      {"group19", 19, true, 64, "ECP-256"},     {"group20", 20, true, 96, "ECP-384"},
      {"group21", 21, true, 132, "ECP-521"},
  };
  return table;
}

const EncryptionAlgorithm* find_encryption(std::string_view keyword) {
  return by_keyword(encryption_algorithms(), keyword);
}
const EncryptionAlgorithm* find_encryption(uint16_t id, uint16_t key_bits) {
  for (const auto& a : encryption_algorithms()) {
    if (a.transform_id == id && a.key_bits == key_bits) return &a;
  }
  return nullptr;
}
const PrfAlgorithm* find_prf(std::string_view keyword) {
  return by_keyword(prf_algorithms(), keyword);
}
const PrfAlgorithm* find_prf(uint16_t id) {
  for (const auto& a : prf_algorithms()) {
    if (a.transform_id == id) return &a;
  }
  return nullptr;
}
const IntegrityAlgorithm* find_integrity(std::string_view keyword) {
  return by_keyword(integrity_algorithms(), keyword);
}
const IntegrityAlgorithm* find_integrity(uint16_t id) {
  for (const auto& a : integrity_algorithms()) {
    if (a.transform_id == id) return &a;
  }
  return nullptr;
}
const DhGroup* find_dh_group(std::string_view keyword) {
  return by_keyword(dh_groups(), keyword);
}
const DhGroup* find_dh_group(uint16_t number) {
  for (const auto& g : dh_groups()) {
    if (g.number == number) return &g;
  }
  return nullptr;
}

std::string encryption_keywords() {
  return keywords(encryption_algorithms());
}
std::string prf_keywords() {
  return keywords(prf_algorithms());
}
std::string integrity_keywords() {
  return keywords(integrity_algorithms());
}
std::string dh_keywords() {
  return keywords(dh_groups());
}

}  // namespace vfw::ike
