#include "ipsec/sa_crypto.hpp"

#include "packet/packet.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

namespace vfw::ipsec {
namespace {

constexpr std::string_view kIvLabel = "vfw ESP CBC IV generator";

}  // namespace

SaCrypto::SaCrypto(SaCrypto&& other) noexcept {
  *this = std::move(other);
}

SaCrypto& SaCrypto::operator=(SaCrypto&& other) noexcept {
  if (this != &other) {
    release();
    encryption_ = other.encryption_;
    authentication_ = other.authentication_;
    cipher_ = std::exchange(other.cipher_, nullptr);
    iv_generator_ = std::exchange(other.iv_generator_, nullptr);
    iv_counter_ = other.iv_counter_;
    mac_ = std::exchange(other.mac_, nullptr);
    encryption_key_ = std::move(other.encryption_key_);
    authentication_key_ = std::move(other.authentication_key_);
    std::copy(std::begin(other.salt_), std::end(other.salt_), std::begin(salt_));
    OPENSSL_cleanse(other.salt_, sizeof other.salt_);
  }
  return *this;
}

SaCrypto::~SaCrypto() {
  release();
}

void SaCrypto::release() {
  // EVP_*_free cleanse the key schedules; our own copies are wiped here.
  EVP_CIPHER_CTX_free(cipher_);
  EVP_CIPHER_CTX_free(iv_generator_);
  EVP_MAC_CTX_free(mac_);
  cipher_ = nullptr;
  iv_generator_ = nullptr;
  mac_ = nullptr;
  if (!encryption_key_.empty()) OPENSSL_cleanse(encryption_key_.data(), encryption_key_.size());
  if (!authentication_key_.empty())
    OPENSSL_cleanse(authentication_key_.data(), authentication_key_.size());
  encryption_key_.clear();
  authentication_key_.clear();
  OPENSSL_cleanse(salt_, sizeof salt_);
}

size_t SaCrypto::icv_bytes() const {
  if (info(encryption_).aead) return 16;
  return info(authentication_).icv_bytes;
}

Status SaCrypto::init(Encryption e, std::span<const uint8_t> encryption_key, Authentication a,
                      std::span<const uint8_t> authentication_key, bool encrypt) {
  release();
  encryption_ = e;
  authentication_ = a;
  const EncryptionInfo& ei = info(e);
  const size_t want = ei.key_bytes + (ei.aead ? 4U : 0U);
  if (encryption_key.size() != want) {
    return fail("the encryption key must be " + std::to_string(want) + " bytes for " +
                std::string(ei.keyword));
  }
  encryption_key_.assign(encryption_key.begin(), encryption_key.end());
  if (e != Encryption::None) {
    EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, std::string(ei.openssl).c_str(), nullptr);
    if (cipher == nullptr) return fail("OpenSSL has no " + std::string(ei.openssl));
    cipher_ = EVP_CIPHER_CTX_new();
    const int ok = EVP_CipherInit_ex(cipher_, cipher, nullptr, encryption_key.data(), nullptr,
                                     encrypt ? 1 : 0);
    EVP_CIPHER_free(cipher);
    if (ok != 1) return fail("OpenSSL refused the " + std::string(ei.keyword) + " key");
    EVP_CIPHER_CTX_set_padding(cipher_, 0);
    if (ei.aead) std::copy_n(encryption_key.data() + ei.key_bytes, 4, salt_);
    if (encrypt && !ei.aead) {
      // The IVs are a counter encrypted under a key of their own, derived from the SA's
      // encryption key: unpredictable to whoever lacks that key (RFC 3602 2.3 asks no more), and
      // the same every time for the same keys, so that a lab on a seeded clock repeats its
      // captures byte for byte.
      uint8_t iv_key[SHA256_DIGEST_LENGTH];
      std::vector<uint8_t> material(kIvLabel.begin(), kIvLabel.end());
      material.insert(material.end(), encryption_key.begin(), encryption_key.end());
      SHA256(material.data(), material.size(), iv_key);
      OPENSSL_cleanse(material.data(), material.size());
      iv_counter_ = 0;
      iv_generator_ = EVP_CIPHER_CTX_new();
      const int ready =
          EVP_EncryptInit_ex(iv_generator_, EVP_aes_128_ecb(), nullptr, iv_key, nullptr);
      OPENSSL_cleanse(iv_key, sizeof iv_key);
      if (ready != 1) return fail("OpenSSL refused the IV generator");
      EVP_CIPHER_CTX_set_padding(iv_generator_, 0);
    }
  }
  if (ei.aead) return {};  // AES-GCM authenticates by itself
  const AuthenticationInfo& ai = info(a);
  if (authentication_key.size() != ai.key_bytes) {
    return fail("the authentication key must be " + std::to_string(ai.key_bytes) + " bytes for " +
                std::string(ai.keyword));
  }
  authentication_key_.assign(authentication_key.begin(), authentication_key.end());
  if (a == Authentication::None) return {};
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (hmac == nullptr) return fail("OpenSSL has no HMAC");
  mac_ = EVP_MAC_CTX_new(hmac);
  EVP_MAC_free(hmac);
  std::string digest(ai.digest);
  const std::array params = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(mac_, authentication_key.data(), authentication_key.size(), params.data()) !=
      1) {
    return fail("OpenSSL refused the " + std::string(ai.keyword) + " key");
  }
  return {};
}

