// The cryptography of one SA direction, on OpenSSL 3 EVP: a cipher context and an HMAC context,
// keyed once when the SA is made and reused for every packet (re-initialised with a new IV, never
// re-keyed, never allocated per packet). Keys are wiped when the SA goes.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "ipsec/algorithms.hpp"

namespace vfw::ipsec {

class SaCrypto {
 public:
  SaCrypto() = default;
  SaCrypto(const SaCrypto&) = delete;
  SaCrypto& operator=(const SaCrypto&) = delete;
  SaCrypto(SaCrypto&& other) noexcept;
  SaCrypto& operator=(SaCrypto&& other) noexcept;
  ~SaCrypto();

  // encryption_key includes the 4-byte salt for AES-GCM. Ready, or why not (a key of the wrong
  // length for its algorithm, an algorithm OpenSSL does not have).
  Status init(Encryption e, std::span<const uint8_t> encryption_key, Authentication a,
              std::span<const uint8_t> authentication_key, bool encrypt);

  Encryption encryption() const { return encryption_; }
  Authentication authentication() const { return authentication_; }
  size_t iv_bytes() const { return info(encryption_).iv_bytes; }
  size_t icv_bytes() const;  // ESP: 16 for GCM, the truncated HMAC otherwise; 0 for none

  // CBC in place (len a multiple of the block). false on an OpenSSL failure.
  bool cbc(uint8_t* data, size_t len, const uint8_t* iv);
  // AES-GCM of RFC 4106: nonce = salt || iv (8 bytes), AAD = the ESP header (SPI, sequence).
  bool gcm_seal(uint8_t* data, size_t len, const uint8_t* iv, std::span<const uint8_t> aad,
                uint8_t* tag);
  bool gcm_open(uint8_t* data, size_t len, const uint8_t* iv, std::span<const uint8_t> aad,
                const uint8_t* tag);
  // A fresh CBC IV (iv_bytes() of it): a per-SA counter encrypted under a per-SA random key, which
  // makes IVs unpredictable to anyone without that key (RFC 3602 section 3, RFC 4303 section 3.3.2)
  // at the cost of one block cipher call instead of a call into the random generator per packet.
  bool next_iv(uint8_t* iv);
  // HMAC over the given pieces, truncated to icv_bytes() into out.
  bool mac(std::span<const std::span<const uint8_t>> pieces, uint8_t* out);

  // For packet captures (tshark's esp_sa table) and display: the keys as hex.
  std::string encryption_key_hex() const;
  std::string authentication_key_hex() const;

 private:
  void release();
  Encryption encryption_ = Encryption::None;
  Authentication authentication_ = Authentication::None;
  EVP_CIPHER_CTX* cipher_ = nullptr;
  EVP_MAC_CTX* mac_ = nullptr;
  EVP_CIPHER_CTX* iv_generator_ = nullptr;
  uint64_t iv_counter_ = 0;
  std::vector<uint8_t> encryption_key_;
  std::vector<uint8_t> authentication_key_;
  uint8_t salt_[4] = {0, 0, 0, 0};
};

}  // namespace vfw::ipsec
