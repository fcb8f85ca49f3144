// The ESP and AH algorithms of `ipsec proposal`, with what each needs on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vfw::ipsec {

enum class Encryption : uint8_t {
  None,
  Des,
  TripleDes,
  Aes128,
  Aes192,
  Aes256,
  AesGcm128,
  AesGcm192,
  AesGcm256
};
// Sha256Truncated96: HMAC-SHA-256 cut to 96 bits, as implementations before RFC 4868 did; the
// device uses it for sha2-256 under `ipsec sha2 compatible enable` (IKEv1, whose attribute value
// for SHA-256 both truncations shared).
enum class Authentication : uint8_t { None, Md5, Sha1, Sha256, Sha384, Sha512, Sha256Truncated96 };

struct EncryptionInfo {
  std::string_view keyword;  // in `esp encryption-algorithm KEYWORD`
  std::string_view openssl;  // EVP cipher name
  uint8_t key_bytes;         // without the salt
  uint8_t block_bytes;       // padding boundary (4 for AEAD: ESP's own alignment)
  uint8_t iv_bytes;          // explicit IV carried in each packet
  bool aead;                 // AES-GCM: 4-byte salt after the key (RFC 4106), 16-byte ICV
  std::string_view display;  // display ipsec sa: "ESP-ENCRYPT-AES-256"
  std::string_view tshark;   // Wireshark's esp_sa name
  // How IKE names it (IANA's registries), so that both engines read one row instead of each
  // keeping a switch: the IKEv2 transform type 1 ID (0: never offered), the IKEv1 ESP transform
  // ID (RFC 2407 4.4.4), and the key length attribute both send (0: none, the key is fixed).
  uint16_t ikev2_encr;
  uint8_t ikev1_esp;
  uint16_t key_bits;
};

struct AuthenticationInfo {
  std::string_view keyword;  // sha2-256
  std::string_view digest;   // EVP digest name
  uint8_t key_bytes;
  uint8_t icv_bytes;         // truncated HMAC (RFC 2403, 2404, 4868)
  std::string_view display;  // "SHA2-256-128"
  std::string_view tshark;
  // How IKE names it (IANA's registries): the IKEv2 transform type 3 ID (0: never offered), the
  // IKEv1 Authentication Algorithm attribute of an ESP or AH transform (RFC 2407 4.5) and the
  // IKEv1 AH transform ID (RFC 2407 4.4.3).
  uint16_t ikev2_integ;
  uint16_t ikev1_auth_attribute;
  uint8_t ikev1_ah;
};

const EncryptionInfo& info(Encryption e);
const AuthenticationInfo& info(Authentication a);
// The USG5500's (V300R001) keyword for AES-128, which its saved configurations carry.
inline constexpr std::string_view kAesV300 = "aes";
std::optional<Encryption> encryption_from_keyword(std::string_view keyword);
std::optional<Authentication> authentication_from_keyword(std::string_view keyword);

// The keyword lists for the command patterns: "des | 3des | aes-128 | ...".
std::string encryption_keywords();
std::string authentication_keywords();

}  // namespace vfw::ipsec
