#include "ipsec/algorithms.hpp"

#include <array>

namespace vfw::ipsec {
namespace {

// The IKE columns: IKEv2 ENCR_DES 2, ENCR_3DES 3, ENCR_AES_CBC 12, ENCR_AES_GCM_16 20; IKEv1
// ESP_DES 2, ESP_3DES 3, ESP_NULL 11, ESP_AES 12, ESP_AES_GCM_16 20 (RFC 4106 8.1).
constexpr std::array kEncryption = {
    EncryptionInfo{"null", "", 0, 4, 0, false, "ESP-ENCRYPT-NULL", "NULL", 0, 11, 0},
    EncryptionInfo{"des", "DES-CBC", 8, 8, 8, false, "ESP-ENCRYPT-DES", "DES-CBC [RFC2405]", 2, 2,
                   0},
    EncryptionInfo{"3des", "DES-EDE3-CBC", 24, 8, 8, false, "ESP-ENCRYPT-3DES",
                   "TripleDES-CBC [RFC2451]", 3, 3, 0},
    EncryptionInfo{"aes-128", "AES-128-CBC", 16, 16, 16, false, "ESP-ENCRYPT-AES-128",
                   "AES-CBC [RFC3602]", 12, 12, 128},
    EncryptionInfo{"aes-192", "AES-192-CBC", 24, 16, 16, false, "ESP-ENCRYPT-AES-192",
                   "AES-CBC [RFC3602]", 12, 12, 192},
    EncryptionInfo{"aes-256", "AES-256-CBC", 32, 16, 16, false, "ESP-ENCRYPT-AES-256",
                   "AES-CBC [RFC3602]", 12, 12, 256},
    EncryptionInfo{"aes-gcm-128", "AES-128-GCM", 16, 4, 8, true, "ESP-ENCRYPT-AES-GCM-128",
                   "AES-GCM with 16 octet ICV [RFC4106]", 20, 20, 128},
    EncryptionInfo{"aes-gcm-192", "AES-192-GCM", 24, 4, 8, true, "ESP-ENCRYPT-AES-GCM-192",
                   "AES-GCM with 16 octet ICV [RFC4106]", 20, 20, 192},
    EncryptionInfo{"aes-gcm-256", "AES-256-GCM", 32, 4, 8, true, "ESP-ENCRYPT-AES-GCM-256",
                   "AES-GCM with 16 octet ICV [RFC4106]", 20, 20, 256},
};

// The IKE columns: IKEv2 AUTH_HMAC_MD5_96 1, AUTH_HMAC_SHA1_96 2, AUTH_HMAC_SHA2_256_128 12,
// _384_192 13, _512_256 14; IKEv1 attribute HMAC-MD5 1, HMAC-SHA 2, HMAC-SHA2-256 5, -384 6,
// -512 7 (RFC 4868 3.2); IKEv1 AH_MD5 2, AH_SHA 3, AH_SHA2_256 5, -384 6, -512 7.
constexpr std::array kAuthentication = {
    AuthenticationInfo{"null", "", 0, 0, "NULL", "NULL", 0, 0, 0},
    AuthenticationInfo{"md5", "MD5", 16, 12, "MD5-96", "HMAC-MD5-96 [RFC2403]", 1, 1, 2},
    AuthenticationInfo{"sha1", "SHA1", 20, 12, "SHA1-96", "HMAC-SHA-1-96 [RFC2404]", 2, 2, 3},
    AuthenticationInfo{"sha2-256", "SHA256", 32, 16, "SHA2-256-128", "HMAC-SHA-256-128 [RFC4868]",
                       12, 5, 5},
    AuthenticationInfo{"sha2-384", "SHA384", 48, 24, "SHA2-384-192", "HMAC-SHA-384-192 [RFC4868]",
                       13, 6, 6},
    AuthenticationInfo{"sha2-512", "SHA512", 64, 32, "SHA2-512-256", "HMAC-SHA-512-256 [RFC4868]",
                       14, 7, 7},
    // No keyword: what sha2-256 becomes under `ipsec sha2 compatible enable`. IKEv1 names it as
    // sha2-256 (the peer is told the same algorithm; the two ends differ in the truncation, as
    // the device's option does); IKEv2 never offers it.
    AuthenticationInfo{"", "SHA256", 32, 12, "SHA2-256-96",
                       "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]", 0, 5, 5},
};

}  // namespace

const EncryptionInfo& info(Encryption e) {
  return kEncryption[static_cast<size_t>(e)];
}
const AuthenticationInfo& info(Authentication a) {
  return kAuthentication[static_cast<size_t>(a)];
}

std::optional<Encryption> encryption_from_keyword(std::string_view keyword) {
  // USG5500 (V300R001) wrote AES with its default, 128-bit key, as plain `aes`.
  if (keyword == kAesV300) return Encryption::Aes128;
  for (size_t i = 1; i < kEncryption.size(); ++i) {
    if (kEncryption[i].keyword == keyword) return static_cast<Encryption>(i);
  }
  return std::nullopt;
}

std::optional<Authentication> authentication_from_keyword(std::string_view keyword) {
  for (size_t i = 1; i < kAuthentication.size(); ++i) {
    if (!keyword.empty() && kAuthentication[i].keyword == keyword)
      return static_cast<Authentication>(i);
  }
  return std::nullopt;
}

std::string encryption_keywords() {
  std::string s;
  for (size_t i = 1; i < kEncryption.size(); ++i)
    s += (s.empty() ? "" : " | ") + std::string(kEncryption[i].keyword);
  return s;
}

std::string authentication_keywords() {
  std::string s;
  for (size_t i = 1; i < kAuthentication.size(); ++i) {
    if (kAuthentication[i].keyword.empty()) continue;
    s += (s.empty() ? "" : " | ") + std::string(kAuthentication[i].keyword);
  }
  return s;
}

}  // namespace vfw::ipsec
