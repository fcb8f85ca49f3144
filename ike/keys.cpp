#include "ike/keys.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "ike/crypto_failure.hpp"
#include "packet/packet.hpp"

namespace vfw::ike {
namespace {

void append(Bytes& out, std::span<const uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}

}  // namespace

// An HMAC context with its digest set, per digest and thread: OpenSSL 3 resolves names on every
// fetch, which costs as much as a short HMAC, and IKE computes dozens per negotiation. Each prf()
// copies the template and keys the copy.
EVP_MAC_CTX* hmac_template(std::string_view digest) {
  struct Free {
    void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
  };
  thread_local std::map<std::string, std::unique_ptr<EVP_MAC_CTX, Free>, std::less<>> cache;
  auto it = cache.find(digest);
  if (it != cache.end()) return it->second.get();
  std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                        &EVP_MAC_free);
  std::unique_ptr<EVP_MAC_CTX, Free> ctx(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
  std::string name(digest);
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", name.data(), 0),
                               OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_CTX_set_params(ctx.get(), params) != 1) return nullptr;
  return cache.emplace(std::move(name), std::move(ctx)).first->second.get();
}

Bytes prf(const PrfAlgorithm& alg, std::span<const uint8_t> key, std::span<const uint8_t> data) {
  Bytes out(alg.output_bytes);
  size_t length = 0;
  // An HMAC key may be empty (a zero-length PSK is refused by the configuration, not here).
  static const uint8_t kNoKey = 0;
  EVP_MAC_CTX* base = hmac_template(alg.digest);
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(
      base != nullptr ? EVP_MAC_CTX_dup(base) : nullptr, &EVP_MAC_CTX_free);
  if (!ctx ||
      EVP_MAC_init(ctx.get(), key.empty() ? &kNoKey : key.data(), key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &length, out.size()) != 1 || length != out.size()) {
    // Only an OpenSSL without the digest gets here; the algorithm tables name standard ones.
    throw CryptoFailure("HMAC-" + std::string(alg.digest) + " failed in OpenSSL");
  }
  return out;
}

Bytes prf_plus(const PrfAlgorithm& alg, std::span<const uint8_t> key, std::span<const uint8_t> seed,
               size_t length) {
  Bytes out;
  Bytes t;
  // RFC 7296 2.13: the counter is one octet, so prf+ yields at most 255 blocks.
  for (uint8_t n = 1; out.size() < length && n != 0; ++n) {
    Bytes input = t;
    append(input, seed);
    input.push_back(n);
    t = prf(alg, key, input);
    append(out, t);
  }
  out.resize(length);
  return out;
}

IkeSaKeys derive_ike_sa_keys(const IkeSuite& suite, std::span<const uint8_t> shared_secret,
                             std::span<const uint8_t> ni, std::span<const uint8_t> nr,
                             uint64_t spi_i, uint64_t spi_r, std::span<const uint8_t> old_sk_d,
                             const PrfAlgorithm* old_prf) {
  Bytes nonces(ni.begin(), ni.end());
  append(nonces, nr);
  Bytes skeyseed;
  if (old_sk_d.empty()) {
    // RFC 7296 2.14: Ni | Nr as the key; a PRF with a fixed key size (none here) would cut it.
    skeyseed = prf(*suite.prf, nonces, shared_secret);
  } else {
    Bytes data(shared_secret.begin(), shared_secret.end());
    append(data, nonces);
    skeyseed = prf(old_prf != nullptr ? *old_prf : *suite.prf, old_sk_d, data);
  }
  Bytes seed = nonces;
  uint8_t spis[16];
  store32(spis, static_cast<uint32_t>(spi_i >> 32));
  store32(spis + 4, static_cast<uint32_t>(spi_i));
  store32(spis + 8, static_cast<uint32_t>(spi_r >> 32));
  store32(spis + 12, static_cast<uint32_t>(spi_r));
  append(seed, spis);
  const size_t prf_bytes = suite.prf->output_bytes;
  const size_t integ_bytes = suite.integrity != nullptr ? suite.integrity->key_bytes : 0;
  const size_t enc_bytes = suite.encryption->key_bytes + (suite.encryption->aead ? 4U : 0U);
  const size_t total = 3 * prf_bytes + 2 * integ_bytes + 2 * enc_bytes;
  Bytes stream = prf_plus(*suite.prf, skeyseed, seed, total);
  wipe(skeyseed);
  IkeSaKeys k;
  size_t at = 0;
  auto take = [&](size_t n) {
    Bytes b(stream.begin() + static_cast<long>(at), stream.begin() + static_cast<long>(at + n));
    at += n;
    return b;
  };
  k.d = take(prf_bytes);
  k.ai = take(integ_bytes);
  k.ar = take(integ_bytes);
  k.ei = take(enc_bytes);
  k.er = take(enc_bytes);
  k.pi = take(prf_bytes);
  k.pr = take(prf_bytes);
  wipe(stream);
  return k;
}

Bytes child_keymat(const PrfAlgorithm& alg, std::span<const uint8_t> sk_d,
                   std::span<const uint8_t> shared_secret, std::span<const uint8_t> ni,
                   std::span<const uint8_t> nr, size_t length) {
  Bytes seed(shared_secret.begin(), shared_secret.end());
  append(seed, ni);
  append(seed, nr);
  return prf_plus(alg, sk_d, seed, length);
}

void wipe(Bytes& b) {
  if (!b.empty()) OPENSSL_cleanse(b.data(), b.size());
  b.clear();
}

}  // namespace vfw::ike
