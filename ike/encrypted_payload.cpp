#include "ike/encrypted_payload.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <string>

#include "packet/packet.hpp"

namespace vfw::ike {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct CipherDeleter {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};

constexpr size_t kGcmIcv = 16;
constexpr size_t kGcmSalt = 4;

size_t icv_bytes(const SkProtection& p) {
  return p.encryption->aead ? kGcmIcv : p.integrity->icv_bytes;
}

// One CBC or GCM pass over data in place. For GCM, aad is authenticated and tag is written
// (encrypt) or checked (decrypt).
bool run_cipher(const SkProtection& p, bool encrypt, const uint8_t* iv, uint8_t* data,
                size_t length, std::span<const uint8_t> aad, uint8_t* tag) {
  const std::string name(p.encryption->cipher);
  std::unique_ptr<EVP_CIPHER, CipherDeleter> cipher(
      EVP_CIPHER_fetch(nullptr, name.c_str(), nullptr));
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!cipher || !ctx) return false;
  const uint8_t* key = p.encryption_key.data();
  uint8_t nonce[12];
  const uint8_t* effective_iv = iv;
  if (p.encryption->aead) {
    std::memcpy(nonce, key + p.encryption->key_bytes, kGcmSalt);  // salt | IV (RFC 5282 4)
    std::memcpy(nonce + kGcmSalt, iv, 8);
    effective_iv = nonce;
  }
  if (EVP_CipherInit_ex2(ctx.get(), cipher.get(), key, effective_iv, encrypt ? 1 : 0, nullptr) != 1)
    return false;
  int out = 0;
  if (p.encryption->aead) {
    EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
    if (EVP_CipherUpdate(ctx.get(), nullptr, &out, aad.data(), static_cast<int>(aad.size())) != 1)
      return false;
    if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmIcv, tag) != 1)
      return false;
  } else {
    EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  }
  if (length > 0 && EVP_CipherUpdate(ctx.get(), data, &out, data, static_cast<int>(length)) != 1)
    return false;
  int final_out = 0;
  if (EVP_CipherFinal_ex(ctx.get(), data + out, &final_out) != 1) return false;
  if (p.encryption->aead && encrypt &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmIcv, tag) != 1)
    return false;
  return true;
}

bool hmac(const SkProtection& p, std::span<const uint8_t> data, uint8_t* out) {
  uint8_t full[64];
  size_t length = 0;
  const std::string digest(p.integrity->digest);
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest.c_str(), nullptr, p.integrity_key.data(),
                p.integrity_key.size(), data.data(), data.size(), full, sizeof full,
                &length) == nullptr)
    return false;
  std::memcpy(out, full, p.integrity->icv_bytes);  // truncated (RFC 4868, RFC 2404)
  return true;
}

}  // namespace

std::optional<Bytes> seal_message(Header h, const PayloadWriter& inner, SkProtection& p,
                                  RandomSource& random) {
  return seal_message(h, inner.first(), inner.bytes(), p, random);
}

std::optional<Bytes> seal_message(Header h, uint8_t first, std::span<const uint8_t> inner,
                                  SkProtection& p, RandomSource& random) {
  const EncryptionAlgorithm& e = *p.encryption;
  const size_t iv = e.iv_bytes;
  const size_t icv = icv_bytes(p);
  // Inner payloads | padding | pad length, a whole number of cipher blocks.
  const size_t plain = inner.size() + 1;
  const size_t padded = (plain + e.block_bytes - 1) / e.block_bytes * e.block_bytes;
  const size_t sk_length = kPayloadHeaderBytes + iv + padded + icv;
  Bytes m(kHeaderBytes + sk_length, 0);
  h.next_payload = payload::kSk;
  h.length = static_cast<uint32_t>(m.size());
  encode_header(h, m.data());
  uint8_t* sk = m.data() + kHeaderBytes;
  sk[0] = first;
  sk[1] = 0;
  store16(sk + 2, static_cast<uint16_t>(sk_length));
  uint8_t* ivp = sk + kPayloadHeaderBytes;
  if (e.aead) {
    store32(ivp, static_cast<uint32_t>(p.next_iv >> 32));
    store32(ivp + 4, static_cast<uint32_t>(p.next_iv));
    ++p.next_iv;
  } else {
    random.fill({ivp, iv});
  }
  uint8_t* data = ivp + iv;
  std::copy(inner.begin(), inner.end(), data);
  data[padded - 1] = static_cast<uint8_t>(padded - plain);  // padding bytes stay zero
  uint8_t* icvp = data + padded;
  if (e.aead) {
    // AAD: the IKE header and the SK payload's generic header (RFC 5282 5.1).
    const std::span<const uint8_t> aad(m.data(), kHeaderBytes + kPayloadHeaderBytes);
    if (!run_cipher(p, true, ivp, data, padded, aad, icvp)) return std::nullopt;
  } else {
    if (!run_cipher(p, true, ivp, data, padded, {}, nullptr)) return std::nullopt;
    if (!hmac(p, {m.data(), m.size() - icv}, icvp)) return std::nullopt;
  }
  return m;
}

bool open_message(std::span<const uint8_t> message, const Payloads& outer, const SkProtection& p,
                  Payloads& inner, DecodeError& error) {
  const EncryptionAlgorithm& e = *p.encryption;
  const size_t iv = e.iv_bytes;
  const size_t icv = icv_bytes(p);
  error = {};
  if (!outer.encrypted) {
    error.reason = "no Encrypted payload";
    return false;
  }
  if (outer.sk_length < kPayloadHeaderBytes + iv + icv + 1) {
    error.reason = "Encrypted payload too short";
    return false;
  }
  const size_t data_length = outer.sk_length - kPayloadHeaderBytes - iv - icv;
  if (data_length % e.block_bytes != 0) {
    error.reason = "Encrypted payload not a whole number of blocks";
    return false;
  }
  Bytes copy(message.begin(), message.end());
  uint8_t* sk = copy.data() + outer.sk_offset;
  uint8_t* ivp = sk + kPayloadHeaderBytes;
  uint8_t* data = ivp + iv;
  uint8_t* icvp = data + data_length;
  if (e.aead) {
    const std::span<const uint8_t> aad(copy.data(), outer.sk_offset + kPayloadHeaderBytes);
    if (!run_cipher(p, false, ivp, data, data_length, aad, icvp)) {
      error.reason = "integrity check failed";
      return false;
    }
  } else {
    uint8_t expected[64];
    if (!hmac(p, {copy.data(), static_cast<size_t>(icvp - copy.data())}, expected) ||
        CRYPTO_memcmp(expected, icvp, icv) != 0) {
      error.reason = "integrity check failed";
      return false;
    }
    if (!run_cipher(p, false, ivp, data, data_length, {}, nullptr)) {
      error.reason = "decryption failed";
      return false;
    }
  }
  const uint8_t pad = data[data_length - 1];
  if (pad + 1U > data_length) {
    error.notify = notify::kInvalidSyntax;
    error.reason = "pad length beyond the Encrypted payload";
    return false;
  }
  return decode_payloads({data, data_length - 1 - pad}, outer.sk_first, inner, error,
                         outer.sk_offset + kPayloadHeaderBytes + iv);
}

}  // namespace vfw::ike