bool SaCrypto::cbc(uint8_t* data, size_t len, const uint8_t* iv) {
  if (cipher_ == nullptr) return true;  // NULL encryption
  int out = 0;
  return EVP_CipherInit_ex(cipher_, nullptr, nullptr, nullptr, iv, -1) == 1 &&
         EVP_CipherUpdate(cipher_, data, &out, data, static_cast<int>(len)) == 1 &&
         static_cast<size_t>(out) == len;
}

bool SaCrypto::next_iv(uint8_t* iv) {
  if (iv_generator_ == nullptr) return false;
  uint8_t block[16] = {0};
  ++iv_counter_;
  std::memcpy(block, &iv_counter_, sizeof iv_counter_);
  uint8_t out[32];
  int len = 0;
  if (EVP_EncryptUpdate(iv_generator_, out, &len, block, sizeof block) != 1 || len != 16)
    return false;
  std::copy_n(out, iv_bytes(), iv);
  return true;
}

bool SaCrypto::gcm_seal(uint8_t* data, size_t len, const uint8_t* iv, std::span<const uint8_t> aad,
                        uint8_t* tag) {
  uint8_t nonce[12];
  std::copy_n(salt_, 4, nonce);
  std::copy_n(iv, 8, nonce + 4);
  int out = 0;
  return EVP_CipherInit_ex(cipher_, nullptr, nullptr, nullptr, nonce, -1) == 1 &&
         EVP_CipherUpdate(cipher_, nullptr, &out, aad.data(), static_cast<int>(aad.size())) == 1 &&
         EVP_CipherUpdate(cipher_, data, &out, data, static_cast<int>(len)) == 1 &&
         EVP_CipherFinal_ex(cipher_, data + out, &out) == 1 &&
         EVP_CIPHER_CTX_ctrl(cipher_, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
}

bool SaCrypto::gcm_open(uint8_t* data, size_t len, const uint8_t* iv, std::span<const uint8_t> aad,
                        const uint8_t* tag) {
  uint8_t nonce[12];
  std::copy_n(salt_, 4, nonce);
  std::copy_n(iv, 8, nonce + 4);
  uint8_t expected[16];
  std::copy_n(tag, 16, expected);
  int out = 0;
  return EVP_CipherInit_ex(cipher_, nullptr, nullptr, nullptr, nonce, -1) == 1 &&
         EVP_CIPHER_CTX_ctrl(cipher_, EVP_CTRL_GCM_SET_TAG, 16, expected) == 1 &&
         EVP_CipherUpdate(cipher_, nullptr, &out, aad.data(), static_cast<int>(aad.size())) == 1 &&
         EVP_CipherUpdate(cipher_, data, &out, data, static_cast<int>(len)) == 1 &&
         EVP_CipherFinal_ex(cipher_, data + out, &out) == 1;  // fails when the tag does not verify
}

bool SaCrypto::mac(std::span<const std::span<const uint8_t>> pieces, uint8_t* out) {
  if (mac_ == nullptr) return true;
  // Re-initialising with no key keeps the one set at init(): no per-packet key schedule.
  if (EVP_MAC_init(mac_, nullptr, 0, nullptr) != 1) return false;
  for (const auto& p : pieces) {
    if (EVP_MAC_update(mac_, p.data(), p.size()) != 1) return false;
  }
  uint8_t full[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_MAC_final(mac_, full, &len, sizeof full) != 1) return false;
  std::copy_n(full, info(authentication_).icv_bytes, out);
  return true;
}

std::string SaCrypto::encryption_key_hex() const {
  return to_hex(encryption_key_);
}
std::string SaCrypto::authentication_key_hex() const {
  return to_hex(authentication_key_);
}

}  // namespace vfw::ipsec
